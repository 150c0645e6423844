"""Routing small -> large: a policy over features known before the call, or a cascade.

* `policy`: the large route when the question is long, of a hard type, or the evidence is
  ambiguous (top reranker score or top-1/top-2 margin under a threshold); otherwise small.
* `cascade`: answer with the small route, then escalate to the large one when the answer abstains
  although the evidence is strong, or when the verification hook (supplied by the application
  layer) says its citations fail.

Every decision carries its reason. The functions here are pure.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

from ragkit.config.orchestrate import RoutingConfig
from ragkit.text.questions import task_type as classify_query


@dataclass(frozen=True)
class RoutingFeatures:
    """What is known before the call. Scores are the reranker's (or fused) scores, best first."""

    query_tokens: int | None = None
    query_type: str | None = None
    top_score: float | None = None
    margin: float | None = None  # top-1 minus top-2 score

    @classmethod
    def from_query(cls, query: str, scores: Sequence[float] = (), *, query_type: str | None = None,
                   count: Callable[[str], int] | None = None) -> "RoutingFeatures":
        if count is None:
            from ragkit.models.tokens import count_tokens

            count = count_tokens
        ranked = sorted((float(s) for s in scores), reverse=True)
        top = ranked[0] if ranked else None
        margin = ranked[0] - ranked[1] if len(ranked) > 1 else None
        return cls(count(query), query_type or classify_query(query), top, margin)


@dataclass(frozen=True)
class VerificationResult:
    """What the application's verification hook says about a completion."""

    ok: bool
    reason: str = ""
    abstained: bool = False




@dataclass(frozen=True)
class RoutingDecision:
    mode: str  # none | policy | cascade
    route: str  # the route that produced the final answer: small | large
    reason: str
    escalated: bool = False
    escalation_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def policy_route(features: RoutingFeatures | None, cfg: RoutingConfig) -> tuple[str, str]:
    """(route, reason) from features known before the call. Pure."""
    if features is None:
        return "small", "no routing features given"
    if features.query_tokens is not None and features.query_tokens > cfg.max_small_query_tokens:
        return "large", f"query has {features.query_tokens} tokens > max_small_query_tokens {cfg.max_small_query_tokens}"
    if features.query_type and features.query_type in cfg.large_query_types:
        return "large", f"query type {features.query_type!r} is in large_query_types"
    if cfg.min_top_score is not None and features.top_score is not None and features.top_score < cfg.min_top_score:
        return "large", f"top score {features.top_score:.3f} < min_top_score {cfg.min_top_score:g} (ambiguous evidence)"
    if cfg.min_margin is not None and features.margin is not None and features.margin < cfg.min_margin:
        return "large", f"score margin {features.margin:.3f} < min_margin {cfg.min_margin:g} (ambiguous evidence)"
    parts = [f"{features.query_tokens} query tokens" if features.query_tokens is not None else None,
             f"type {features.query_type}" if features.query_type else None,
             f"top score {features.top_score:.3f}" if features.top_score is not None else None]
    return "small", "no rule for large fired (" + ", ".join(p for p in parts if p) + ")"


def cascade_escalation(result: VerificationResult, features: RoutingFeatures | None, cfg: RoutingConfig
                       ) -> str | None:
    """The reason to escalate the small route's answer to the large route, or None. Pure."""
    if result.abstained:
        top = features.top_score if features is not None else None
        if top is not None and top >= cfg.strong_evidence_score:
            return (f"small model abstained although evidence is strong (top score {top:.3f} >= "
                    f"strong_evidence_score {cfg.strong_evidence_score:g})")
        return None
    if not result.ok and cfg.escalate_on_failed_verification:
        return f"small model's answer failed verification: {result.reason or 'citations not supported'}"
    return None
