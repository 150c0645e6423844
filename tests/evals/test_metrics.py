"""IR metrics and bootstrap statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.evals.metrics import (
    bootstrap_ci,
    evaluate_run,
    hit_rate_at_k,
    mrr_at_k,
    ndcg_at_k,
    paired_bootstrap_diff,
    per_query_metrics,
    percentiles,
    precision_at_k,
    recall_at_k,
)

pytestmark = pytest.mark.unit

# Three relevant docs with grades d1=2, d3=1, d4=1; the system ranks d2 (unjudged), d1, d3.
QRELS = {"d1": 2, "d3": 1, "d4": 1, "d9": 0}
RANKED = ["d2", "d1", "d3"]
LOG2_3 = math.log2(3)


def test_ndcg_hand_computed():
    # DCG@3  = 0/log2(2) + 2/log2(3) + 1/log2(4)      = 1.26186 + 0.5            = 1.76186
    # IDCG@3 = 2/log2(2) + 1/log2(3) + 1/log2(4)      = 2 + 0.63093 + 0.5        = 3.13093
    # nDCG@3 = 1.76186 / 3.13093 = 0.56273
    assert ndcg_at_k(RANKED, QRELS, 3) == pytest.approx((2 / LOG2_3 + 0.5) / (2 + 1 / LOG2_3 + 0.5))
    assert ndcg_at_k(RANKED, QRELS, 3) == pytest.approx(0.56273, abs=1e-5)
    # @1: the top doc is unjudged -> 0; @2: (2/log2 3) / (2 + 1/log2 3)
    assert ndcg_at_k(RANKED, QRELS, 1) == 0.0
    assert ndcg_at_k(RANKED, QRELS, 2) == pytest.approx((2 / LOG2_3) / (2 + 1 / LOG2_3))
    # @10: the ideal takes all three grades; the run's DCG is the same as @3
    assert ndcg_at_k(RANKED, QRELS, 10) == pytest.approx((2 / LOG2_3 + 0.5) / (2 + 1 / LOG2_3 + 0.5))


def test_ndcg_perfect_and_empty():
    assert ndcg_at_k(["d1", "d3", "d4"], QRELS, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["d1", "d4", "d3"], QRELS, 3) == pytest.approx(1.0)  # equal grades swap freely
    assert ndcg_at_k([], QRELS, 10) == 0.0
    assert ndcg_at_k(["d1"], {"d1": 0}, 10) == 0.0  # nothing relevant


def test_set_metrics_hand_computed():
    assert recall_at_k(RANKED, QRELS, 3) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, QRELS, 1) == 0.0
    assert precision_at_k(RANKED, QRELS, 3) == pytest.approx(2 / 3)
    assert precision_at_k(RANKED, QRELS, 5) == pytest.approx(2 / 5)  # divides by k, not by retrieved
    assert mrr_at_k(RANKED, QRELS, 10) == 0.5
    assert mrr_at_k(RANKED, QRELS, 1) == 0.0
    assert hit_rate_at_k(RANKED, QRELS, 2) == 1.0
    assert hit_rate_at_k(RANKED, QRELS, 1) == 0.0


def test_grade_zero_is_not_relevant_and_repeats_count_once():
    assert recall_at_k(["d9"], QRELS, 1) == 0.0
    assert mrr_at_k(["d9", "d3"], QRELS, 2) == 0.5
    # d1 repeated: the second copy is dropped, so d3 is at rank 2, not 3
    assert ndcg_at_k(["d1", "d1", "d3"], QRELS, 2) == pytest.approx((2 + 1 / LOG2_3) / (2 + 1 / LOG2_3))


def test_bad_k():
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(RANKED, QRELS, 0)


def test_evaluate_run_means_and_missing_queries():
    qrels = {"q1": QRELS, "q2": {"x": 1}, "q3": {"y": 0}}  # q3 has nothing relevant: not counted
    run = {"q1": RANKED}  # q2 missing: scores 0
    res = evaluate_run(run, qrels, ks=(3, 10))
    assert res["n_queries"] == 2 and res["missing"] == 1
    assert res["ndcg@3"] == pytest.approx(0.56273 / 2, abs=1e-5)
    assert res["recall@3"] == pytest.approx((2 / 3) / 2)
    assert res["mrr@10"] == pytest.approx(0.25)
    assert res["hit_rate@10"] == pytest.approx(0.5)
    per_q = per_query_metrics(run, qrels, ks=(10,), metrics=("mrr",))
    assert per_q == {"mrr@10": {"q1": 0.5, "q2": 0.0}}
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate_run(run, qrels, metrics=("map",))


@settings(max_examples=150, deadline=None)
@given(
    grades=st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 3), min_size=1),
    ranked=st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10),
    k=st.integers(1, 12),
)
def test_metric_ranges_and_ideal_ordering(grades, ranked, k):
    for f in (ndcg_at_k, recall_at_k, precision_at_k, mrr_at_k, hit_rate_at_k):
        v = f(ranked, grades, k)
        assert 0.0 <= v <= 1.0 + 1e-12
    ideal = sorted((d for d, g in grades.items() if g > 0), key=lambda d: -grades[d])
    if ideal:
        assert ndcg_at_k(ideal, grades, k) == pytest.approx(1.0)
        assert ndcg_at_k(ranked, grades, k) <= ndcg_at_k(ideal, grades, k) + 1e-12


# ---- bootstrap -----------------------------------------------------------------------------------------
VALUES = np.linspace(0.0, 1.0, 50) ** 2


def test_bootstrap_ci_is_deterministic_with_its_seed():
    a = bootstrap_ci(VALUES, n=500, seed=7)
    assert a == bootstrap_ci(VALUES, n=500, seed=7)
    assert a != bootstrap_ci(VALUES, n=500, seed=8)
    mean, lo, hi = a
    assert mean == pytest.approx(VALUES.mean())
    assert lo < mean < hi
    # a narrower confidence level gives a narrower interval
    _, lo80, hi80 = bootstrap_ci(VALUES, n=500, alpha=0.2, seed=7)
    assert lo <= lo80 and hi80 <= hi


def test_bootstrap_ci_of_a_constant():
    assert bootstrap_ci([0.3] * 10) == pytest.approx((0.3, 0.3, 0.3))


def test_paired_bootstrap_diff():
    rng = np.random.default_rng(1)
    b = rng.random(200)
    # identical systems: no difference, p = 1
    mean, lo, hi, p = paired_bootstrap_diff(b, b, n=300)
    assert (mean, lo, hi, p) == (0.0, 0.0, 0.0, 1.0)
    # a constant +0.1 on every query: the difference is certain, p is the smallest possible 1/(n+1)
    mean, lo, hi, p = paired_bootstrap_diff(b + 0.1, b, n=300)
    assert mean == pytest.approx(0.1) and lo == pytest.approx(0.1) and hi == pytest.approx(0.1)
    assert p == pytest.approx(1 / 301)
    # two systems differing by noise only (fixed seed): the interval covers 0 and p is large
    mean, lo, hi, p = paired_bootstrap_diff(b + rng.normal(0, 1, 200), b + rng.normal(0, 1, 200), n=500)
    assert lo < 0 < hi and p > 0.05
    assert paired_bootstrap_diff(b + 0.05, b, n=200, seed=3) == paired_bootstrap_diff(b + 0.05, b, n=200, seed=3)
    with pytest.raises(ValueError, match="one value per query"):
        paired_bootstrap_diff([1.0, 2.0], [1.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.integers(0, 2**31))
def test_bootstrap_interval_within_the_data(values, seed):
    mean, lo, hi = bootstrap_ci(values, n=200, seed=seed)
    assert min(values) - 1e-12 <= lo <= hi <= max(values) + 1e-12


def test_percentiles_hand_computed():
    # 1..100 with linear interpolation: p50 = 50.5, p95 = 95.05, p99 = 99.01
    out = percentiles(list(range(1, 101)))
    assert out["p50"] == pytest.approx(50.5)
    assert out["p95"] == pytest.approx(95.05)
    assert out["p99"] == pytest.approx(99.01)
    assert out["mean"] == pytest.approx(50.5) and out["n"] == 100
    with pytest.raises(ValueError, match="at least one"):
        percentiles([])
