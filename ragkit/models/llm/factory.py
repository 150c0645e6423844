"""One provider config section -> one LLM provider (built cheaply; clients load on first call)."""

from __future__ import annotations

from typing import Any

from ragkit.config.orchestrate import ProviderConfig
from ragkit.errors import ConfigError
from ragkit.models.prices import PriceTable


def build_llm(cfg: ProviderConfig, *, prices: PriceTable | None = None):
    """The provider for `cfg`; `context_window` defaults to the price table's value for the model."""
    window = cfg.context_window or (prices.context_window(cfg.model) if prices is not None else None)
    if cfg.provider == "openai":
        from ragkit.models.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(cfg.model, base_url=cfg.base_url, api_key_env=cfg.api_key_env, timeout_s=cfg.timeout_s,
                              context_window=window, **_key_policy(cfg))
    if cfg.provider == "anthropic":
        from ragkit.models.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(cfg.model, base_url=cfg.base_url, api_key_env=cfg.api_key_env,
                                 timeout_s=cfg.timeout_s, context_window=window, **_key_policy(cfg))
    raise ConfigError(f"llm provider {cfg.provider!r} is no API provider: use openai or anthropic here "
                      "(the offline extractive generator is built by ragkit.answer.generators, not as an LLM)")


def _key_policy(cfg: ProviderConfig) -> dict[str, Any]:
    """The trusted config's allow-list and the section's config path, which RagkitConfig hands each
    provider section (a section built on its own has none: keys go only to their own hosts)."""
    where = cfg._key_where
    return {"allow_key_hosts": cfg._key_hosts, "where": f"{where} ({cfg.provider} model {cfg.model!r})" if where else ""}
