"""`Answer`: what `RAG.ask` returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ragkit.answer.refusal import ABSTAIN_TEXT
from ragkit.answer.types import Citation, VerifiedAnswer
from ragkit.types import ScoredChunk, Usage

__all__ = ["ABSTAIN_TEXT", "Answer"]


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    abstain_reason: str | None = None
    chunks: tuple[ScoredChunk, ...] = ()  # the chunks given to the generator, in context order
    model: str = "extractive"
    provider: str = "extractive"
    routing: dict[str, Any] = field(default_factory=dict)  # {"model": ..., "reason": ..., "escalated": ...}
    cache_hit: str | None = None  # None, "exact" or "semantic"
    usage: Usage = Usage()
    cost_usd: float | None = 0.0  # None when a price was unknown
    latency: dict[str, float] = field(default_factory=dict)  # seconds: embed, retrieve, rerank, generate, verify, total
    verification: VerifiedAnswer | None = None
    query_id: str = ""
    notes: tuple[str, ...] = ()  # e.g. reranker unavailable, strict mode dropped a sentence

    @property
    def verified(self) -> bool:
        """At least one claim was checked against its source, every claim shown is supported and
        every citation shown verified (VerifiedAnswer.all_verified). False for an abstention and
        for an answer that was not verified or claims nothing checkable."""
        return self.verification is not None and self.verification.all_verified

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["chunks"] = [
            {"chunk_id": h.chunk.chunk_id, "source": h.chunk.source, "page": h.chunk.page,
             "section": h.chunk.section, "score": h.score, "scores": h.scores, "text": h.chunk.text}
            for h in self.chunks
        ]
        d["verified"] = self.verified
        return d
