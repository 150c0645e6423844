"""Retries for one model: exponential backoff with full jitter, Retry-After honoured, a deadline.

`backoff_delay` and `retry_delay` are pure; `run_with_retries` is the loop, with time and randomness
passed in (a `Clock` and a uniform [0, 1) source) so it is deterministic under a `ManualClock`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from ragkit.errors import ProviderError, ProviderTimeoutError, RateLimitedError
from ragkit.orchestrate.clock import Clock

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # per model, first try included
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    deadline_s: float = 60.0  # per request, across retries and fallbacks
    cooldown_after: int = 3
    cooldown_s: float = 60.0

    @classmethod
    def from_config(cls, cfg) -> "RetryPolicy":
        return cls(cfg.max_attempts, cfg.base_delay_s, cfg.max_delay_s, cfg.deadline_s, cfg.cooldown_after,
                   cfg.cooldown_s)


def backoff_delay(retry_index: int, base_s: float, cap_s: float, u: float) -> float:
    """Full jitter: u * min(cap, base * 2**retry_index), with u uniform in [0, 1). Pure."""
    ceiling = min(cap_s, base_s * (2.0 ** min(retry_index, 60)))
    return max(0.0, u) * ceiling


def retry_delay(err: ProviderError, retry_index: int, policy: RetryPolicy, u: float) -> float:
    """Seconds before the next try: the provider's Retry-After when it sent one, else full jitter."""
    if isinstance(err, RateLimitedError) and err.retry_after is not None:
        return err.retry_after
    return backoff_delay(retry_index, policy.base_delay_s, policy.max_delay_s, u)


class DeadlineExceededError(ProviderTimeoutError):
    """The request's total deadline passed before the call could be (re)tried."""


@dataclass(frozen=True)
class AttemptInfo:
    attempt: int  # 1-based, per model
    latency_s: float
    error: ProviderError | None


def run_with_retries(
    call: Callable[[float], T],
    *,
    policy: RetryPolicy,
    clock: Clock,
    uniform: Callable[[], float],
    deadline_at: float,
    before: Callable[[int], None] = lambda n: None,
    after: Callable[[AttemptInfo, T | None], None] = lambda info, result: None,
    cooling: Callable[[], bool] = lambda: False,
    gave_up: Callable[[str], None] = lambda reason: None,
    what: str = "call",
) -> T:
    """Call `call(timeout_s)` until it succeeds, a non-retryable error, max_attempts, or the deadline.

    `before(n)` runs before attempt n (a budget check may raise there: no call is made); `after`
    gets each attempt's outcome exactly once; `gave_up(reason)` says why retrying stopped. Raises
    the last ProviderError when giving up.
    """
    last: ProviderError | None = None
    for n in range(1, policy.max_attempts + 1):
        remaining = deadline_at - clock.monotonic()
        if remaining <= 0:
            raise DeadlineExceededError(
                f"{what}: request deadline of {policy.deadline_s:g}s passed after {n - 1} attempt(s)"
                + (f"; last error: {last}" if last else "") + "; raise retry.deadline_s",
                provider=getattr(last, "provider", ""), model=getattr(last, "model", ""))
        before(n)
        t0 = time.perf_counter()
        try:
            result = call(remaining)
        except ProviderError as err:
            latency = time.perf_counter() - t0
            last = err
            after(AttemptInfo(n, latency, err), None)
            reason = _give_up_reason(err, n, policy, clock, deadline_at, cooling, uniform)
            if isinstance(reason, str):
                gave_up(reason)
                raise
            clock.sleep(reason)
            continue
        after(AttemptInfo(n, time.perf_counter() - t0, None), result)
        return result
    raise AssertionError("unreachable")  # the last attempt always returns or raises


def _give_up_reason(err: ProviderError, n: int, policy: RetryPolicy, clock: Clock, deadline_at: float,
                    cooling: Callable[[], bool], uniform: Callable[[], float]) -> str | float:
    """A reason string to stop retrying this model, or the delay before the next attempt."""
    if not err.retryable:
        return f"{type(err).__name__} is not retried"
    if n >= policy.max_attempts:
        return f"{policy.max_attempts} attempts made"
    if cooling():
        return "model is cooling down"
    delay = retry_delay(err, n - 1, policy, uniform())
    if isinstance(err, RateLimitedError) and err.retry_after is not None and delay > policy.max_delay_s:
        return f"Retry-After {delay:g}s is over retry.max_delay_s {policy.max_delay_s:g}s"
    if clock.monotonic() + delay >= deadline_at:
        return f"waiting {delay:.2f}s would pass the request deadline"
    return delay
