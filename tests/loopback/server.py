"""A loopback HTTP server that speaks the OpenAI and Anthropic wire formats, scriptable per request.

One server answers all three endpoints, told apart by path:

* ``POST /v1/chat/completions`` - OpenAI Chat Completions (``base_url = server.openai_base_url``)
* ``POST /v1/embeddings``       - OpenAI embeddings (deterministic unit vectors, float or base64)
* ``POST /v1/messages``         - Anthropic Messages (``base_url = server.anthropic_base_url``)

Replies are scripted with :class:`Reply` values queued per model (or for any model) with
:meth:`LoopbackServer.script`; an empty queue falls back to ``server.responder`` (``responder(path, body) -> Reply | None``,
body being the parsed JSON request) and then to ``server.default``. Each reply renders in the
wire format of the endpoint that received it, with usage fields including cached tokens. Every
request is recorded in ``server.seen`` (path, model, JSON body, headers, the reply's kind).

This is test infrastructure: real HTTP on 127.0.0.1, no mocks; the real SDKs talk to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

ANY = "*"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the class methods; `kind` says which fault it is."""

    kind: str = "ok"
    text: str = "ok"
    status: int = 200
    input_tokens: int | None = None  # uncached input tokens; None: a rough count of the request
    output_tokens: int | None = None
    cache_read: int = 0
    cache_write: int = 0  # Anthropic only; OpenAI has no cache-write field
    finish_reason: str | None = None  # default "stop" / "end_turn"
    retry_after: str | None = None  # the Retry-After header, verbatim
    delay_s: float = 0.0  # sleep before answering (slow responses)
    message: str = ""

    # ---- constructors ---------------------------------------------------------------------------
    @classmethod
    def ok(cls, text: str = "ok", *, input_tokens: int | None = None, output_tokens: int | None = None,
           cache_read: int = 0, cache_write: int = 0, finish_reason: str | None = None,
           delay_s: float = 0.0) -> "Reply":
        return cls("ok", text, 200, input_tokens, output_tokens, cache_read, cache_write, finish_reason,
                   delay_s=delay_s)

    @classmethod
    def rate_limited(cls, retry_after: str | float | None = "1") -> "Reply":
        ra = None if retry_after is None else str(retry_after)
        return cls("rate_limited", status=429, retry_after=ra, message="Rate limit reached; try again later.")

    @classmethod
    def server_error(cls, status: int = 500) -> "Reply":
        return cls("server_error", status=status, message="The server had an error processing the request.")

    @classmethod
    def overloaded(cls) -> "Reply":
        return cls("overloaded", status=529, message="Overloaded")

    @classmethod
    def slow(cls, delay_s: float, text: str = "late") -> "Reply":
        return cls("slow", text, 200, delay_s=delay_s)

    @classmethod
    def malformed(cls) -> "Reply":
        return cls("malformed", status=200)

    @classmethod
    def context_length(cls) -> "Reply":
        return cls("context_length", status=400)

    @classmethod
    def auth_error(cls) -> "Reply":
        return cls("auth", status=401)

    @classmethod
    def content_filter(cls) -> "Reply":
        """A 200 whose finish reason says the output was filtered (OpenAI) or refused (Anthropic)."""
        return cls("content_filter", "", 200)

    @classmethod
    def bad_request(cls, message: str = "Invalid value for 'temperature'.") -> "Reply":
        return cls("bad_request", status=400, message=message)


@dataclass
class Seen:
    path: str
    model: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lowercased
    kind: str
    t: float = field(default_factory=time.monotonic)


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


