"""Incremental, idempotent, crash-safe ingest on the real store, embedder and manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.rag import RAG

pytestmark = pytest.mark.integration

V1 = {
    "alpha.md": "# Alpha\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019.\n\n## Safety\n\nOperators wear blue badges.",
    "beta.txt": "Beta notes. The beta pump moves 12 litres per minute. Its seals are replaced every spring.",
    "gamma.md": "# Gamma\n\nGamma rays are stopped by lead shielding. The gamma lab is on floor three.",
    "sub/delta.txt": "Delta wing houses the archive. The archive opens at nine in the morning.",
}


def write_corpus(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def make_rag(home: Path, **ingest) -> RAG:
    return RAG({"home": str(home), "rerank": {"enabled": False}, "ingest": {"batch_size": 1, **ingest}})


def index_state(rag: RAG) -> dict[str, tuple[str, str]]:
    """point id -> (source, content_hash) for every point in the store."""
    return {c.chunk_id: (c.source, c.content_hash) for c in rag.store.chunks_where(None)}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write_corpus(root, V1)
    return root


def test_second_run_skips_everything(corpus: Path, tmp_path: Path, embedder_warm) -> None:
    with make_rag(tmp_path / "home") as rag:
        first = rag.ingest(corpus)
        assert first.added == 4 and first.failed == 0 and first.embedded > 0
        n = rag.store.count()
        second = rag.ingest(corpus)
        assert (second.added, second.updated, second.unchanged, second.removed, second.embedded) == (0, 0, 4, 0, 0)
        assert rag.store.count() == n


def test_modified_file_only_its_chunks_are_reembedded(corpus: Path, tmp_path: Path, embedder_warm) -> None:
    with make_rag(tmp_path / "home") as rag:
        rag.ingest(corpus)
        before = index_state(rag)
        (corpus / "beta.txt").write_text("Beta notes, revised. The beta pump now moves 30 litres per minute.")
        report = rag.ingest(corpus)
        assert (report.updated, report.unchanged, report.added) == (1, 3, 0)
        beta_chunks = rag.store.count({"source": "beta.txt"})
        assert report.embedded == beta_chunks
        after = index_state(rag)
        # every other document's points are untouched; beta's old points are gone
        assert {k: v for k, v in before.items() if v[0] != "beta.txt"} == {
            k: v for k, v in after.items() if v[0] != "beta.txt"
        }
        assert not set(k for k, v in before.items() if v[0] == "beta.txt") & set(after)
        top = rag.search("how many litres per minute does the beta pump move", top_k=1).results[0]
        assert top.chunk.source == "beta.txt" and "30 litres" in top.chunk.text


def test_deleted_file_disappears_from_search(corpus: Path, tmp_path: Path, embedder_warm) -> None:
    with make_rag(tmp_path / "home") as rag:
        rag.ingest(corpus)
        (corpus / "gamma.md").unlink()
        report = rag.ingest(corpus)
        assert report.removed == 1 and report.chunks_removed >= 1
        assert rag.store.count({"source": "gamma.md"}) == 0
        hits = rag.search("what stops gamma rays", top_k=10).results
        assert all(h.chunk.source != "gamma.md" for h in hits)


def test_keep_missing_option(corpus: Path, tmp_path: Path, embedder_warm) -> None:
    with make_rag(tmp_path / "home", delete_missing=False) as rag:
        rag.ingest(corpus)
        (corpus / "gamma.md").unlink()
        assert rag.ingest(corpus).removed == 0
        assert rag.store.count({"source": "gamma.md"}) > 0


def test_identical_content_is_embedded_once(tmp_path: Path, embedder_warm) -> None:
    root = tmp_path / "dup"
    # the same text under the same title: chunks are embedded headed by their title, so copies
    # share an embedding when what is embedded is identical (here both titled "Twins")
    text = "# Twins\n\nCopies share one embedding. The twin files say exactly the same thing."
    write_corpus(root, {"one.md": text, "two.md": text})
    with make_rag(tmp_path / "home") as rag:
        report = rag.ingest(root)
        assert report.added == 2
        assert report.embedded == rag.store.count() // 2


V2_CHANGES = {
    "alpha.md": "# Alpha\n\nThe alpha reactor was upgraded and runs at 470 kelvin.\n\n## Safety\n\nBadges are now green.",
    "epsilon.md": "# Epsilon\n\nEpsilon is a new building with a rooftop garden.",
}


def corpus_v2(root: Path) -> None:
    write_corpus(root, V2_CHANGES)
    (root / "gamma.md").unlink()


INGEST_SCRIPT = """
import sys
from ragkit.rag import RAG
with RAG({"home": sys.argv[1], "rerank": {"enabled": False}, "ingest": {"batch_size": 1}}) as rag:
    rag.ingest([sys.argv[2]])
"""


@pytest.mark.parametrize(
    "fault",
    ["after_journal", "after_upsert:1", "after_upsert:2", "after_delete_old", "after_commit:1", "after_remove"],
)
def test_kill9_then_rerun_converges_to_clean_index(tmp_path: Path, fault: str, embedder_warm) -> None:
    # the clean index of the final corpus
    clean_root = tmp_path / "clean_corpus"
    write_corpus(clean_root, V1)
    corpus_v2(clean_root)
    with make_rag(tmp_path / "clean_home") as rag:
        rag.ingest(clean_root)
        clean = index_state(rag)

    root = tmp_path / "corpus"
    write_corpus(root, V1)
    home = tmp_path / "home"
    with make_rag(home) as rag:
        rag.ingest(root)
        v1_state = index_state(rag)
    corpus_v2(root)
    env = {**os.environ, "RAGKIT_FAULT": fault}
    proc = subprocess.run([sys.executable, "-c", INGEST_SCRIPT, str(home), str(root)], env=env, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]

    with make_rag(home) as rag:
        crashed = index_state(rag)
        # the previous version of every document that still exists stays searchable
        for source in ("alpha.md", "beta.txt", "sub/delta.txt"):
            assert any(v[0] == source for v in crashed.values()), f"{source} vanished after {fault}"
        rag.ingest(root)
        # sources are relative to their root, so the two roots give comparable states
        assert index_state(rag) == clean
        assert rag.store.count() == len(clean)
    assert v1_state  # sanity: the first ingest wrote points


def test_concurrent_ingest_is_refused(corpus: Path, tmp_path: Path) -> None:
    from ragkit.errors import IndexLockedError
    from ragkit.ingest.lock import IndexLock

    home = tmp_path / "home"
    with make_rag(home) as rag:
        with IndexLock(rag.cfg.index_path / "ingest.lock"):
            with pytest.raises(IndexLockedError, match="another ingest"):
                rag.ingest(corpus)
