"""Who is calling: the API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`), its role checked,
its rate limit taken. With no keys configured every caller is the local admin (the server then
binds to loopback only). Keys in query strings are not accepted (they end up in access logs)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from ragkit.serve.errors import ApiError
from ragkit.serve.keys import ApiKey
from ragkit.serve.ratelimit import retry_after_header

LOCAL = ApiKey(id="local", sha256="", tenant=None, filter=None, roles=frozenset({"admin"}))


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


def caller(request: Request, role: str) -> ApiKey:
    state = request.app.state.ragkit
    if not state.keys.enabled:
        key = LOCAL
    else:
        presented = presented_key(request)
        if presented is None:
            raise ApiError(401, "unauthorized", "an API key is required: Authorization: Bearer KEY",
                           headers={"WWW-Authenticate": "Bearer"})
        key = state.keys.lookup(presented)
        if key is None:
            raise ApiError(401, "unauthorized", "the API key is not valid", code="invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})
    if not key.allows(role):
        raise ApiError(403, "forbidden", f"this key does not have the {role!r} role", code="missing_role")
    cfg = state.cfg.serve
    wait = state.limiter.take(key.id, key.rate_per_min or cfg.rate_per_min, key.burst or cfg.burst)
    if wait > 0:
        state.metrics.rate_limited.inc()
        raise ApiError(429, "rate_limited", f"too many requests for this key; retry in {retry_after_header(wait)} s",
                       headers={"Retry-After": retry_after_header(wait)})
    request.state.key_id = key.id
    return key


def require(role: str):
    def dependency(request: Request) -> ApiKey:
        return caller(request, role)
    return dependency


def scoped_filter(key: ApiKey, requested: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's filter ANDed with the key's: the result can only narrow the key's view."""
    from ragkit.filters import parse_filter

    if requested is not None:
        parse_filter(requested)  # a bad request filter is the caller's 400, named as theirs
    if key.filter is None:
        return requested or None
    if not requested:
        return key.filter
    return {"and": [key.filter, requested]}
