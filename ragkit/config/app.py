"""Application-layer settings: answering, citations, abstention. Owned by the answer layer."""

from __future__ import annotations

from pydantic import Field

from ragkit.config.base import Section


class AnswerConfig(Section):
    prompt_version: str = "v1"
    system_prompt: str | None = None  # override the versioned template
    context_tokens: int = Field(3000, ge=100)  # budget for the context block
    strict: bool = False  # drop sentences whose citations do not verify
    min_support: float = Field(0.5, ge=0, le=1)  # citation support score to count as verified
    abstain_min_rerank: float | None = None  # calibrated thresholds (bench/calibrate_abstention.py)
    abstain_min_fused: float | None = None
    abstain_min_overlap: float = Field(0.0, ge=0, le=1)
    max_sentences: int = Field(3, ge=1)  # extractive generator
