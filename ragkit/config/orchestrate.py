"""Model and orchestration settings: LLM routes, retries, routing, caches, ledger, budgets.

Owned by the orchestration layer; extended there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ragkit.config.base import Section


class ProviderConfig(Section):
    provider: Literal["extractive", "openai", "anthropic"] = "extractive"
    model: str = "extractive"
    base_url: str | None = None
    api_key_env: str | None = None  # default: OPENAI_API_KEY / ANTHROPIC_API_KEY
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.1, ge=0, le=2)
    timeout_s: float = Field(30.0, gt=0)
    context_window: int | None = Field(None, ge=1)


class LLMConfig(Section):
    small: ProviderConfig = Field(default_factory=ProviderConfig)
    large: ProviderConfig | None = None
    fallbacks: list[ProviderConfig] = Field(default_factory=list)
    routing: Literal["none", "policy", "cascade"] = "none"


class RetryConfig(Section):
    max_attempts: int = Field(4, ge=1)
    base_delay_s: float = Field(0.5, ge=0)
    max_delay_s: float = Field(20.0, ge=0)
    deadline_s: float = Field(60.0, gt=0)
    cooldown_after: int = Field(3, ge=1)  # consecutive failures before a model is cooled down
    cooldown_s: float = Field(60.0, ge=0)


class CacheConfig(Section):
    enabled: bool = True
    path: str | None = None  # default <home>/cache
    ttl_s: float | None = Field(7 * 24 * 3600, gt=0)
    size_limit_mb: int = Field(512, ge=1)
    semantic: bool = True
    semantic_threshold: float = Field(0.92, ge=0, le=1)


class LedgerConfig(Section):
    path: str | None = None  # default <home>/ledger.db
    prices: str | None = None  # a prices.json overriding the bundled table


class BudgetConfig(Section):
    per_run_usd: float | None = Field(None, ge=0)
    per_day_usd: float | None = Field(None, ge=0)
