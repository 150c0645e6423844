"""Application-layer settings: answering, citations, abstention. Owned by the answer layer."""

from __future__ import annotations

from pydantic import Field, field_validator

from ragkit.config.abstention import ANSWERABILITY_FEATURES, EVIDENCE_FEATURES
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
    # answerability (abstain when P(answerable) < abstain_min_answerable): a logistic model over
    # evidence and answerability features (ragkit.answer.answerability) for questions whose topic is
    # in the corpus but whose answer is not; fitted by bench/answerability.py on SQuAD 2.0's
    # calibration half (see docs/guides/answering.md). Off (None) by default; 0.28 turns it on with
    # the fitted weights below (calibration half, 2026-12-03: 1,000 answerable and 1,000 in-corpus
    # unanswerable questions; evaluation half: unanswerable abstained 0.125 -> 0.284, answerable
    # 0.039 -> 0.075, out of corpus 0.922 -> 0.945; bench/results/answerability-2026-12-03.json).
    # Off because a long question with instructions in it ("... answer with the exact figure and
    # nothing else") misses many of its words in any passage and was abstained on.
    abstain_min_answerable: float | None = Field(None, ge=0, le=1)
    abstain_answerability_weights: dict[str, float] = Field(default_factory=lambda: {  # feature -> weight
        "window_missing": 0.151145,
        "window_missing_0": 0.867108,
        "window_missing_1": 0.38519,
        "top3_missing": 0.142979,
        "missing_elsewhere": 0.112512,
        "long_missing": -0.025871,
        "names_missing": -0.986149,
        "type_found": 0.322241,
        "negation_extra": -3.838518,
        "question_terms": 0.006006,
        "window_overlap": 0.319198,
        "dense_top": 3.561452,
        "fused_top": -0.294352,
        "overlap_top1": -1.920694,
        "overlap_top3": 0.161067,
        "sentence_overlap": 2.881222,
        "name_overlap": -0.546581,
        "score_margin": 0.372568,
    })
    abstain_answerability_intercept: float = -2.829686
    # extractive generator
    max_sentences: int = Field(3, ge=1)

    @field_validator("abstain_evidence_weights")
    @classmethod
    def _known_features(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(EVIDENCE_FEATURES))
        if unknown:
            raise ValueError(f"unknown evidence feature(s) {unknown}; known: {', '.join(EVIDENCE_FEATURES)}")
        return v

    @field_validator("abstain_answerability_weights")
    @classmethod
    def _known_answerability_features(cls, v: dict[str, float]) -> dict[str, float]:
        known = EVIDENCE_FEATURES + ANSWERABILITY_FEATURES
        unknown = sorted(set(v) - set(known))
        if unknown:
            raise ValueError(f"unknown answerability feature(s) {unknown}; known: {', '.join(known)}")
        return v
