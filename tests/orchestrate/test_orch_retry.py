"""Backoff maths, the retry loop under a ManualClock (deterministic, instant), cooldowns."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ragkit.errors import AuthenticationError, RateLimitedError, ServerError
from ragkit.orchestrate.clock import ManualClock
from ragkit.orchestrate.cooldown import Cooldowns
from ragkit.orchestrate.retry import (
    DeadlineExceededError,
    RetryPolicy,
    backoff_delay,
    retry_delay,
    run_with_retries,
)

pytestmark = pytest.mark.unit


@given(st.integers(0, 80), st.floats(0, 5), st.floats(0, 100), st.floats(0, 0.999999))
def test_full_jitter_stays_within_the_exponential_ceiling(n, base, cap, u):
    d = backoff_delay(n, base, cap, u)
    assert 0 <= d <= min(cap, base * 2.0 ** min(n, 60)) + 1e-12


def test_backoff_values_by_hand():
    assert backoff_delay(0, 0.5, 20, 0.5) == 0.25
    assert backoff_delay(3, 0.5, 20, 0.5) == 2.0
    assert backoff_delay(10, 0.5, 20, 0.5) == 10.0  # capped at 20 * u


def test_retry_after_wins_over_jitter():
    policy = RetryPolicy(base_delay_s=1.0)
    assert retry_delay(RateLimitedError("x", retry_after=7.0), 0, policy, 0.1) == 7.0
    assert retry_delay(RateLimitedError("x"), 2, policy, 0.5) == 2.0
    assert retry_delay(ServerError("x"), 1, policy, 0.5) == 1.0


class Script:
    """A call that fails with the given errors in order, then returns 'done'."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.timeouts: list[float] = []

    def __call__(self, timeout):
        self.timeouts.append(timeout)
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_retries_to_success_with_deterministic_sleeps():
    clock = ManualClock()
    rng = random.Random(7)
    policy = RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=20, deadline_s=60)
    call = Script(ServerError("a"), RateLimitedError("b", retry_after=3.0))
    infos = []
    out = run_with_retries(call, policy=policy, clock=clock, uniform=rng.random, deadline_at=60.0,
                           after=lambda info, result: infos.append((info.attempt, type(info.error).__name__)))
    assert out == "done"
    assert infos == [(1, "ServerError"), (2, "RateLimitedError"), (3, "NoneType")]
    expected_first = random.Random(7).random() * 0.5  # full jitter of retry 0
    assert clock.sleeps == [pytest.approx(expected_first), 3.0]
    assert call.timeouts[0] == 60.0 and call.timeouts[2] == pytest.approx(60.0 - expected_first - 3.0)


def test_non_retryable_fails_at_once_and_max_attempts_is_respected():
    clock = ManualClock()
    with pytest.raises(AuthenticationError):
        run_with_retries(Script(AuthenticationError("no")), policy=RetryPolicy(), clock=clock,
                         uniform=lambda: 0.5, deadline_at=60)
    assert clock.sleeps == []
    reasons = []
    call = Script(*[ServerError(str(i)) for i in range(9)])
    with pytest.raises(ServerError):
        run_with_retries(call, policy=RetryPolicy(max_attempts=3), clock=clock, uniform=lambda: 0.5,
                         deadline_at=1e9, gave_up=reasons.append)
    assert len(call.timeouts) == 3 and reasons == ["3 attempts made"]


def test_deadline_stops_retrying_and_long_retry_after_is_not_waited():
    clock = ManualClock()
    policy = RetryPolicy(max_attempts=10, base_delay_s=4, max_delay_s=30, deadline_s=10)
    reasons = []
    call = Script(*[ServerError(str(i)) for i in range(10)])
    with pytest.raises(ServerError):
        run_with_retries(call, policy=policy, clock=clock, uniform=lambda: 0.99, deadline_at=10.0,
                         gave_up=reasons.append)
    assert sum(clock.sleeps) < 10.0 and "deadline" in reasons[-1]
    reasons.clear()
    with pytest.raises(RateLimitedError):
        run_with_retries(Script(RateLimitedError("x", retry_after=120)), policy=policy, clock=ManualClock(),
                         uniform=lambda: 0.5, deadline_at=1e9, gave_up=reasons.append)
    assert "Retry-After 120s" in reasons[0]


def test_passed_deadline_raises_before_calling():
    clock = ManualClock()
    clock.advance(5)
    call = Script()
    with pytest.raises(DeadlineExceededError, match="deadline"):
        run_with_retries(call, policy=RetryPolicy(), clock=clock, uniform=lambda: 0.5, deadline_at=5.0)
    assert call.timeouts == []


def test_cooldown_after_consecutive_failures_and_recovery():
    clock = ManualClock()
    cd = Cooldowns(after=3, seconds=60, clock=clock)
    assert not cd.failure("m") and not cd.failure("m")
    cd.success("m")  # a success resets the count
    assert not cd.failure("m") and not cd.failure("m")
    assert cd.failure("m") and cd.remaining("m") == 60
    clock.advance(59.5)
    assert cd.remaining("m") == pytest.approx(0.5)
    clock.advance(1)
    assert cd.remaining("m") == 0.0 and cd.consecutive_failures("m") == 0
