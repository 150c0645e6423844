"""Streamed completions: the real openai and anthropic SDKs reading server-sent events over real HTTP
from the loopback server, including streams that break off, stall, or are closed by the client."""

from __future__ import annotations

import threading
import time

import pytest

from tests.loopback.server import Reply
from ragkit.errors import (
    AuthenticationError,
    ContentFilteredError,
    MalformedResponseError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
    StreamInterruptedError,
)
from ragkit.models.llm.anthropic_provider import AnthropicProvider
from ragkit.models.llm.base import estimate_prompt_tokens
from ragkit.models.llm.openai_provider import OpenAIProvider
from ragkit.models.tokens import count_tokens, encoding_for_model
from ragkit.types import Message, Usage

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MSGS = [Message("system", "Answer only from the context.", cache=True),
        Message("user", "Context: [1] Paris is the capital of France.", cache=True),
        Message("user", "What is the capital of France?")]
TEXT = "one two three four five six"


def _openai(server, timeout_s=2.0):
    return OpenAIProvider("gpt-4o-mini", base_url=server.openai_base_url, timeout_s=timeout_s)


def _anthropic(server, timeout_s=2.0):
    return AnthropicProvider("claude-haiku-4-5", base_url=server.anthropic_base_url, timeout_s=timeout_s)


@pytest.fixture(params=[_openai, _anthropic], ids=["openai", "anthropic"])
def make(request, loopback, fake_keys):
    made = []

    def build(timeout_s=2.0):
        llm = request.param(loopback, timeout_s)
        made.append(llm)
        return llm

    yield build
    for llm in made:
        llm.close()


def _stream(llm, **kw):
    return llm.stream(MSGS, max_tokens=64, temperature=0, **kw)


def _count(llm, text):
    return count_tokens(text, encoding_for_model(llm.model))


def test_deltas_arrive_as_sent_and_join_to_the_final_text(make, loopback):
    deltas = ["Pa", "ris", " is", " the", " capit", "al — ", "☃", " ok."]
    loopback.script(None, Reply.ok(deltas=deltas, input_tokens=30, output_tokens=8))
    llm = make()
    pieces = list(_stream(llm))
    assert [p.text for p in pieces[:-1]] == deltas
    final = pieces[-1].completion
    assert final.text == "".join(deltas) and final.provider == llm.provider and final.model == llm.model
    assert final.finish_reason == "stop" and final.latency_s > 0
    seen = loopback.wait_ended()
    assert seen.streamed and seen.outcome == "complete" and seen.deltas_sent == len(deltas)


def test_streamed_usage_equals_complete_usage_with_cached_tokens(make, loopback):
    reply = Reply.ok("Paris is the capital.", input_tokens=120, output_tokens=7, cache_read=1024, cache_write=300)
    loopback.script(None, reply, reply)
    llm = make()
    plain = llm.complete(MSGS, max_tokens=64, temperature=0)
    streamed = list(_stream(llm))[-1].completion
    assert streamed.usage == plain.usage
    assert streamed.usage.input_tokens == 120 and streamed.usage.cache_read_tokens == 1024  # uncached input apart
    assert streamed.usage.output_tokens == 7
    # Anthropic reports cache writes; OpenAI has no such field
    assert streamed.usage.cache_write_tokens == (300 if llm.provider == "anthropic" else 0)
    assert (streamed.text, streamed.finish_reason) == (plain.text, plain.finish_reason)


