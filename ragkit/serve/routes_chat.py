"""Conversations over HTTP (ragkit/chat/): sessions are the key's tenant's; a tenant never sees
another tenant's session (the same id under two tenants is two sessions).

    POST   /v1/chat {"session_id", "message", "filters": obj|null, "stream": bool}
           -> the JSON of POST /v1/ask plus "standalone_question", "session_id", "turn", "condense";
              streamed, the SSE events of /v1/ask ("condensed" {"standalone_question", "method"} first),
              "done" carrying the same JSON.
    GET    /v1/chat/sessions/{session_id}  -> {"session_id", "turns": [...]}  (404 when it has none)
    DELETE /v1/chat/sessions/{session_id}  -> {"session_id", "deleted": n}   (404 when it has none)
"""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ragkit.chat.sessions import Turn
from ragkit.errors import RagkitError
from ragkit.serve.budget import charge, check_budget
from ragkit.serve.auth import require, scoped_filter
from ragkit.serve.errors import ApiError, from_ragkit
from ragkit.serve.keys import ApiKey
from ragkit.serve.routes_query import ERRORS, answer_events, usable, wants_stream
from ragkit.serve.schemas import AnswerOut, ErrorResponse, answer_json
from ragkit.serve.sse import frame

router = APIRouter(prefix="/v1", tags=["chat"])
SESSION_ERRORS = {**ERRORS, 404: {"model": ErrorResponse}}
SESSION_ID = r"^[A-Za-z0-9_.:@-]{1,128}$"


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str = Field(..., pattern=SESSION_ID)
    message: str = Field(..., min_length=1)
    filters: Optional[dict[str, Any]] = None
    stream: bool = False


class SessionOut(BaseModel):
    session_id: str
    turns: list[Turn]  # the stored turn itself (ragkit/chat/sessions.py), one shape for both


class DeletedOut(BaseModel):
    session_id: str
    deleted: int


class ChatAnswerOut(AnswerOut):
    standalone_question: str
    session_id: str
    turn: int
    condense: dict[str, Any]


def chat_json(a) -> dict[str, Any]:
    d = answer_json(a)
    d.update(standalone_question=a.standalone_question, session_id=a.session_id, turn=a.turn,
             condense=dict(a.condense))
    return d


@router.post("/chat", response_model=ChatAnswerOut, responses={**ERRORS, 200: {
    "content": {"text/event-stream": {"schema": {"type": "object", "description": "each event's data"}}},
    "description": "the answer; or, streamed, events condensed / delta / citation / done / error"}})
async def chat(body: ChatRequest, request: Request, key: ApiKey = Depends(require("query"))):
    state = usable(request, body.message, None)
    check_budget(state, key)
    try:
        filters = scoped_filter(key, body.filters)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    tenant = key.tenant
    if wants_stream(request, body.stream):
        return StreamingResponse(_chat_events(state, key, body.session_id, body.message, filters, tenant),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    try:
        answer = await run_in_threadpool(state.rag.chat, body.session_id, body.message, filters=filters,
                                         tenant=tenant)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    state.metrics.observe_answer(answer)
    charge(state, key, answer)
    return chat_json(answer)


def _chat_events(state, key: ApiKey, session_id: str, message: str, filters, tenant):
    from ragkit.chat.chat import Condensation

    def condensed(ev):
        if isinstance(ev, Condensation):
            return frame("condensed", {"standalone_question": ev.standalone_question, "method": ev.method})
        return None

    return answer_events(state, key, lambda: state.rag.chat_stream(session_id, message, filters=filters,
                                                                   tenant=tenant), chat_json, condensed)


def _session(session_id: str = Path(..., pattern=SESSION_ID)) -> str:
    return session_id


@router.get("/chat/sessions/{session_id}", response_model=SessionOut, responses=SESSION_ERRORS)
async def show(request: Request, session_id: str = Depends(_session), key: ApiKey = Depends(require("query"))):
    turns = await run_in_threadpool(request.app.state.ragkit.rag.chat_show, session_id, key.tenant)
    if not turns:
        raise ApiError(404, "not_found", "no such session", code="session_not_found")
    return {"session_id": session_id, "turns": [t.to_dict() for t in turns]}


@router.delete("/chat/sessions/{session_id}", response_model=DeletedOut, responses=SESSION_ERRORS)
async def delete(request: Request, session_id: str = Depends(_session), key: ApiKey = Depends(require("query"))):
    n = await run_in_threadpool(request.app.state.ragkit.rag.chat_delete, session_id, key.tenant)
    if not n:
        raise ApiError(404, "not_found", "no such session", code="session_not_found")
    return {"session_id": session_id, "deleted": n}
