"""Prices are data: `prices.json` (versioned, dated, USD per 1M tokens), overridable by a user file.

`cost_usd(usage, price)` is the one pure cost function. A model missing from the table has an
unknown cost: `PriceTable.cost` returns None and warns (once per model per table), never 0.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ragkit.errors import ConfigError
from ragkit.types import Usage

PER_TOKENS = 1_000_000
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
_FIELDS = ("input", "output", "cache_read", "cache_write")


class UnknownPriceWarning(UserWarning):
    """A model has no entry in the price table: its cost is recorded as unknown (None)."""


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens, by kind."""

    input: float
    output: float
    cache_read: float
    cache_write: float


@dataclass(frozen=True)
class Price:
    model: str
    provider: str
    rates: Rates
    context_window: int | None = None
    long_context_above: int | None = None  # prompt tokens (all kinds) above which `long_rates` apply
    long_rates: Rates | None = None


def rates_for(usage: Usage, price: Price) -> Rates:
    """The rates that apply to this call (the long-context tier when the prompt is above it)."""
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    if price.long_rates is not None and price.long_context_above is not None and prompt > price.long_context_above:
        return price.long_rates
    return price.rates


def cost_usd(usage: Usage, price: Price) -> float:
    """Dollars for one call: each token kind at its own rate. Pure."""
    r = rates_for(usage, price)
    micro = (
        usage.input_tokens * r.input
        + usage.output_tokens * r.output
        + usage.cache_read_tokens * r.cache_read
        + usage.cache_write_tokens * r.cache_write
    )
    return micro / PER_TOKENS


def _rates(entry: Mapping[str, Any], where: str) -> Rates:
    try:
        vals = {k: float(entry[k]) for k in ("input", "output")}
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: needs numeric 'input' and 'output' (USD per 1M tokens)") from None
    # a model without prompt caching bills cached tokens at the input rate
    vals["cache_read"] = float(entry.get("cache_read", vals["input"]))
    vals["cache_write"] = float(entry.get("cache_write", vals["input"]))
    if any(v < 0 for v in vals.values()):
        raise ConfigError(f"{where}: prices must not be negative")
    return Rates(**vals)


def parse_price(model: str, entry: Mapping[str, Any], where: str = "prices") -> Price:
    loc = f"{where}: models.{model}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{loc}: must be a mapping of prices")
    long = entry.get("long_context")
    long_rates = _rates(long, f"{loc}.long_context") if long else None
    above = int(long["above_input_tokens"]) if long and "above_input_tokens" in long else None
    if long and above is None:
        raise ConfigError(f"{loc}.long_context: needs 'above_input_tokens'")
    ctx = entry.get("context_window")
    return Price(model, str(entry.get("provider", "")), _rates(entry, loc), int(ctx) if ctx else None, above,
                 long_rates)


class PriceTable:
    """Model name -> Price. Snapshot ids (`-20250929`, `-2024-08-06`, `-latest`) resolve to their base."""

    def __init__(self, data: Mapping[str, Any], source: str = "prices"):
        models = data.get("models")
        if not isinstance(models, Mapping):
            raise ConfigError(f"{source}: needs a 'models' mapping")
        self.version = str(data.get("version", "unknown"))
        self.date = str(data.get("date", "unknown"))
        self.source = source
        self._prices = {m: parse_price(m, e, source) for m, e in models.items()}
        self._aliases = dict(data.get("aliases") or {})
        self._warned: set[str] = set()

    def __contains__(self, model: str) -> bool:
        return self.get(model) is not None

    def models(self) -> list[str]:
        return sorted(self._prices)

    def get(self, model: str) -> Price | None:
        name = model
        for _ in range(3):
            if name in self._prices:
                return self._prices[name]
            if name in self._aliases:
                name = self._aliases[name]
                continue
            base = _SNAPSHOT_SUFFIX.sub("", name)
            if base == name:
                break
            name = base
        return None

    def context_window(self, model: str) -> int | None:
        p = self.get(model)
        return p.context_window if p else None

    def cost(self, model: str, usage: Usage) -> float | None:
        """Dollars for `usage` on `model`, or None (and a warning) when the model has no price."""
        price = self.get(model)
        if price is None:
            self.warn_unknown(model)
            return None
        return cost_usd(usage, price)

    def warn_unknown(self, model: str) -> None:
        if model not in self._warned:
            self._warned.add(model)
            warnings.warn(
                f"no price for model {model!r} in {self.source} (version {self.version}): its cost is recorded "
                "as unknown. Add it to a prices file and point ledger.prices at it.",
                UnknownPriceWarning,
                stacklevel=3,
            )


def bundled_prices() -> dict[str, Any]:
    return json.loads((resources.files("ragkit.models") / "prices.json").read_text(encoding="utf-8"))


def merge_prices(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """The override's models and aliases replace the base's one by one; its version/date win."""
    out = dict(base)
    out["models"] = {**base.get("models", {}), **override.get("models", {})}
    out["aliases"] = {**base.get("aliases", {}), **override.get("aliases", {})}
    for key in ("version", "date"):
        if key in override:
            out[key] = f"{base.get(key, '?')}+{override[key]}"
    return out


def load_prices(override: str | Path | None = None) -> PriceTable:
    """The bundled table, with a user file (config `ledger.prices`) merged over it."""
    data = bundled_prices()
    source = "bundled prices.json"
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ConfigError(f"ledger.prices: price file not found: {path}")
        try:
            user = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigError(f"ledger.prices: {path} is not valid JSON: {exc}") from None
        if not isinstance(user, Mapping):
            raise ConfigError(f"ledger.prices: {path} must hold a JSON object with a 'models' mapping")
        data = merge_prices(data, user)
        source = f"{source} + {path}"
    return PriceTable(data, source)
