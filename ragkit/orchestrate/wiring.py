"""Config -> Gateway. Called by rag.py (the facade wires; this only translates config sections).

    gateway = build_gateway(cfg, extractive_answer=fn, embedder=rag.embedder)

Routes: `small` = llm.small + its fallbacks + llm.fallbacks; `large` likewise when configured.
Providers are built lazily (SDK clients load on the first call); one instance per distinct
provider/model/base_url/key/timeout. Caches live under cfg.cache_path (exact/ and semantic/), the
ledger at cfg.ledger_path; `ledger.prices` overrides the bundled price table.
"""

from __future__ import annotations

import random
from typing import Any

from ragkit.config.orchestrate import ProviderConfig, RouteConfig
from ragkit.models.llm.extractive_provider import ExtractiveAnswerFn
from ragkit.models.llm.factory import build_llm
from ragkit.models.prices import PriceTable, load_prices
from ragkit.orchestrate.budget import BudgetGuard
from ragkit.orchestrate.cache_exact import ExactCache
from ragkit.orchestrate.cache_semantic import SemanticCache
from ragkit.orchestrate.chain import ModelSlot
from ragkit.orchestrate.clock import Clock, SystemClock
from ragkit.orchestrate.gateway import Gateway
from ragkit.orchestrate.ledger import Ledger
from ragkit.orchestrate.retry import RetryPolicy


def route_slots(route: RouteConfig, shared: list[ProviderConfig], *, prices: PriceTable,
                extractive_answer: ExtractiveAnswerFn | None, built: dict[tuple, Any]) -> list[ModelSlot]:
    slots = []
    for pc in [route, *route.fallbacks, *shared]:
        ident = (pc.provider, pc.model, pc.base_url, pc.api_key_env, pc.timeout_s, pc.context_window)
        if ident not in built:
            built[ident] = build_llm(pc, extractive_answer=extractive_answer, prices=prices)
        llm = built[ident]
        slots.append(ModelSlot(llm, pc.provider, pc.model, pc.max_tokens, pc.temperature, pc.timeout_s,
                               getattr(llm, "context_window", None), pc.base_url))
    return slots


def build_gateway(cfg, *, extractive_answer: ExtractiveAnswerFn | None = None, embedder: Any = None,
                  clock: Clock | None = None, run_id: str | None = None, rng: random.Random | None = None) -> Gateway:
    """A Gateway from a RagkitConfig. `embedder` enables the semantic cache (cache.semantic)."""
    prices = load_prices(cfg.ledger.prices)
    built: dict[tuple, Any] = {}
    routes = {"small": route_slots(cfg.llm.small, cfg.llm.fallbacks, prices=prices,
                                   extractive_answer=extractive_answer, built=built)}
    if cfg.llm.large is not None:
        routes["large"] = route_slots(cfg.llm.large, cfg.llm.fallbacks, prices=prices,
                                      extractive_answer=extractive_answer, built=built)
    clock = clock or SystemClock()
    ledger = Ledger(cfg.ledger_path) if cfg.ledger.enabled else None
    exact = semantic = None
    if cfg.cache.enabled and cfg.cache.exact:
        exact = ExactCache(cfg.cache_path / "exact", ttl_s=cfg.cache.ttl_s, size_limit_mb=cfg.cache.size_limit_mb)
    if cfg.cache.enabled and cfg.cache.semantic and embedder is not None:
        semantic = SemanticCache(cfg.cache_path / "semantic", embedder, threshold=cfg.cache.semantic_threshold,
                                 ttl_s=cfg.cache.ttl_s, size_limit_mb=cfg.cache.size_limit_mb,
                                 max_entries=cfg.cache.semantic_max_entries)
    gateway = Gateway(routes, prices=prices, routing=cfg.llm.routing, retry=RetryPolicy.from_config(cfg.retry),
                      ledger=ledger, exact_cache=exact, semantic_cache=semantic, clock=clock, rng=rng,
                      run_id=run_id)
    if cfg.budget.per_run_usd is not None or cfg.budget.per_day_usd is not None:
        gateway.budget = BudgetGuard(per_run_usd=cfg.budget.per_run_usd, per_day_usd=cfg.budget.per_day_usd,
                                     run_id=gateway.run_id, clock=clock, ledger=ledger,
                                     unknown_price=cfg.budget.unknown_price)
    return gateway
