"""The loopback server's JSON bodies: OpenAI chat completions and embeddings, Anthropic messages, errors.

Each renderer takes the scripted `Reply`, the parsed request body and the request headers and returns
(status, extra headers, body bytes). Usage fields carry cached tokens as each API reports them: OpenAI
counts cached tokens inside ``prompt_tokens`` (``prompt_tokens_details.cached_tokens``), Anthropic
reports uncached ``input_tokens`` beside ``cache_read_input_tokens`` / ``cache_creation_input_tokens``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from typing import Any

from tests.loopback.replies import Reply


def rough_tokens(body: dict[str, Any]) -> int:
    """A deterministic stand-in for the prompt's token count: 1 token per 4 characters of content."""
    chars = 0
    system = body.get("system")
    if isinstance(system, str):
        chars += len(system)
    elif isinstance(system, list):
        chars += sum(len(b.get("text", "")) for b in system)
    for m in body.get("messages", []):
        c = m.get("content")
        if isinstance(c, str):
            chars += len(c)
        elif isinstance(c, list):
            chars += sum(len(b.get("text", "")) for b in c if isinstance(b, dict))
    return max(1, chars // 4)


def fake_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for `text` (sha256-seeded), like the real API's normalized output."""
    out: list[float] = []
    counter = 0
    while len(out) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    vec = out[:dim]
    norm = sum(v * v for v in vec) ** 0.5 or 1.0
    return [v / norm for v in vec]


_EMBED_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


# ---- bodies ------------------------------------------------------------------------------
def usage_of(reply: Reply, body: dict[str, Any]) -> tuple[int, int]:
    inp = reply.input_tokens if reply.input_tokens is not None else rough_tokens(body)
    out = reply.output_tokens if reply.output_tokens is not None else max(1, len(reply.text) // 4)
    return inp, out


def openai_usage(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    inp, out = usage_of(reply, body)
    return {
        "prompt_tokens": inp + reply.cache_read,  # OpenAI counts cached tokens inside prompt_tokens
        "completion_tokens": out,
        "total_tokens": inp + reply.cache_read + out,
        "prompt_tokens_details": {"cached_tokens": reply.cache_read, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def anthropic_usage(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    inp, out = usage_of(reply, body)
    return {
        "input_tokens": inp,  # Anthropic: uncached input only
        "output_tokens": out,
        "cache_creation_input_tokens": reply.cache_write,
        "cache_read_input_tokens": reply.cache_read,
    }


def openai_finish(reply: Reply) -> str:
    return reply.finish_reason or ("content_filter" if reply.kind == "content_filter" else "stop")


def anthropic_stop(reply: Reply) -> str:
    return reply.finish_reason or ("refusal" if reply.kind == "content_filter" else "end_turn")


def error_headers(reply: Reply) -> dict[str, str]:
    return {"Retry-After": reply.retry_after} if reply.retry_after is not None else {}


def presented_key(headers) -> str:
    auth = headers.get("Authorization", "") or ""
    return auth.removeprefix("Bearer ").strip() or (headers.get("x-api-key") or "")


def render_openai_chat(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    model = str(body.get("model", ""))
    if reply.answers:
        finish = openai_finish(reply)
        data = {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                         "finish_reason": finish, "logprobs": None}],
            "usage": openai_usage(reply, body),
        }
        return 200, {}, json.dumps(data).encode()
    if reply.kind == "malformed":
        return 200, {}, b'{"id": "chatcmpl-loopback", "choices": [ {"message": '
    err = openai_error(reply, headers)
    return reply.status, error_headers(reply), json.dumps({"error": err}).encode()


def openai_error(reply: Reply, headers) -> dict[str, Any]:
    if reply.kind == "context_length":
        return {"message": "This model's maximum context length is 128000 tokens. However, your messages "
                           "resulted in 131072 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}
    if reply.kind == "auth":
        # the real API echoes (part of) the key it was given: the client must never surface it
        return {"message": f"Incorrect API key provided: {presented_key(headers)}.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
    if reply.kind == "rate_limited":
        return {"message": reply.message, "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    if reply.kind == "bad_request":
        return {"message": reply.message, "type": "invalid_request_error", "param": None, "code": None}
    return {"message": reply.message or "error", "type": "server_error", "param": None, "code": None}


def render_openai_embeddings(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    if reply.kind == "malformed":
        return 200, {}, b'{"object": "list", "data": [ {'
    if reply.kind not in ("ok", "slow"):
        return reply.status, error_headers(reply), json.dumps({"error": openai_error(reply, headers)}).encode()
    model = str(body.get("model", ""))
    inputs = body.get("input", [])
    if isinstance(inputs, str):
        inputs = [inputs]
    dim = int(body.get("dimensions") or _EMBED_DIMS.get(model, 1536))
    fmt = body.get("encoding_format", "float")
    data = []
    tokens = 0
    for i, text in enumerate(inputs):
        text = text if isinstance(text, str) else " ".join(map(str, text))
        tokens += max(1, len(text) // 4)
        vec = fake_embedding(text, dim)
        emb: Any = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode() if fmt == "base64" else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    if reply.input_tokens is not None:
        tokens = reply.input_tokens
    payload = {"object": "list", "data": data, "model": model,
               "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
    return 200, {}, json.dumps(payload).encode()


def render_anthropic(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    model = str(body.get("model", ""))
    if reply.answers:
        stop = anthropic_stop(reply)
        content = [{"type": "text", "text": reply.text}] if reply.text else []
        data = {
            "id": "msg_loopback",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": anthropic_usage(reply, body),
        }
        return 200, {}, json.dumps(data).encode()
    if reply.kind == "malformed":
        return 200, {}, b'{"type": "message", "content": [ {"type": '
    kinds = {
        "rate_limited": ("rate_limit_error", reply.message),
        "overloaded": ("overloaded_error", "Overloaded"),
        "server_error": ("api_error", "Internal server error"),
        "context_length": ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
        "auth": ("authentication_error", f"invalid x-api-key: {presented_key(headers)}"),
        "bad_request": ("invalid_request_error", reply.message),
    }
    etype, msg = kinds.get(reply.kind, ("api_error", reply.message or "error"))
    payload = {"type": "error", "error": {"type": etype, "message": msg}}
    return reply.status, error_headers(reply), json.dumps(payload).encode()
