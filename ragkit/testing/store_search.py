"""What every `VectorStore` search must return, checked against `reference` computed from the corpus."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Mapping, Sequence

import numpy as np

from ragkit.errors import StoreError
from ragkit.testing import reference as ref
from ragkit.testing.checks import close, raises
from ragkit.testing.store_fixtures import StoreFixtures
from ragkit.types import ScoredChunk, SparseVector

# each shares BM25 terms with the corpus; all but the second with two chunks or more, the last with four
QUERIES = ["how long do house cats sleep at dusk or twilight?", "which planet is the biggest gas giant",
           "sourdough yeast bread search", "install the ragkit package", "feline activity at twilight, hunting rodents",
           "upgrade the ragkit package, then search its documents with filters"]
NO_TERMS = SparseVector((), ())


def _ids(hits: Sequence[ScoredChunk]) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def assert_ordered(hits: Sequence[ScoredChunk]) -> None:
    """Ranks 1..n, scores best first, equal scores by chunk id."""
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    for a, b in zip(hits, hits[1:]):
        assert a.score >= b.score, (a.score, b.score)
        if a.score == b.score:
            assert a.chunk.chunk_id < b.chunk.chunk_id, "equal scores must be ordered by chunk id"


def assert_ranked(hits: Sequence[ScoredChunk], expected: Mapping[str, float], top_k: int) -> None:
    """`hits` are the `top_k` best of `expected` (id -> score), each with its expected score."""
    assert_ordered(hits)
    assert len(hits) == min(top_k, len(expected)), (len(hits), top_k, len(expected))
    for h in hits:
        assert h.chunk.chunk_id in expected, h.chunk.text
        assert close(h.score, expected[h.chunk.chunk_id]), (h.chunk.text, h.score, expected[h.chunk.chunk_id])
    left = [s for i, s in expected.items() if i not in set(_ids(hits))]
    if left:
        assert max(left) <= hits[-1].score + ref.TIE, "a better-scoring chunk was left out"


def assert_within(hits: Sequence[ScoredChunk], bounds: Mapping[str, tuple[float, float]], top_k: int) -> None:
    """Like `assert_ranked` for fused scores known up to ties: each score within its bounds."""
    assert_ordered(hits)
    assert len(hits) == min(top_k, len(bounds))
    for h in hits:
        lo, hi = bounds[h.chunk.chunk_id]
        assert lo - ref.TIE <= h.score <= hi + ref.TIE, (h.chunk.text, h.score, lo, hi)
    left = [hi for i, (lo, hi) in bounds.items() if i not in set(_ids(hits))]
    if left:
        assert max(left) <= hits[-1].score + ref.TIE, "a better-scoring chunk was left out"


class StoreSearchConformance(StoreFixtures):
    def _branches(self, text: str):
        """The query's vectors, and id -> score of the dense and of the sparse branch, from `reference`."""
        c = self.corpus
        dq, sq = c.query(text)
        dense = dict(zip(c.ids, (float(x) for x in ref.dense_scores(c.dense, dq))))
        sparse = {i: v for i, v in zip(c.ids, ref.sparse_scores(c.sparse, sq)) if v is not None}
        return dq, sq, dense, sparse

    # ---- one branch -----------------------------------------------------------------------------
    def test_dense_scores_are_cosines_best_first(self):
        s = self.loaded()
        for text in QUERIES:
            dq, _, dense, _ = self._branches(text)
            hits = s.search(dq, None, top_k=5, candidates=10)
            assert_ranked(hits, dense, 5)
            assert all(set(h.scores) == {"dense"} and h.scores["dense"] == h.score for h in hits)

    def test_sparse_scores_are_bm25_weights_times_idf(self):
        s = self.loaded()
        for text in QUERIES:
            _, sq, _, sparse = self._branches(text)
            assert sparse, text  # every query shares a term with the corpus
            hits = s.search(None, sq, top_k=8, candidates=8)
            assert_ranked(hits, sparse, 8)  # only the chunks holding a query term
            assert all(set(h.scores) == {"sparse"} for h in hits)
        _, unseen = self.corpus.query("zebra xylophone")
        assert s.search(None, unseen, top_k=5, candidates=5) == []

    # ---- fusion ---------------------------------------------------------------------------------
    def test_rrf_sums_reciprocal_positions(self):
        s = self.loaded()
        for text in QUERIES:
            dq, sq, dense, sparse = self._branches(text)
            for k in (60, 2):
                hits = s.search(dq, sq, top_k=8, candidates=8, rrf_k=k)
                assert_within(hits, ref.rrf_bounds([dense, sparse], k), 8)
                assert all(set(h.scores) == {"rrf"} for h in hits)

    def test_weighted_rrf_weighs_the_branches(self):
        s = self.loaded()
        for text in QUERIES[:3]:
            dq, sq, dense, sparse = self._branches(text)
            for w in (0.5, 0.8, 1.0):
                hits = s.search(dq, sq, top_k=8, candidates=8, fusion="weighted", dense_weight=w)
                assert_within(hits, ref.rrf_bounds([dense, sparse], 60, (2 * w, 2 * (1 - w))), 8)
                assert all(set(h.scores) == {"weighted"} for h in hits)
            plain = s.search(dq, sq, top_k=8, candidates=8)
            even = s.search(dq, sq, top_k=8, candidates=8, fusion="weighted", dense_weight=0.5)
            assert [(h.chunk.chunk_id, round(h.score, 6)) for h in even] == \
                [(h.chunk.chunk_id, round(h.score, 6)) for h in plain]

    def test_dbsf_sums_normalised_branch_scores(self):
        s, checked = self.loaded(), 0
        for text in QUERIES:
            dq, sq, dense, sparse = self._branches(text)
            if len(sparse) < 2:
                continue  # one score has no spread to normalise by
            hits = s.search(dq, sq, top_k=8, candidates=8, fusion="dbsf")
            assert_ranked(hits, ref.dbsf([dense, sparse]), 8)
            assert all(set(h.scores) == {"dbsf"} for h in hits)
            checked += 1
        assert checked >= 3

    def test_candidates_bound_each_branch(self):
        """Each branch lists its `candidates` best points; only those are fused."""
        s, c = self.loaded(), 3
        for text in QUERIES:
            dq, sq, dense, sparse = self._branches(text)
            bounds: dict[str, list[float]] = {}
            for branch in (dense, sparse):
                for i, (first, last) in ref.positions(branch).items():
                    if first < c:  # listed; with a tie across the cut, perhaps not
                        lo_hi = bounds.setdefault(i, [0.0, 0.0])
                        lo_hi[0] += ref.rrf_term(last, 60) if last < c else 0.0
                        lo_hi[1] += ref.rrf_term(first, 60)
            hits = s.search(dq, sq, top_k=c, candidates=c)
            assert_ordered(hits)
            assert len(hits) == c, text
            for h in hits:
                lo, hi = bounds[h.chunk.chunk_id]
                assert lo - ref.TIE <= h.score <= hi + ref.TIE, (text, h.chunk.text, h.score, lo, hi)

    def test_branch_scores_label_each_hit(self):
        s = self.loaded()
        for text in QUERIES:
            dq, sq, dense, sparse = self._branches(text)
            hits = s.search(dq, sq, top_k=8, candidates=8, branch_scores=True)
            assert _ids(hits) == _ids(s.search(dq, sq, top_k=8, candidates=8))
            for h in hits:
                i = h.chunk.chunk_id
                assert set(h.scores) == {"rrf", "dense"} | ({"sparse"} if i in sparse else set())
                assert close(h.scores["dense"], dense[i]) and h.scores["rrf"] == h.score
                assert i not in sparse or close(h.scores["sparse"], sparse[i])

    def test_unknown_fusion_is_an_error(self):
        dq, sq = self.corpus.query(QUERIES[0])
        with raises(StoreError, match="fusion"):
            self.loaded().search(dq, sq, top_k=3, candidates=8, fusion="borda")

    def test_a_sparse_vector_without_terms_asks_no_sparse_branch(self):
        s = self.loaded()
        dq, _ = self.corpus.query(QUERIES[1])
        assert [h.chunk for h in s.search(dq, NO_TERMS, top_k=3, candidates=8)] == \
            [h.chunk for h in s.search(dq, None, top_k=3, candidates=8)]
        assert s.search(None, NO_TERMS, top_k=3, candidates=8) == []

    # ---- calls ----------------------------------------------------------------------------------
    def test_batched_search_equals_single_searches(self):
        s, c = self.loaded(), self.corpus
        vectors = [c.query(t) for t in QUERIES]
        dense = np.stack([d for d, _ in vectors])
        sparse = [sv for _, sv in vectors]
        for kw in ({}, {"filters": {"lang": "en"}}, {"fusion": "dbsf"}):
            batch = s.search_batch(dense, sparse, top_k=4, candidates=8, **kw)
            single = [s.search(dense[i], sparse[i], top_k=4, candidates=8, **kw) for i in range(len(QUERIES))]
            assert [_ids(r) for r in batch] == [_ids(r) for r in single]
        assert [_ids(r) for r in s.search_batch(dense, None, top_k=2, candidates=8)] == \
            [_ids(s.search(d, None, top_k=2, candidates=8)) for d in dense]
        assert [_ids(r) for r in s.search_batch(None, sparse, top_k=2, candidates=8)] == \
            [_ids(s.search(None, sv, top_k=2, candidates=8)) for sv in sparse]

    def test_bad_search_arguments_are_errors(self):
        s, c = self.loaded(), self.corpus
        dq, sq = c.query(QUERIES[0])
        for call in (lambda: s.search(None, None, top_k=3, candidates=3),
                     lambda: s.search(np.ones(c.dim + 1, np.float32), None, top_k=3, candidates=3),
                     lambda: s.search(dq, sq, top_k=0, candidates=3),
                     lambda: s.search_batch(np.stack([dq, dq]), [sq], top_k=3, candidates=3)):
            with raises(StoreError):
                call()

    def test_equal_scores_are_ordered_by_id(self):
        s, c = self.empty(), self.corpus
        ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"twin-{i}")) for i in range(5)]
        twins = [dataclasses.replace(c.chunks[0], chunk_id=i) for i in ids]
        s.upsert(twins, np.repeat(c.dense[:1], 5, axis=0), [c.sparse[0]] * 5)
        dq, sq = c.query(c.chunks[0].text)
        for hits in (s.search(dq, None, top_k=5, candidates=5), s.search(None, sq, top_k=3, candidates=5)):
            assert _ids(hits) == sorted(ids)[:len(hits)] and len({h.score for h in hits}) == 1

    def test_repeated_searches_give_identical_lists(self):
        s = self.loaded()
        for text in QUERIES:
            dq, sq = self.corpus.query(text)
            first = _ids(s.search(dq, sq, top_k=8, candidates=8))
            for _ in range(3):
                assert _ids(s.search(dq, sq, top_k=8, candidates=8)) == first

    def test_exact_search_agrees_with_the_engines_choice(self):
        s = self.loaded()
        for text in QUERIES:
            dq, _ = self.corpus.query(text)
            assert _ids(s.search(dq, None, top_k=5, candidates=8, exact=True)) == \
                _ids(s.search(dq, None, top_k=5, candidates=8))

    def test_optimize_keeps_every_point_and_result(self):
        s, c = self.filled(), self.corpus
        s.delete_ids(c.ids[:1])
        dq, sq = c.query(QUERIES[1])
        before = _ids(s.search(dq, sq, top_k=5, candidates=8))
        assert isinstance(s.optimize(), bool)
        assert s.count() == s.points() == len(c.chunks) - 1
        assert _ids(s.search(dq, sq, top_k=5, candidates=8)) == before

    def test_flush_then_close_twice_is_harmless(self):
        s = self.filled()
        s.flush()
        s.close()
        s.close()
