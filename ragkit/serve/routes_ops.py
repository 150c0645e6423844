"""GET /healthz (liveness: checks nothing), GET /readyz (503 until the index is open and the models
loaded, and while shutting down), GET /metrics (Prometheus text), GET /v1/cost (admin)."""

from __future__ import annotations

import time
from typing import Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from ragkit.errors import ConfigError, LedgerError
from ragkit.serve.auth import require
from ragkit.serve.errors import ApiError, from_ragkit
from ragkit.serve.keys import ApiKey
from ragkit.serve.schemas import ErrorResponse

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz():
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": ErrorResponse}})
def readyz(request: Request):
    state = request.app.state.ragkit
    if state.draining.is_set():
        return JSONResponse({"error": {"type": "not_ready", "message": "shutting down", "code": "draining"}},
                            status_code=503)
    if not state.ready.is_set():
        return JSONResponse({"error": {"type": "not_ready", "message": state.not_ready_reason,
                                       "code": "starting"}}, status_code=503, headers={"Retry-After": "1"})
    return {"status": "ready", "indexed": state.rag.store.exists()}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request, key: ApiKey = Depends(require("admin"))):
    m = request.app.state.ragkit.metrics
    return Response(m.render(), media_type=m.content_type)


@router.get("/v1/cost", responses={s: {"model": ErrorResponse} for s in (400, 401, 403, 429, 503)})
def cost(request: Request, key: ApiKey = Depends(require("admin")),
         since: Optional[str] = Query(None, max_length=64, description="7d, 24h, 30m, or a date (UTC)")):
    from ragkit.orchestrate.cost_report import build_report, parse_since
    from ragkit.orchestrate.ledger import Ledger, pending_path

    state = request.app.state.ragkit
    try:
        since_ts = parse_since(since, time.time())
    except ConfigError as exc:
        raise ApiError(400, "invalid_request", str(exc)) from None
    path = state.cfg.ledger_path
    rows = []
    if path.is_file() or pending_path(path).is_file():
        try:
            with Ledger(path) as led:
                rows = led.dicts()
        except LedgerError as exc:
            raise from_ragkit(exc) from None
    return build_report(rows, since=since_ts, source=str(path))
