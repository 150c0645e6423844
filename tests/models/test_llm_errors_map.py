"""Error mapping and Retry-After parsing: pure functions over statuses, bodies and header values."""

from __future__ import annotations

import email.utils

import pytest

from ragkit.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ContextWindowExceededError,
    ProviderTimeoutError,
    RateLimitedError,
    ServerError,
)
from ragkit.models.llm.base import scrub
from ragkit.models.llm.errors_map import error_details, error_type_for, parse_retry_after, retry_after_from_headers

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
