"""The loopback server's streams read raw (httpx, no SDK): the event sequence of each wire format, where
usage and cached tokens sit, and what each scripted cut sends - what the SDK tests rely on."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.loopback.server import Reply

pytestmark = pytest.mark.integration


def _events(server, path, body):
    """[(event name or None, data)] of one streamed request, and the error that ended the read (or None)."""
    out, current, error = [], None, None
    try:
        with httpx.stream("POST", server.url + path, json={"stream": True, "model": "m", "messages": [
                {"role": "user", "content": "x" * 40}], **body}, timeout=5) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if line.startswith("event: "):
                    current = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    out.append((current, line.removeprefix("data: ")))
                    current = None
    except httpx.RemoteProtocolError as exc:
        error = exc
    return out, error


def test_openai_chunks_end_with_usage_then_done(loopback):
    loopback.script(None, Reply.ok("a b c", input_tokens=10, output_tokens=3, cache_read=64))
    events, error = _events(loopback, "/v1/chat/completions", {"stream_options": {"include_usage": True}})
    assert error is None and events[-1] == (None, "[DONE]")
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1]) == "a b c"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop" and chunks[-2]["usage"] is None
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 74  # cached tokens are inside prompt_tokens
    assert chunks[-1]["usage"]["prompt_tokens_details"]["cached_tokens"] == 64


def test_openai_sends_no_usage_chunk_unless_asked(loopback):
    events, _ = _events(loopback, "/v1/chat/completions", {})
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert all(c["choices"] and "usage" not in c for c in chunks)


def test_anthropic_event_sequence_with_usage_in_start_and_delta(loopback):
    loopback.script(None, Reply.ok("a b", input_tokens=10, output_tokens=2, cache_read=5, cache_write=7))
    events, error = _events(loopback, "/v1/messages", {"max_tokens": 8})
    assert error is None
    names = [n for n, _ in events]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                     "content_block_stop", "message_delta", "message_stop"]
    data = [json.loads(d) for _, d in events]
    assert all(d["type"] == n for n, d in zip(names, data))
    assert data[0]["message"]["usage"] == {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 7,
                                           "cache_read_input_tokens": 5}
    assert data[6]["delta"]["stop_reason"] == "end_turn" and data[6]["usage"] == {"output_tokens": 2}


@pytest.mark.parametrize("how,last,broken", [("drop", "content_block_delta", True), ("eof", "content_block_delta", False),
                                             ("error", "error", False)])
def test_a_cut_sends_its_deltas_then_breaks_as_asked(loopback, how, last, broken):
    loopback.script(None, Reply.cut("a b c d", after_deltas=2, how=how))
    events, error = _events(loopback, "/v1/messages", {"max_tokens": 8})
    assert (error is not None) is broken
    assert [n for n, _ in events].count("content_block_delta") == 2
    assert events[-1][0] == last and "message_delta" not in [n for n, _ in events]
    seen = loopback.wait_ended()
    assert seen.outcome == "cut" and seen.deltas_sent == 2


def test_a_cut_after_usage_misses_only_the_terminator(loopback):
    loopback.script(None, Reply.cut("a b", after_usage=True))
    events, error = _events(loopback, "/v1/chat/completions", {"stream_options": {"include_usage": True}})
    assert error is not None and events[-1][1] != "[DONE]" and json.loads(events[-1][1])["usage"]


def test_a_cut_reply_to_a_plain_request_is_half_a_body(loopback):
    loopback.script(None, Reply.cut("a b", after_deltas=1))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(loopback.openai_base_url + "/chat/completions", json={"model": "m", "messages": []}, timeout=5)
    assert loopback.wait_ended().outcome == "cut"


def test_plain_requests_are_answered_as_before(loopback):
    loopback.script(None, Reply.ok("hi", input_tokens=3, output_tokens=1))
    r = httpx.post(loopback.openai_base_url + "/chat/completions", json={"model": "m", "messages": []}, timeout=5)
    assert r.json()["choices"][0]["message"]["content"] == "hi"
    seen = loopback.wait_ended()
    assert seen.outcome == "answered" and not seen.streamed and seen.kind == "ok"
