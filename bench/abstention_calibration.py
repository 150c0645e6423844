"""Choosing the pre-call abstention thresholds from data (pure functions, deterministic).

Input: one feature dict per question (`evidence_features` of its retrieved candidates) and a
label, True when the question should be abstained on (its answer is not in the corpus), False
when it should be answered. Two families of rules, applied exactly as `should_abstain` applies
them (a question with no candidates is always abstained on):

* minimums: feature key -> minimum; abstain when ANY feature is below its minimum (a feature
  the question lacks skips that check). Searched over single features and small conjunctions
  (up to `max_features` checks); a set with more checks is chosen only when it beats the best
  smaller one by more than `min_gain`.
* score: abstain when the weighted sum `evidence_score` (the `anchor` feature with weight 1 plus
  up to `max_terms - 1` others, weights from `weight_grid`) is below a minimum (skipped when a
  weighted feature is absent).

Each rule is fitted to abstain on the most should-abstain questions while abstaining on at most
`target - margin` of the should-answer ones (the margin leaves room for the held-out rate to come
out higher than the calibration rate); the family that abstains on more should-abstain questions
wins (ties: the minimums). Minimums are rounded down to `decimals` places (a lower minimum
abstains on no more questions, so the bound still holds).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ragkit.answer.evidence_gate import AbstentionThresholds, abstain_reason, evidence_score
from ragkit.config.abstention import MINIMUM_CHECKS

# feature key -> the AnswerConfig field holding its minimum (ragkit.config.app)
CONFIG_FIELDS: dict[str, str] = {c.feature: c.config_key for c in MINIMUM_CHECKS}  # feature -> config key
SCORE_KEYS = ("dense_top", "window_overlap", "overlap_top3", "name_overlap", "sentence_overlap")
WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[str, float]  # feature key -> minimum; abstain when any feature is below it
    wrong_abstain_rate: float  # share of the should-answer questions abstained on
    correct_abstain_rate: float  # share of the should-abstain questions abstained on
    n_answer: int
    n_abstain: int
    target: float
    margin: float
    considered: dict[str, float] = field(default_factory=dict)  # rule -> best correct rate found
    min_evidence: float | None = None  # minimum of the weighted score (score family)
    weights: dict[str, float] = field(default_factory=dict)  # feature -> weight of the score

    def config_values(self) -> dict[str, object]:
        """The abstention fields of AnswerConfig: chosen minimums, None for the rest."""
        out: dict[str, object] = {cfg: self.thresholds.get(key) for key, cfg in CONFIG_FIELDS.items()}
        out["abstain_min_evidence"] = self.min_evidence
        out["abstain_evidence_weights"] = dict(self.weights)
        return out

    def decide(self, features: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Which of these questions the calibrated rule abstains on."""
        return abstains(features, self.thresholds, self.weights, self.min_evidence)

    def to_dict(self) -> dict:
        return {"thresholds": dict(self.thresholds), "min_evidence": self.min_evidence, "weights": dict(self.weights),
                "config": self.config_values(), "wrong_abstain_rate": self.wrong_abstain_rate,
                "correct_abstain_rate": self.correct_abstain_rate, "n_answer": self.n_answer,
                "n_abstain": self.n_abstain, "target": self.target, "margin": self.margin,
                "considered": dict(self.considered)}


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


def abstains(features: Sequence[Mapping[str, float]], thresholds: Mapping[str, float],
             weights: Mapping[str, float] | None = None, min_evidence: float | None = None) -> np.ndarray:
    """Which questions these minimums (and weighted-score minimum) abstain on (bool array): the
    evidence gate's own rule (`abstain_reason`) applied to each question's features."""
    by_feature = {c.feature: c.name for c in MINIMUM_CHECKS}
    rule = AbstentionThresholds(**{by_feature[k]: v for k, v in thresholds.items()}, min_evidence=min_evidence,
                                evidence_weights=tuple(sorted((weights or {}).items())))
    hit = np.array([abstain_reason(f, rule)[0] for f in features], dtype=bool)
    return hit | _empty(features)


def rates(features: Sequence[Mapping[str, float]], should_abstain: Sequence[bool], thresholds: Mapping[str, float],
          weights: Mapping[str, float] | None = None, min_evidence: float | None = None) -> tuple[float, float]:
    """(wrong abstention rate on should-answer, correct abstention rate on should-abstain)."""
    lab = np.asarray(should_abstain, dtype=bool)
    hit = abstains(features, thresholds, weights, min_evidence)
    return _share(hit[~lab]), _share(hit[lab])


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def round_down(value: float, decimals: int) -> float:
    """`value` rounded down to `decimals` places, never above it. The 1e-9 keeps 0.29 at 0.29
    (0.29 * 100 is 28.999999999999996); where it pushes past `value` (0.9999999999999999 would
    become 1.0 and abstain on the very question it came from) the next step down is taken."""
    scale = 10.0 ** decimals
    out = math.floor(value * scale + 1e-9) / scale
    while out > value:
        out = (round(out * scale) - 1) / scale
    return out


