"""Dense search is exact on small collections (`retrieval.exact_max_points`), and the store's
cached point count follows this process's writes."""

from __future__ import annotations

import pytest

from ragkit.rag import RAG

TEXTS = {
    "aspirin.txt": "Aspirin inhibits platelet aggregation. It acetylates cyclooxygenase irreversibly.",
    "paris.txt": "Paris is the capital of France. The Seine flows through the city.",
    "cells.txt": "Stem cells can differentiate into many cell types. They renew themselves.",
}


@pytest.fixture()
def rag(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TEXTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}) as r:
        r.ingest([docs])
        yield r, docs


def test_small_collections_are_searched_exactly_and_large_ones_by_the_engine(rag):
    r, _ = rag
    n = r.store.points()
    assert n == r.store.count() >= len(TEXTS)
    r.retriever.cfg.exact_max_points = n
    assert r.retriever._exact() is True
    r.retriever.cfg.exact_max_points = n - 1
    assert r.retriever._exact() is None
    r.retriever.cfg.exact_max_points = 0
    assert r.retriever._exact() is None


def test_exact_and_engine_search_agree_here_and_the_count_follows_writes(rag):
    r, docs = rag
    q = "what stops platelets from clumping?"
    r.retriever.cfg.exact_max_points = 20000
    exact = [h.chunk.chunk_id for h in r.search(q, top_k=3).results]
    r.retriever.cfg.exact_max_points = 0
    engine = [h.chunk.chunk_id for h in r.search(q, top_k=3).results]
    assert exact == engine  # a plain (unindexed) segment is brute force either way
    before = r.store.points()
    (docs / "extra.txt").write_text("Volcanoes erupt molten rock. Lava cools into basalt.", encoding="utf-8")
    r.ingest([docs])
    assert r.store.points() == r.store.count() > before  # the cached count was dropped by the write
    (docs / "extra.txt").unlink()
    r.ingest([docs])
    assert r.store.points() == before
