"""One JSON error envelope for every failure: {"error": {"type", "message", "code"}}.

`ApiError` is raised by the routes; ragkit's own errors are mapped to a status here; anything else
is a 500 whose body says only that it failed and the request id (the log has the type, never a
traceback or the request body)."""

from __future__ import annotations

import logging
from typing import Any

from ragkit import errors as rk

log = logging.getLogger("ragkit.serve")


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code or type_
        self.headers = headers or {}


def envelope(type_: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "code": code or type_}}


# ragkit error class -> (status, type); the first match in the class's MRO wins
_STATUS: dict[type, tuple[int, str]] = {
    rk.FilterError: (400, "invalid_filter"),
    rk.ConfigError: (400, "invalid_request"),
    rk.BudgetExceededError: (402, "budget_exceeded"),
    rk.IndexLockedError: (503, "index_locked"),
    rk.RateLimitedError: (503, "provider_rate_limited"),
    rk.ProviderTimeoutError: (504, "provider_timeout"),
    rk.ProviderError: (502, "provider_error"),
    rk.AllModelsFailedError: (502, "provider_error"),
    rk.StoreError: (503, "store_unavailable"),
    rk.LedgerError: (503, "ledger_unavailable"),
    rk.IngestError: (422, "ingest_failed"),
}


def from_ragkit(exc: rk.RagkitError) -> ApiError:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            status, type_ = _STATUS[cls]
            headers = {}
            retry = getattr(exc, "retry_after", None)
            if status == 503 and retry:
                headers["Retry-After"] = str(max(1, int(round(retry))))
            return ApiError(status, type_, _plain(str(exc)), code=type(exc).__name__, headers=headers)
    return ApiError(500, "internal_error", _plain(str(exc)), code=type(exc).__name__)


def _plain(message: str) -> str:
    """A message for a client: one paragraph, bounded."""
    message = " ".join(message.split())
    return message if len(message) <= 2000 else message[:1997] + "..."


def status_type(status: int) -> str:
    return {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "request_too_large", 415: "unsupported_media_type",
            422: "invalid_request", 429: "rate_limited", 503: "unavailable"}.get(status, "error")
