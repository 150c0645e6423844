"""The gateway: every paid model call goes through here, one route at a time.

For one request on a named route it: looks up the exact cache, runs the route's fallback chain
(ledger and budget checked before each attempt, retries, cooldowns), writes one ledger row per
attempt and per cache hit, stores the answer in the exact cache and returns a `Generation` with the
completion, what it cost and every attempt::

    gen = gateway.complete(messages, route="small", query_id=qid, stage="generate", decision=decision)
    for piece in gateway.stream(messages, route="large", query_id=qid):  # StreamDelta ..., then the Generation
        ...

Which route to call, whether to escalate, the semantic cache and verification belong to the caller
(`ragkit.answer.ask`); the gateway records what the caller tells it (`decision`, `record_hit`,
`set_counterfactual`) and never calls back up.

Raises `BudgetExceededError` (the call was not made), `LedgerError` (the ledger cannot record a paid
call, so it was not made; zero-priced models still run), `AllModelsFailedError` (every model of the
route failed or is cooling down; `.errors` holds the typed causes), a fail-now `ProviderError`
(AuthenticationError, BadRequestError, ContentFilteredError) as it is, or - from `stream` only -
`StreamInterruptedError` once the stream had started (its row is written first). A row that cannot
be written after the call never loses the answer: it is kept in the ledger's pending file and
`Generation.notes` says so.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Mapping, Sequence

from ragkit.config.orchestrate import RoutingConfig  # noqa: F401  (re-exported for older imports)
from ragkit.errors import LedgerError, MalformedResponseError, StreamInterruptedError
from ragkit.models.prices import PriceTable
from ragkit.orchestrate.budget import BudgetGuard, estimate_cost, estimate_tokens
from ragkit.orchestrate.cache_exact import exact_key
from ragkit.orchestrate.chain import ChainNotes, ModelSlot, run_chain
from ragkit.orchestrate.clock import Clock, SystemClock
from ragkit.orchestrate.cooldown import Cooldowns
from ragkit.orchestrate.ledger import Ledger, LedgerRow
from ragkit.orchestrate.retry import AttemptInfo, RetryPolicy
from ragkit.orchestrate.router import RoutingDecision
from ragkit.protocols import Cache
from ragkit.types import Completion, Generation, Message, StreamDelta, Usage

_FORMAT_OVERHEAD_TOKENS = 64  # chat wrapping; a prompt of B utf-8 bytes has at most B tokens

GatewayResult = Generation  # the name older code imports


@dataclass(frozen=True)
class AttemptRecord:
    route: str
    provider: str
    model: str
    attempt: int
    outcome: str  # "ok", "cache_hit", "cancelled" or the error class name
    latency_s: float
    usage: Usage = Usage()
    cost_usd: float | None = 0.0
    error: str | None = None


@dataclass
class _Request:
    route: str
    request_id: str
    query_id: str | None
    stage: str
    deadline_at: float
    messages: Sequence[Message]
    template_version: str
    use_cache: bool
    decision: RoutingDecision
    attempts: list[AttemptRecord] = field(default_factory=list)
    notes: ChainNotes = field(default_factory=ChainNotes)
    tokens: dict[str, int] = field(default_factory=dict)  # estimated prompt tokens per model
    estimates: dict[str, float | None] = field(default_factory=dict)
    last_row: int | None = None


class Gateway:
    def __init__(self, routes: Mapping[str, Sequence[ModelSlot]], *, prices: PriceTable,
                 retry: RetryPolicy | None = None, ledger: Ledger | None = None, budget: BudgetGuard | None = None,
                 exact_cache: Cache | None = None, clock: Clock | None = None,
                 rng: random.Random | None = None, run_id: str | None = None):
        self.routes = {k: list(v) for k, v in routes.items() if v}
        self.prices = prices
        self.retry = retry or RetryPolicy()
        self.ledger = ledger
        self.clock = clock or SystemClock()
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.budget = budget
        self.exact_cache = exact_cache
        self.rng = rng or random.Random()
        self.cooldowns = Cooldowns(self.retry.cooldown_after, self.retry.cooldown_s, self.clock)

    # ---- one call on one route --------------------------------------------------------------------
    def complete(self, messages: Sequence[Message], *, route: str = "small", query_id: str | None = None,
                 stage: str = "generate", template_version: str = "v1", use_cache: bool = True,
                 decision: RoutingDecision | None = None) -> Generation:
        t0 = time.perf_counter()
        req = self._request(route, messages, query_id, stage, template_version, use_cache, decision)
        hit = self._exact_hit(req, t0)
        if hit is not None:
            return hit

        def call(slot: ModelSlot, timeout_s: float) -> Completion:
            return slot.llm.complete(req.messages, max_tokens=slot.max_tokens, temperature=slot.temperature,
                                     timeout_s=timeout_s)

        def after(slot: ModelSlot, info: AttemptInfo, completion: Completion | None) -> None:
            self._attempt_done(req, slot, info, completion.usage if completion is not None else None)

        completion, slot = self._chain(req, call, after)
        return self._finish(req, slot, replace(completion, cost_usd=req.attempts[-1].cost_usd), t0)

    def stream(self, messages: Sequence[Message], *, route: str = "small", query_id: str | None = None,
               stage: str = "generate", template_version: str = "v1", use_cache: bool = True,
               decision: RoutingDecision | None = None) -> Iterator[StreamDelta | Generation]:
        """Text pieces as they arrive, then the `Generation`. Failures before the first piece are
        retried and fall back like `complete`; a stream that breaks off later writes its row (the
        tokens used) and raises StreamInterruptedError; closing this iterator early closes the
        provider's stream and writes a `cancelled` row with the tokens used so far."""
        t0 = time.perf_counter()
        req = self._request(route, messages, query_id, stage, template_version, use_cache, decision)
        hit = self._exact_hit(req, t0)
        if hit is not None:
            yield StreamDelta(text=hit.completion.text)
            yield hit
            return
        opened: dict[str, Any] = {}

        def call(slot: ModelSlot, timeout_s: float) -> Completion:
            it = slot.llm.stream(req.messages, max_tokens=slot.max_tokens, temperature=slot.temperature,
                                 timeout_s=timeout_s)
            try:  # errors before the first piece go through retries and fallbacks
                first = next(it)
            except StopIteration:
                raise MalformedResponseError(f"{slot.provider} model {slot.model!r}: the stream ended before "
                                             "any event", provider=slot.provider, model=slot.model) from None
            opened.update(it=it, first=first)
            return Completion(text="", model=slot.model, provider=slot.provider)  # a placeholder; not recorded

        def after(slot: ModelSlot, info: AttemptInfo, completion: Completion | None) -> None:
            if info.error is not None:
                self._attempt_done(req, slot, info, None)
            else:
                opened["info"] = info

        _, slot = self._chain(req, call, after)
        it, piece, info = opened["it"], opened["first"], opened["info"]
        started = time.perf_counter()
        finished = False
        try:
            while True:
                if piece.completion is not None:
                    final = replace(piece.completion, latency_s=time.perf_counter() - t0)
                    finished = True
                    self._attempt_done(req, slot, _took(info, started), final.usage)
                    yield self._finish(req, slot, replace(final, cost_usd=req.attempts[-1].cost_usd), t0)
                    return
                if piece.text:
                    yield piece
                piece = next(it)
        except StopIteration:
            finished = True
            cut = StreamInterruptedError(f"{slot.provider} model {slot.model!r}: the stream ended without its final "
                                         "event", provider=slot.provider, model=slot.model)
            self._attempt_done(req, slot, _took(info, started, cut), Usage())
            raise cut from None
        except StreamInterruptedError as exc:
            finished = True
            self._attempt_done(req, slot, _took(info, started, exc), exc.usage or Usage())
            raise
        finally:
            if not finished:  # the consumer closed us early (or an unexpected error)
                it.close()
                used = it.usage or Usage()
                self._attempt_done(req, slot, _took(info, started), used, outcome="cancelled")

    # ---- what the caller records ------------------------------------------------------------------
    def record_hit(self, route: str, cached: Completion, *, kind: str, saved_usd: float | None,
                   query_id: str | None = None, stage: str = "generate", decision: RoutingDecision | None = None,
                   latency_s: float = 0.0) -> Generation:
        """A cache hit served above the gateway (the semantic cache): one `cache_hit` row, $0."""
        req = self._request(route, (), query_id, stage, "", False, decision)
        return self._cache_hit(req, kind, cached, saved_usd, latency_s)

    def record_free(self, route: str, completion: Completion, *, query_id: str | None = None,
                    stage: str = "generate", decision: RoutingDecision | None = None) -> Generation:
        """A generation made without any API (the offline generator): one `ok` row at $0."""
        req = self._request(route, (), query_id, stage, "", False, decision)
        row = self._record(req, completion.provider, completion.model, "ok", usage=completion.usage, cost=0.0,
                           est=None, latency=completion.latency_s, attempt=1, error=None)
        attempt = AttemptRecord(route, completion.provider, completion.model, 1, "ok", completion.latency_s,
                                completion.usage, 0.0)
        return Generation(replace(completion, cost_usd=0.0), 0.0, completion.usage, attempts=(attempt,),
                          notes=tuple(req.notes.lines), ledger_row=row)

    def set_counterfactual(self, row_id: int | None, usd: float | None) -> str | None:
        """What the answer of ledger row `row_id` would have cost on the always-large route; a
        warning when it cannot be written (the answer stands; only the savings figure is missing)."""
        if self.ledger is None or row_id is None:
            return None
        try:
            self.ledger.set_counterfactual(row_id, usd)
        except LedgerError as exc:
            return f"the always-large counterfactual was not recorded: {exc.reason}"
        return None

    def priced_on(self, route: str, usage: Usage, messages: Sequence[Message] = (), text: str = "") -> float | None:
        """What `usage` costs on `route`'s primary model; with no usage (a free generator's answer),
        the tokens that model would see: the prompt `messages` and the answer `text`."""
        slot = self.routes[route][0]
        if usage == Usage():
            from ragkit.models.tokens import count_tokens

            usage = Usage(estimate_tokens(messages, slot.model), count_tokens(text))
        return self.prices.cost(slot.model, usage)

    # ---- the chain and its rows -------------------------------------------------------------------
    def _request(self, route: str, messages: Sequence[Message], query_id: str | None, stage: str,
                 template_version: str, use_cache: bool, decision: RoutingDecision | None) -> _Request:
        if messages and route not in self.routes:
            raise KeyError(f"the gateway has no {route!r} route (it has {sorted(self.routes) or 'none'})")
        decision = decision or RoutingDecision("none", route, "routing off")
        return _Request(route, uuid.uuid4().hex, query_id, stage, self.clock.monotonic() + self.retry.deadline_s,
                        list(messages), template_version, use_cache, decision)

    def _exact_hit(self, req: _Request, t0: float) -> Generation | None:
        if self.exact_cache is None or not req.use_cache:
            return None
        for slot in self.routes[req.route]:
            got = self.exact_cache.get_completion(self._key(slot, req))
            if got is not None:
                req.notes.add(f"exact cache hit for {slot.model}")
                return self._cache_hit(req, "exact", got[0], got[1], time.perf_counter() - t0)
        return None

    def _chain(self, req: _Request, call, after) -> tuple[Completion, ModelSlot]:
        def before_attempt(slot: ModelSlot, n: int) -> None:
            self.ledger_ready(slot.provider, slot.model, req.stage)
            if self.budget is not None and self.budget.active:
                est = estimate_cost(self.prices, slot.model, self._tokens(slot, req), slot.max_tokens,
                                    cached_prefix=any(m.cache for m in req.messages), provider=slot.provider)
                req.estimates[slot.key] = est
                self.budget.check(est, provider=slot.provider, model=slot.model, stage=req.stage)

        return run_chain(self.routes[req.route], call, policy=self.retry, cooldowns=self.cooldowns, clock=self.clock,
                         uniform=self.rng.random, deadline_at=req.deadline_at, before_attempt=before_attempt,
                         after_attempt=after, does_not_fit=lambda s: self._does_not_fit(s, req), notes=req.notes,
                         route=req.route)

    def _attempt_done(self, req: _Request, slot: ModelSlot, info: AttemptInfo, usage: Usage | None,
                      outcome: str | None = None) -> None:
        """One attempt's row: billed by its usage (a request that failed before any token: $0)."""
        cost = 0.0 if usage is None else self.prices.cost(slot.model, usage)  # a failed request is not billed
        usage = usage if usage is not None else Usage()
        outcome = outcome or ("ok" if info.error is None else type(info.error).__name__)
        err = None if info.error is None else str(info.error)[:500]
        req.attempts.append(AttemptRecord(req.route, slot.provider, slot.model, info.attempt, outcome, info.latency_s,
                                          usage, cost, err))
        req.last_row = self._record(req, slot.provider, slot.model, outcome, usage=usage, cost=cost,
                                    est=req.estimates.get(slot.key), latency=info.latency_s, attempt=info.attempt,
                                    error=err)
        if self.budget is not None:
            self.budget.add(cost)

    def _finish(self, req: _Request, slot: ModelSlot, completion: Completion, t0: float) -> Generation:
        if self.exact_cache is not None and req.use_cache:
            self.exact_cache.set_completion(self._key(slot, req), completion, completion.cost_usd)
        return Generation(completion, _total(req.attempts), _usage(req.attempts), attempts=tuple(req.attempts),
                          notes=tuple(req.notes.lines), ledger_row=req.last_row)

    def _key(self, slot: ModelSlot, req: _Request) -> str:
        params = {"max_tokens": slot.max_tokens, "temperature": slot.temperature}
        return exact_key(provider=slot.provider, model=slot.model, base_url=slot.base_url, messages=req.messages,
                         params=params, template_version=req.template_version)

    def _tokens(self, slot: ModelSlot, req: _Request) -> int:
        if slot.model not in req.tokens:
            req.tokens[slot.model] = estimate_tokens(req.messages, slot.model)
        return req.tokens[slot.model]

    def _does_not_fit(self, slot: ModelSlot, req: _Request) -> str | None:
        window = slot.context_window
        if window is None:
            return None
        upper = sum(len(m.content.encode("utf-8")) for m in req.messages) + _FORMAT_OVERHEAD_TOKENS
        if upper + slot.max_tokens <= window:  # fits for certain, no need to count
            return None
        tokens = self._tokens(slot, req)
        if tokens + slot.max_tokens > window:
            return (f"prompt of ~{tokens} tokens + max_tokens {slot.max_tokens} exceeds its context window "
                    f"of {window}")
        return None

    def _cache_hit(self, req: _Request, kind: str, cached: Completion, saved: float | None,
                   latency: float) -> Generation:
        completion = replace(cached, cost_usd=0.0, latency_s=latency)
        attempt = AttemptRecord(req.route, cached.provider, cached.model, 1, "cache_hit", latency, Usage(), 0.0)
        row = self._record(req, cached.provider, cached.model, "cache_hit", usage=Usage(), cost=0.0, est=None,
                           latency=latency, attempt=1, error=None, cache_hit=kind, saved=saved)
        return Generation(completion, 0.0, Usage(), cache_hit=kind, saved_usd=saved, attempts=(attempt,),
                          notes=tuple(req.notes.lines), ledger_row=row)

    def _record(self, req: _Request, provider: str, model: str, outcome: str, *, usage: Usage, cost: float | None,
                est: float | None, latency: float, attempt: int, error: str | None,
                cache_hit: str | None = None, saved: float | None = None) -> int | None:
        if self.ledger is None:
            return None
        row = LedgerRow(
            ts=self.clock.time(), run_id=self.run_id, request_id=req.request_id, stage=req.stage,
            provider=provider, model=model, outcome=outcome, query_id=req.query_id,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_usd=cost, est_cost_usd=est, latency_s=latency, error=error, attempt=attempt, cache_hit=cache_hit,
            saved_usd=saved, route=req.decision.route, routing=req.decision.to_json())
        row_id, warning = self.ledger.record_or_keep(row)
        if warning:
            req.notes.add(warning)
        return row_id

    def is_free(self, provider: str, model: str) -> bool:
        """A model priced at zero for every token kind (nothing to record before the call)."""
        price = self.prices.get(model)
        if price is None:
            return False
        rates = [r for r in (price.rates, price.long_rates) if r is not None]
        return not any((r.input, r.output, r.cache_read, r.cache_write) != (0, 0, 0, 0) for r in rates)

    def ledger_ready(self, provider: str, model: str, stage: str) -> None:
        """Before a paid call: raise LedgerError (the call is not made) when the ledger cannot record it."""
        if self.ledger is None or self.is_free(provider, model):
            return
        try:
            self.ledger.ensure_ready()
        except LedgerError as exc:
            raise LedgerError(f"the {stage} call to {provider} model {model!r} was not made: {exc}", path=exc.path,
                              reason=exc.reason, damaged=exc.damaged) from exc

    def embedding_runner(self, stage: str = "embed"):
        """A runner for `OpenAIEmbedder(runner=...)` sharing this gateway's ledger, budget and retries."""
        from ragkit.orchestrate.meter import LedgerEmbeddingRunner

        return LedgerEmbeddingRunner(self, stage=stage)

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id}
        if self.exact_cache is not None:
            out["exact_cache"] = {"hits": self.exact_cache.hits, "misses": self.exact_cache.misses}
        return out

    def close(self) -> None:
        seen: set[int] = set()
        for slots in self.routes.values():
            for slot in slots:
                if id(slot.llm) not in seen:
                    seen.add(id(slot.llm))
                    slot.llm.close()
        for part in (self.exact_cache, self.ledger):
            if part is not None:
                part.close()

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _took(info: AttemptInfo, started: float, error: BaseException | None = None) -> AttemptInfo:
    """The opening attempt's info, its latency extended to the end of the stream."""
    return replace(info, latency_s=info.latency_s + (time.perf_counter() - started), error=error)


def _total(attempts: Sequence[AttemptRecord]) -> float | None:
    costs = [a.cost_usd for a in attempts]
    return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]


def _usage(attempts: Sequence[AttemptRecord]) -> Usage:
    total = Usage()
    for a in attempts:
        total = total + a.usage
    return total
