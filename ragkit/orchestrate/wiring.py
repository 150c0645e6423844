"""Config -> Gateway. Called by rag.py (the facade wires; this only translates config sections).

    gateway = build_gateway(cfg, routes={"small": [provider_cfg, ...], "large": [...]})
    semantic = build_semantic_cache(cfg, embedder)

Routes (default): `small` = llm.small + its fallbacks + llm.fallbacks; `large` likewise when
configured. Providers are built lazily (SDK clients load on the first call); one instance per
distinct provider/model/base_url/key/timeout. Caches live under cfg.cache_path (exact/ and
semantic/), the ledger at cfg.ledger_path; `ledger.prices` overrides the bundled price table.
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Sequence

from ragkit.config.orchestrate import ProviderConfig
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


def route_slots(chain: Sequence[ProviderConfig], *, prices: PriceTable, built: dict[tuple, Any]) -> list[ModelSlot]:
    slots = []
    for pc in chain:
        ident = (pc.provider, pc.model, pc.base_url, pc.api_key_env, pc.timeout_s, pc.context_window)
        if ident not in built:
            built[ident] = build_llm(pc, prices=prices)
        llm = built[ident]
        slots.append(ModelSlot(llm, pc.provider, pc.model, pc.max_tokens, pc.temperature, pc.timeout_s,
                               llm.context_window, pc.base_url))
    return slots


def configured_routes(cfg) -> dict[str, list[ProviderConfig]]:
    """Each configured route's chain: the route, its own fallbacks, then llm.fallbacks."""
    routes = {"small": [cfg.llm.small, *cfg.llm.small.fallbacks, *cfg.llm.fallbacks]}
    if cfg.llm.large is not None:
        routes["large"] = [cfg.llm.large, *cfg.llm.large.fallbacks, *cfg.llm.fallbacks]
    return routes


def build_gateway(cfg, *, routes: Mapping[str, Sequence[ProviderConfig]] | None = None, clock: Clock | None = None,
                  run_id: str | None = None, rng: random.Random | None = None) -> Gateway:
    """A Gateway from a RagkitConfig over `routes` (default: every configured route; each entry must
    be an API provider - the application keeps offline generators out of the gateway)."""
    prices = load_prices(cfg.ledger.prices)
    built: dict[tuple, Any] = {}
    chains = configured_routes(cfg) if routes is None else routes
    slots = {name: route_slots(chain, prices=prices, built=built) for name, chain in chains.items() if chain}
    clock = clock or SystemClock()
    ledger = Ledger(cfg.ledger_path) if cfg.ledger.enabled else None
    exact = None
    if cfg.cache.enabled and cfg.cache.exact:
        exact = ExactCache(cfg.cache_path / "exact", ttl_s=cfg.cache.ttl_s, size_limit_mb=cfg.cache.size_limit_mb)
    gateway = Gateway(slots, prices=prices, retry=RetryPolicy.from_config(cfg.retry), ledger=ledger,
                      exact_cache=exact, clock=clock, rng=rng, run_id=run_id)
    if cfg.budget.per_run_usd is not None or cfg.budget.per_day_usd is not None:
        gateway.budget = BudgetGuard(per_run_usd=cfg.budget.per_run_usd, per_day_usd=cfg.budget.per_day_usd,
                                     run_id=gateway.run_id, clock=clock, ledger=ledger,
                                     unknown_price=cfg.budget.unknown_price)
    return gateway


def build_semantic_cache(cfg, embedder) -> SemanticCache | None:
    """The semantic answer cache (cache.semantic), or None when it is off."""
    if not (cfg.cache.enabled and cfg.cache.semantic):
        return None
    return SemanticCache(cfg.cache_path / "semantic", embedder, threshold=cfg.cache.semantic_threshold,
                         ttl_s=cfg.cache.ttl_s, size_limit_mb=cfg.cache.size_limit_mb,
                         max_entries=cfg.cache.semantic_max_entries)
