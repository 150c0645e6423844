"""The evidence gate before any model call: `evidence_features` (the raw features, for
calibration scripts too) and `should_abstain`, which applies the configured thresholds to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ragkit.answer.text import QUESTION_WORDS, content_stems, coverage, names, split_sentences, stem_words
from ragkit.answer.answerability import answerability, answerability_features
from ragkit.config.abstention import ANSWERABILITY_CHECK_KEY, MINIMUM_CHECKS, WEIGHTED_CHECK_KEY
from ragkit.types import ScoredChunk


# ---- evidence features ----------------------------------------------------------------------------
def evidence_features(question: str, candidates: Sequence[ScoredChunk], *, answerability: bool = True
                      ) -> dict[str, float]:
    """Raw evidence features for abstention, for a reranked (or fused) candidate list.

    Keys (present only when computable): `n_candidates`; `score_top`, `score_margin` (the list's
    own `.score`); `rerank_top`, `rerank_margin`, `fused_top`, `dense_top`, `sparse_top` (from
    `.scores` of the candidates; the stores label the fused score by its fusion method, "rrf",
    "dbsf" or "weighted"); `overlap_top1` (share of the question's content terms in the best
    chunk, stemmed, title included), `overlap_top3` (in the union of the top 3),
    `overlap_best` (best single chunk of the top 5), `sentence_overlap` (best single sentence of
    the top 3), `name_overlap` (share of the question's capitalised names found in the top 3;
    1.0 when it has none), `question_terms`.
    """
    feats: dict[str, float] = {"n_candidates": float(len(candidates))}
    q_stems = list(dict.fromkeys(content_stems(question, drop=QUESTION_WORDS)))
    feats["question_terms"] = float(len(q_stems))
    if not candidates:
        return feats
    feats["score_top"] = float(candidates[0].score)
    if len(candidates) > 1:
        feats["score_margin"] = float(candidates[0].score - candidates[1].score)
    for key in ("rerank", "fused", "dense", "sparse"):
        labels = _FUSED_KEYS if key == "fused" else (key,)
        vals = [next(c.scores[n] for n in labels if n in c.scores) for c in candidates
                if any(n in (c.scores or {}) for n in labels)]
        if vals:
            feats[f"{key}_top"] = float(max(vals))
            if key == "rerank" and len(vals) > 1:
                top2 = sorted(vals, reverse=True)[:2]
                feats["rerank_margin"] = float(top2[0] - top2[1])
    chunk_stems = [_chunk_stems(c) for c in candidates[:5]]
    feats["overlap_top1"] = coverage(q_stems, chunk_stems[0])
    feats["overlap_top3"] = coverage(q_stems, set().union(*chunk_stems[:3]))
    feats["overlap_best"] = max(coverage(q_stems, s) for s in chunk_stems)
    best_sentence = best_window = 0.0
    for c in candidates[:3]:
        title = set(content_stems(c.chunk.title or ""))
        sents = [set(content_stems(s.text)) for s in split_sentences(c.chunk.text)]
        for i, st in enumerate(sents):
            best_sentence = max(best_sentence, coverage(q_stems, st))
            best_window = max(best_window, coverage(q_stems, st.union(title, *sents[i + 1:i + 2])))
    feats["sentence_overlap"] = best_sentence
    feats["window_overlap"] = best_window
    if answerability:  # ragkit.answer.answerability's features (only its check reads them)
        feats.update(answerability_features(question, candidates))
    q_names = list(dict.fromkeys(names(question)))
    if q_names:
        top_words = set()
        for c in candidates[:3]:
            top_words |= {w.lower() for w in re.findall(r"[^\W_]+", c.chunk.text + " " + (c.chunk.title or ""))}
        stems_top = set().union(*chunk_stems[:3])
        found = sum(1 for n in q_names if n in top_words or stem_words([n])[0] in stems_top)
        feats["name_overlap"] = found / len(q_names)
    else:
        feats["name_overlap"] = 1.0
    return feats


# the stores label a hybrid search's fused score by its fusion method (ragkit.index.base)
_FUSED_KEYS = ("fused", "rrf", "dbsf", "weighted")


def _chunk_stems(c: ScoredChunk) -> set[str]:
    return set(content_stems(c.chunk.text + " " + (c.chunk.title or "")))


def evidence_score(features: Mapping[str, float], weights: Iterable[tuple[str, float]]) -> float | None:
    """The weighted sum of features (e.g. dense_top + 0.5 * window_overlap); None when a feature
    with a non-zero weight is absent."""
    total = 0.0
    for key, w in weights:
        if w == 0:
            continue
        if key not in features:
            return None
        total += w * float(features[key])
    return total


@dataclass(frozen=True)
class AbstentionThresholds:
    """Minimums a candidate list must reach to be answered; None disables a check. A check whose
    feature is absent (no reranker ran, say) is skipped. `min_evidence` applies to the weighted
    sum `evidence_score(features, evidence_weights)` (skipped when a weighted feature is absent)."""

    min_rerank: float | None = None
    min_fused: float | None = None
    min_dense: float | None = None
    min_overlap: float | None = None  # on overlap_top3
    min_window_overlap: float | None = None
    min_name_overlap: float | None = None
    min_evidence: float | None = None
    evidence_weights: tuple[tuple[str, float], ...] = ()  # (feature key, weight), sorted by key
    min_answerable: float | None = None  # on P(answerable) of the logistic model (answerability.py)
    answerability_weights: tuple[tuple[str, float], ...] = ()
    answerability_intercept: float = 0.0

    @classmethod
    def from_config(cls, cfg) -> "AbstentionThresholds":
        """From an AnswerConfig (ragkit.config.app)."""
        return cls(**{c.name: getattr(cfg, c.config_key) for c in MINIMUM_CHECKS},
                   min_evidence=getattr(cfg, WEIGHTED_CHECK_KEY),
                   evidence_weights=tuple(sorted(cfg.abstain_evidence_weights.items())),
                   min_answerable=getattr(cfg, ANSWERABILITY_CHECK_KEY),
                   answerability_weights=tuple(sorted(cfg.abstain_answerability_weights.items())),
                   answerability_intercept=cfg.abstain_answerability_intercept)

    def uses(self, key: str) -> bool:
        """Does any active check read this feature?"""
        if self.min_evidence is not None and any(k == key and w != 0 for k, w in self.evidence_weights):
            return True
        if self.min_answerable is not None and any(k == key and w != 0 for k, w in self.answerability_weights):
            return True
        return any(getattr(self, c.name) is not None and c.feature == key for c in MINIMUM_CHECKS)


def needs_branch_scores(thresholds: AbstentionThresholds) -> bool:
    """True when a check reads the dense or sparse branch score of the candidates, which a hybrid
    search labels only when asked (`Retriever.search(..., branch_scores=True)`)."""
    return thresholds.uses("dense_top") or thresholds.uses("sparse_top")


def should_abstain(
    question: str,
    candidates: Sequence[ScoredChunk],
    thresholds: AbstentionThresholds,
    features: dict[str, float] | None = None,
) -> tuple[bool, str]:
    """(True, reason) when the evidence is too weak to spend a model call on; (False, "") else.
    Pass `features` when already computed by `evidence_features`."""
    if not candidates:
        return True, "retrieval returned no candidates"
    feats = features if features is not None else evidence_features(
        question, candidates, answerability=thresholds.min_answerable is not None)
    return abstain_reason(feats, thresholds)


def abstain_reason(feats: Mapping[str, float], thresholds: AbstentionThresholds) -> tuple[bool, str]:
    """The rule itself, on computed features: the first per-feature minimum that fails, then the
    weighted evidence score (the calibration applies this same function)."""
    for c in MINIMUM_CHECKS:
        limit = getattr(thresholds, c.name)
        if limit is None or c.feature not in feats:
            continue
        if feats[c.feature] < limit:
            return True, f"{c.label} {feats[c.feature]:.3f} is below the threshold {limit:.3f} ({c.path})"
    if thresholds.min_evidence is not None and thresholds.evidence_weights:
        score = evidence_score(feats, thresholds.evidence_weights)
        if score is not None and score < thresholds.min_evidence:
            formula = " + ".join(f"{w:g}*{k}" for k, w in thresholds.evidence_weights if w)
            return True, (f"evidence score {score:.3f} ({formula}) is below the threshold "
                          f"{thresholds.min_evidence:.3f} (answer.{WEIGHTED_CHECK_KEY})")
    if thresholds.min_answerable is not None and thresholds.answerability_weights:
        p = answerability(feats, dict(thresholds.answerability_weights), thresholds.answerability_intercept)
        if p is not None and p < thresholds.min_answerable:
            return True, (f"the passages are on topic but do not seem to hold the answer: answerability {p:.3f} "
                          f"is below the threshold {thresholds.min_answerable:.3f} (answer.{ANSWERABILITY_CHECK_KEY})")
    return False, ""
