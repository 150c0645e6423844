"""A corpus with every kind of bad input goes through the real ingest: the good files land, each
bad one is reported with its reason, and nothing already stored is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.rag import RAG

pytestmark = pytest.mark.integration


def make_rag(home: Path, max_file_mb: float) -> RAG:
    return RAG({"home": str(home), "rerank": {"enabled": False}, "ingest": {"max_file_mb": max_file_mb}})


def test_bad_inputs_are_reported_and_the_rest_is_ingested(bad_corpus, tmp_path: Path, embedder_warm) -> None:
    with make_rag(tmp_path / "home", bad_corpus.max_file_mb) as rag:
        report = rag.ingest(bad_corpus.root)
        reasons = dict(report.failures)
        for source, case in bad_corpus.bad.items():
            assert source in reasons, f"{source} was not reported (failures: {reasons})"
            assert case.reason.lower() in reasons[source].lower(), (source, reasons[source])
        for line in bad_corpus.bad_lines["corpus.jsonl"]:
            assert f"corpus.jsonl:{line}" in reasons
        # each bad file and each bad corpus line counts as one failure
        assert report.failed == len(bad_corpus.bad) + sum(len(v) for v in bad_corpus.bad_lines.values())
        stored = set(rag.store.sources())
        for source in bad_corpus.good:
            if source != "corpus.jsonl":
                assert source in stored, f"good file {source} missing from the index"
        assert not stored & set(bad_corpus.bad)
        assert any(s not in bad_corpus.good for s in stored)  # the corpus's good records landed


def test_a_file_that_turns_bad_keeps_its_previous_version(tmp_path: Path, embedder_warm) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "keep.txt").write_text("The keeper file mentions the lighthouse on the northern cape.")
    (root / "other.txt").write_text("Another file about the southern harbour.")
    with make_rag(tmp_path / "home", 50) as rag:
        rag.ingest(root)
        before = rag.store.count({"source": "keep.txt"})
        (root / "keep.txt").write_bytes(b"\x00\x01\x02 not text any more \xff\xfe")
        report = rag.ingest(root)
        assert report.failed == 1 and dict(report.failures)["keep.txt"]
        assert report.removed == 0
        assert rag.store.count({"source": "keep.txt"}) == before > 0
        top = rag.search("lighthouse on the northern cape", top_k=1).results[0]
        assert top.chunk.source == "keep.txt"
