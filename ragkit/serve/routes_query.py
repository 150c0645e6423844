"""POST /v1/ask (JSON, or Server-Sent Events with "stream": true / Accept: text/event-stream) and
POST /v1/search. The key's tenant filter is ANDed into every one (ragkit.serve.auth.scoped_filter)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ragkit.errors import RagkitError
from ragkit.serve.auth import require, scoped_filter
from ragkit.serve.budget import charge, check_budget
from ragkit.serve.errors import ApiError, from_ragkit
from ragkit.serve.keys import ApiKey
from ragkit.serve.schemas import AnswerOut, AskRequest, ErrorResponse, SearchOut, SearchRequest, answer_json, chunk_json
from ragkit.serve.sse import HEARTBEAT, ThreadStream, ask_frame, comment, frame

log = logging.getLogger("ragkit.serve")
router = APIRouter(prefix="/v1", tags=["query"])
ERRORS = {s: {"model": ErrorResponse} for s in (400, 401, 402, 403, 409, 413, 422, 429, 500, 502, 503)}


def usable(request: Request, question: str, top_k: int | None):
    """The server state, after the checks every query shares."""
    state = request.app.state.ragkit
    if not state.ready.is_set() or state.draining.is_set():
        raise ApiError(503, "not_ready", state.not_ready_reason or "the server is shutting down",
                       headers={"Retry-After": "1"})
    cfg = state.cfg.serve
    if len(question) > cfg.max_question_chars:
        raise ApiError(413, "request_too_large", f"the question is longer than {cfg.max_question_chars} characters")
    if not question.strip():
        raise ApiError(400, "invalid_request", "the question is empty")
    if top_k is not None and top_k > cfg.max_top_k:
        raise ApiError(400, "invalid_request", f"top_k may be at most {cfg.max_top_k}")
    if not state.rag.store.exists():
        raise ApiError(409, "index_empty", "no documents are indexed yet: POST /v1/ingest first")
    return state


def wants_stream(request: Request, body_stream: bool) -> bool:
    return body_stream or "text/event-stream" in request.headers.get("accept", "")


@router.post("/ask", response_model=AnswerOut, responses={**ERRORS, 200: {
    "content": {"text/event-stream": {"schema": {"type": "object", "description": "each event's data"}}},
    "description": "the answer; or, streamed, events delta / citation / done / error"}})
async def ask(body: AskRequest, request: Request, key: ApiKey = Depends(require("query"))):
    state = usable(request, body.question, body.top_k)
    check_budget(state, key)
    try:
        filters = scoped_filter(key, body.filters)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    if wants_stream(request, body.stream):
        return StreamingResponse(_ask_events(state, key, body.question, filters, body.top_k),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    try:
        answer = await run_in_threadpool(state.rag.ask, body.question, filters=filters, top_k=body.top_k)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    state.metrics.observe_answer(answer)
    charge(state, key, answer)
    return answer_json(answer)


def _ask_events(state, key: ApiKey, question: str, filters, top_k):
    return answer_events(state, key, lambda: state.rag.ask_stream(question, filters=filters, top_k=top_k),
                         answer_json)


async def answer_events(state, key: ApiKey, open_stream, to_json, other=None):
    """SSE frames of an answer stream (`open_stream()` -> ask events), with heartbeats; the final
    answer is observed in the metrics and charged to the key. `other(ev)`: the frame of an event
    that is not an ask event (a chat's condensation), or None."""
    stream = ThreadStream(open_stream)
    yield comment("stream open")
    try:
        async for ev in stream.items(state.cfg.serve.heartbeat_s):
            if ev is HEARTBEAT:
                yield comment()
                continue
            extra = other(ev) if other is not None else None
            if extra is not None:
                yield extra
                continue
            name, text = ask_frame(ev, to_json)
            if name == "done":
                state.metrics.observe_answer(ev.answer)
                charge(state, key, ev.answer)
            yield text
    except RagkitError as exc:  # raised before the stream's own error handling (e.g. a bad filter)
        err = from_ragkit(exc)
        yield frame("error", {"error": {"type": err.type, "message": err.message, "code": err.code}})
    except Exception as exc:  # noqa: BLE001
        log.error("answer stream failed: %s", type(exc).__name__)
        yield frame("error", {"error": {"type": "internal_error", "message": "the answer failed",
                                        "code": type(exc).__name__}})


@router.post("/search", response_model=SearchOut, responses=ERRORS)
async def search(body: SearchRequest, request: Request, key: ApiKey = Depends(require("query"))):
    state = usable(request, body.query, body.top_k)
    try:
        filters = scoped_filter(key, body.filters)
        res = await run_in_threadpool(state.rag.search, body.query, filters=filters, top_k=body.top_k,
                                      mode=body.mode, rerank=body.rerank)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    return {"query": body.query, "results": [chunk_json(h) for h in res.results],
            "timings": {k: float(v) for k, v in res.timings.items()},
            "notes": [res.rerank_note] if res.rerank_note else []}
