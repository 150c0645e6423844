"""Routing: the pure policy and cascade rules, and query features."""

from __future__ import annotations

import pytest

from ragkit.config.orchestrate import LLMConfig, RoutingConfig
from ragkit.orchestrate.router import (
    RoutingFeatures,
    VerificationResult,
    cascade_escalation,
    classify_query,
    policy_route,
)

pytestmark = pytest.mark.unit
CFG = RoutingConfig(mode="policy", max_small_query_tokens=20, min_top_score=0.3, min_margin=0.05)


@pytest.mark.parametrize("features,route,why", [
    (RoutingFeatures(8, "factoid", 0.9, 0.4), "small", "no rule"),
    (RoutingFeatures(25, "factoid", 0.9, 0.4), "large", "25 tokens"),
    (RoutingFeatures(8, "comparison", 0.9, 0.4), "large", "comparison"),
    (RoutingFeatures(8, "factoid", 0.2, 0.4), "large", "top score 0.200"),
    (RoutingFeatures(8, "factoid", 0.9, 0.01), "large", "margin 0.010"),
    (None, "small", "no routing features"),
])
def test_policy_rules(features, route, why):
    got, reason = policy_route(features, CFG)
    assert got == route and why in reason


def test_cascade_escalates_only_for_strong_evidence_abstention_or_failed_verification():
    cfg = RoutingConfig(mode="cascade", strong_evidence_score=0.5)
    strong, weak = RoutingFeatures(top_score=0.8), RoutingFeatures(top_score=0.2)
    assert "abstained" in cascade_escalation(VerificationResult(True, abstained=True), strong, cfg)
    assert cascade_escalation(VerificationResult(True, abstained=True), weak, cfg) is None
    assert "failed verification: wrong page" in cascade_escalation(VerificationResult(False, "wrong page"), weak, cfg)
    assert cascade_escalation(VerificationResult(True), strong, cfg) is None
    off = RoutingConfig(mode="cascade", escalate_on_failed_verification=False)
    assert cascade_escalation(VerificationResult(False, "x"), strong, off) is None


def test_features_from_query_and_scores():
    f = RoutingFeatures.from_query("Compare BM25 and dense retrieval", [0.2, 0.9, 0.7])
    assert f.query_type == "comparison" and f.top_score == 0.9 and f.margin == pytest.approx(0.2)
    assert f.query_tokens == 6
    assert RoutingFeatures.from_query("x", []).top_score is None


@pytest.mark.parametrize("text,kind", [
    ("What is the capital of France?", "factoid"),
    ("Why does the sky look blue?", "reasoning"),
    ("What is the difference between A and B?", "comparison"),
    ("Summarize the report", "summary"),
    ("List the side effects", "list"),
])
def test_classify_query(text, kind):
    assert classify_query(text) == kind


def test_routing_accepts_a_bare_mode_string():
    assert LLMConfig.model_validate({"routing": "cascade"}).routing.mode == "cascade"
