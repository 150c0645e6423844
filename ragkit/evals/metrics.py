"""Information-retrieval metrics and bootstrap statistics: pure functions over plain values.

Definitions follow BEIR / pytrec_eval (trec_eval):

* A document is relevant when its qrels grade is > 0; grades <= 0 and unjudged ids count as 0.
* nDCG@k: DCG = sum over the top k of grade / log2(rank + 1) (linear gain, rank 1-based);
  the ideal DCG sorts the query's qrels grades descending; 0 when nothing is relevant.
* Recall@k = relevant in the top k / all relevant; Precision@k = relevant in the top k / k
  (k, not the number retrieved); MRR@k = 1 / rank of the first relevant in the top k;
  HitRate@k = 1 if any relevant is in the top k.
* A ranked list is read best first; an id repeated in it counts at its first position only.

`evaluate_run` averages over the queries of the qrels that have at least one relevant document.
A query missing from the run scores 0 (stricter than pytrec_eval, which skips it) and is counted
in `missing`.
"""

from __future__ import annotations

import math
from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np

METRICS = ("ndcg", "recall", "mrr", "hit_rate", "precision")


def _top_k(ranked_ids: Sequence[Hashable], k: int) -> list[Hashable]:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out: list[Hashable] = []
    seen: set = set()
    for doc in ranked_ids:
        if doc in seen:
            continue
        seen.add(doc)
        out.append(doc)
        if len(out) == k:
            break
    return out


def _n_relevant(qrels: Mapping[Hashable, float]) -> int:
    return sum(1 for g in qrels.values() if g > 0)


def dcg(gains: Iterable[float]) -> float:
    """Discounted cumulative gain of gains in rank order: sum gain_i / log2(i + 1), i from 1."""
    return float(sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1) if g > 0))


def ndcg_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> float:
    top = _top_k(ranked_ids, k)
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0.0:
        return 0.0
    return dcg(max(qrels.get(doc, 0), 0) for doc in top) / ideal


def recall_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> float:
    n_rel = _n_relevant(qrels)
    if n_rel == 0:
        return 0.0
    return sum(1 for doc in _top_k(ranked_ids, k) if qrels.get(doc, 0) > 0) / n_rel


def precision_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> float:
    return sum(1 for doc in _top_k(ranked_ids, k) if qrels.get(doc, 0) > 0) / k


def mrr_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> float:
    for rank, doc in enumerate(_top_k(ranked_ids, k), start=1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def hit_rate_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> float:
    return 1.0 if any(qrels.get(doc, 0) > 0 for doc in _top_k(ranked_ids, k)) else 0.0


_FUNCS = {
    "ndcg": ndcg_at_k,
    "recall": recall_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
    "precision": precision_at_k,
}


def per_query_metrics(
    run: Mapping[str, Sequence[Hashable]],
    qrels: Mapping[str, Mapping[Hashable, float]],
    ks: Sequence[int] = (1, 3, 5, 10, 100),
    metrics: Sequence[str] = METRICS,
) -> dict[str, dict[str, float]]:
    """{"ndcg@10": {qid: value}, ...} over the qrels queries with at least one relevant document."""
    unknown = [m for m in metrics if m not in _FUNCS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {list(_FUNCS)}")
    qids = [q for q, rels in qrels.items() if _n_relevant(rels) > 0]
    out: dict[str, dict[str, float]] = {}
    for m in metrics:
        for k in ks:
            f = _FUNCS[m]
            out[f"{m}@{k}"] = {q: f(run.get(q, ()), qrels[q], k) for q in qids}
    return out


def evaluate_run(
    run: Mapping[str, Sequence[Hashable]],
    qrels: Mapping[str, Mapping[Hashable, float]],
    ks: Sequence[int] = (1, 3, 5, 10, 100),
    metrics: Sequence[str] = METRICS,
) -> dict[str, float]:
    """Mean of each metric@k over the judged queries, plus `n_queries` and `missing` (not in run)."""
    per_q = per_query_metrics(run, qrels, ks, metrics)
    qids = [q for q, rels in qrels.items() if _n_relevant(rels) > 0]
    out: dict[str, float] = {
        name: (float(np.mean(list(vals.values()))) if vals else 0.0) for name, vals in per_q.items()
    }
    out["n_queries"] = len(qids)
    out["missing"] = sum(1 for q in qids if q not in run)
    return out


# ---- statistics ----------------------------------------------------------------------------------
def _as_1d(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError(f"{name}: needs at least one value")
    return x


def _check_alpha(alpha: float, n: int) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n < 1:
        raise ValueError(f"n (bootstrap resamples) must be >= 1, got {n}")


def _boot_means(x: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n, x.size))
    return x[idx].mean(axis=1)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray, n: int = 1000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, lo, hi): the mean and its percentile-bootstrap (1 - alpha) interval. Same seed, same CI."""
    x = _as_1d(values, "bootstrap_ci")
    _check_alpha(alpha, n)
    means = _boot_means(x, n, seed)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(x.mean()), float(lo), float(hi)


def paired_bootstrap_diff(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    n: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """(mean_diff, lo, hi, p_value) for per-query scores a - b of two systems on the same queries.

    The interval is the percentile bootstrap of the mean difference; the p-value is two-sided,
    from the bootstrap distribution shifted to the null (mean 0):
    p = (1 + #{|d* - d̄| >= |d̄|}) / (n + 1).
    """
    xa, xb = _as_1d(a, "paired_bootstrap_diff"), _as_1d(b, "paired_bootstrap_diff")
    if xa.shape != xb.shape:
        raise ValueError(f"paired_bootstrap_diff: a and b need one value per query each ({xa.size} vs {xb.size})")
    _check_alpha(alpha, n)
    d = xa - xb
    mean = float(d.mean())
    means = _boot_means(d, n, seed)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    extreme = int(np.sum(np.abs(means - mean) >= abs(mean) - 1e-15))
    p = (1 + extreme) / (n + 1)
    return mean, float(lo), float(hi), float(min(p, 1.0))


def percentiles(latencies: Sequence[float] | np.ndarray, qs: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """{"p50", "p95", "p99", "mean", "n"} of latencies (linear interpolation, numpy's default)."""
    x = _as_1d(latencies, "percentiles")
    out = {f"p{q:g}": float(np.percentile(x, q)) for q in qs}
    out["mean"] = float(x.mean())
    out["n"] = int(x.size)
    return out
