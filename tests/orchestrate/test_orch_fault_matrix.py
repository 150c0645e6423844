"""Acceptance 1: each scripted fault ends in the right outcome within its deadline, one ledger row
per attempt (the server's request count), nothing lost and nothing counted twice."""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.loopback.fixtures import anthropic_route, openai_route
from tests.loopback.server import Reply
from ragkit.errors import (
    AllModelsFailedError,
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ProviderTimeoutError,
    ServerError,
)
from ragkit.models.prices import UnknownPriceWarning
from ragkit.orchestrate.retry import DeadlineExceededError
from ragkit.types import Message

from tests.orchestrate.helpers import gateway_for

pytestmark = pytest.mark.integration
MSGS = [Message("system", "Answer from the context.", cache=True), Message("user", "Q?")]
OK = Reply.ok("fine", input_tokens=100, output_tokens=10)


def _check_rows(gateway, loopback, result_attempts=None):
    rows = gateway.ledger.rows()
    assert len(rows) == len(loopback.seen)  # exactly one row per attempt that reached the server
    if result_attempts is not None:
        assert len(result_attempts) == len(rows)
    assert len({r.request_id for r in rows}) == 1
    for r in rows:
        if r.outcome != "ok":
            assert r.cost_usd == 0.0 and r.input_tokens == 0  # a failed attempt is not billed
    return rows


CASES = [
    # name, primary (openai gpt-4o-mini) script, fallback (anthropic claude-haiku-4-5) script, expected outcomes
    ("429 then ok", [Reply.rate_limited("1"), OK], [], ["RateLimitedError", "ok"]),
    ("500 then ok", [Reply.server_error(500), OK], [], ["ServerError", "ok"]),
    ("503 twice then ok", [Reply.server_error(503), Reply.server_error(503), OK], [],
     ["ServerError", "ServerError", "ok"]),
    ("malformed then ok", [Reply.malformed(), OK], [], ["MalformedResponseError", "ok"]),
    ("timeout then ok", [Reply.slow(1.0), OK], [], ["ProviderTimeoutError", "ok"]),
    ("500 exhausted -> fallback", [Reply.server_error()] * 3, [OK], ["ServerError"] * 3 + ["ok"]),
    ("429 too long -> fallback", [Reply.rate_limited("600")], [OK], ["RateLimitedError", "ok"]),
]


@pytest.mark.parametrize("name,primary,fallback,outcomes", CASES, ids=[c[0] for c in CASES])
def test_fault_recovers_by_retry_or_fallback(tmp_path, loopback, fake_keys, name, primary, fallback, outcomes):
    llm = {"small": {**openai_route(loopback, "gpt-4o-mini", timeout_s=0.3),
                     "fallbacks": [anthropic_route(loopback, "claude-haiku-4-5")]}}
    g = gateway_for(tmp_path, llm, retry={"max_attempts": 3, "deadline_s": 10})
    loopback.script("gpt-4o-mini", *primary)
    loopback.script("claude-haiku-4-5", *fallback)
    t0 = time.monotonic()
    result = g.complete(MSGS, query_id="q1")
    assert time.monotonic() - t0 < 5  # real time: sleeps are skipped by the clock, the deadline is 10
    assert g.clock.monotonic() < 10
    assert result.completion.text == "fine"
    assert [a.outcome for a in result.attempts] == outcomes
    rows = _check_rows(g, loopback, result.attempts)
    assert [r.outcome for r in rows] == outcomes
    assert [r.attempt for r in rows if r.model == "gpt-4o-mini"] == list(range(1, len(primary) + 1))[: len(rows)]
    ok_row = rows[-1]
    assert ok_row.cost_usd == pytest.approx(result.cost_usd) and result.cost_usd > 0
    assert loopback.pending() == 0
    g.close()