class LoopbackServer:
    """Start with `start()` (or as a context manager); `close()` stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Reply]] = {}
        self.seen: list[Seen] = []
        self.default: Reply = Reply.ok("ok")
        self.responder: Callable[[str, dict[str, Any]], Reply | None] | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "LoopbackServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer((self._host, self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    # ---- scripting ------------------------------------------------------------------------------
    def script(self, model: str | None, *replies: Reply) -> "LoopbackServer":
        """Queue replies for requests naming `model` (None: any model), answered in order."""
        with self._lock:
            self._queues.setdefault(model or ANY, deque()).extend(replies)
        return self

    def reset(self) -> None:
        with self._lock:
            self._queues.clear()
            self.seen.clear()
        self.default = Reply.ok("ok")
        self.responder = None

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def requests(self, path_suffix: str = "", model: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.endswith(path_suffix) and (model is None or s.model == model)]

    def _next_reply(self, path: str, body: dict[str, Any]) -> Reply:
        model = str(body.get("model", ""))
        with self._lock:
            for key in (model, ANY):
                q = self._queues.get(key)
                if q:
                    return q.popleft()
        if self.responder is not None:
            reply = self.responder(path, body)
            if reply is not None:
                return reply
        return self.default

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


class _Handler(BaseHTTPRequestHandler):
    owner: LoopbackServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on loopback

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        path = self.path.split("?", 1)[0]
        reply = self.owner._next_reply(path, body)
        self.owner._record(Seen(path, str(body.get("model", "")), body, {k.lower(): v for k, v in self.headers.items()}, reply.kind))
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if path.endswith("/chat/completions"):
            status, headers, payload = _render_openai_chat(reply, body, self.headers)
        elif path.endswith("/embeddings"):
            status, headers, payload = _render_openai_embeddings(reply, body, self.headers)
        elif path.endswith("/messages"):
            status, headers, payload = _render_anthropic(reply, body, self.headers)
        else:
            status, headers, payload = 404, {}, json.dumps({"error": {"message": f"no route {path}"}}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass


# ---- wire formats ------------------------------------------------------------------------------
def _usage(reply: Reply, body: dict[str, Any]) -> tuple[int, int]:
    inp = reply.input_tokens if reply.input_tokens is not None else rough_tokens(body)
    out = reply.output_tokens if reply.output_tokens is not None else max(1, len(reply.text) // 4)
    return inp, out


def _error_headers(reply: Reply) -> dict[str, str]:
    return {"Retry-After": reply.retry_after} if reply.retry_after is not None else {}


def _presented_key(headers) -> str:
    auth = headers.get("Authorization", "") or ""
    return auth.removeprefix("Bearer ").strip() or (headers.get("x-api-key") or "")


def _render_openai_chat(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    model = str(body.get("model", ""))
    if reply.kind in ("ok", "slow", "content_filter"):
        inp, out = _usage(reply, body)
        finish = reply.finish_reason or ("content_filter" if reply.kind == "content_filter" else "stop")
        data = {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                         "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": inp + reply.cache_read,  # OpenAI counts cached tokens inside prompt_tokens
                "completion_tokens": out,
                "total_tokens": inp + reply.cache_read + out,
                "prompt_tokens_details": {"cached_tokens": reply.cache_read, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        }
        return 200, {}, json.dumps(data).encode()
    if reply.kind == "malformed":
        return 200, {}, b'{"id": "chatcmpl-loopback", "choices": [ {"message": '
    err = _openai_error(reply, headers)
    return reply.status, _error_headers(reply), json.dumps({"error": err}).encode()


def _openai_error(reply: Reply, headers) -> dict[str, Any]:
    if reply.kind == "context_length":
        return {"message": "This model's maximum context length is 128000 tokens. However, your messages "
                           "resulted in 131072 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}
    if reply.kind == "auth":
        # the real API echoes (part of) the key it was given: the client must never surface it
        return {"message": f"Incorrect API key provided: {_presented_key(headers)}.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
    if reply.kind == "rate_limited":
        return {"message": reply.message, "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    if reply.kind == "bad_request":
        return {"message": reply.message, "type": "invalid_request_error", "param": None, "code": None}
    return {"message": reply.message or "error", "type": "server_error", "param": None, "code": None}


def _render_openai_embeddings(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    if reply.kind == "malformed":
        return 200, {}, b'{"object": "list", "data": [ {'
    if reply.kind not in ("ok", "slow"):
        return reply.status, _error_headers(reply), json.dumps({"error": _openai_error(reply, headers)}).encode()
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


def _render_anthropic(reply: Reply, body: dict[str, Any], headers) -> tuple[int, dict[str, str], bytes]:
    model = str(body.get("model", ""))
    if reply.kind in ("ok", "slow", "content_filter"):
        inp, out = _usage(reply, body)
        stop = reply.finish_reason or ("refusal" if reply.kind == "content_filter" else "end_turn")
        content = [{"type": "text", "text": reply.text}] if reply.text else []
        data = {
            "id": "msg_loopback",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": inp,  # Anthropic: uncached input only
                "output_tokens": out,
                "cache_creation_input_tokens": reply.cache_write,
                "cache_read_input_tokens": reply.cache_read,
            },
        }
        return 200, {}, json.dumps(data).encode()
    if reply.kind == "malformed":
        return 200, {}, b'{"type": "message", "content": [ {"type": '
    kinds = {
        "rate_limited": ("rate_limit_error", reply.message),
        "overloaded": ("overloaded_error", "Overloaded"),
        "server_error": ("api_error", "Internal server error"),
        "context_length": ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
        "auth": ("authentication_error", f"invalid x-api-key: {_presented_key(headers)}"),
        "bad_request": ("invalid_request_error", reply.message),
    }
    etype, msg = kinds.get(reply.kind, ("api_error", reply.message or "error"))
    payload = {"type": "error", "error": {"type": etype, "message": msg}}
    return reply.status, _error_headers(reply), json.dumps(payload).encode()


def with_usage(reply: Reply, **kw: int) -> Reply:
    """A copy of `reply` with usage fields replaced (input_tokens=, output_tokens=, cache_read=...)."""
    return replace(reply, **kw)
