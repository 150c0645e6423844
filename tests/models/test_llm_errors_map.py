"""Error mapping and Retry-After parsing: pure functions over statuses, bodies and header values."""

from __future__ import annotations

import email.utils

import pytest

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
from ragkit.models.llm.base import scrub
from ragkit.models.llm.errors_map import (
    error_details,
    error_type_for,
    map_exception,
    parse_retry_after,
    retry_after_from_headers,
)

pytestmark = pytest.mark.unit
NOW = 1_750_000_000.0


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("3", NOW) == 3.0
    assert parse_retry_after("0.25", NOW) == 0.25
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(7.0)
    past = email.utils.formatdate(NOW - 30, usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("", NOW) is None


def test_retry_after_ms_header_wins():
    assert retry_after_from_headers({"retry-after-ms": "1500", "retry-after": "9"}, NOW) == 1.5
    assert retry_after_from_headers({"retry-after": "9"}, NOW) == 9.0
    assert retry_after_from_headers({}, NOW) is None


@pytest.mark.parametrize("status,message,code,etype,expected", [
    (429, "Rate limit reached", "rate_limit_exceeded", None, RateLimitedError),
    (401, "Incorrect API key", "invalid_api_key", None, AuthenticationError),
    (403, "forbidden", None, "permission_error", AuthenticationError),
    (400, "This model's maximum context length is 8192 tokens", "context_length_exceeded", None,
     ContextWindowExceededError),
    (400, "prompt is too long: 210000 tokens > 200000 maximum", None, "invalid_request_error",
     ContextWindowExceededError),
    (400, "the request exceeds the available context size", None, None, ContextWindowExceededError),  # llama.cpp
    (413, "request too large", None, "request_too_large", ContextWindowExceededError),
    (400, "blocked by the content management policy", "content_filter", None, ContentFilteredError),
    (400, "Invalid value for 'temperature'", None, "invalid_request_error", BadRequestError),
    (404, "model not found", "model_not_found", None, BadRequestError),
    (408, "timeout", None, None, ProviderTimeoutError),
    (500, "oops", None, "api_error", ServerError),
    (503, "unavailable", None, None, ServerError),
    (529, "Overloaded", None, "overloaded_error", ServerError),
])
def test_status_and_body_map_to_typed_errors(status, message, code, etype, expected):
    assert error_type_for(status, message, code, etype) is expected


def test_policies_per_type():
    assert RateLimitedError.retryable and ServerError.retryable and ProviderTimeoutError.retryable
    assert ContextWindowExceededError.fallback and not ContextWindowExceededError.retryable
    for cls in (AuthenticationError, BadRequestError, ContentFilteredError):
        assert not cls.retryable and not cls.fallback


def test_error_details_from_both_wire_formats():
    assert error_details({"error": {"message": "m", "code": "c", "type": "t"}}) == ("m", "c", "t")
    assert error_details({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}) == (
        "Overloaded", None, "overloaded_error")
    assert error_details(b'{"error": {"message": "x"}}')[0] == "x"
    assert error_details("plain text") == ("plain text", None, None)


def test_scrub_hides_whole_and_partial_keys():
    key = "sk-proj-ABCDEFGH12345678ZYXWVUTS"
    text = f"Incorrect API key provided: {key}. Also sk-proj-...ZYXWVUTS"
    out = scrub(text, [key])
    assert key not in out and "ZYXWVUTS" not in out
    assert scrub("nothing here", [key]) == "nothing here"
    assert scrub("x", [None, ""]) == "x"


# ---- faults inside a stream: the SDKs' own exception classes, as they raise them --------------------------
def _request():
    import httpx2

    return httpx2.Request("POST", "http://127.0.0.1:1/v1/chat/completions")


def test_an_openai_error_event_in_a_stream_is_a_server_error_without_status():
    import openai

    # openai's Stream raises a status-less APIError with the event's `error` object as the body
    exc = openai.APIError("The server had an error", _request(),
                          body={"message": "The server had an error", "type": "server_error", "code": None})
    err = map_exception(exc, openai, provider="openai", model="m")
    assert type(err) is ServerError and err.status is None and "error event in the stream" in str(err)
    odd = openai.APIError("x", _request(), body={"message": "something odd", "type": "weird"})
    assert type(map_exception(odd, openai, provider="openai", model="m")) is ServerError  # accepted, then failed


def test_an_anthropic_error_event_in_a_200_stream_maps_by_its_type():
    import anthropic
    import httpx2

    response = httpx2.Response(200, request=_request())  # anthropic raises it against the 200 stream response
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    err = map_exception(anthropic.APIStatusError("Overloaded", response=response, body=body), anthropic,
                        provider="anthropic", model="m")
    assert type(err) is ServerError and err.status is None and "Overloaded" in str(err)


@pytest.mark.parametrize("name,expected,text", [
    ("RemoteProtocolError", ServerError, "connection broke"),
    ("ReadError", ServerError, "connection broke"),
    ("ReadTimeout", ProviderTimeoutError, "timed out"),
])
@pytest.mark.parametrize("lib", ["httpx2", "httpx"])
def test_transport_errors_read_from_a_stream_map_by_kind(lib, name, expected, text):
    import importlib

    import anthropic

    exc = getattr(importlib.import_module(lib), name)("peer closed connection without sending complete message body")
    err = map_exception(exc, anthropic, provider="anthropic", model="m")
    assert type(err) is expected and text in str(err)


def test_openai_connection_errors_say_whether_the_connection_broke_or_never_opened():
    import httpx2
    import openai

    def wrapped(cause):
        try:
            raise openai.APIConnectionError(request=_request()) from cause
        except openai.APIConnectionError as exc:
            return str(map_exception(exc, openai, provider="openai", model="m"))

    assert "connection broke" in wrapped(httpx2.RemoteProtocolError("incomplete chunked read"))
    assert "cannot connect" in wrapped(httpx2.ConnectError("refused"))


def test_a_decode_error_is_malformed_and_anything_else_a_server_error():
    import openai

    assert type(map_exception(ValueError("Expecting value"), openai, provider="openai", model="m")) is \
        MalformedResponseError
    assert type(map_exception(RuntimeError("?"), openai, provider="openai", model="m")) is ServerError
