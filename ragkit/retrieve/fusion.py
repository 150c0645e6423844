"""Rank and score fusion: pure functions over plain lists and numpy arrays.

* `rrf` — reciprocal rank fusion over any number of rankings (Cormack et al. 2009):
  score(d) = sum_i w_i / (k + rank_i(d)), rank 1-based; a list that lacks d adds nothing.
* `minmax` / `dbsf_normalize` — per-list score normalization, the two Qdrant uses
  (min-max, and distribution-based: mean ± 3 sample standard deviations as the extremes).
  A constant list (or a single score) maps to 0.5, as in Qdrant, so fusing client-side agrees
  with the engine's server-side fusion.
* `weighted_fuse` — normalize each score map, then sum weight × normalized score per id.

Every fused result is a list of (id, score), best first. Ties are broken deterministically:
the id that reaches the better rank in an earlier-listed input comes first (first-seen order
when walking the inputs by rank, then by list position).
"""

from __future__ import annotations

from typing import Hashable, Mapping, Sequence, TypeVar

import numpy as np

Id = TypeVar("Id", bound=Hashable)


def _check_weights(weights: Sequence[float] | None, n: int) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"fusion: {len(weights)} weights given for {n} inputs; give one weight per input")
    out = [float(w) for w in weights]
    if any(not np.isfinite(w) or w < 0 for w in out):
        raise ValueError(f"fusion: weights must be finite and >= 0, got {list(weights)}")
    return out


def _first_seen_order(lists: Sequence[Sequence[Id]]) -> dict[Id, int]:
    """Position of each id when walking all lists by rank, then by list index (the tie-break)."""
    order: dict[Id, int] = {}
    depth = max((len(lst) for lst in lists), default=0)
    for r in range(depth):
        for lst in lists:
            if r < len(lst) and lst[r] not in order:
                order[lst[r]] = len(order)
    return order


def _sorted(scores: Mapping[Id, float], order: Mapping[Id, int]) -> list[tuple[Id, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def rrf(
    rank_lists: Sequence[Sequence[Id]],
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[tuple[Id, float]]:
    """Reciprocal rank fusion of rankings (each best first) into one (id, score) list, best first.

    An id repeated inside one list counts at its first (best) rank only.
    """
    if k < 0:
        raise ValueError(f"rrf: k must be >= 0, got {k}")
    w = _check_weights(weights, len(rank_lists))
    scores: dict[Id, float] = {}
    for lst, wi in zip(rank_lists, w):
        seen: set = set()
        for rank, doc in enumerate(lst, start=1):
            if doc in seen:
                continue
            seen.add(doc)
            scores[doc] = scores.get(doc, 0.0) + wi / (k + rank)
    return _sorted(scores, _first_seen_order(rank_lists))


def minmax(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Scale to [0, 1]: (x - min) / (max - min). A constant (or one-element) input gives 0.5 each."""
    x = np.asarray(scores, dtype=np.float64).reshape(-1)
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi == lo:
        return np.full_like(x, 0.5)
    return (x - lo) / (hi - lo)


def dbsf_normalize(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Distribution-based normalization (Qdrant's DBSF): (x - (μ - 3σ)) / 6σ, σ the sample std.

    Not clipped: a score beyond μ ± 3σ lands outside [0, 1], as in Qdrant. Fewer than two scores,
    or a constant input, give 0.5 each.
    """
    x = np.asarray(scores, dtype=np.float64).reshape(-1)
    if x.size == 0:
        return x
    if x.size < 2:
        return np.full_like(x, 0.5)
    mean = float(x.mean())
    std = float(x.std(ddof=1))
    if std == 0.0:
        return np.full_like(x, 0.5)
    lo = mean - 3.0 * std
    return (x - lo) / (6.0 * std)


_NORMALIZERS = {"minmax": minmax, "dbsf": dbsf_normalize, "none": lambda s: np.asarray(s, dtype=np.float64)}


def weighted_fuse(
    score_maps: Sequence[Mapping[Id, float]],
    weights: Sequence[float] | None = None,
    normalize: str = "minmax",
) -> list[tuple[Id, float]]:
    """Normalize each {id: score} map (`minmax`, `dbsf` or `none`), then sum weight × score per id.

    An id missing from a map adds nothing from it. Maps are read in their iteration order, which
    is taken as their ranking for the tie-break (pass them best first).
    """
    if normalize not in _NORMALIZERS:
        raise ValueError(f"weighted_fuse: normalize must be one of {sorted(_NORMALIZERS)}, got {normalize!r}")
    w = _check_weights(weights, len(score_maps))
    norm = _NORMALIZERS[normalize]
    fused: dict[Id, float] = {}
    for smap, wi in zip(score_maps, w):
        ids = list(smap.keys())
        values = norm([float(smap[i]) for i in ids])
        for doc, v in zip(ids, values):
            fused[doc] = fused.get(doc, 0.0) + wi * float(v)
    return _sorted(fused, _first_seen_order([list(m.keys()) for m in score_maps]))


def ranks_from_scores(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks of scores, highest first; equal scores keep their input order (stable)."""
    x = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = np.argsort(-x, kind="stable")
    ranks = np.empty(x.size, dtype=np.int64)
    ranks[order] = np.arange(1, x.size + 1)
    return ranks
