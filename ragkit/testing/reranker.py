"""RerankerConformance: the behaviour every `Reranker` must show. Subclass it per backend::

    class TestMyReranker(RerankerConformance):
        def make_reranker(self):      # called once per test
            return MyReranker()

An unavailable reranker (weights missing) conforms too: it keeps the first-stage order.
"""

from __future__ import annotations

from ragkit.protocols import Reranker
from ragkit.testing.checks import assert_satisfies, raises, skip
from ragkit.types import Chunk, ScoredChunk

QUERY = "how do cats hunt at night?"
TEXTS = [
    "Sourdough bread rises slowly because wild yeast ferments the flour overnight.",
    "Domestic cats hunt small rodents at dusk and sleep for most of the day.",
    "Jupiter is the largest planet of the solar system.",
    "The feline circadian rhythm peaks around twilight, when prey animals are active.",
    "Install ragkit with pip, then run ragkit ingest.",
]


def first_stage(texts=TEXTS) -> list[ScoredChunk]:
    """Candidates in first-stage order, each with a "dense" score."""
    out = []
    for i, t in enumerate(texts):
        chunk = Chunk(chunk_id=f"c{i}", source=f"doc{i}.txt", text=t, start=0, end=len(t), index=0, content_hash="h")
        out.append(ScoredChunk(chunk=chunk, score=0.9 - 0.1 * i, rank=i + 1, scores={"dense": 0.9 - 0.1 * i}))
    return out


class RerankerConformance:
    _reranker: Reranker | None = None  # this test's backend, made on first use

    def make_reranker(self) -> Reranker:
        raise NotImplementedError("a RerankerConformance subclass defines make_reranker(self)")

    @property
    def reranker(self) -> Reranker:
        if self._reranker is None:
            self._reranker = self.make_reranker()
        return self._reranker

    def test_satisfies_protocol(self):
        assert_satisfies(self.reranker, Reranker)

    def test_availability_and_its_reason_agree(self):
        r = self.reranker
        r.rerank(QUERY, first_stage(), top_n=2)
        assert isinstance(r.available, bool)
        if r.available:
            assert r.last_error is None
        else:
            assert isinstance(r.last_error, str) and r.last_error

    def test_returns_top_n_of_the_candidates_ranked_with_their_earlier_scores(self):
        cands = first_stage()
        out = self.reranker.rerank(QUERY, cands, top_n=3)
        by_id = {c.chunk.chunk_id: c for c in cands}
        assert len(out) == 3 and len({s.chunk.chunk_id for s in out}) == 3
        assert [s.rank for s in out] == [1, 2, 3]
        assert all(a.score >= b.score for a, b in zip(out, out[1:]))
        for s in out:
            assert s.chunk == by_id[s.chunk.chunk_id].chunk
            assert s.scores["dense"] == by_id[s.chunk.chunk_id].scores["dense"]

    def test_top_n_beyond_the_candidates_returns_them_all(self):
        out = self.reranker.rerank(QUERY, first_stage()[:2], top_n=10)
        assert sorted(s.chunk.chunk_id for s in out) == ["c0", "c1"]

    def test_no_candidates_no_results(self):
        assert self.reranker.rerank(QUERY, [], top_n=3) == []

    def test_top_n_below_one_is_an_error(self):
        with raises(ValueError, match="top_n"):
            self.reranker.rerank(QUERY, first_stage(), top_n=0)

    def test_reranking_is_deterministic(self):
        r = self.reranker
        first = [(s.chunk.chunk_id, round(s.score, 6)) for s in r.rerank(QUERY, first_stage(), top_n=5)]
        assert [(s.chunk.chunk_id, round(s.score, 6)) for s in r.rerank(QUERY, first_stage(), top_n=5)] == first

    def test_unavailable_keeps_the_first_stage_order(self):
        r = self.reranker
        out = r.rerank(QUERY, first_stage(), top_n=3)
        if r.available:
            skip("this reranker is available")
        assert [s.chunk.chunk_id for s in out] == ["c0", "c1", "c2"]
        assert [s.score for s in out] == [c.score for c in first_stage()[:3]]

    def test_close_releases_and_the_next_call_loads_again(self):
        r = self.reranker
        before = [(s.chunk.chunk_id, round(s.score, 5)) for s in r.rerank(QUERY, first_stage(), top_n=4)]
        r.close()
        assert [(s.chunk.chunk_id, round(s.score, 5)) for s in r.rerank(QUERY, first_stage(), top_n=4)] == before
