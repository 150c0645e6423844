"""The gateway: every LLM call of an `ask` goes through here.

For one request it: looks up the semantic cache (when given a `SemanticKey`), picks a route
(`none` / `policy` / `cascade`), looks up the exact cache, runs the route's fallback chain (budget
check before each attempt, retries, cooldowns), writes one ledger row per attempt and per cache hit,
escalates small -> large in cascade mode, stores the answer in the caches, and returns a
`GatewayResult` with the completion, its cost, the routing decision and every attempt.

    result = gateway.complete(messages, query_id=qid, stage="generate", features=features,
                              verify=verify, context=GenerationContext(question, chunks),
                              semantic=SemanticKey(question, chunk_ids, index_version, query_vector),
                              template_version=cfg.answer.prompt_version)

`verify(completion) -> VerificationResult(ok, reason, abstained)` is the application's hook. It is
called at most once per completion: in cascade mode on the small route's answer (to decide the
escalation), and on the final answer before it is stored in the semantic cache (an abstention or
an answer that fails verification is never cached), or whenever it is given; its result is
returned as `GatewayResult.verification`.

Raises `BudgetExceededError` (the call was not made), `LedgerError` (the ledger cannot record a
paid call, so it was not made; free calls - the offline extractive generator, zero-priced models -
still run), `AllModelsFailedError` (every model of the route failed or is cooling down; `.errors`
holds the typed causes), or a fail-now `ProviderError` (AuthenticationError, BadRequestError,
ContentFilteredError) as it is. A row that cannot be written after the call never loses the
answer: it is kept in the ledger's pending file and `GatewayResult.notes` says so.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from ragkit.config.orchestrate import RoutingConfig
from ragkit.errors import LedgerError
from ragkit.models.llm.base import GenerationContext
from ragkit.models.llm.factory import call_llm
from ragkit.models.prices import PriceTable
from ragkit.orchestrate.budget import BudgetGuard, estimate_cost, estimate_tokens
from ragkit.orchestrate.cache_exact import ExactCache, exact_key
from ragkit.orchestrate.cache_semantic import SemanticCache
from ragkit.orchestrate.chain import ChainNotes, ModelSlot, run_chain
from ragkit.orchestrate.clock import Clock, SystemClock
from ragkit.orchestrate.cooldown import Cooldowns
from ragkit.orchestrate.ledger import Ledger, LedgerRow
from ragkit.orchestrate.retry import AttemptInfo, RetryPolicy
from ragkit.orchestrate.router import (
    RoutingDecision,
    RoutingFeatures,
    VerificationResult,
    VerifyFn,
    cascade_escalation,
    default_verification,
    policy_route,
)
from ragkit.types import Completion, Message, Usage

_FORMAT_OVERHEAD_TOKENS = 64  # chat wrapping; a prompt of B utf-8 bytes has at most B tokens


@dataclass(frozen=True)
class SemanticKey:
    """What the semantic cache needs: the question, the evidence retrieved now, the index version."""

    question: str
    evidence_ids: tuple[str, ...]
    index_version: str
    vector: np.ndarray | None = field(default=None, compare=False)  # the query embedding, if at hand


@dataclass(frozen=True)
class AttemptRecord:
    route: str
    provider: str
    model: str
    attempt: int
    outcome: str  # "ok", "cache_hit" or the error class name
    latency_s: float
    usage: Usage = Usage()
    cost_usd: float | None = 0.0
    error: str | None = None


@dataclass(frozen=True)
class GatewayResult:
    completion: Completion  # the answer; cost_usd is what THIS request paid for it (0.0 on a cache hit)
    request_id: str
    query_id: str | None
    decision: RoutingDecision
    cache_hit: str | None  # None | "exact" | "semantic"
    cost_usd: float | None  # every attempt of this request; None when a price is unknown
    saved_usd: float | None  # a cache hit: what the cached answer cost when it was made
    usage: Usage  # summed over the attempts that returned
    attempts: tuple[AttemptRecord, ...]
    latency_s: float
    verification: VerificationResult | None = None
    notes: tuple[str, ...] = ()


@dataclass
class _Request:
    request_id: str
    query_id: str | None
    stage: str
    deadline_at: float
    messages: Sequence[Message]
    context: GenerationContext | None
    template_version: str
    use_cache: bool
    attempts: list[AttemptRecord] = field(default_factory=list)
    notes: ChainNotes = field(default_factory=ChainNotes)
    tokens: dict[str, int] = field(default_factory=dict)  # estimated prompt tokens per model
    last_row: int | None = None


class Gateway:
    def __init__(self, routes: Mapping[str, Sequence[ModelSlot]], *, prices: PriceTable,
                 routing: RoutingConfig | None = None, retry: RetryPolicy | None = None, ledger: Ledger | None = None,
                 budget: BudgetGuard | None = None, exact_cache: ExactCache | None = None,
                 semantic_cache: SemanticCache | None = None, clock: Clock | None = None,
                 rng: random.Random | None = None, run_id: str | None = None):
        if not routes.get("small"):
            raise ValueError("the gateway needs a 'small' route with at least one model")
        self.routes = {k: list(v) for k, v in routes.items() if v}
        self.prices = prices
        self.routing = routing or RoutingConfig()
        self.retry = retry or RetryPolicy()
        self.ledger = ledger
        self.clock = clock or SystemClock()
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.budget = budget
        self.exact_cache = exact_cache
        self.semantic_cache = semantic_cache
        self.rng = rng or random.Random()
        self.cooldowns = Cooldowns(self.retry.cooldown_after, self.retry.cooldown_s, self.clock)

    # ---- the one call ---------------------------------------------------------------------------
    def complete(self, messages: Sequence[Message], *, query_id: str | None = None, stage: str = "generate",
                 features: RoutingFeatures | None = None, verify: VerifyFn | None = None,
                 context: GenerationContext | None = None, semantic: SemanticKey | None = None,
                 template_version: str = "v1", use_cache: bool = True) -> GatewayResult:
        t0 = time.perf_counter()
        req = _Request(uuid.uuid4().hex, query_id, stage, self.clock.monotonic() + self.retry.deadline_s,
                       list(messages), context, template_version, use_cache)
        mode = self.routing.mode
        has_large = "large" in self.routes

        if semantic is not None and self.semantic_cache is not None and use_cache:
            look = self.semantic_cache.lookup(semantic.question, evidence_ids=semantic.evidence_ids,
                                              index_version=semantic.index_version, vector=semantic.vector)
            req.notes.add(f"semantic cache {look.reason}")
            if look.hit and look.completion is not None:
                decision = RoutingDecision(mode, "cache", f"semantic cache hit (similarity {look.similarity:.3f})")
                return self._cache_hit(req, "semantic", look.completion, look.cost_usd, decision, "cache", t0)

        if mode == "policy" and has_large:
            route, reason = policy_route(features, self.routing)
        elif mode == "cascade" and has_large:
            route, reason = "small", "cascade: the small route answers first"
        else:
            route, reason = "small", "routing off" if mode == "none" else f"{mode} routing, but no large route"
        decision = RoutingDecision(mode, route, reason)
        result = self._run_route(route, decision, req, t0)
        if result.cache_hit is not None and not (mode == "cascade" and route == "small" and has_large):
            return result

        memo: dict[int, VerificationResult] = {}

        def verified(c: Completion) -> VerificationResult:
            if id(c) not in memo:
                memo[id(c)] = (verify or default_verification)(c)
            return memo[id(c)]

        verification = None
        if mode == "cascade" and has_large and route == "small":
            verification = verified(result.completion)
            why = cascade_escalation(verification, features, self.routing)
            if why:
                decision = RoutingDecision(mode, "large", reason, escalated=True, escalation_reason=why)
                req.notes.add(f"escalated: {why}")
                result = self._run_route("large", decision, req, t0)
                verification = None
        final = result.completion
        if result.cache_hit is None:
            self._counterfactual(req, final, has_large)
        if semantic is not None and self.semantic_cache is not None and use_cache and result.cache_hit is None:
            verification = verification or verified(final)
            if verification.ok and not verification.abstained:
                self.semantic_cache.store(semantic.question, final, evidence_ids=semantic.evidence_ids,
                                          index_version=semantic.index_version, cost_usd=final.cost_usd,
                                          vector=semantic.vector)
        elif verify is not None and verification is None:
            verification = verified(final)
        return replace(result, decision=decision, verification=verification, cost_usd=_total(req.attempts),
                       usage=_usage(req.attempts), attempts=tuple(req.attempts), notes=tuple(req.notes.lines),
                       latency_s=time.perf_counter() - t0)

    # ---- one route: exact cache, then the chain ---------------------------------------------------
    def _run_route(self, route: str, decision: RoutingDecision, req: _Request, t0: float) -> GatewayResult:
        slots = self.routes[route]
        cacheable = self.exact_cache is not None and req.use_cache
        if cacheable:
            for slot in slots:
                if slot.provider == "extractive":
                    continue
                got = self.exact_cache.get_completion(self._key(slot, req))
                if got is not None:
                    req.notes.add(f"exact cache hit for {slot.model}")
                    return self._cache_hit(req, "exact", got[0], got[1], decision, route, t0)

        def call_slot(slot: ModelSlot, timeout_s: float) -> Completion:
            return call_llm(slot.llm, req.messages, max_tokens=slot.max_tokens, temperature=slot.temperature,
                            timeout_s=timeout_s, context=req.context)

        estimates: dict[str, float | None] = {}

        def before_attempt(slot: ModelSlot, n: int) -> None:
            self.ledger_ready(slot.provider, slot.model, req.stage)
            if self.budget is not None and self.budget.active:
                est = estimate_cost(self.prices, slot.model, self._tokens(slot, req), slot.max_tokens,
                                    cached_prefix=any(m.cache for m in req.messages), provider=slot.provider)
                estimates[slot.key] = est
                self.budget.check(est, provider=slot.provider, model=slot.model, stage=req.stage)

        def after_attempt(slot: ModelSlot, info: AttemptInfo, completion: Completion | None) -> None:
            usage = completion.usage if completion is not None else Usage()
            if completion is None:
                cost: float | None = 0.0  # a failed request is not billed
            elif completion.cost_usd is not None:
                cost = completion.cost_usd
            else:
                cost = self.prices.cost(slot.model, usage)
            outcome = "ok" if info.error is None else type(info.error).__name__
            err = None if info.error is None else str(info.error)[:500]
            req.attempts.append(AttemptRecord(route, slot.provider, slot.model, info.attempt, outcome,
                                              info.latency_s, usage, cost, err))
            req.last_row = self._record(req, slot.provider, slot.model, outcome, usage=usage, cost=cost,
                                        est=estimates.get(slot.key), latency=info.latency_s, attempt=info.attempt,
                                        error=err, decision=decision)
            if self.budget is not None:
                self.budget.add(cost)

        completion, slot = run_chain(
            slots, call_slot, policy=self.retry, cooldowns=self.cooldowns, clock=self.clock,
            uniform=self.rng.random, deadline_at=req.deadline_at, before_attempt=before_attempt,
            after_attempt=after_attempt, does_not_fit=lambda s: self._does_not_fit(s, req), notes=req.notes,
            route=route)
        completion = replace(completion, cost_usd=req.attempts[-1].cost_usd)
        if cacheable and slot.provider != "extractive":
            self.exact_cache.set_completion(self._key(slot, req), completion, completion.cost_usd)
        return GatewayResult(completion, req.request_id, req.query_id, decision, None, None, None, Usage(), (),
                             time.perf_counter() - t0)

    # ---- helpers --------------------------------------------------------------------------------
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
        if window is None or slot.provider == "extractive":
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
                   decision: RoutingDecision, route: str, t0: float) -> GatewayResult:
        latency = time.perf_counter() - t0
        completion = replace(cached, cost_usd=0.0, latency_s=latency)
        req.attempts.append(AttemptRecord(route, cached.provider, cached.model, 1, "cache_hit", latency, Usage(), 0.0))
        self._record(req, cached.provider, cached.model, "cache_hit", usage=Usage(), cost=0.0, est=None,
                     latency=latency, attempt=1, error=None, decision=decision, cache_hit=kind, saved=saved)
        return GatewayResult(completion, req.request_id, req.query_id, decision, kind, 0.0, saved, Usage(),
                             tuple(req.attempts), latency, None, tuple(req.notes.lines))

    def _record(self, req: _Request, provider: str, model: str, outcome: str, *, usage: Usage, cost: float | None,
                est: float | None, latency: float, attempt: int, error: str | None, decision: RoutingDecision,
                cache_hit: str | None = None, saved: float | None = None) -> int | None:
        if self.ledger is None:
            return None
        row = LedgerRow(
            ts=self.clock.time(), run_id=self.run_id, request_id=req.request_id, stage=req.stage,
            provider=provider, model=model, outcome=outcome, query_id=req.query_id,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_usd=cost, est_cost_usd=est, latency_s=latency, error=error, attempt=attempt, cache_hit=cache_hit,
            saved_usd=saved, route=decision.route, routing=decision.to_json())
        row_id, warning = self.ledger.record_or_keep(row)
        if warning:
            req.notes.add(warning)
        return row_id

    def is_free(self, provider: str, model: str) -> bool:
        """The offline extractive generator, or a model priced at zero for every token kind."""
        if provider == "extractive":
            return True
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

    def _counterfactual(self, req: _Request, final: Completion, has_large: bool) -> None:
        """On the final row: what the answer would have cost on the large route's primary model."""
        if not has_large or self.ledger is None or req.last_row is None:
            return
        large = self.routes["large"][0]
        usage = final.usage
        if usage == Usage():  # the extractive provider reports no tokens: count what a model would see
            from ragkit.models.tokens import count_tokens

            usage = Usage(self._tokens(large, req), count_tokens(final.text))
        cf = 0.0 if large.provider == "extractive" else self.prices.cost(large.model, usage)
        try:
            self.ledger.set_counterfactual(req.last_row, cf)
        except LedgerError as exc:  # the answer stands; only the routing-savings figure is missing
            req.notes.add(f"the always-large counterfactual was not recorded: {exc.reason}")

    def embedding_runner(self, stage: str = "embed"):
        """A runner for `OpenAIEmbedder(runner=...)` sharing this gateway's ledger, budget and retries."""
        from ragkit.orchestrate.meter import LedgerEmbeddingRunner

        return LedgerEmbeddingRunner(self, stage=stage)

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id}
        if self.exact_cache is not None:
            out["exact_cache"] = {"hits": self.exact_cache.hits, "misses": self.exact_cache.misses}
        if self.semantic_cache is not None:
            out["semantic_cache"] = self.semantic_cache.stats()
        return out

    def close(self) -> None:
        seen: set[int] = set()
        for slots in self.routes.values():
            for slot in slots:
                if id(slot.llm) not in seen:
                    seen.add(id(slot.llm))
                    close = getattr(slot.llm, "close", None)
                    if callable(close):
                        close()
        for part in (self.exact_cache, self.semantic_cache, self.ledger):
            if part is not None:
                part.close()

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _total(attempts: Sequence[AttemptRecord]) -> float | None:
    costs = [a.cost_usd for a in attempts]
    return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]


def _usage(attempts: Sequence[AttemptRecord]) -> Usage:
    total = Usage()
    for a in attempts:
        total = total + a.usage
    return total
