"""The loopback server's streams: OpenAI and Anthropic server-sent events for one `Reply`, and its cut.

OpenAI (``stream: true``): ``chat.completion.chunk`` events - a first chunk with the assistant
role, one chunk per text delta, a chunk with ``finish_reason`` and an empty delta, then (when the
request asks ``stream_options.include_usage``) a chunk with no choices and the usage, cached tokens
in ``prompt_tokens_details``; every chunk before it has ``"usage": null``; the stream ends with
``data: [DONE]``.
Anthropic: ``message_start`` (the message with its input usage: ``input_tokens``,
``cache_read_input_tokens``, ``cache_creation_input_tokens``, ``output_tokens`` 1),
``content_block_start``, ``ping``, ``content_block_delta`` per text delta (``text_delta``),
``content_block_stop``, ``message_delta`` (``stop_reason`` and the final ``output_tokens``),
``message_stop``.

`stream_plan` applies a reply's cut (tests/loopback/replies.py): which events go out and how the
stream then breaks.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tests.loopback.replies import Reply
from tests.loopback.wire import anthropic_stop, anthropic_usage, openai_finish, openai_usage, usage_of

# the roles of events, in stream order; a cut keeps a prefix of them
HEAD, DELTA, FINISH, USAGE, DONE = "head", "delta", "finish", "usage", "done"
FAULT = "fault"  # a malformed or error event a cut ends with


@dataclass(frozen=True)
class Event:
    role: str
    data: bytes


def _sse(payload: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def openai_events(reply: Reply, body: dict[str, Any]) -> list[Event]:
    model = str(body.get("model", ""))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data: dict[str, Any] = {"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": created,
                                "model": model, "system_fingerprint": None,
                                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            data["usage"] = None
        return _sse(data)

    events = [Event(HEAD, chunk({"role": "assistant", "content": "", "refusal": None}))]
    events += [Event(DELTA, chunk({"content": d})) for d in reply.stream_deltas()]
    events.append(Event(FINISH, chunk({}, openai_finish(reply))))
    if include_usage:
        events.append(Event(USAGE, _sse({"id": "chatcmpl-loopback", "object": "chat.completion.chunk",
                                         "created": created, "model": model, "system_fingerprint": None,
                                         "choices": [], "usage": openai_usage(reply, body)})))
    events.append(Event(DONE, b"data: [DONE]\n\n"))
    return events


def anthropic_events(reply: Reply, body: dict[str, Any]) -> list[Event]:
    model = str(body.get("model", ""))
    usage = dict(anthropic_usage(reply, body), output_tokens=1)
    _, out = usage_of(reply, body)
    message = {"id": "msg_loopback", "type": "message", "role": "assistant", "model": model, "content": [],
               "stop_reason": None, "stop_sequence": None, "usage": usage}
    deltas = reply.stream_deltas()
    events = [Event(HEAD, _sse({"type": "message_start", "message": message}, "message_start"))]
    if deltas:
        events.append(Event(HEAD, _sse({"type": "content_block_start", "index": 0,
                                        "content_block": {"type": "text", "text": ""}}, "content_block_start")))
    events.append(Event(HEAD, _sse({"type": "ping"}, "ping")))
    events += [Event(DELTA, _sse({"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": d}}, "content_block_delta"))
               for d in deltas]
    if deltas:
        events.append(Event(FINISH, _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")))
    events.append(Event(USAGE, _sse({"type": "message_delta",
                                     "delta": {"stop_reason": anthropic_stop(reply), "stop_sequence": None},
                                     "usage": {"output_tokens": out}}, "message_delta")))
    events.append(Event(DONE, _sse({"type": "message_stop"}, "message_stop")))
    return events


def malformed_event(anthropic: bool) -> bytes:
    if anthropic:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'
    return b'data: {"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "choices": [{"delta": \n\n'


def error_event(anthropic: bool) -> bytes:
    if anthropic:
        return _sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")
    return _sse({"error": {"message": "The server had an error while processing your request.",
                           "type": "server_error", "param": None, "code": None}})


def stream_plan(reply: Reply, events: list[Event], anthropic: bool) -> tuple[list[Event], str | None]:
    """The events to send and how the stream ends: None (cleanly, all sent), "drop" (socket closed
    mid-body) or "eof" (body ended cleanly, the rest missing). A malformed or error event is
    appended to the events sent, and the body then ends."""
    if reply.kind == "malformed":  # the very first event is broken
        return [Event(HEAD, malformed_event(anthropic))], "eof"
    if reply.kind != "cut":
        return events, None
    if reply.cut_after_usage:
        sent = [e for e in events if e.role != DONE]
    else:
        sent, seen = [], 0
        for e in events:
            if e.role == DELTA:
                if seen == reply.cut_after:
                    break
                seen += 1
            elif e.role != HEAD:
                break
            sent.append(e)
    if reply.cut_how == "malformed":
        return sent + [Event(FAULT, malformed_event(anthropic))], "eof"
    if reply.cut_how == "error":
        return sent + [Event(FAULT, error_event(anthropic))], "eof"
    return sent, reply.cut_how
