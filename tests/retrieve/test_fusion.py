"""Rank / score fusion maths, checked against hand-computed values and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.retrieve.fusion import dbsf_normalize, minmax, ranks_from_scores, rrf, weighted_fuse

pytestmark = pytest.mark.unit


# ---- rrf -----------------------------------------------------------------------------------------
def test_rrf_hand_computed_k60():
    # a: 1/61            b: 1/62 + 1/61      c: 1/63 + 1/62      d: 1/63
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [doc for doc, _ in fused] == ["b", "c", "a", "d"]
    expected = {"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63 + 1 / 62, "d": 1 / 63}
    for doc, score in fused:
        assert score == pytest.approx(expected[doc], abs=1e-15)


def test_rrf_weights_and_k0():
    # k=0, weights 2 and 1: a = 2/1 + 1/2 = 2.5, b = 2/2 + 1/1 = 2.0
    fused = rrf([["a", "b"], ["b", "a"]], k=0, weights=[2.0, 1.0])
    assert fused == [("a", 2.5), ("b", 2.0)]


def test_rrf_ties_go_to_the_earlier_list():
    # a and b both score 1/1 + 1/2: a is rank 1 in the first list, so a wins; then swapped.
    assert [d for d, _ in rrf([["a", "b"], ["b", "a"]], k=0)] == ["a", "b"]
    assert [d for d, _ in rrf([["b", "a"], ["a", "b"]], k=0)] == ["b", "a"]


def test_rrf_counts_a_repeated_id_once_at_its_best_rank():
    fused = dict(rrf([["a", "a", "b"]], k=0))
    assert fused == {"a": 1.0, "b": 1 / 3}


def test_rrf_rejects_bad_weights():
    with pytest.raises(ValueError, match="one weight per input"):
        rrf([["a"], ["b"]], weights=[1.0])
    with pytest.raises(ValueError, match=">= 0"):
        rrf([["a"]], weights=[-1.0])


def test_rrf_empty():
    assert rrf([]) == []
    assert rrf([[], []]) == []


_ids = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10)


@settings(max_examples=150, deadline=None)
@given(lists=st.lists(_ids, min_size=1, max_size=4), k=st.integers(0, 100))
def test_rrf_invariants(lists, k):
    fused = rrf(lists, k=max(k, 1))
    ids = [d for d, _ in fused]
    assert sorted(ids) == sorted(set().union(*map(set, lists)))  # the union, once each
    scores = [s for _, s in fused]
    assert all(s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    # the order of the inputs changes tie-breaks only, never scores
    assert dict(rrf(list(reversed(lists)), k=max(k, 1))) == pytest.approx(dict(fused))


@settings(max_examples=100, deadline=None)
@given(lst=_ids)
def test_rrf_of_one_list_keeps_its_order(lst):
    assert [d for d, _ in rrf([lst])] == lst


# ---- normalization ---------------------------------------------------------------------------------
def test_minmax_hand_computed():
    assert minmax([1.0, 3.0, 5.0]).tolist() == [0.0, 0.5, 1.0]
    assert minmax([7.0, 7.0]).tolist() == [0.5, 0.5]  # constant: 0.5 each, as Qdrant
    assert minmax([4.0]).tolist() == [0.5]
    assert minmax([]).size == 0


def test_dbsf_hand_computed():
    # mean 2, sample std 1: extremes -1 and 5, so x -> (x + 1) / 6
    out = dbsf_normalize([1.0, 2.0, 3.0])
    assert out.tolist() == pytest.approx([1 / 3, 1 / 2, 2 / 3])
    assert dbsf_normalize([3.0]).tolist() == [0.5]
    assert dbsf_normalize([2.0, 2.0, 2.0]).tolist() == [0.5, 0.5, 0.5]


def test_dbsf_is_not_clipped_beyond_three_sigma():
    # one outlier among many equal values lies beyond mean + 3σ (sample σ): its score exceeds 1
    x = [0.0] * 20 + [100.0]
    assert dbsf_normalize(x)[-1] > 1.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_normalizers_keep_the_order(xs):
    for f in (minmax, dbsf_normalize):
        out = f(xs)
        assert out.shape == (len(xs),)
        for i in range(len(xs)):
            for j in range(len(xs)):
                if xs[i] < xs[j]:
                    assert out[i] <= out[j]
    mm = minmax(xs)
    assert mm.min() >= 0.0 and mm.max() <= 1.0


# ---- weighted ------------------------------------------------------------------------------------------
def test_weighted_fuse_hand_computed():
    # map 1 min-max: a 0, b .5, c 1; map 2 min-max: b 1, c 0. Sums: b 1.5, c 1.0, a 0
    fused = weighted_fuse([{"a": 1.0, "b": 3.0, "c": 5.0}, {"b": 10.0, "c": 0.0}])
    assert [d for d, _ in fused] == ["b", "c", "a"]
    assert dict(fused) == pytest.approx({"a": 0.0, "b": 1.5, "c": 1.0})


def test_weighted_fuse_weights_and_dbsf():
    # weights .25/.75: b = .25*.5 + .75*1 = .875, c = .25*1 + .75*0 = .25
    fused = dict(weighted_fuse([{"a": 1.0, "b": 3.0, "c": 5.0}, {"b": 10.0, "c": 0.0}], weights=[0.25, 0.75]))
    assert fused == pytest.approx({"a": 0.0, "b": 0.875, "c": 0.25})
    # dbsf on map 1 (mean 3, σ 2): (x + 3) / 12 -> a 1/3, b 1/2, c 2/3; map 2 (mean 5, σ √50):
    sd = math.sqrt(50)
    b2, c2 = (10 - (5 - 3 * sd)) / (6 * sd), (0 - (5 - 3 * sd)) / (6 * sd)
    fused = dict(weighted_fuse([{"a": 1.0, "b": 3.0, "c": 5.0}, {"b": 10.0, "c": 0.0}], normalize="dbsf"))
    assert fused == pytest.approx({"a": 1 / 3, "b": 0.5 + b2, "c": 2 / 3 + c2})


def test_weighted_fuse_rejects_unknown_normalization():
    with pytest.raises(ValueError, match="normalize"):
        weighted_fuse([{"a": 1.0}], normalize="zscore")


def test_ranks_from_scores_stable():
    assert ranks_from_scores([0.2, 0.9, 0.2]).tolist() == [2, 1, 3]
    assert ranks_from_scores(np.array([])).tolist() == []
