"""Regression tests for the ingest data-loss and link holes of issue 13 (items 1, 2, 3, 5, 6).

Each reproduces the reported failure on the real store, embedder and manifest: sources that
collide across roots, an unreadable folder taken for a deleted one, a bad JSONL line deleting its
document, BM25 statistics outliving a killed first ingest, a symlink leading out of the corpus.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.rag import RAG

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def make_rag(home: Path, **ingest) -> RAG:
    return RAG({"home": str(home), "rerank": {"enabled": False}, "ingest": {"batch_size": 2, **ingest}})


def sources(rag: RAG) -> dict[str, str]:
    """source -> the text of its first chunk, for every document in the store."""
    out: dict[str, str] = {}
    for c in sorted(rag.store.chunks_where(None), key=lambda c: (c.source, c.index)):
        out.setdefault(c.source, c.text)
    return out


# ---- 1. the same relative path under two roots ---------------------------------------------------
def test_same_relative_path_under_two_roots_keeps_both(tmp_path: Path, embedder_warm) -> None:
    a = write(tmp_path / "a", {"README.md": "# Alpha\n\nThe alpha project ships reactors to Norway."})
    b = write(tmp_path / "b", {"README.md": "# Beta\n\nThe beta project builds pumps in Portugal."})
    with make_rag(tmp_path / "home") as rag:
        report = rag.ingest([a, b])
        assert (report.added, report.failed) == (2, 0)
        stored = sources(rag)
        assert set(stored) == {"README.md", "b/README.md"}
        assert "alpha" in stored["README.md"] and "beta" in stored["b/README.md"]
        assert report.renamed == ((str(b.resolve() / "README.md"), "b/README.md"),)
        assert report.to_dict()["renamed"] == [{"path": str(b.resolve() / "README.md"), "source": "b/README.md"}]
        # either root again, in any order, changes nothing: the names stay with their files
        for again in ([a], [b], [b, a]):
            r = rag.ingest(again)
            assert (r.added, r.updated, r.removed, r.embedded) == (0, 0, 0, 0), again
            assert set(sources(rag)) == {"README.md", "b/README.md"}
        hit = rag.search("pumps in Portugal", top_k=1).results[0]
        assert hit.chunk.source == "b/README.md"


def test_identical_files_under_two_roots_are_both_stored(tmp_path: Path, embedder_warm) -> None:
    text = "# Same\n\nBoth roots hold this very text about copper wiring."
    roots = [write(tmp_path / parent / "a", {"n.md": text}) for parent in ("x", "y", "z")]
    with make_rag(tmp_path / "home") as rag:
        report = rag.ingest(roots)
        assert report.added == 3
        # the second takes "a/n.md"; the third, whose folder is also "a", reaches one level further up
        assert set(sources(rag)) == {"n.md", "a/n.md", "z/a/n.md"}


def test_one_file_ingested_as_a_file_then_with_its_folder_is_one_document(tmp_path: Path, embedder_warm) -> None:
    root = write(tmp_path / "docs", {"guide.md": "# Guide\n\nTurn the valve left to open it."})
    with make_rag(tmp_path / "home") as rag:
        rag.ingest([root / "guide.md"])
        report = rag.ingest([root])
        assert report.renamed == () and set(sources(rag)) == {"guide.md"}


# ---- 2. a folder that cannot be listed ---------------------------------------------------------------
INGEST_JSON = """
import json, sys
from ragkit.rag import RAG
with RAG({"home": sys.argv[1], "rerank": {"enabled": False}}) as rag:
    print(json.dumps(rag.ingest([sys.argv[2]]).to_dict()))
