"""Routing through the gateway over loopback: policy and cascade decisions, their reasons in the
result and the ledger, and the always-large counterfactual that prices routing savings."""

from __future__ import annotations

import json

import pytest

from ragkit.models.llm import GenerationContext
from ragkit.orchestrate.router import RoutingFeatures, VerificationResult
from ragkit.types import Chunk, Message, ScoredChunk
from tests.loopback.fixtures import anthropic_route, openai_route
from tests.loopback.server import Reply
from tests.orchestrate.helpers import gateway_for

pytestmark = pytest.mark.integration
MSGS = [Message("system", "S", cache=True), Message("user", "Q")]


def _llm(loopback, mode, **routing):
    return {"small": openai_route(loopback, "gpt-4o-mini"), "large": anthropic_route(loopback, "claude-sonnet-4-6"),
            "routing": {"mode": mode, **routing}}


def test_policy_sends_long_or_ambiguous_questions_large(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, _llm(loopback, "policy", max_small_query_tokens=10, min_top_score=0.4))
    easy = g.complete(MSGS, features=RoutingFeatures(6, "factoid", 0.9, 0.5))
    long = g.complete(MSGS, features=RoutingFeatures(30, "factoid", 0.9, 0.5))
    weak = g.complete(MSGS, features=RoutingFeatures(6, "factoid", 0.1, 0.5))
    assert [r.decision.route for r in (easy, long, weak)] == ["small", "large", "large"]
    assert [s.model for s in loopback.seen] == ["gpt-4o-mini", "claude-sonnet-4-6", "claude-sonnet-4-6"]
    assert "30 tokens" in long.decision.reason and "top score 0.100" in weak.decision.reason
    rows = g.ledger.rows()
    assert [json.loads(r.routing)["route"] for r in rows] == ["small", "large", "large"]
    assert json.loads(rows[1].routing)["reason"] == long.decision.reason


def test_cascade_escalates_when_verification_fails(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, _llm(loopback, "cascade"))
    loopback.script("gpt-4o-mini", Reply.ok("Berlin. [Source: x.md, page 9]", input_tokens=1000, output_tokens=10))
    loopback.script("claude-sonnet-4-6", Reply.ok("Paris. [Source: france.md]", input_tokens=1000, output_tokens=10))
    verify = lambda c: VerificationResult(ok="Paris" in c.text, reason="cited page 9 not in context")  # noqa: E731
    r = g.complete(MSGS, features=RoutingFeatures(top_score=0.9), verify=verify, query_id="q")
    assert r.completion.text.startswith("Paris") and r.decision.escalated and r.decision.route == "large"
    assert "failed verification: cited page 9" in r.decision.escalation_reason
    assert r.verification.ok
    small_cost = (1000 * 0.15 + 10 * 0.6) / 1e6
    large_cost = (1000 * 3 + 10 * 15) / 1e6
    assert r.cost_usd == pytest.approx(small_cost + large_cost, abs=1e-12)
    rows = g.ledger.rows()
    assert [(r_.model, json.loads(r_.routing)["escalated"]) for r_ in rows] == [("gpt-4o-mini", False),
                                                                                ("claude-sonnet-4-6", True)]
    # the counterfactual sits on the final row: the same answer on the large route
    assert rows[0].counterfactual_usd is None and rows[1].counterfactual_usd == pytest.approx(large_cost)


def test_cascade_keeps_the_small_answer_and_records_the_saving(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, _llm(loopback, "cascade", strong_evidence_score=0.5))
    loopback.script("gpt-4o-mini", Reply.ok("Paris.", input_tokens=1000, output_tokens=10),
                    Reply.ok("I don't have enough information.", input_tokens=1000, output_tokens=10))
    kept = g.complete(MSGS, features=RoutingFeatures(top_score=0.9))
    weak = g.complete(MSGS, features=RoutingFeatures(top_score=0.2))  # abstains on weak evidence: stays small
    assert not kept.decision.escalated and not weak.decision.escalated and len(loopback.seen) == 2
    rows = g.ledger.rows()
    assert rows[0].counterfactual_usd == pytest.approx((1000 * 3 + 10 * 15) / 1e6)
    assert rows[0].cost_usd == pytest.approx((1000 * 0.15 + 10 * 0.6) / 1e6)


def test_extractive_small_route_gets_the_generation_context(tmp_path, loopback, fake_keys):
    from ragkit.config import load_config
    from ragkit.orchestrate import ManualClock, build_gateway

    cfg = load_config(overrides={"home": str(tmp_path), "llm": {"large": openai_route(loopback, "gpt-4.1"),
                                                                "routing": "cascade"}}, env={})
    chunk = ScoredChunk(Chunk("c1", "france.md", "Paris is the capital of France.", 0, 31, 0, "h"), 0.9, 1)
    g = build_gateway(cfg, extractive_answer=lambda q, chunks: f"{chunks[0].chunk.text} [Source: france.md]",
                      clock=ManualClock(real_time=True))
    r = g.complete(MSGS, context=GenerationContext("capital?", (chunk,)), features=RoutingFeatures(top_score=0.9))
    assert r.completion.provider == "extractive" and r.cost_usd == 0.0 and loopback.seen == []
    row = g.ledger.rows()[0]
    assert (row.provider, row.cost_usd) == ("extractive", 0.0)
    assert row.counterfactual_usd > 0  # what gpt-4.1 would have charged for the same prompt and answer
    g.close()
