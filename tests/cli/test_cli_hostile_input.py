"""Issue 13: what the CLI prints of hostile names, its messages for bad arguments and files, and
two readers of one embedded index at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ragkit.cli.safe_text import plain, term

REPO = Path(__file__).resolve().parents[2]
EVIL_NAME = "evil\x1b[2J\x1b[31mRED[bold]x.txt"


def ragkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "ragkit.cli.__main__", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.unit
@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\x00", "\r", "\x7f", "\x9b", "\u202e", "\n"])
def test_plain_escapes_every_control_character(ch: str) -> None:
    out = plain(f"a{ch}b")
    assert ch not in out and out.startswith("a\\") and out.endswith("b")
    assert plain("line one\nline two", multiline=True) == "line one\nline two"
    assert term("[red]x[/red]") == "\\[red]x\\[/red]"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    corpus = d / "corpus"
    corpus.mkdir()
    (corpus / EVIL_NAME).write_text("The zebra crossing rule: pedestrians first, always.", encoding="utf-8")
    rows = [{"_id": "id\nFAKE LINE\x1b[31m", "title": "Giraffes", "text": "A giraffe sleeps about two hours a day."}]
    (corpus / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (d / "ragkit.yaml").write_text("rerank:\n  enabled: false\n")
    r = ragkit("ingest", "corpus", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout + r.stderr
    return d


@pytest.mark.integration
@pytest.mark.parametrize("cmd", ["search", "query"])
def test_search_and_query_print_names_escaped(hostile: Path, cmd: str) -> None:
    for question in ("zebra crossing pedestrians", "how long does a giraffe sleep"):
        r = ragkit(cmd, question, "--show-context" if cmd == "query" else "--no-rerank", cwd=hostile)
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout and "\x1b" not in r.stderr
        assert "\\x1b" in r.stdout  # shown, not executed
        assert not any(line.startswith("FAKE LINE") for line in r.stdout.splitlines())
    r = ragkit("search", "zebra", "--no-rerank", cwd=hostile)
    assert "RED[bold]x.txt" in r.stdout  # rich markup in a name prints literally


@pytest.mark.integration
def test_top_k_below_one_names_the_option(hostile: Path) -> None:
    r = ragkit("search", "zebra", "--top-k", "-3", cwd=hostile)
    flat = " ".join(r.stderr.replace("│", " ").split())
    assert r.returncode == 2 and "'--top-k'" in flat and "greater than or equal to 1" in flat


@pytest.mark.integration
def test_retriever_refuses_top_k_below_one(tmp_path: Path, embedder_warm) -> None:
    from ragkit.errors import RagkitError
    from ragkit.rag import RAG

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("# A\n\nSome text about apples.", encoding="utf-8")
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}) as rag:
        rag.ingest([tmp_path / "d"])
        with pytest.raises(RagkitError, match=r"top_k must be >= 1 \(got -3\)"):
            rag.search("apples", top_k=-3)


@pytest.mark.integration
def test_bad_date_and_utf16_files_are_named_clearly(tmp_path: Path, embedder_warm) -> None:
    from ragkit.rag import RAG

    d = tmp_path / "d"
    d.mkdir()
    (d / "dated.md").write_text("---\ntitle: T\ncreated: 2026-13-01\n---\n# T\n\nBody text.", encoding="utf-8")
    (d / "bom16.txt").write_bytes("UTF-16 with a byte-order mark, about otters.".encode("utf-16"))
    (d / "raw16.txt").write_bytes("UTF-16 without any mark, about owls.".encode("utf-16-le"))
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}) as rag:
        report = rag.ingest([d])
        reasons = dict(report.failures)
        assert set(reasons) == {"dated.md", "raw16.txt"}
        assert "`created` (line 3)" in reasons["dated.md"] and "2026-13-01" in reasons["dated.md"]
        assert "UTF-16LE without a byte-order mark" in reasons["raw16.txt"]
        hit = rag.search("otters", top_k=1).results[0]
        assert hit.chunk.source == "bom16.txt" and hit.chunk.text.startswith("UTF-16 with")


@pytest.mark.integration
def test_a_second_reader_waits_for_the_first(tmp_path: Path, embedder_warm) -> None:
    """Qdrant Edge admits one process (or store) at a time: a second reader waits for the first
    to close instead of failing at once; with no wait it fails with the clear locked error."""
    from ragkit.errors import IndexLockedError
    from ragkit.rag import RAG

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("# A\n\nSome text about apples and pears.", encoding="utf-8")
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False}}
    with RAG(cfg) as rag:
        rag.ingest([tmp_path / "d"])
    first = RAG(cfg)
    first.search("apples")  # holds the index open
    with RAG({**cfg, "store": {"lock_wait_s": 0}}) as impatient:
        with pytest.raises(IndexLockedError, match="one at a time"):
            impatient.search("pears")
    closer = threading.Timer(1.5, first.close)
    closer.start()
    t0 = time.monotonic()
    with RAG(cfg) as second:
        hits = second.search("pears").results
    waited = time.monotonic() - t0
    closer.join()
    assert hits and hits[0].chunk.source == "a.md"
    assert waited >= 1.0  # it did wait for the first reader
