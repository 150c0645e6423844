"""ASGI middleware: request size limit (413), request metrics (route, method, status, latency), a
request id on every response, and a last-resort 500 in the error envelope (never a traceback)."""

from __future__ import annotations

import json
import logging
import time
import uuid

log = logging.getLogger("ragkit.serve")


class _TooLarge(Exception):
    pass


def _json_response(status: int, body: dict, headers: list | None = None):
    data = json.dumps(body).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                         *(headers or [])]},
            {"type": "http.response.body", "body": data})


class ServeMiddleware:
    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = int(self.state.cfg.serve.max_body_mb * 1024 * 1024)
        rid = uuid.uuid4().hex[:16]
        m = self.state.metrics
        t0 = time.perf_counter()
        status = [0]
        rid_header = (b"x-request-id", rid.encode())

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), rid_header]}
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = {"error": {"type": "request_too_large", "message": f"the request body is over "
                               f"{self.state.cfg.serve.max_body_mb:g} MB (serve.max_body_mb)", "code": "body_too_large"}}
        m.in_flight.inc()
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                for msg in _json_response(413, too_large):
                    await send_wrapped(msg)
                return
            seen = [0]

            async def receive_limited():
                message = await receive()
                if message["type"] == "http.request":
                    seen[0] += len(message.get("body", b""))
                    if seen[0] > limit:
                        raise _TooLarge()
                return message

            try:
                await self.app(scope, receive_limited, send_wrapped)
            except _TooLarge:
                if not status[0]:
                    for msg in _json_response(413, too_large):
                        await send_wrapped(msg)
            except Exception as exc:  # noqa: BLE001  (the client gets the envelope, the log the type)
                log.error("request %s %s failed: %s", rid, scope.get("path"), type(exc).__name__)
                if not status[0]:
                    body = {"error": {"type": "internal_error", "message": f"the server failed on this request "
                                      f"(request id {rid})", "code": "internal_error"}}
                    for msg in _json_response(500, body):
                        await send_wrapped(msg)
        finally:
            m.in_flight.dec()
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            m.requests.labels(label, scope.get("method", ""), str(status[0] or 500)).inc()
            m.latency.labels(label).observe(time.perf_counter() - t0)
