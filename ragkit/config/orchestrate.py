"""Model and orchestration settings: LLM routes, retries, routing, caches, ledger, budgets.

Owned by the orchestration layer. A route is a provider/model plus its own fallback chain::

    llm:
      small: {provider: openai, model: gpt-4o-mini, fallbacks: [{provider: anthropic, model: claude-haiku-4-5}]}
      large: {provider: openai, model: gpt-4.1}
      routing: {mode: cascade, strong_evidence_score: 0.5}

`llm.routing` also accepts a bare mode string (`routing: policy`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator

from ragkit.config.base import Section


class ProviderConfig(Section):
    provider: Literal["extractive", "openai", "anthropic"] = "extractive"
    model: str = "extractive"
    base_url: str | None = None  # openai: any OpenAI-compatible server (vLLM, llama.cpp, Ollama)
    # default: OPENAI_API_KEY / ANTHROPIC_API_KEY; else a variable named *_API_KEY. The key never
    # enters config, and goes only to the host it is meant for (see ragkit/config/security.py)
    api_key_env: str | None = None
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.1, ge=0, le=2)
    timeout_s: float = Field(30.0, gt=0)  # per attempt; the request deadline may cut it shorter
    context_window: int | None = Field(None, ge=1)  # default: the price table's value for the model
    # set by RagkitConfig from security.allow_key_hosts (never from input); read by the factory
    _key_hosts: tuple[str, ...] = PrivateAttr(default=())
    _key_where: str = PrivateAttr(default="")


class RouteConfig(ProviderConfig):
    """A route's primary model and the models tried after it, in order."""

    fallbacks: list[ProviderConfig] = Field(default_factory=list)


class RoutingConfig(Section):
    mode: Literal["none", "policy", "cascade"] = "none"
    # policy: the large route when any rule fires (features known before the call)
    max_small_query_tokens: int = Field(48, ge=1)  # longer questions go large
    large_query_types: list[str] = Field(default_factory=lambda: ["comparison", "reasoning"])
    min_top_score: float | None = None  # top reranker score below this: ambiguous evidence -> large
    min_margin: float | None = None  # top-1 minus top-2 score below this -> large
    # cascade: answer small, escalate when...
    strong_evidence_score: float = 0.5  # ...it abstains although the top score is at least this
    escalate_on_failed_verification: bool = True  # ...its citations fail the verification hook


class LLMConfig(Section):
    small: RouteConfig = Field(default_factory=RouteConfig)
    large: RouteConfig | None = None
    fallbacks: list[ProviderConfig] = Field(default_factory=list)  # appended to every route's chain
    routing: RoutingConfig = Field(default_factory=RoutingConfig)

    @field_validator("routing", mode="before")
    @classmethod
    def _mode_string(cls, v: Any) -> Any:
        return {"mode": v} if isinstance(v, str) else v


class RetryConfig(Section):
    max_attempts: int = Field(4, ge=1)  # per model, first try included
    base_delay_s: float = Field(0.5, ge=0)  # full jitter: sleep U(0, min(max_delay, base * 2**n))
    max_delay_s: float = Field(20.0, ge=0)
    deadline_s: float = Field(60.0, gt=0)  # total per request, across retries and fallbacks
    cooldown_after: int = Field(3, ge=1)  # consecutive failures before a model is cooled down
    cooldown_s: float = Field(60.0, ge=0)


class CacheConfig(Section):
    enabled: bool = True
    exact: bool = True
    path: str | None = None  # default <home>/cache
    ttl_s: float | None = Field(7 * 24 * 3600, gt=0)
    size_limit_mb: int = Field(512, ge=1)
    semantic: bool = True
    semantic_threshold: float = Field(0.92, ge=0, le=1)  # cosine similarity of the questions
    semantic_max_entries: int = Field(10_000, ge=1)


class LedgerConfig(Section):
    enabled: bool = True
    path: str | None = None  # default <home>/ledger.db
    prices: str | None = None  # a prices.json overriding the bundled table


class BudgetConfig(Section):
    per_run_usd: float | None = Field(None, ge=0)
    per_day_usd: float | None = Field(None, ge=0)  # UTC day, over every run sharing the ledger
    unknown_price: Literal["refuse", "allow"] = "refuse"  # a budget is set but the model has no price