def max_threshold(answer_values: np.ndarray, budget: int, decimals: int) -> float | None:
    """The largest minimum (rounded down) that leaves at most `budget` of `answer_values` below
    it, and never above their largest value (a minimum that abstains on every answerable question
    having the feature is never chosen); None when every value is missing. `answer_values` may
    hold +inf (missing)."""
    finite = np.sort(answer_values[np.isfinite(answer_values)])
    if finite.size == 0 or budget < 0:
        return None
    return round_down(float(finite[min(budget, finite.size - 1)]), decimals)


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
    families: Sequence[str] = ("minimums", "score"),
    score_keys: Sequence[str] = SCORE_KEYS,
    anchor: str = "dense_top",
    weight_grid: Sequence[float] = WEIGHT_GRID,
    max_terms: int = 3,
) -> Calibration:
    """The rule that abstains on the most should-abstain questions while abstaining on at most
    `target - margin` of the should-answer questions (see the module docstring)."""
    lab = np.asarray(should_abstain, dtype=bool)
    if lab.size != len(features):
        raise ValueError(f"{len(features)} feature dicts but {lab.size} labels")
    if not (0.0 <= margin <= target <= 1.0):
        raise ValueError(f"need 0 <= margin ({margin}) <= target ({target}) <= 1")
    bad = sorted(set(families) - {"minimums", "score"})
    if bad or not families:
        raise ValueError(f"families must be among 'minimums' and 'score', got {list(families)}")
    n_a, n_b = int((~lab).sum()), int(lab.sum())
    if n_a == 0 or n_b == 0:
        raise ValueError(f"need questions of both kinds: {n_a} to answer, {n_b} to abstain on")
    empty = _empty(features)
    budget = int(math.floor((target - margin) * n_a + 1e-9)) - int(empty[~lab].sum())
    considered: dict[str, float] = {}
    th: dict[str, float] = {}
    weights: dict[str, float] = {}
    min_evidence = None
    best_corr = int(empty[lab].sum())
    if "minimums" in families:
        th, best_corr = _fit_minimums(features, lab, empty, keys, budget, max_features, decimals, min_gain, considered)
    if "score" in families:
        found = _fit_score(features, lab, empty, score_keys, anchor, weight_grid, max_terms, budget, decimals,
                           considered)
        if found is not None and (found[0] > best_corr or "minimums" not in families):
            best_corr, weights, min_evidence = found
            th = {}
    wrong_rate, corr_rate = rates(features, lab, th, weights, min_evidence)
    return Calibration(dict(sorted(th.items())), wrong_rate, corr_rate, n_a, n_b, target, margin, considered,
                       min_evidence, dict(sorted(weights.items())))


def _fit_minimums(features, lab, empty, keys, budget, max_features, decimals, min_gain, considered):
    keys = [k for k in keys if any(k in f for f in features)]
    x = feature_matrix(features, keys)
    xa, xb, ea, eb = x[~lab], x[lab], empty[~lab], empty[lab]
    n_b = int(lab.sum())
    # best per number of checks: (correct count, -wrong count, thresholds)
    best_by_size: dict[int, tuple[int, int, dict[str, float]]] = {0: (int(eb.sum()), -int(ea.sum()), {})}
    if budget >= 0:
        for size in range(1, min(max_features, len(keys)) + 1):
            for combo in itertools.combinations(range(len(keys)), size):
                found = _search(xa, xb, ea, eb, list(combo), budget, decimals)
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
        corr, _, th = best_by_size[size]
        if corr >= top - min_gain * n_b:
            return th, corr
    raise AssertionError("unreachable: the best size always qualifies")


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


def _fit_score(features, lab, empty, score_keys, anchor, weight_grid, max_terms, budget, decimals, considered):
    """(correct count, weights, minimum) of the best weighted score, or None."""
    keys = [k for k in dict.fromkeys([anchor, *score_keys]) if any(k in f for f in features)]
    if anchor not in keys or budget < 0:
        return None
    x = feature_matrix(features, keys)
    xa, xb, ea, eb = x[~lab], x[lab], empty[~lab], empty[lab]
    best = None
    for ws in itertools.product(weight_grid, repeat=len(keys) - 1):
        terms = 1 + sum(1 for w in ws if w)
        if terms > max_terms:
            continue
        w = np.array([1.0, *ws])
        sa, sb = _weighted(xa, keys, w), _weighted(xb, keys, w)  # a missing feature (+inf) never abstains
        t = max_threshold(sa[~ea], budget, decimals)
        if t is None:
            continue
        corr = int((eb | (sb < t)).sum())
        wrong = int((ea | (sa < t)).sum())
        name = " + ".join(f"{wi:g}*{k}" for k, wi in zip(keys, w) if wi)
        considered[name] = max(considered.get(name, 0.0), corr / max(int(lab.sum()), 1))
        cand = (corr, -wrong, -terms)
        if best is None or cand > best[0]:
            best = (cand, {k: float(wi) for k, wi in zip(keys, w) if wi}, t)
    if best is None:
        return None
    return best[0][0], best[1], best[2]


def _weighted(x: np.ndarray, keys: Sequence[str], w: np.ndarray) -> np.ndarray:
    """Row sums of w * x, added in the order `evidence_score` adds them (sorted keys), so the
    calibrated minimum splits the questions exactly as `should_abstain` will."""
    total = np.zeros(x.shape[0])
    for j in sorted(range(len(keys)), key=lambda j: keys[j]):
        if w[j] != 0:
            total = total + w[j] * x[:, j]
    return total
