"""Orchestration: which model is called, how often, at what cost (routing, retries, caches, ledger)."""

from ragkit.orchestrate.budget import BudgetGuard, estimate_cost, estimate_tokens
from ragkit.orchestrate.cache_exact import ExactCache, exact_key
from ragkit.orchestrate.cache_semantic import SemanticCache, SemanticLookup
from ragkit.orchestrate.chain import ModelSlot
from ragkit.orchestrate.clock import Clock, ManualClock, SystemClock
from ragkit.orchestrate.gateway import AttemptRecord, Gateway, GatewayResult
from ragkit.orchestrate.ledger import Ledger, LedgerRow
from ragkit.orchestrate.retry import RetryPolicy
from ragkit.orchestrate.router import RoutingDecision, RoutingFeatures, VerificationResult
from ragkit.orchestrate.wiring import build_gateway, build_semantic_cache, configured_routes

__all__ = [
    "AttemptRecord",
    "BudgetGuard",
    "Clock",
    "ExactCache",
    "Gateway",
    "GatewayResult",
    "Ledger",
    "LedgerRow",
    "ManualClock",
    "ModelSlot",
    "RetryPolicy",
    "RoutingDecision",
    "RoutingFeatures",
    "SemanticCache",
    "SemanticLookup",
    "SystemClock",
    "VerificationResult",
    "build_gateway",
    "build_semantic_cache",
    "configured_routes",
    "estimate_cost",
    "estimate_tokens",
    "exact_key",
]
