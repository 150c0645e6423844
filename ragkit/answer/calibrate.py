"""Choosing the pre-call abstention thresholds from data (pure functions, deterministic).

Input: one feature dict per question (`evidence_features` of its retrieved candidates) and a
label, True when the question should be abstained on (its answer is not in the corpus), False
when it should be answered. A threshold set maps feature keys to minimums; a question is
abstained on when ANY of its features is below its minimum (a feature the question lacks skips
that check, and a question with no candidates is always abstained on), exactly as
`should_abstain` applies them.

`calibrate` searches single features and small conjunctions (up to `max_features` checks) for
the set that abstains on the most should-abstain questions while abstaining on at most
`target - margin` of the should-answer ones (the margin leaves room for the held-out rate to
come out higher than the calibration rate). Thresholds are rounded down to `decimals` places (a
lower minimum abstains on no more questions, so the bound still holds). A conjunction with more
checks is chosen only when it beats the best smaller one by more than `min_gain`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

# feature key -> the AnswerConfig field holding its minimum (ragkit.config.app)
CONFIG_FIELDS: dict[str, str] = {
    "rerank_top": "abstain_min_rerank",
    "fused_top": "abstain_min_fused",
    "dense_top": "abstain_min_dense",
    "overlap_top3": "abstain_min_overlap",
    "window_overlap": "abstain_min_window_overlap",
    "name_overlap": "abstain_min_name_overlap",
}


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[str, float]  # feature key -> minimum; abstain when any feature is below it
    wrong_abstain_rate: float  # share of the should-answer questions abstained on
    correct_abstain_rate: float  # share of the should-abstain questions abstained on
    n_answer: int
    n_abstain: int
    target: float
    margin: float
    considered: dict[str, float] = field(default_factory=dict)  # "k1+k2" -> best correct rate found

    def config_values(self) -> dict[str, float | None]:
        """Every `abstain_min_*` field of AnswerConfig: the chosen minimums, None for the rest."""
        return {cfg: self.thresholds.get(key) for key, cfg in CONFIG_FIELDS.items()}

    def to_dict(self) -> dict:
        return {"thresholds": dict(self.thresholds), "config": self.config_values(),
                "wrong_abstain_rate": self.wrong_abstain_rate, "correct_abstain_rate": self.correct_abstain_rate,
                "n_answer": self.n_answer, "n_abstain": self.n_abstain, "target": self.target,
                "margin": self.margin, "considered": dict(self.considered)}


def feature_matrix(features: Sequence[Mapping[str, float]], keys: Sequence[str]) -> np.ndarray:
    """n x len(keys) float64; a missing feature is +inf (never below a minimum)."""
    x = np.full((len(features), len(keys)), np.inf)
    for i, f in enumerate(features):
        for j, k in enumerate(keys):
            v = f.get(k)
            if v is not None and not math.isnan(float(v)):
                x[i, j] = float(v)
    return x


def _empty(features: Sequence[Mapping[str, float]]) -> np.ndarray:
    """Questions with no candidates: always abstained on."""
    return np.array([f.get("n_candidates", 1.0) == 0 for f in features], dtype=bool)


def abstains(features: Sequence[Mapping[str, float]], thresholds: Mapping[str, float]) -> np.ndarray:
    """Which questions these thresholds abstain on (bool array)."""
    keys = sorted(thresholds)
    x = feature_matrix(features, keys)
    limits = np.array([thresholds[k] for k in keys], dtype=np.float64)
    below = (x < limits).any(axis=1) if keys else np.zeros(len(features), dtype=bool)
    return below | _empty(features)


def rates(features: Sequence[Mapping[str, float]], should_abstain: Sequence[bool],
          thresholds: Mapping[str, float]) -> tuple[float, float]:
    """(wrong abstention rate on should-answer, correct abstention rate on should-abstain)."""
    lab = np.asarray(should_abstain, dtype=bool)
    hit = abstains(features, thresholds)
    return _share(hit[~lab]), _share(hit[lab])


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def round_down(value: float, decimals: int) -> float:
    scale = 10.0 ** decimals
    return math.floor(value * scale + 1e-9) / scale


def max_threshold(answer_values: np.ndarray, budget: int, decimals: int) -> float | None:
    """The largest minimum (rounded down) that leaves at most `budget` of `answer_values` below
    it; None when no check is possible (every value missing). `answer_values` may hold +inf."""
    finite = np.sort(answer_values[np.isfinite(answer_values)])
    if finite.size == 0:
        return None
    if budget >= finite.size:
        return None  # would abstain on every answerable question that has the feature
    return round_down(float(finite[budget]), decimals)


def _grid(values: np.ndarray, budget: int, decimals: int) -> list[float]:
    """Candidate minimums for an enumerated check: each rounded order statistic up to `budget`,
    plus -inf (check off)."""
    finite = np.sort(values[np.isfinite(values)])
    out = {-math.inf}
    for r in range(min(budget, finite.size - 1) + 1):
        out.add(round_down(float(finite[r]), decimals))
    return sorted(out)


def calibrate(
    features: Sequence[Mapping[str, float]],
    should_abstain: Sequence[bool],
    *,
    target: float = 0.10,
    margin: float = 0.02,
    keys: Sequence[str] = tuple(CONFIG_FIELDS),
    max_features: int = 2,
    decimals: int = 3,
    min_gain: float = 0.005,
) -> Calibration:
    """The thresholds that abstain on the most should-abstain questions while abstaining on at
    most `target - margin` of the should-answer questions (see the module docstring)."""
    lab = np.asarray(should_abstain, dtype=bool)
    if lab.size != len(features):
        raise ValueError(f"{len(features)} feature dicts but {lab.size} labels")
    if not (0.0 <= margin <= target <= 1.0):
        raise ValueError(f"need 0 <= margin ({margin}) <= target ({target}) <= 1")
    n_a, n_b = int((~lab).sum()), int(lab.sum())
    if n_a == 0 or n_b == 0:
        raise ValueError(f"need questions of both kinds: {n_a} to answer, {n_b} to abstain on")
    keys = [k for k in keys if any(k in f for f in features)]
    x = feature_matrix(features, keys)
    xa, xb = x[~lab], x[lab]
    empty = _empty(features)
    ea, eb = empty[~lab], empty[lab]
    allowed = int(math.floor((target - margin) * n_a + 1e-9))
    base_budget = allowed - int(ea.sum())

    # best per number of checks: (correct count, -wrong count, thresholds)
    best_by_size: dict[int, tuple[int, int, dict[str, float]]] = {0: (int(eb.sum()), -int(ea.sum()), {})}
    considered: dict[str, float] = {}
    if base_budget >= 0:
        for size in range(1, min(max_features, len(keys)) + 1):
            for combo in itertools.combinations(range(len(keys)), size):
                found = _search(xa, xb, ea, eb, list(combo), base_budget, decimals)
                if found is None:
                    continue
                corr, wrong, lims = found
                th = {keys[j]: t for j, t in zip(combo, lims) if t != -math.inf}
                considered["+".join(keys[j] for j in combo)] = corr / n_b
                cand = (corr, -wrong, th)
                cur = best_by_size.get(len(th))
                if cur is None or _better(cand, cur):
                    best_by_size[len(th)] = cand
    top = max(v[0] for v in best_by_size.values())
    for size in sorted(best_by_size):
        corr, neg_wrong, th = best_by_size[size]
        if corr >= top - min_gain * n_b:
            break
    wrong_rate, corr_rate = rates(features, lab, th)
    return Calibration(dict(sorted(th.items())), wrong_rate, corr_rate, n_a, n_b, target, margin, considered)


def _better(a: tuple[int, int, dict], b: tuple[int, int, dict]) -> bool:
    if (a[0], a[1]) != (b[0], b[1]):
        return (a[0], a[1]) > (b[0], b[1])
    return sorted(a[2].items()) < sorted(b[2].items())  # deterministic tie-break


def _search(xa: np.ndarray, xb: np.ndarray, ea: np.ndarray, eb: np.ndarray, cols: list[int], budget: int,
            decimals: int) -> tuple[int, int, list[float]] | None:
    """Best minimums for the checks `cols`: every check but the last enumerated over its grid,
    the last set greedily to the largest minimum the remaining budget allows."""
    *enum_cols, last = cols
    grids = [_grid(xa[:, c], budget, decimals) for c in enum_cols]
    best = None
    for lims in itertools.product(*grids):
        hit_a = ea.copy()
        for c, t in zip(enum_cols, lims):
            hit_a |= xa[:, c] < t
        left = budget - int(hit_a.sum() - ea.sum())
        if left < 0:
            continue
        t_last = max_threshold(xa[~hit_a, last], left, decimals)
        if t_last is None:
            t_last = -math.inf
        all_lims = [*lims, t_last]
        hit_a_all = hit_a | (xa[:, last] < t_last)
        hit_b = eb.copy()
        for c, t in zip(cols, all_lims):
            hit_b |= xb[:, c] < t
        cand = (int(hit_b.sum()), int(hit_a_all.sum()), all_lims)
        if best is None or (cand[0], -cand[1]) > (best[0], -best[1]):
            best = cand
    return best
