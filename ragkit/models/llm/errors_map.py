"""SDK exceptions and HTTP status/body -> ragkit's typed provider errors (ragkit/errors.py).

Both official SDKs share a shape (APITimeoutError, APIConnectionError, APIStatusError with
`status_code`, `response.headers`, `body`), so one mapper serves both; the provider passes its SDK
module. Messages are scrubbed of the API key before they reach an error.

Streams add faults that arrive after the HTTP status: an error event inside a 200 stream (OpenAI's
SDK raises a status-less `APIError` with the event's body, Anthropic's an `APIStatusError` of the
200 response), mapped by the event's error type with no HTTP status (ServerError unless the type
says otherwise); and transport errors that the Anthropic SDK lets through from its HTTP client
while reading a stream (httpx / httpx2 `TimeoutException` -> ProviderTimeoutError, any other
`TransportError` such as a connection closed mid-body -> ServerError).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any, Mapping, Sequence

from ragkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ContextWindowExceededError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
)
from ragkit.models.llm.base import scrub

_CONTEXT = re.compile(
    r"context[_ ]length|maximum context|context window|prompt is too long|exceeds? (the )?(available )?context"
    r"|too many tokens|exceed_context_size|input length and `?max_tokens`? exceed",
    re.I,
)
_FILTER = re.compile(r"content[_ ]filter|content[_ ]policy|content management policy|safety system", re.I)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date (`now` is epoch time)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_after_from_headers(headers: Mapping[str, str] | Any, now: float) -> float | None:
    """`retry-after-ms` (OpenAI) wins over `retry-after`; None when neither parses."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"), now)


def error_details(body: Any) -> tuple[str, str | None, str | None]:
    """(message, code, type) from an OpenAI-style {"error": {...}} or Anthropic {"type":"error","error":{...}}."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return (body.decode(errors="replace") if isinstance(body, bytes) else body), None, None
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            return str(err.get("message") or ""), _s(err.get("code")), _s(err.get("type"))
        return str(err), None, None
    return "", None, None


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def error_type_for(status: int | None, message: str, code: str | None = None, etype: str | None = None
                   ) -> type[ProviderError]:
    """The ragkit error class for an HTTP error. Pure: status, message, code and type only."""
    text = " ".join(x for x in (message, code or "", etype or "") if x)
    if status == 429:
        return RateLimitedError
    if status in (401, 403) or etype in ("authentication_error", "permission_error"):
        return AuthenticationError
    if status == 413 or _CONTEXT.search(text):
        return ContextWindowExceededError
    if _FILTER.search(text):
        return ContentFilteredError
    if status == 408:
        return ProviderTimeoutError
    if status is not None and (status >= 500 or status == 409):
        return ServerError
    if etype in ("overloaded_error", "api_error", "server_error"):
        return ServerError
    return BadRequestError


def map_exception(exc: BaseException, sdk: Any, *, provider: str, model: str, secrets: Sequence[str | None] = (),
                  now: float | None = None) -> ProviderError:
    """One SDK exception (or a decode error raised inside the SDK call) -> a typed ProviderError."""
    where = f"{provider} model {model!r}"
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeoutError(f"{where}: request timed out; raise timeout_s or the retry deadline",
                                    provider=provider, model=model)
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__
        if cause is not None and _transport_fault(cause) == "connection" and "Connect" not in type(cause).__name__:
            return ServerError(f"{where}: the connection broke ({type(cause).__name__}: "
                               f"{scrub(str(cause), secrets)[:200]})", provider=provider, model=model)
        return ServerError(f"{where}: cannot connect ({scrub(str(exc), secrets)}); check base_url and the network",
                           provider=provider, model=model)
    transport = _transport_fault(exc)
    if transport == "timeout":
        return ProviderTimeoutError(f"{where}: a read timed out while streaming; raise timeout_s",
                                    provider=provider, model=model)
    if transport == "connection":
        return ServerError(f"{where}: the connection broke ({type(exc).__name__}: {scrub(str(exc), secrets)[:200]})",
                           provider=provider, model=model)
    in_stream = not isinstance(exc, sdk.APIStatusError) and type(exc) is getattr(sdk, "APIError", None)
    if isinstance(exc, sdk.APIStatusError) or in_stream:
        status = int(getattr(exc, "status_code", 0) or 0) or None
        if status is not None and status < 400:  # an error event inside a 200 stream: no HTTP error status
            status, in_stream = None, True
        message, code, etype = error_details(getattr(exc, "body", None))
        if not message:
            message = str(getattr(exc, "message", "") or exc)
        cls = error_type_for(status, message, code, etype)
        if in_stream and cls is BadRequestError:  # the request was accepted: the server failed later
            cls = ServerError
        label = "error event in the stream" if in_stream or status is None else f"HTTP {status}"
        text = f"{where}: {label}: {scrub(message, secrets)}" + (f" (code {code})" if code else "")
        hint = _HINTS.get(cls)
        if hint:
            text += f"; {hint}"
        if cls is RateLimitedError:
            headers = getattr(getattr(exc, "response", None), "headers", None)
            ra = retry_after_from_headers(headers, time.time() if now is None else now)
            return RateLimitedError(text, retry_after=ra, provider=provider, model=model, status=status)
        return cls(text, provider=provider, model=model, status=status)
    response_validation = getattr(sdk, "APIResponseValidationError", None)
    if (response_validation and isinstance(exc, response_validation)) or isinstance(exc, ValueError):
        return MalformedResponseError(
            f"{where}: the response could not be parsed ({type(exc).__name__}: {scrub(str(exc), secrets)[:200]})",
            provider=provider, model=model)
    return ServerError(f"{where}: unexpected {type(exc).__name__}: {scrub(str(exc), secrets)[:200]}",
                       provider=provider, model=model)


def _transport_fault(exc: BaseException) -> str | None:
    """"timeout" / "connection" for an httpx or httpx2 transport error (read by class names, so
    neither client library is imported here), else None."""
    names = {c.__name__ for c in type(exc).__mro__ if c.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore")}
    if "TimeoutException" in names:
        return "timeout"
    if names & {"TransportError", "NetworkError", "ProtocolError"}:
        return "connection"
    return None


_HINTS: dict[type[ProviderError], str] = {
    AuthenticationError: "check the API key in the environment variable named by api_key_env",
    ContextWindowExceededError: "shorten the context (answer.context_tokens) or add a larger-context fallback",
    ContentFilteredError: "the provider refused the content; rephrase or use another provider",
    BadRequestError: "the request was rejected as invalid; check the model name and parameters",
}