def test_the_stream_request_is_the_complete_request_plus_streaming(make, loopback):
    llm = make()
    loopback.script(None, Reply.ok("a b"), Reply.ok("a b"))
    llm.complete(MSGS, max_tokens=64, temperature=0)
    list(_stream(llm))
    plain, streamed = (s.body for s in loopback.seen)
    extra = {k: streamed[k] for k in set(streamed) - set(plain)}
    if llm.provider == "openai":
        assert extra == {"stream": True, "stream_options": {"include_usage": True}}
    else:  # the cache_control markers go out exactly as for complete()
        assert extra == {"stream": True}
        assert streamed["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert {k: v for k, v in streamed.items() if k not in extra} == plain


def test_an_empty_answer_is_one_completion(make, loopback):
    loopback.script(None, Reply.ok("", input_tokens=9, output_tokens=0))
    pieces = list(_stream(make()))
    assert len(pieces) == 1 and pieces[0].completion.text == "" and pieces[0].completion.usage.input_tokens == 9


@pytest.mark.parametrize("how", ["drop", "eof", "malformed", "error"])
def test_a_stream_cut_after_some_deltas_raises_interrupted_with_partial_text_and_usage(make, loopback, how):
    loopback.script(None, Reply.cut(TEXT, after_deltas=2, how=how, input_tokens=55, output_tokens=6, cache_read=40,
                                    cache_write=10))
    llm = make()
    stream = _stream(llm)
    got = []
    with pytest.raises(StreamInterruptedError) as info:
        for piece in stream:
            got.append(piece.text)
    err = info.value
    assert got == ["one", " two"] and err.partial_text == "one two" == stream.partial_text
    assert err.provider == llm.provider and err.model == llm.model and err.retryable is False
    assert isinstance(err.__cause__, (ServerError, MalformedResponseError))
    out = _count(llm, "one two")
    if llm.provider == "anthropic":  # message_start had arrived: the provider's input and cache figures
        assert err.usage == Usage(input_tokens=55, output_tokens=out, cache_read_tokens=40, cache_write_tokens=10)
    else:  # OpenAI's usage comes last: estimated from the prompt and the partial text
        prompt = estimate_prompt_tokens(MSGS, lambda t: _count(llm, t))
        assert err.usage == Usage(input_tokens=prompt, output_tokens=out)
    assert stream.outcome == "interrupted" and stream.usage == err.usage
    assert loopback.wait_ended().outcome == "cut"


def test_a_stream_dropped_after_its_usage_event_reports_the_providers_usage(make, loopback):
    loopback.script(None, Reply.cut(TEXT, after_usage=True, input_tokens=55, output_tokens=6, cache_read=40))
    llm = make()
    with pytest.raises(StreamInterruptedError) as info:
        list(_stream(llm))
    assert info.value.partial_text == TEXT
    assert info.value.usage == Usage(input_tokens=55, output_tokens=6, cache_read_tokens=40)


@pytest.mark.parametrize("reply,expected", [
    (Reply.cut(TEXT, after_deltas=0, how="drop"), ServerError),
    (Reply.cut(TEXT, after_deltas=0, how="eof"), MalformedResponseError),
    (Reply.cut(TEXT, after_deltas=0, how="error"), ServerError),
    (Reply.malformed(), MalformedResponseError),
    (Reply.content_filter(), ContentFilteredError),
], ids=["drop", "eof", "error-event", "malformed", "content-filter"])
def test_a_fault_before_the_first_delta_is_the_typed_error(make, loopback, reply, expected):
    loopback.script(None, reply)
    stream = _stream(make())
    with pytest.raises(expected) as info:
        next(stream)
    assert not isinstance(info.value, StreamInterruptedError)  # nothing was shown: retry / fall back
    assert stream.outcome == "failed"


@pytest.mark.parametrize("reply,expected", [
    (Reply.rate_limited("2"), RateLimitedError),
    (Reply.server_error(500), ServerError),
    (Reply.auth_error(), AuthenticationError),
], ids=["429", "500", "401"])
def test_http_errors_before_the_stream_map_like_complete(make, loopback, fake_keys, reply, expected):
    loopback.script(None, reply)
    llm = make()
    with pytest.raises(expected) as info:
        next(_stream(llm))
    err = info.value
    assert type(err) is expected and err.status == reply.status and err.provider == llm.provider
    assert len(loopback.seen) == 1  # no SDK retries
    if expected is RateLimitedError:
        assert err.retry_after == 2.0
    for key in fake_keys.values():
        assert key not in str(err) and key[-8:] not in str(err)


def test_closing_mid_stream_closes_the_connection_and_keeps_the_usage(make, loopback):
    loopback.script(None, Reply.slow_stream(200, 0.05, input_tokens=70, cache_read=30))
    llm = make()
    stream = _stream(llm)
    got = [next(stream).text for _ in range(3)]
    t0 = time.monotonic()
    stream.close()
    assert time.monotonic() - t0 < 1.0
    seen = loopback.wait_ended(timeout=3.0)  # the server notices the hang-up long before its 10 s stream ends
    assert seen.outcome == "client_closed" and seen.deltas_sent < 50
    assert list(stream) == [] and stream.outcome == "closed" and stream.partial_text == "".join(got)
    assert stream.usage.output_tokens == _count(llm, "".join(got))
    if llm.provider == "anthropic":
        assert (stream.usage.input_tokens, stream.usage.cache_read_tokens) == (70, 30)
    else:
        assert stream.usage.input_tokens == estimate_prompt_tokens(MSGS, lambda t: _count(llm, t))
    stream.close()  # idempotent


def test_a_with_block_closes_the_stream(make, loopback):
    loopback.script(None, Reply.slow_stream(200, 0.05))
    with _stream(make()) as stream:
        next(stream)
    assert stream.outcome == "closed" and loopback.wait_ended(timeout=3.0).outcome == "client_closed"


def test_close_from_another_thread_stops_a_blocked_read(make, loopback):
    loopback.script(None, Reply.stall(TEXT, after_deltas=1, seconds=20))
    stream = _stream(make(timeout_s=30.0))
    assert next(stream).text == "one"
    ended = {}

    def reader():
        try:
            ended["piece"] = next(stream)
        except StopIteration:
            ended["stop"] = True

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.2)  # the reader is blocked on the stalled stream
    stream.close()
    thread.join(5.0)
    assert not thread.is_alive() and ended == {"stop": True}
    assert stream.outcome == "closed" and stream.partial_text == "one"
    assert loopback.wait_ended(timeout=3.0).outcome == "client_closed"


def test_a_stall_longer_than_the_timeout_interrupts_the_stream(make, loopback):
    loopback.script(None, Reply.stall(TEXT, after_deltas=2, seconds=2.0))
    t0 = time.monotonic()
    with pytest.raises(StreamInterruptedError) as info:
        list(_stream(make(timeout_s=0.3)))
    assert time.monotonic() - t0 < 1.5
    assert info.value.partial_text == "one two" and isinstance(info.value.__cause__, ProviderTimeoutError)


def test_timeout_s_overrides_the_configured_timeout_for_a_stream(make, loopback):
    loopback.script(None, Reply.ok(TEXT, delay_s=0.6), Reply.ok(TEXT, delay_s=0.6))
    llm = make(timeout_s=0.3)
    with pytest.raises(ProviderTimeoutError):
        next(_stream(llm))  # None: the configured 0.3 s
    assert list(_stream(llm, timeout_s=3.0))[-1].completion.text == TEXT


def test_nothing_is_sent_before_the_first_next(make, loopback):
    stream = _stream(make())
    assert loopback.seen == [] and stream.outcome == "open" and stream.usage is None
    stream.close()
    assert loopback.seen == [] and stream.usage == Usage()
