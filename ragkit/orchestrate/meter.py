"""Paid embedding calls under orchestration: budget check before, retries, one ledger row per attempt.

`LedgerEmbeddingRunner` satisfies `ragkit.models.embedders.openai.EmbeddingRunner`; build it with
`gateway.embedding_runner()` so it shares the gateway's ledger, budget, prices, clock and retry
policy. `with runner.scope(query_id=..., stage=...)` labels the rows of the calls made inside.
A paid embedding call is refused (LedgerError, not made) when the ledger cannot record it; a row
that cannot be written after the call is kept in the ledger's pending file and logged, and the
vectors are returned.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Any, Callable, Iterator

from ragkit.models.prices import cost_usd
from ragkit.orchestrate.ledger import LedgerRow
from ragkit.orchestrate.retry import AttemptInfo, run_with_retries
from ragkit.types import Usage


class LedgerEmbeddingRunner:
    def __init__(self, gateway: Any, stage: str = "embed"):
        self.gateway = gateway
        self.stage = stage
        self.query_id: str | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def scope(self, *, query_id: str | None = None, stage: str | None = None) -> Iterator["LedgerEmbeddingRunner"]:
        with self._lock:
            before = (self.query_id, self.stage)
            self.query_id, self.stage = query_id, stage or self.stage
        try:
            yield self
        finally:
            with self._lock:
                self.query_id, self.stage = before

    def run_embedding(self, send: Callable[[float | None], Any], *, provider: str, model: str, est_tokens: int):
        g = self.gateway
        request_id = uuid.uuid4().hex
        price = g.prices.get(model)
        est = cost_usd(Usage(est_tokens), price) if price is not None else None
        stage, query_id = self.stage, self.query_id

        def before(n: int) -> None:
            g.ledger_ready(provider, model, stage)
            if g.budget is not None:
                g.budget.check(est, provider=provider, model=model, stage=stage)

        def after(info: AttemptInfo, batch: Any) -> None:
            tokens = int(batch.input_tokens) if batch is not None else 0
            cost = g.prices.cost(model, Usage(tokens)) if batch is not None else 0.0
            if g.ledger is not None:
                g.ledger.record_or_keep(LedgerRow(
                    ts=g.clock.time(), run_id=g.run_id, request_id=request_id, stage=stage, provider=provider,
                    model=model, outcome="ok" if info.error is None else type(info.error).__name__,
                    query_id=query_id, input_tokens=tokens, cost_usd=cost, est_cost_usd=est,
                    latency_s=info.latency_s, error=None if info.error is None else str(info.error)[:500],
                    attempt=info.attempt, kind="embedding"))
            if g.budget is not None:
                g.budget.add(cost)

        return run_with_retries(send, policy=g.retry, clock=g.clock, uniform=g.rng.random,
                                deadline_at=g.clock.monotonic() + g.retry.deadline_s, before=before, after=after,
                                what=f"{provider} embeddings {model!r}")
