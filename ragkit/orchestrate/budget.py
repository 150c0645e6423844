"""Budgets per run and per UTC day, checked against the estimated cost BEFORE each call.

The estimate is tiktoken's prompt count plus `max_tokens` of output at the model's prices (a cached
prefix is priced at the dearer of input and cache-write, so the estimate is an upper bound for
Anthropic's cache writes). tiktoken only approximates other vendors' tokenizers (recent Claude
tokenizers count about 30% more tokens for the same text), so their prompt counts get a margin. A call that would take the spend past a budget raises
`BudgetExceededError` and is not made. A call priced at zero (a free model) is
never refused: it cannot add spend. Spend is read from the ledger, so a ledger that cannot be read
raises `LedgerError` rather than counting from $0.
"""

from __future__ import annotations

import math
import threading
from typing import Sequence

from ragkit.errors import BudgetExceededError
from ragkit.models.llm.base import estimate_prompt_tokens
from ragkit.models.prices import PriceTable, cost_usd
from ragkit.orchestrate.clock import Clock
from ragkit.orchestrate.ledger import Ledger, utc_day
from ragkit.types import Message, Usage


PROMPT_TOKEN_MARGIN = {"anthropic": 1.35}  # tiktoken count -> a safe upper estimate for the provider


def estimate_tokens(messages: Sequence[Message], model: str) -> int:
    from ragkit.models.tokens import count_tokens, encoding_for_model

    enc = encoding_for_model(model)
    return estimate_prompt_tokens(messages, lambda t: count_tokens(t, enc))


def estimate_cost(prices: PriceTable, model: str, prompt_tokens: int, max_tokens: int, *, cached_prefix: bool = False,
                  provider: str = "") -> float | None:
    """Upper-bound dollars for a call of `prompt_tokens` in and `max_tokens` out; None if unpriced."""
    price = prices.get(model)
    if price is None:
        return None
    prompt_tokens = math.ceil(prompt_tokens * PROMPT_TOKEN_MARGIN.get(provider, 1.0))
    if cached_prefix and price.rates.cache_write > price.rates.input:
        usage = Usage(0, max_tokens, 0, prompt_tokens)
    else:
        usage = Usage(prompt_tokens, max_tokens)
    return cost_usd(usage, price)


class BudgetGuard:
    """Holds per-run and per-day limits; reads spend from the ledger (or its own tally without one)."""

    def __init__(self, *, per_run_usd: float | None, per_day_usd: float | None, run_id: str, clock: Clock,
                 ledger: Ledger | None = None, unknown_price: str = "refuse"):
        self.per_run_usd = per_run_usd
        self.per_day_usd = per_day_usd
        self.run_id = run_id
        self.clock = clock
        self.ledger = ledger
        self.unknown_price = unknown_price
        self._tally_run = 0.0
        self._tally_day: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.per_run_usd is not None or self.per_day_usd is not None

    def spent_run(self) -> float:
        if self.ledger is not None:
            return self.ledger.spent(run_id=self.run_id)
        with self._lock:
            return self._tally_run

    def spent_day(self) -> float:
        day = utc_day(self.clock.time())
        if self.ledger is not None:
            return self.ledger.spent(day=day)
        with self._lock:
            return self._tally_day.get(day, 0.0)

    def add(self, cost: float | None) -> None:
        """Count spend when there is no ledger to read it from."""
        if self.ledger is None and cost:
            with self._lock:
                self._tally_run += cost
                day = utc_day(self.clock.time())
                self._tally_day[day] = self._tally_day.get(day, 0.0) + cost

    def check(self, estimate_usd: float | None, *, provider: str, model: str, stage: str) -> None:
        """Raise BudgetExceededError when the call would pass a budget; the caller then does not call."""
        if not self.active or estimate_usd == 0:  # a free call cannot take the spend past a budget
            return
        what = f"{stage} call to {provider} model {model!r}"
        if estimate_usd is None:
            if self.unknown_price == "refuse":
                raise BudgetExceededError(
                    f"budget check: {what} has no price, so it cannot be held to the budget; the call was not "
                    "made. Add the model to a prices file (ledger.prices) or set budget.unknown_price: allow")
            return
        if self.per_run_usd is not None:
            spent = self.spent_run()
            if spent + estimate_usd > self.per_run_usd:
                raise BudgetExceededError(
                    f"run budget would be exceeded: spent ${spent:.6f} of budget.per_run_usd ${self.per_run_usd:.6f}; "
                    f"the {what} is estimated at ${estimate_usd:.6f} (prompt + max_tokens), so it was not made "
                    f"(run {self.run_id}). Raise budget.per_run_usd or lower max_tokens.")
        if self.per_day_usd is not None:
            spent = self.spent_day()
            if spent + estimate_usd > self.per_day_usd:
                raise BudgetExceededError(
                    f"daily budget would be exceeded: spent ${spent:.6f} of budget.per_day_usd "
                    f"${self.per_day_usd:.6f} today (UTC); the {what} is estimated at ${estimate_usd:.6f}, so it "
                    "was not made. Raise budget.per_day_usd or wait for the next UTC day.")
