"""Property: whatever the faults, every attempt is one ledger row, the answer comes from the model
that succeeded, nothing is counted twice, and the request ends within its deadline.

The providers here are scripted in-process LLMs (the provider boundary, not ragkit code); time is
a ManualClock, so each example runs instantly."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.errors import (
    AllModelsFailedError,
    AuthenticationError,
    ContextWindowExceededError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
)
from ragkit.models.prices import load_prices
from ragkit.orchestrate import Gateway, Ledger, ManualClock, ModelSlot, RetryPolicy
from ragkit.types import Completion, Message, Usage

pytestmark = pytest.mark.unit
FAULTS = {
    "429": lambda: RateLimitedError("429", retry_after=2.0),
    "500": lambda: ServerError("500"),
    "timeout": lambda: ProviderTimeoutError("timeout"),
    "malformed": lambda: MalformedResponseError("bad json"),
    "context": lambda: ContextWindowExceededError("too long"),
    "auth": lambda: AuthenticationError("401"),
}


class ScriptedLLM:
    provider = "openai"
    accepts_timeout = True
    accepts_context = False

    def __init__(self, model: str, script: list[str], clock: ManualClock):
        self.model, self.script, self.clock, self.calls = model, list(script), clock, 0

    def complete(self, messages, *, max_tokens, temperature, timeout_s=None):
        self.calls += 1
        self.clock.advance(0.5)  # each call takes half a second
        step = self.script.pop(0) if self.script else "ok"
        if step != "ok":
            raise FAULTS[step]()
        return Completion(f"answer from {self.model}", self.model, "openai", usage=Usage(100, 10))


scripts = st.lists(st.sampled_from(["ok", *FAULTS]), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts, scripts, st.integers(1, 4), st.floats(3, 30))
def test_attempts_rows_and_outcome_agree(tmp_path_factory, s1, s2, max_attempts, deadline):
    clock = ManualClock()
    llms = [ScriptedLLM("gpt-4o-mini", s1, clock), ScriptedLLM("gpt-4.1", s2, clock)]
    slots = [ModelSlot(llms[0], "openai", "gpt-4o-mini", 10, 0.1, 5.0, 128_000),
             ModelSlot(llms[1], "openai", "gpt-4.1", 10, 0.1, 5.0, 1_047_576)]
    ledger = Ledger(tmp_path_factory.mktemp("l") / "ledger.db")
    g = Gateway({"small": slots}, prices=load_prices(), ledger=ledger, clock=clock,
                retry=RetryPolicy(max_attempts=max_attempts, base_delay_s=0.5, max_delay_s=10, deadline_s=deadline,
                                  cooldown_after=100), rng=random.Random(0))
    try:
        result = g.complete([Message("user", "q")])
        error = None
    except ProviderError as exc:  # AuthenticationError fails at once
        result, error = None, exc
    except AllModelsFailedError as exc:
        result, error = None, exc
    rows = ledger.rows()
    assert len(rows) == sum(llm.calls for llm in llms)  # one row per call made, none invented
    assert sum(r.outcome == "ok" for r in rows) == (1 if result else 0)  # nothing counted twice
    assert clock.monotonic() <= deadline + 0.5 + 1e-9  # only a call started before the deadline runs past it
    if result is not None:
        assert result.completion.text == f"answer from {rows[-1].model}" and rows[-1].outcome == "ok"
        assert len(result.attempts) == len(rows)
        assert result.cost_usd == pytest.approx(sum(r.cost_usd for r in rows))
    else:
        assert isinstance(error, (AuthenticationError, AllModelsFailedError))
        assert all(r.cost_usd == 0.0 for r in rows)
    for model in ("gpt-4o-mini", "gpt-4.1"):
        attempts = [r.attempt for r in rows if r.model == model]
        assert attempts == list(range(1, len(attempts) + 1))
        assert len(attempts) <= max_attempts
    ledger.close()
