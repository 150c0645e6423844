"""How many results a search returns: an explicit `top_k` is what the caller gets, reranker or
not; without one (how `ask` searches) the answer's context is `rerank.top_n` chunks, reranked
when a reranker runs. `search` and `search_batch` agree. Real index, embedder and cross-encoder."""

from __future__ import annotations

import pytest

from tests.retrieve.small_index import MISSING_HUB_ID, QUERY

pytestmark = pytest.mark.integration

QUERIES = [QUERY, "What raises blood pressure?", "Why does bread dough rise?"]


def _ids(hits) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def test_explicit_top_k_is_what_the_caller_gets_without_a_reranker(rag_with):
    rag = rag_with(model=MISSING_HUB_ID)  # the default rerank settings, with weights no cache holds
    assert rag.cfg.rerank.top_n < 10
    res = rag.search(QUERY, top_k=10)
    assert not res.reranked
    assert len(res.results) == 10, "rerank.top_n cut a search that asked for 10"
    assert _ids(res.results) == _ids(res.candidates)  # the first-stage order
    assert [h.rank for h in res.results] == list(range(1, 11))
    assert len(rag.search(QUERY, top_k=13).results) == 13


def test_explicit_top_k_is_what_the_caller_gets_with_a_reranker(rag_with, scifact_ce):
    rag = rag_with(model=str(scifact_ce), required=True)
    n_rr = rag.cfg.rerank.candidates
    for k in (10, 14):
        res = rag.search(QUERY, top_k=k)
        assert res.reranked and len(res.results) == k
        assert [h.rank for h in res.results] == list(range(1, k + 1))
        # the reranked candidates first, then the rest of the first stage in its own order
        assert all("rerank" in h.scores for h in res.results[:n_rr])
        assert set(_ids(res.results[:n_rr])) == set(_ids(res.candidates[:n_rr]))
        assert _ids(res.results[n_rr:]) == _ids(res.candidates[n_rr:k])
        assert all("rerank" not in h.scores for h in res.results[n_rr:])
    ten = rag.search(QUERY, top_k=10)
    assert _ids(ten.results) != _ids(ten.candidates)  # the reranker did reorder them
    two = rag.search(QUERY, top_k=2)  # fewer than rerank.candidates: the reranked top 2
    assert two.reranked and _ids(two.results) == _ids(ten.results)[:2]


def test_without_top_k_the_answer_context_is_the_reranked_top_n(rag_with, scifact_ce):
    rag = rag_with({"cache": {"enabled": False}}, model=str(scifact_ce), required=True, top_n=4)
    reranked = _ids(rag.search(QUERY, top_k=10).results)
    res = rag.retriever.search(QUERY)  # as ask calls it: no top_k
    assert res.reranked and _ids(res.results) == reranked[:4]
    assert _ids(rag.retriever.search(QUERY, top_n=2).results) == reranked[:2]
    answer = rag.ask(QUERY)
    assert answer.chunks and set(_ids(answer.chunks)) <= set(reranked[:4])


def test_without_top_k_and_without_a_reranker(rag_with):
    # reranking on but no weights: the context stays rerank.top_n chunks, in first-stage order
    rag = rag_with(model=MISSING_HUB_ID)
    res = rag.retriever.search(QUERY)
    assert not res.reranked and len(res.results) == rag.cfg.rerank.top_n
    assert _ids(res.results) == _ids(res.candidates)[: rag.cfg.rerank.top_n]
    rag.close()  # Qdrant Edge: one open store per index at a time
    # reranking off: the rerank section does not apply, a search returns retrieval.top_k
    off = rag_with(enabled=False)
    assert len(off.retriever.search(QUERY).results) == off.cfg.retrieval.top_k == 10


@pytest.mark.parametrize("reranker", ["none", "scifact"])
def test_search_and_search_batch_agree(rag_with, reranker, request):
    rerank = {"model": MISSING_HUB_ID} if reranker == "none" else {
        "model": str(request.getfixturevalue("scifact_ce")), "required": True}
    rag = rag_with(**rerank)
    for top_k in (None, 10, 12):
        batch = rag.retriever.search_batch(QUERIES, top_k=top_k)
        alone = [rag.retriever.search(q, top_k=top_k) for q in QUERIES]
        for b, a in zip(batch, alone):
            assert (b.reranked, _ids(b.results), _ids(b.candidates)) == (a.reranked, _ids(a.results),
                                                                        _ids(a.candidates))
            assert [h.score for h in b.results] == pytest.approx([h.score for h in a.results], abs=1e-5)
            assert len(b.results) == (top_k or rag.cfg.rerank.top_n)
            assert b.reranked is (reranker == "scifact")


def test_top_k_and_top_n_below_one_are_refused(rag_with):
    from ragkit.errors import ConfigError

    rag = rag_with(model=MISSING_HUB_ID)
    for kw in ({"top_k": 0}, {"top_n": 0}, {"top_k": True}):
        with pytest.raises(ConfigError, match=f"search: {next(iter(kw))} must be >= 1"):
            rag.retriever.search(QUERY, **kw)
