"""The real openai and anthropic SDKs over real HTTP against the loopback server (complete; both run the
LLM conformance mixin, ragkit/testing/llm.py). Streaming has its own file: test_llm_streaming.py."""

from __future__ import annotations

import time

import pytest

from tests.loopback.server import Reply
from ragkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ContextWindowExceededError,
    MalformedResponseError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
)
from ragkit.models.llm import build_llm
from ragkit.models.llm.anthropic_provider import AnthropicProvider, messages_params
from ragkit.models.llm.openai_provider import OpenAIProvider, chat_params
from ragkit.testing.llm import LLMConformance
from ragkit.types import Message, Usage

pytestmark = pytest.mark.integration

MSGS = [Message("system", "Answer only from the context.", cache=True),
        Message("user", "Context: [1] Paris is the capital of France.", cache=True),
        Message("user", "What is the capital of France?")]


def _openai(server, **kw):
    return OpenAIProvider("gpt-4o-mini", base_url=server.openai_base_url, timeout_s=kw.pop("timeout_s", 2.0), **kw)


def _anthropic(server, **kw):
    return AnthropicProvider("claude-haiku-4-5", base_url=server.anthropic_base_url,
                             timeout_s=kw.pop("timeout_s", 2.0), **kw)


def test_openai_completion_and_usage_with_cached_tokens(loopback, fake_keys):
    loopback.script("gpt-4o-mini", Reply.ok("Paris.", input_tokens=120, output_tokens=7, cache_read=1024))
    c = _openai(loopback).complete(MSGS, max_tokens=64, temperature=0.1)
    assert c.text == "Paris." and c.provider == "openai" and c.finish_reason == "stop"
    # prompt_tokens = 1144 of which 1024 cached: uncached input is 120
    assert c.usage == Usage(input_tokens=120, output_tokens=7, cache_read_tokens=1024, cache_write_tokens=0)
    assert c.latency_s > 0
    seen = loopback.requests("/chat/completions")[0]
    assert seen.body["max_tokens"] == 64 and seen.body["temperature"] == 0.1
    assert [m["role"] for m in seen.body["messages"]] == ["system", "user", "user"]
    assert seen.headers["authorization"] == f"Bearer {fake_keys['openai']}"  # key from the environment


def test_openai_reasoning_models_get_max_completion_tokens():
    params = chat_params("o4-mini", MSGS, 100, 0.3)
    assert params["max_completion_tokens"] == 100 and "max_tokens" not in params and "temperature" not in params


def test_anthropic_layout_puts_cache_control_on_the_stable_prefix(loopback, fake_keys):
    loopback.script("claude-haiku-4-5", Reply.ok("Paris.", input_tokens=12, output_tokens=5, cache_read=0,
                                                 cache_write=1500))
    c = _anthropic(loopback).complete(MSGS, max_tokens=64, temperature=0.1)
    assert c.usage == Usage(input_tokens=12, output_tokens=5, cache_read_tokens=0, cache_write_tokens=1500)
    body = loopback.requests("/messages")[0].body
    assert body["system"] == [{"type": "text", "text": MSGS[0].content, "cache_control": {"type": "ephemeral"}}]
    # the two user messages merge into one turn; the context block carries the breakpoint, the question not
    assert len(body["messages"]) == 1
    blocks = body["messages"][0]["content"]
    assert blocks[0]["cache_control"] == {"type": "ephemeral"} and "cache_control" not in blocks[1]
    headers = loopback.requests("/messages")[0].headers
    sent = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    assert sent == fake_keys["anthropic"]  # key from the environment (header name depends on SDK release)


def test_anthropic_keeps_at_most_four_breakpoints():
    msgs = [Message("user", f"part {i}", cache=True) for i in range(6)]
    params = messages_params("m", msgs, 10, None)
    marked = [b for b in params["messages"][0]["content"] if "cache_control" in b]
    assert [b["text"] for b in marked] == ["part 2", "part 3", "part 4", "part 5"]
    assert "temperature" not in params
    assert messages_params("m", msgs, 10, 1.7)["temperature"] == 1.0  # Anthropic's range is 0..1


