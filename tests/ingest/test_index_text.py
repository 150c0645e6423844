"""What a chunk is embedded and BM25-indexed by: its text headed by its document's title, within
the embedder's window; the stored text and offsets stay the chunk's own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ragkit.ingest.chunking.document import index_text, index_texts
from ragkit.types import Chunk


def chunk(text: str, title: str | None, index: int = 1) -> Chunk:
    return Chunk(chunk_id=f"c{index}", source="doc", text=text, start=0, end=len(text), index=index,
                 content_hash="h", title=title)


def test_later_chunk_is_headed_by_its_title():
    assert index_text(chunk("The drug cut mortality by 12%.", "Aspirin after stroke")) == \
        "Aspirin after stroke\nThe drug cut mortality by 12%."


@pytest.mark.parametrize("text,title", [
    ("Aspirin after stroke\n\nThe drug cut mortality.", "Aspirin after stroke"),  # already starts with it
    ("The drug cut mortality.", None),
    ("The drug cut mortality.", "   "),
])
def test_no_header_when_there_is_nothing_to_add(text, title):
    assert index_text(chunk(text, title)) == text


def test_header_is_dropped_where_it_would_overflow_the_window(embedder_warm):
    window = embedder_warm.max_tokens
    title = "Aspirin after stroke"
    short = chunk("The drug cut mortality by 12%.", title, 1)
    body = " ".join(["mortality"] * 400)
    n_body = embedder_warm.count_tokens([body])[0]
    words = body.split()
    while n_body > window - 1:  # the longest body that fits the window alone, not with the title
        words = words[:-1]
        body = " ".join(words)
        n_body = embedder_warm.count_tokens([body])[0]
    full = chunk(body, title, 2)
    texts = index_texts([short, full], embedder_warm.count_tokens, window)
    assert texts[0].startswith(title + "\n")
    assert texts[1] == body
    assert all(n <= window for n in embedder_warm.count_tokens(texts))


@pytest.mark.integration
def test_ingested_chunk_is_found_by_its_title_but_stores_its_own_text(tmp_path: Path, embedder_warm):
    from ragkit.rag import RAG

    first = "Zorblax is a rare mineral mined in the northern hills. " * 12
    second = "Its crystals glow faintly under ultraviolet light. Collectors prize the largest ones."
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"_id": "d1", "title": "Zorblax", "text": first + "\n\n" + second}) + "\n"
                      + json.dumps({"_id": "d2", "title": "Granite", "text": "Granite is a common igneous rock."})
                      + "\n", encoding="utf-8")
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False},
              "chunking": {"strategy": "fixed_size", "chunk_size": 40, "chunk_overlap": 0}}) as rag:
        rag.ingest([corpus])
        chunks = [c for c in rag.store.chunks_where({"source": "d1"}) if c.index > 0]
        assert chunks, "the test document must split into more than one chunk"
        later = max(chunks, key=lambda c: c.index)
        assert not later.text.startswith("Zorblax")  # stored text is the chunk's own
        hits = rag.search("zorblax ultraviolet", top_k=10, mode="sparse").results
        assert later.chunk_id in {h.chunk.chunk_id for h in hits}  # BM25 saw the title
        vec = embedder_warm.embed([index_text(later)])[0]
        hits = rag.retriever.store.search(np.asarray(vec), None, top_k=1)
        assert hits[0].chunk.chunk_id == later.chunk_id  # its vector is that of the headed text


@pytest.mark.integration
def test_an_index_built_by_another_scheme_is_refused_not_mixed(tmp_path: Path, embedder_warm):
    from ragkit.errors import IngestError
    from ragkit.ingest.chunking.document import INDEX_TEXT_SCHEME
    from ragkit.rag import RAG

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Alpha\n\nThe alpha reactor runs at 451 kelvin.", encoding="utf-8")
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False}}
    with RAG(cfg) as rag:
        rag.ingest([docs])
        assert rag.store.meta()["index_text"] == INDEX_TEXT_SCHEME
        rag.store.update_meta({"index_text": None})  # as an index from before title headers
        n = rag.store.count()
    (docs / "b.md").write_text("# Beta\n\nThe beta pump moves 12 litres per minute.", encoding="utf-8")
    with RAG(cfg) as rag:
        with pytest.raises(IngestError, match="another indexing scheme.*Delete the index folder"):
            rag.ingest([docs])
        assert rag.store.count() == n  # nothing written, nothing lost
