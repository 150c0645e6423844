"""The evidence gate's features and checks, declared once: what `evidence_features` computes,
which feature each per-feature minimum reads, its config key and how a reason names it.

The gate (ragkit.answer.evidence_gate), the offline calibration (bench/abstention_calibration.py)
and config validation (AnswerConfig) all read this table; AnswerConfig holds one
`abstain_<name>` field per check (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

# every feature ragkit.answer.evidence_gate.evidence_features computes (abstain_evidence_weights keys)
EVIDENCE_FEATURES = (
    "score_top", "score_margin", "rerank_top", "rerank_margin", "fused_top", "dense_top", "sparse_top",
    "overlap_top1", "overlap_top3", "overlap_best", "sentence_overlap", "window_overlap", "name_overlap",
)
# what ragkit.answer.answerability.answerability_features computes (abstain_answerability_weights keys,
# which may also use EVIDENCE_FEATURES)
ANSWERABILITY_FEATURES = (
    "window_missing", "window_missing_0", "window_missing_1", "top3_missing", "missing_elsewhere",
    "long_missing", "names_missing", "type_found", "negation_extra", "question_terms",
)


@dataclass(frozen=True)
class MinimumCheck:
    """Abstain when `feature` is below the configured minimum `answer.abstain_<name>`."""

    name: str  # min_rerank: the AbstentionThresholds field
    feature: str  # a key of EVIDENCE_FEATURES
    label: str  # how an abstention reason names the feature

    @property
    def config_key(self) -> str:
        return f"abstain_{self.name}"

    @property
    def path(self) -> str:
        return f"answer.{self.config_key}"


MINIMUM_CHECKS = (
    MinimumCheck("min_rerank", "rerank_top", "top reranker score"),
    MinimumCheck("min_fused", "fused_top", "top fused score"),
    MinimumCheck("min_dense", "dense_top", "top dense similarity"),
    MinimumCheck("min_overlap", "overlap_top3", "share of question terms found in the top chunks"),
    MinimumCheck("min_window_overlap", "window_overlap", "best share of question terms in two consecutive sentences"),
    MinimumCheck("min_name_overlap", "name_overlap", "share of question names found in the top chunks"),
)
WEIGHTED_CHECK_KEY = "abstain_min_evidence"  # abstain when sum(w * feature) is below it
ANSWERABILITY_CHECK_KEY = "abstain_min_answerable"  # abstain when P(answerable) is below it