FAULTS = [
    (Reply.rate_limited("2"), RateLimitedError),
    (Reply.server_error(500), ServerError),
    (Reply.overloaded(), ServerError),
    (Reply.malformed(), MalformedResponseError),
    (Reply.context_length(), ContextWindowExceededError),
    (Reply.auth_error(), AuthenticationError),
    (Reply.bad_request(), BadRequestError),
    (Reply.content_filter(), ContentFilteredError),
    (Reply.slow(1.0), ProviderTimeoutError),
]


@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
@pytest.mark.parametrize("reply,expected", FAULTS, ids=[f[0].kind for f in FAULTS])
def test_each_fault_maps_to_its_typed_error_with_one_request(loopback, fake_keys, make, reply, expected):
    llm = make(loopback, timeout_s=0.3)
    loopback.script(None, reply)
    t0 = time.monotonic()
    with pytest.raises(expected) as info:
        llm.complete(MSGS, max_tokens=16, temperature=0)
    assert time.monotonic() - t0 < 0.9  # the slow reply is cut by the timeout
    assert len(loopback.seen) == 1  # SDK retries are off: ragkit is the only retry loop
    err = info.value
    assert err.provider == llm.provider and err.model == llm.model
    for key in fake_keys.values():
        assert key not in str(err) and key[-8:] not in str(err)
    if expected is RateLimitedError:
        assert err.retry_after == 2.0


def test_missing_key_fails_before_any_request(loopback, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
        _anthropic(loopback).complete(MSGS, max_tokens=8, temperature=0)
    monkeypatch.setenv("MY_LOCAL_API_KEY", "")  # a key variable must be named *_API_KEY (or be a documented one)
    with pytest.raises(AuthenticationError, match="MY_LOCAL_API_KEY"):
        _openai(loopback, api_key_env="MY_LOCAL_API_KEY").complete(MSGS, max_tokens=8, temperature=0)
    assert loopback.seen == []


def test_openai_compatible_server_without_key(loopback, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    loopback.script(None, Reply.ok("hi", input_tokens=3, output_tokens=1))
    c = _openai(loopback).complete([Message("user", "hello")], max_tokens=8, temperature=0)
    assert c.text == "hi"


def test_build_llm_from_config_takes_context_window_from_prices(loopback):
    from ragkit.config.orchestrate import ProviderConfig
    from ragkit.models.prices import load_prices

    llm = build_llm(ProviderConfig(provider="openai", model="gpt-4.1", base_url=loopback.openai_base_url),
                    prices=load_prices())
    assert isinstance(llm, OpenAIProvider) and llm.context_window == 1047576
    llm2 = build_llm(ProviderConfig(provider="anthropic", model="claude-x", context_window=1000))
    assert llm2.context_window == 1000


@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_timeout_s_none_means_the_configured_timeout_and_a_value_overrides_it(loopback, fake_keys, make):
    llm = make(loopback, timeout_s=0.3)
    assert not hasattr(llm, "accepts_timeout") and not hasattr(llm, "accepts_context")  # every LLM takes timeout_s
    loopback.script(None, Reply.slow(0.6, "late"), Reply.slow(0.6, "late"))
    with pytest.raises(ProviderTimeoutError):
        llm.complete(MSGS, max_tokens=8, temperature=0, timeout_s=None)
    assert llm.complete(MSGS, max_tokens=8, temperature=0, timeout_s=3.0).text == "late"


class TestOpenAIConformance(LLMConformance):
    conformance_usage = Usage(input_tokens=40, output_tokens=9, cache_read_tokens=256)

    @pytest.fixture(autouse=True)
    def _server(self, loopback, fake_keys):
        loopback.default = Reply.ok(self.conformance_text, input_tokens=40, output_tokens=9, cache_read=256)
        self.server = loopback

    def make_llm(self):
        return _openai(self.server)


class TestAnthropicConformance(LLMConformance):
    conformance_usage = Usage(input_tokens=12, output_tokens=9, cache_read_tokens=300, cache_write_tokens=50)

    @pytest.fixture(autouse=True)
    def _server(self, loopback, fake_keys):
        loopback.default = Reply.ok(self.conformance_text, input_tokens=12, output_tokens=9, cache_read=300,
                                    cache_write=50)
        self.server = loopback

    def make_llm(self):
        return _anthropic(self.server)
