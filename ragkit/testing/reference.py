"""What a `VectorStore` search must score, computed from the stored vectors with numpy (pure).

These are the formulas of the protocol's docstring: cosine for the dense branch, BM25 term
weights times Qdrant's IDF for the sparse branch, and the three fusions over each branch's
candidate list. Equal scores make a position ambiguous, so fused scores are given as bounds.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ragkit.types import SparseVector

TIE = 1e-5  # scores closer than this are treated as equal (the engines compute in float32)


def dense_scores(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarity of each stored row with the query."""
    rows = np.asarray(rows, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64).ravel()
    norms = np.linalg.norm(rows, axis=1) * (np.linalg.norm(q) or 1.0)
    norms[norms == 0] = 1.0
    return rows @ q / norms


def idf(n_with_term: int, n_points: int) -> float:
    return math.log(1.0 + (n_points - n_with_term + 0.5) / (n_with_term + 0.5))


def sparse_scores(docs: Sequence[SparseVector], query: SparseVector) -> list[float | None]:
    """Per document: sum of idf(t) * weight(t, doc) over the query's terms it holds; None when it
    holds none of them (the sparse branch does not return it)."""
    terms = set(query.indices)
    df = {t: sum(1 for d in docs if t in d.indices) for t in terms}
    out: list[float | None] = []
    for d in docs:
        shared = [(t, w) for t, w in zip(d.indices, d.values) if t in terms]
        out.append(sum(idf(df[t], len(docs)) * w for t, w in shared) if shared else None)
    return out


def positions(scores: Mapping[str, float]) -> dict[str, tuple[int, int]]:
    """id -> (first, last) 0-based position it may hold in a list sorted by score (ties widen it)."""
    values = list(scores.values())
    return {i: (sum(v > s + TIE for v in values), sum(v >= s - TIE for v in values) - 1) for i, s in scores.items()}


def rrf_term(position: int, k: int, weight: float = 1.0) -> float:
    """One branch's share of an RRF score: 1 / (k + position), 0-based; Qdrant's weighted RRF
    stretches the positions: 1 / (k - 1 + (position + 1) / weight), and weight 0 counts nothing."""
    return 1.0 / (k - 1 + (position + 1) / weight) if weight > 0 else 0.0


def rrf_bounds(branches: Sequence[Mapping[str, float]], k: int, weights: Sequence[float] | None = None) -> dict[str, tuple[float, float]]:
    """id -> (lowest, highest) RRF score: the sum of `rrf_term` over the branches that hold it."""
    weights = weights or [1.0] * len(branches)
    out: dict[str, list[float]] = {}
    for w, branch in zip(weights, branches):
        for i, (first, last) in positions(branch).items():
            lo_hi = out.setdefault(i, [0.0, 0.0])
            lo_hi[0] += rrf_term(last, k, w)
            lo_hi[1] += rrf_term(first, k, w)
    return {i: (lo, hi) for i, (lo, hi) in out.items()}


def dbsf(branches: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """id -> distribution-based score fusion: each branch's scores mapped by (s - (mean - 3 sd)) /
    (6 sd), sample standard deviation, summed over the branches that hold the id."""
    out: dict[str, float] = {}
    for branch in branches:
        s = np.array(list(branch.values()), dtype=np.float64)
        sd = float(s.std(ddof=1)) if len(s) > 1 else 0.0
        low = float(s.mean()) - 3 * sd
        for i, v in branch.items():
            out[i] = out.get(i, 0.0) + ((v - low) / (6 * sd) if sd > 0 else 0.5)
    return out
