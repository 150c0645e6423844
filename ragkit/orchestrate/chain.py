"""A route's fallback chain: each model with retries; the next model when retries are exhausted.

Policy per error type (ragkit/errors.py): retryable errors are retried on the same model with
backoff; errors that allow fallback move on to the next model; the others (authentication, bad
request, content filtered) fail at once. On context overflow only models with a LARGER known
context window are tried next. A model cooling down is skipped; retryable failures count towards
its cooldown, a success resets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ragkit.errors import (
    AllModelsFailedError,
    ContextWindowExceededError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
)
from ragkit.orchestrate.clock import Clock
from ragkit.orchestrate.cooldown import Cooldowns
from ragkit.orchestrate.retry import AttemptInfo, DeadlineExceededError, RetryPolicy, run_with_retries
from ragkit.types import Completion

_COOLDOWN_ERRORS = (RateLimitedError, ProviderTimeoutError, ServerError, MalformedResponseError)


@dataclass
class ModelSlot:
    """One model of a route's chain, with its own call parameters."""

    llm: Any  # satisfies ragkit.protocols.LLM
    provider: str
    model: str
    max_tokens: int = 512
    temperature: float = 0.1
    timeout_s: float = 30.0
    context_window: int | None = None
    base_url: str | None = None

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.base_url or ''}:{self.model}"


@dataclass
class ChainNotes:
    """What happened besides attempts: skipped models and why retrying stopped."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def run_chain(
    slots: Sequence[ModelSlot],
    call_slot: Callable[[ModelSlot, float], Completion],
    *,
    policy: RetryPolicy,
    cooldowns: Cooldowns,
    clock: Clock,
    uniform: Callable[[], float],
    deadline_at: float,
    before_attempt: Callable[[ModelSlot, int], None],
    after_attempt: Callable[[ModelSlot, AttemptInfo, Completion | None], None],
    does_not_fit: Callable[[ModelSlot], str | None] = lambda slot: None,
    notes: ChainNotes | None = None,
    route: str = "route",
) -> tuple[Completion, ModelSlot]:
    """The first completion the chain produces, and the slot that produced it."""
    notes = notes if notes is not None else ChainNotes()
    errors: list[ProviderError] = []
    overflow_window: int | None = None
    overflowed = False
    for slot in slots:
        left = cooldowns.remaining(slot.key)
        if left > 0:
            notes.add(f"{slot.model}: skipped, cooling down for {left:.1f}s more")
            continue
        if (overflowed and overflow_window is not None and slot.context_window is not None
                and slot.context_window <= overflow_window):
            notes.add(f"{slot.model}: skipped after a context overflow, its window {slot.context_window} is not "
                      f"larger than {overflow_window}")
            continue
        why = does_not_fit(slot)
        if why:
            notes.add(f"{slot.model}: skipped, {why}")
            errors.append(ContextWindowExceededError(f"{slot.provider} model {slot.model!r}: {why}",
                                                     provider=slot.provider, model=slot.model))
            overflowed = True
            if slot.context_window is not None:
                overflow_window = max(overflow_window or 0, slot.context_window)
            continue

        def after(info: AttemptInfo, completion: Completion | None, slot: ModelSlot = slot) -> None:
            if info.error is None:
                cooldowns.success(slot.key)
            elif isinstance(info.error, _COOLDOWN_ERRORS) and cooldowns.failure(slot.key):
                notes.add(f"{slot.model}: cooling down for {cooldowns.seconds:g}s after "
                          f"{cooldowns.after} consecutive failures")
            after_attempt(slot, info, completion)

        try:
            completion = run_with_retries(
                lambda timeout, slot=slot: call_slot(slot, min(timeout, slot.timeout_s)),
                policy=policy,
                clock=clock,
                uniform=uniform,
                deadline_at=deadline_at,
                before=lambda n, slot=slot: before_attempt(slot, n),
                after=after,
                cooling=lambda slot=slot: cooldowns.remaining(slot.key) > 0,
                gave_up=lambda reason, slot=slot: notes.add(f"{slot.model}: stopped retrying: {reason}"),
                what=f"{slot.provider} model {slot.model!r}",
            )
            return completion, slot
        except DeadlineExceededError as err:
            errors.append(err)
            break
        except ProviderError as err:
            errors.append(err)
            if isinstance(err, ContextWindowExceededError):
                overflowed = True
                if slot.context_window is not None:
                    overflow_window = max(overflow_window or 0, slot.context_window)
                continue
            if not err.fallback:
                raise
    tried = "; ".join(f"{type(e).__name__}: {e}" for e in errors) or "every model is cooling down"
    skipped = (" (" + "; ".join(notes.lines) + ")") if notes.lines else ""
    raise AllModelsFailedError(f"{route} route: no model produced an answer: {tried}{skipped}", errors)
