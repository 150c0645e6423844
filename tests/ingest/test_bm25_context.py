"""BM25 context passages through the real ingest pipeline and Qdrant Edge: a chunk is also found by
the words of the passage around it, ranks below the chunk that holds the words, the passage
parameters travel with the index, and an index built without passages keeps indexing chunks alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.rag import RAG

pytestmark = pytest.mark.integration

MINERAL = (
    "Zorblax is a rare mineral mined in the northern hills of Varnland. Miners cut it from deep seams "
    "with hand tools, because blasting shatters the soft ore. The mines employ about four hundred people. "
    "Its crystals glow faintly under ultraviolet light, which is how collectors tell real stones from fakes."
)
OTHER = "Granite is a common igneous rock. It forms from slowly cooling magma deep underground."


def _config(tmp_path: Path, **ingest) -> dict:
    return {"home": str(tmp_path / "home"), "rerank": {"enabled": False}, "ingest": ingest,
            "chunking": {"strategy": "fixed_size", "chunk_size": 24, "chunk_overlap": 0}}


def _corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "mineral.txt").write_text(MINERAL, encoding="utf-8")
    (docs / "granite.txt").write_text(OTHER, encoding="utf-8")
    return docs


def _sparse_hits(rag: RAG, query: str) -> list:
    return [h.chunk for h in rag.search(query, top_k=20, mode="sparse").results]


@pytest.mark.parametrize("context_words", [400, 0])
def test_a_chunk_is_found_by_its_passage_and_the_chunk_holding_the_word_ranks_first(tmp_path, embedder_warm, context_words):
    with RAG(_config(tmp_path, bm25_context_words=context_words)) as rag:
        rag.ingest([_corpus(tmp_path)])
        chunks = sorted(rag.store.chunks_where({"source": {"glob": "*mineral.txt"}}), key=lambda c: c.index)
        assert len(chunks) >= 3, "the test document must split into several chunks"
        assert "ultraviolet" not in chunks[0].text.lower()
        hits = _sparse_hits(rag, "ultraviolet")
        assert "ultraviolet" in hits[0].text.lower()  # the chunk that says it comes first
        found = {c.chunk_id for c in hits}
        assert (chunks[0].chunk_id in found) == (context_words > 0)  # its neighbours' word finds the first
        assert not any(c.source.endswith("granite.txt") for c in hits)
        stored = rag.store.meta()["bm25"]
        assert stored["context_words"] == context_words
        assert (stored["context_avgdl"] is not None) == (context_words > 0)


def test_an_index_without_passages_keeps_indexing_chunks_alone(tmp_path, embedder_warm):
    docs = _corpus(tmp_path)
    (docs / "mineral.txt").unlink()
    with RAG(_config(tmp_path, bm25_context_words=0)) as rag:  # as an index from before passages
        rag.ingest([docs])
    (docs / "mineral.txt").write_text(MINERAL, encoding="utf-8")
    with RAG(_config(tmp_path)) as rag:  # today's default asks for passages; the index's params win
        report = rag.ingest([docs])
        assert report.added == 1 and report.unchanged == 1
        assert rag.store.meta()["bm25"]["context_words"] == 0
        first = min(rag.store.chunks_where({"source": {"glob": "*mineral.txt"}}), key=lambda c: c.index)
        assert first.chunk_id not in {c.chunk_id for c in _sparse_hits(rag, "ultraviolet")}