"""


def run_without_file_access_override(home: Path, root: Path) -> dict:
    """Ingest in a subprocess that cannot read what its mode bits forbid (as root too: setpriv
    drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set)."""
    cmd = [sys.executable, "-c", INGEST_JSON, str(home), str(root)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("util-linux setpriv is not installed: cannot drop root's file-access override")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_unreadable_folder_is_a_failure_not_a_deletion(tmp_path: Path, embedder_warm) -> None:
    root = write(tmp_path / "c", {
        "top.md": "# Top\n\nThe top page lists the team's phone numbers.",
        "sub/inner.md": "# Inner\n\nThe inner page explains the badge reader.",
        "sub/deeper/leaf.txt": "The leaf note says the lab opens at eight.",
    })
    home = tmp_path / "home"
    with make_rag(home) as rag:
        assert rag.ingest([root]).added == 3
    (root / "sub").chmod(0)
    try:
        report = run_without_file_access_override(home, root)
    finally:
        (root / "sub").chmod(0o755)
    assert report["removed"] == 0, report
    assert report["failed"] == 1
    assert [f["source"] for f in report["failures"]] == ["sub/"]
    assert "cannot be listed" in report["failures"][0]["reason"]
    with make_rag(home) as rag:
        assert set(sources(rag)) == {"top.md", "sub/inner.md", "sub/deeper/leaf.txt"}
        # readable again: nothing to do, and a real deletion is still a deletion
        assert rag.ingest([root]).unchanged == 3
        (root / "sub" / "inner.md").unlink()
        assert rag.ingest([root]).removed == 1


# ---- 3. a JSONL line that turns malformed ----------------------------------------------------------
def corpus_lines(bad_second: bool) -> str:
    rows = [
        {"_id": "d1", "title": "Otters", "text": "Otters hold hands while they sleep."},
        {"_id": "d2", "title": "Owls", "text": "Owls can turn their heads 270 degrees."},
        {"_id": "d3", "title": "Octopus", "text": "An octopus has three hearts."},
    ]
    lines = [json.dumps(r) for r in rows]
    if bad_second:
        lines[1] = lines[1][:-5]  # truncated: invalid JSON
    return "\n".join(lines) + "\n"


def test_malformed_jsonl_line_keeps_its_document_and_counts_as_failed(tmp_path: Path, embedder_warm) -> None:
    root = tmp_path / "corpus"
    write(root, {"animals.jsonl": corpus_lines(bad_second=False)})
    with make_rag(tmp_path / "home") as rag:
        assert rag.ingest([root]).added == 3
        write(root, {"animals.jsonl": corpus_lines(bad_second=True)})
        report = rag.ingest([root])
        assert (report.removed, report.failed, report.unchanged) == (0, 1, 2)
        assert report.failures[0][0] == "animals.jsonl:2" and "invalid JSON" in report.failures[0][1]
        assert set(sources(rag)) == {"d1", "d2", "d3"}
        # fixed again: converges, and a record really removed from the file is removed
        write(root, {"animals.jsonl": corpus_lines(bad_second=False).replace('"d3"', '"d4"')})
        report = rag.ingest([root])
        assert (report.failed, report.added, report.removed) == (0, 1, 1)
        assert set(sources(rag)) == {"d1", "d2", "d4"}


# ---- 5. BM25 statistics of a killed first ingest --------------------------------------------------
KILLED_FIRST = """
import sys
from ragkit.rag import RAG
with RAG({"home": sys.argv[1], "rerank": {"enabled": False}, "ingest": {"batch_size": 1}}) as rag:
    rag.ingest([sys.argv[2]])
"""


def test_killed_first_ingest_leaves_no_bm25_statistics(tmp_path: Path, embedder_warm) -> None:
    long_words = " ".join(f"word{i}" for i in range(300))
    first = write(tmp_path / "first", {"long.txt": f"Long filler document. {long_words}.", "two.txt": f"Second. {long_words}."})
    final = write(tmp_path / "final", {
        "x.md": "# Pumps\n\nThe pump moves water uphill.",
        "y.md": "# Valves\n\nA valve stops the water.",
    })
    home = tmp_path / "home"
    env = {**os.environ, "RAGKIT_FAULT": "after_upsert:1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", KILLED_FIRST, str(home), str(first)], env=env, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    with make_rag(home) as rag:
        rag.ingest([final])
        crashed = [(h.chunk.source, round(h.score, 6)) for h in rag.search("water pump", mode="sparse", top_k=2).results]
    with make_rag(tmp_path / "clean") as rag:
        rag.ingest([final])
        clean = [(h.chunk.source, round(h.score, 6)) for h in rag.search("water pump", mode="sparse", top_k=2).results]
    assert crashed == clean


# ---- 6. symlinks that leave the ingest root --------------------------------------------------------
def test_symlink_out_of_the_root_is_refused_and_reported(tmp_path: Path, embedder_warm) -> None:
    secret = tmp_path / "outside" / "passwd"
    write(secret.parent, {"passwd": "root:x:0:0:root:/root:/bin/bash"})
    root = write(tmp_path / "corpus", {"ok.md": "# Fine\n\nA page that belongs here.", "in/target.md": "# Target\n\nLinked inside."})
    (root / "passwd.txt").symlink_to(secret)
    (root / "inside.md").symlink_to(root / "in" / "target.md")
    with make_rag(tmp_path / "home") as rag:
        report = rag.ingest([root])
        assert report.failed == 1
        assert report.failures[0][0] == "passwd.txt" and "outside the ingest root" in report.failures[0][1]
        assert "passwd.txt" not in sources(rag) and {"ok.md", "inside.md", "in/target.md"} <= set(sources(rag))
        assert all("root:x:0:0" not in h.chunk.text for h in rag.search("root:x:0:0", top_k=10).results)
    with make_rag(tmp_path / "home2", follow_external_links=True) as rag:
        report = rag.ingest([root])
        assert report.failed == 0 and "passwd.txt" in sources(rag)


def test_a_link_that_turns_external_keeps_the_stored_version(tmp_path: Path, embedder_warm) -> None:
    root = write(tmp_path / "corpus", {"note.md": "# Note\n\nThe original note about gears."})
    elsewhere = write(tmp_path / "elsewhere", {"x.md": "# Other\n\nSomething from outside."})
    with make_rag(tmp_path / "home") as rag:
        rag.ingest([root])
        (root / "note.md").unlink()
        (root / "note.md").symlink_to(elsewhere / "x.md")
        report = rag.ingest([root])
        assert (report.failed, report.removed) == (1, 0)
        assert "gears" in sources(rag)["note.md"]