def test_retry_after_http_date_is_honoured(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o-mini")})
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    loopback.script("gpt-4o-mini", Reply.rate_limited(when), OK)
    result = g.complete(MSGS)
    assert [a.outcome for a in result.attempts] == ["RateLimitedError", "ok"]
    assert 1.5 <= g.clock.sleeps[0] <= 3.0  # an HTTP-date has whole-second resolution
    _check_rows(g, loopback, result.attempts)


def test_anthropic_529_overloaded_is_retried(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, {"small": anthropic_route(loopback, "claude-haiku-4-5")})
    loopback.script("claude-haiku-4-5", Reply.overloaded(), OK)
    result = g.complete(MSGS)
    assert [a.outcome for a in result.attempts] == ["ServerError", "ok"]
    _check_rows(g, loopback, result.attempts)


@pytest.mark.parametrize("reply,error", [(Reply.auth_error(), AuthenticationError),
                                         (Reply.content_filter(), ContentFilteredError),
                                         (Reply.bad_request(), BadRequestError)],
                         ids=["auth", "content_filter", "bad_request"])
def test_fail_now_errors_do_not_retry_or_fall_back(tmp_path, loopback, fake_keys, reply, error):
    llm = {"small": {**openai_route(loopback, "gpt-4o-mini"), "fallbacks": [anthropic_route(loopback)]}}
    g = gateway_for(tmp_path, llm)
    loopback.script("gpt-4o-mini", reply)
    with pytest.raises(error) as info:
        g.complete(MSGS)
    for key in fake_keys.values():
        assert key not in str(info.value)
    rows = _check_rows(g, loopback)
    assert [r.outcome for r in rows] == [error.__name__]
    assert fake_keys["openai"] not in (rows[0].error or "")  # nor in the ledger
    assert g.clock.sleeps == []


def test_context_overflow_falls_back_to_a_larger_window_without_retry(tmp_path, loopback, fake_keys):
    llm = {"small": {**openai_route(loopback, "gpt-4o-mini"),  # 128k
                     "fallbacks": [openai_route(loopback, "gpt-4o"),  # 128k: not larger, skipped
                                   openai_route(loopback, "gpt-4.1")]}}  # 1M
    g = gateway_for(tmp_path, llm)
    loopback.script("gpt-4o-mini", Reply.context_length())
    loopback.script("gpt-4.1", OK)
    result = g.complete(MSGS)
    assert [(a.model, a.outcome) for a in result.attempts] == [("gpt-4o-mini", "ContextWindowExceededError"),
                                                               ("gpt-4.1", "ok")]
    assert [s.model for s in loopback.seen] == ["gpt-4o-mini", "gpt-4.1"]
    assert any("gpt-4o: skipped after a context overflow" in n for n in result.notes)
    _check_rows(g, loopback, result.attempts)


def test_prompt_known_too_long_skips_the_model_before_calling(tmp_path, loopback, fake_keys):
    llm = {"small": {**openai_route(loopback, "small-ctx", context_window=200, max_tokens=50),
                     "fallbacks": [openai_route(loopback, "big-ctx", context_window=100_000)]}}
    g = gateway_for(tmp_path, llm)
    loopback.script("big-ctx", OK)
    with pytest.warns(UnknownPriceWarning, match="big-ctx"):  # unpriced model: cost recorded as unknown
        result = g.complete([Message("user", "word " * 400)])
    assert [s.model for s in loopback.seen] == ["big-ctx"]
    assert any("small-ctx: skipped" in n and "context window of 200" in n for n in result.notes)
    _check_rows(g, loopback, result.attempts)


def test_everything_failing_ends_in_all_models_failed_with_typed_causes(tmp_path, loopback, fake_keys):
    llm = {"small": {**openai_route(loopback, "gpt-4o-mini"), "fallbacks": [anthropic_route(loopback)]}}
    g = gateway_for(tmp_path, llm, retry={"max_attempts": 2})
    loopback.script("gpt-4o-mini", Reply.server_error(), Reply.server_error())
    loopback.script("claude-haiku-4-5", Reply.overloaded(), Reply.overloaded())
    with pytest.raises(AllModelsFailedError) as info:
        g.complete(MSGS)
    assert [type(e) for e in info.value.errors] == [ServerError, ServerError]
    assert [r.outcome for r in _check_rows(g, loopback)] == ["ServerError"] * 4


def test_deadline_bounds_a_request_of_timeouts(tmp_path, loopback, fake_keys):
    from ragkit.orchestrate import SystemClock

    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o-mini", timeout_s=0.25)},
                    retry={"max_attempts": 10, "deadline_s": 0.8, "base_delay_s": 0.01}, clock=SystemClock())
    loopback.script("gpt-4o-mini", *[Reply.slow(0.6)] * 10)
    t0 = time.monotonic()
    with pytest.raises(AllModelsFailedError) as info:
        g.complete(MSGS)
    elapsed = time.monotonic() - t0
    assert elapsed < 0.8 + 0.3  # the last attempt's timeout is cut to what is left of the deadline
    kinds = {type(e) for e in info.value.errors}
    assert kinds <= {ProviderTimeoutError, DeadlineExceededError}
    rows = _check_rows(g, loopback)
    assert 2 <= len(rows) <= 4 and all(r.outcome == "ProviderTimeoutError" for r in rows)


def test_failing_model_cools_down_and_is_skipped(tmp_path, loopback, fake_keys):
    llm = {"small": {**openai_route(loopback, "gpt-4o-mini"), "fallbacks": [anthropic_route(loopback)]}}
    g = gateway_for(tmp_path, llm, retry={"max_attempts": 2, "cooldown_after": 2, "cooldown_s": 30})
    loopback.script("gpt-4o-mini", Reply.server_error(), Reply.server_error())
    loopback.script("claude-haiku-4-5", OK, OK)
    first = g.complete(MSGS)
    assert [a.model for a in first.attempts] == ["gpt-4o-mini", "gpt-4o-mini", "claude-haiku-4-5"]
    second = g.complete(MSGS)
    assert [a.model for a in second.attempts] == ["claude-haiku-4-5"]  # no request to the cooling model
    assert any("cooling down" in n for n in second.notes)
    assert len(g.ledger.rows()) == len(loopback.seen) == 4
    g.clock.advance(31)  # after the cooldown the primary is tried again
    loopback.script("gpt-4o-mini", OK)
    assert [a.model for a in g.complete(MSGS).attempts] == ["gpt-4o-mini"]
