"""A loopback HTTP server that speaks the OpenAI and Anthropic wire formats, scriptable per request.

One server answers all three endpoints, told apart by path:

* ``POST /v1/chat/completions`` - OpenAI Chat Completions (``base_url = server.openai_base_url``)
* ``POST /v1/embeddings``       - OpenAI embeddings (deterministic unit vectors, float or base64)
* ``POST /v1/messages``         - Anthropic Messages (``base_url = server.anthropic_base_url``)

Replies are scripted with :class:`Reply` values (tests/loopback/replies.py) queued per model (or for
any model) with :meth:`LoopbackServer.script`; an empty queue falls back to ``server.responder``
(``responder(path, body) -> Reply | None``, body being the parsed JSON request) and then to
``server.default``. Each reply renders in the wire format of the endpoint that received it, with
usage fields including cached tokens: one JSON body (tests/loopback/wire.py), or server-sent events
in a chunked body when the request says ``"stream": true`` (tests/loopback/sse.py), where a reply
can be slow per delta or cut mid-stream (``Reply.cut``). Every request is recorded in
``server.seen`` (path, model, JSON body, headers, the reply's kind) and, once answered, its
`Seen.outcome` - ``answered`` (JSON), ``complete`` / ``cut`` (streams), ``client_closed`` (the
client hung up first) - with ``deltas_sent`` and the ``ended`` event set (``server.wait_ended()``).

This is test infrastructure: real HTTP on 127.0.0.1, no mocks; the real SDKs talk to it.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from tests.loopback.replies import Reply, with_usage
from tests.loopback.sse import DELTA, anthropic_events, openai_events, stream_plan
from tests.loopback.wire import (
    fake_embedding,
    render_anthropic,
    render_openai_chat,
    render_openai_embeddings,
    rough_tokens,
)

__all__ = ["ANY", "LoopbackServer", "Reply", "Seen", "fake_embedding", "rough_tokens", "with_usage"]

ANY = "*"


@dataclass
class Seen:
    path: str
    model: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lowercased
    kind: str
    t: float = field(default_factory=time.monotonic)
    outcome: str = ""  # answered / complete / cut / client_closed, once the reply was sent
    deltas_sent: int = 0  # text deltas written to a stream
    ended: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def streamed(self) -> bool:
        return bool(self.body.get("stream"))


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

        self._httpd = _QuietServer((self._host, self._port), Handler)
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

    def wait_ended(self, seen: Seen | None = None, timeout: float = 5.0) -> Seen:
        """`seen` (default: the last request) once its reply was sent or the client hung up."""
        if seen is None:
            deadline = time.monotonic() + timeout
            while not self.seen and time.monotonic() < deadline:
                time.sleep(0.01)
            assert self.seen, "no request arrived"
            seen = self.seen[-1]
        assert seen.ended.wait(timeout), f"the reply to {seen.path} did not end within {timeout}s"
        return seen

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a closed or cut stream) is expected here; anything else is printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        seen = Seen(path, str(body.get("model", "")), body, {k.lower(): v for k, v in self.headers.items()}, reply.kind)
        self.owner._record(seen)
        try:
            if reply.delay_s:
                time.sleep(reply.delay_s)
            streams = path.endswith(("/chat/completions", "/messages")) and body.get("stream") is True
            if streams and (reply.answers or reply.kind == "malformed"):
                seen.outcome = self._stream(reply, body, seen, anthropic=path.endswith("/messages"))
            else:
                seen.outcome = self._answer(reply, path, body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, close): fine
            seen.outcome = "client_closed"
            self.close_connection = True
        finally:
            seen.ended.set()

    # ---- one JSON body ------------------------------------------------------------------------------
    def _answer(self, reply: Reply, path: str, body: dict[str, Any]) -> str:
        if path.endswith("/chat/completions"):
            status, headers, payload = render_openai_chat(reply, body, self.headers)
        elif path.endswith("/embeddings"):
            status, headers, payload = render_openai_embeddings(reply, body, self.headers)
        elif path.endswith("/messages"):
            status, headers, payload = render_anthropic(reply, body, self.headers)
        else:
            status, headers, payload = 404, {}, json.dumps({"error": {"message": f"no route {path}"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if reply.kind == "cut":  # half the body, then the connection closes
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return "cut"
        self.wfile.write(payload)
        return "answered"

    # ---- a stream of server-sent events ---------------------------------------------------------------
    def _stream(self, reply: Reply, body: dict[str, Any], seen: Seen, *, anthropic: bool) -> str:
        events = anthropic_events(reply, body) if anthropic else openai_events(reply, body)
        sent, end = stream_plan(reply, events, anthropic)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for event in sent:
            wait = 0.0
            if event.role == DELTA:
                wait = reply.delta_delay_s + (reply.pause_s if seen.deltas_sent == reply.pause_after else 0.0)
            if wait and self._hung_up_within(wait):
                self.close_connection = True
                return "client_closed"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event.data), event.data))
            self.wfile.flush()
            if event.role == DELTA:
                seen.deltas_sent += 1
        if end == "drop":  # no last chunk: the client sees the connection close mid-body
            self.close_connection = True
            return "cut"
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        return "complete" if end is None else "cut"

    def _hung_up_within(self, seconds: float) -> bool:
        """Wait `seconds`; True as soon as the client closes its end of the connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if not readable:
                return False
            try:
                if self.connection.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            time.sleep(min(left, 0.005))  # data waiting (not ours to read): keep waiting
        return False
