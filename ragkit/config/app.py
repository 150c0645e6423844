"""Application-layer settings: answering, citations, abstention. Owned by the answer layer."""

from __future__ import annotations

from pydantic import Field, field_validator

from ragkit.config.abstention import EVIDENCE_FEATURES
from ragkit.config.base import Section

__all__ = ["EVIDENCE_FEATURES", "AnswerConfig"]


class AnswerConfig(Section):
    # prompts
    prompt_version: str = "v1"  # a key of ragkit.answer.prompts.PROMPTS
    system_prompt: str | None = None  # overrides the versioned system prompt
    context_tokens: int = Field(3000, ge=100)  # token budget of the context block (tiktoken)
    # citations
    strict: bool = False  # drop sentences whose citations do not verify, and say so
    min_support: float = Field(0.5, ge=0, le=1)  # citation support score to count as verified
    embedding_support: bool = True  # add embedding similarity to the lexical support score
    support_cache_entries: int = Field(20_000, ge=0)  # sentence vectors kept for support checks (0: none)
    # abstention before the call (None disables a check): per-feature minimums, and a minimum on
    # a weighted sum of features (abstain when sum(w * feature) < abstain_min_evidence). Defaults
    # calibrated by bench/calibrate_abstention.py on 2026-11-27 (SQuAD 2.0 dev, calibration half,
    # hybrid retrieval (DBSF), MiniLM, no reranker: 3.9% of answerable questions abstained on, 93.2%
    # of out-of-corpus ones); recalibrate for another corpus, embedder or reranker. A check on
    # dense_top makes each search also fetch the candidates' dense branch scores.
    abstain_min_rerank: float | None = None
    abstain_min_fused: float | None = None
    abstain_min_dense: float | None = None
    abstain_min_overlap: float | None = Field(None, ge=0, le=1)  # question terms in the top 3 chunks
    abstain_min_window_overlap: float | None = Field(None, ge=0, le=1)  # ... in 2 consecutive sentences
    # names (capitalized words, numbers) of the question found in the top chunks: a question about
    # a name the corpus never mentions is not answered from it. 0.5 is the minimums-only SQuAD
    # calibration's value; beside the weighted rule it costs 0.4 points of answerable questions.
    abstain_min_name_overlap: float | None = Field(0.5, ge=0, le=1)
    abstain_min_evidence: float | None = 0.83
    abstain_evidence_weights: dict[str, float] = Field(  # feature -> weight
        default_factory=lambda: {"dense_top": 1.0, "name_overlap": 0.2, "sentence_overlap": 0.5})
    # extractive generator
    max_sentences: int = Field(3, ge=1)

    @field_validator("abstain_evidence_weights")
    @classmethod
    def _known_features(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(EVIDENCE_FEATURES))
        if unknown:
            raise ValueError(f"unknown evidence feature(s) {unknown}; known: {', '.join(EVIDENCE_FEATURES)}")
        return v
