"""OpenAI-compatible: POST /v1/chat/completions (streaming too) and GET /v1/models, so the OpenAI
SDK (or anything speaking its wire format) pointed at http://HOST:PORT/v1 gets grounded answers.

The question is the last user message. Citations are in the text ([Source: name, page N]) and
structured: a top-level "citations" list (and in the message), plus a "ragkit" object (query id,
verified, abstained, cost, latency). Streamed, the last chunk carries them; when verification
rewrote what was streamed (strict mode, an abstention, an escalation), its "ragkit.text" is the
verified text. Sampling parameters are accepted and ignored; `filters` and `top_k` (extra_body)
narrow the retrieval, always inside the key's tenant filter."""

from __future__ import annotations

import json
import logging
import time

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ragkit.errors import RagkitError
from ragkit.serve.budget import charge, check_budget
from ragkit.serve.auth import require, scoped_filter
from ragkit.serve.errors import ApiError, from_ragkit
from ragkit.serve.keys import ApiKey
from ragkit.serve.routes_query import ERRORS, usable
from ragkit.serve.schemas import ChatRequest, ModelList
from ragkit.serve.sse import HEARTBEAT, ThreadStream, comment

log = logging.getLogger("ragkit.serve")
router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "ragkit"


def _question(body: ChatRequest) -> str:
    for m in reversed(body.messages):
        if m.role == "user":
            if isinstance(m.content, str):
                return m.content
            if isinstance(m.content, list):
                return " ".join(str(p.get("text", "")) for p in m.content if p.get("type") == "text")
    raise ApiError(400, "invalid_request", "messages must hold a user message with the question")


def _extra(answer) -> dict:
    return {"query_id": answer.query_id, "verified": answer.verified, "abstained": answer.abstained,
            "abstain_reason": answer.abstain_reason, "cost_usd": answer.cost_usd, "latency": dict(answer.latency),
            "model": answer.model, "provider": answer.provider}


def _usage(answer) -> dict:
    u = answer.usage
    prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
    return {"prompt_tokens": prompt, "completion_tokens": u.output_tokens, "total_tokens": prompt + u.output_tokens,
            "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens}}


@router.post("/chat/completions", responses={**ERRORS, 200: {
    "content": {"application/json": {"schema": {"type": "object"}}, "text/event-stream": {"schema": {
        "description": "each event's data: a chat.completion.chunk, an error, or [DONE]"}}},
    "description": "an OpenAI chat.completion, or chat.completion.chunk events"}})
async def chat_completions(body: ChatRequest, request: Request, key: ApiKey = Depends(require("query"))):
    question = _question(body)
    state = usable(request, question, body.top_k)
    check_budget(state, key)
    try:
        filters = scoped_filter(key, body.filters)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    created = int(time.time())
    if body.stream:
        usage = bool((body.stream_options or {}).get("include_usage"))
        return StreamingResponse(_chunks(state, key, question, filters, body, created, usage),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    try:
        answer = await run_in_threadpool(state.rag.ask, question, filters=filters, top_k=body.top_k)
    except RagkitError as exc:
        raise from_ragkit(exc) from None
    state.metrics.observe_answer(answer)
    charge(state, key, answer)
    cites = [c.to_dict() for c in answer.citations]
    return {"id": f"chatcmpl-{answer.query_id}", "object": "chat.completion", "created": created,
            "model": body.model, "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text, "citations": cites},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": _usage(answer), "citations": cites, "ragkit": _extra(answer)}


def _data(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False, default=str)}\n\n"


async def _chunks(state, key: ApiKey, question, filters, body: ChatRequest, created: int, include_usage: bool):
    from ragkit.answer.events import AnswerDelta, AnswerError, AnswerFinal

    cid = None
    streamed = ""

    def chunk(delta: dict, finish=None, **extra):
        return {"id": cid or "chatcmpl-ragkit", "object": "chat.completion.chunk", "created": created,
                "model": body.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    yield _data(chunk({"role": "assistant", "content": ""}))
    stream = ThreadStream(lambda: state.rag.ask_stream(question, filters=filters, top_k=body.top_k))
    try:
        async for ev in stream.items(state.cfg.serve.heartbeat_s):
            if ev is HEARTBEAT:
                yield comment()
            elif isinstance(ev, AnswerDelta):
                streamed += ev.text
                yield _data(chunk({"content": ev.text}))
            elif isinstance(ev, AnswerError):
                yield _data({"error": {"type": "answer_failed", "message": ev.message, "code": ev.error_type}})
                return
            elif isinstance(ev, AnswerFinal):
                a = ev.answer
                cid = f"chatcmpl-{a.query_id}"
                state.metrics.observe_answer(a)
                charge(state, key, a)
                extra = _extra(a)
                if a.text != streamed:
                    extra["text"] = a.text
                cites = [c.to_dict() for c in a.citations]
                yield _data(chunk({}, "stop", citations=cites, ragkit=extra))
                if include_usage:
                    yield _data({"id": cid, "object": "chat.completion.chunk", "created": created,
                                 "model": body.model, "choices": [], "usage": _usage(a)})
        yield "data: [DONE]\n\n"
    except RagkitError as exc:
        err = from_ragkit(exc)
        yield _data({"error": {"type": err.type, "message": err.message, "code": err.code}})
    except Exception as exc:  # noqa: BLE001
        log.error("chat stream failed: %s", type(exc).__name__)
        yield _data({"error": {"type": "internal_error", "message": "the answer failed", "code": type(exc).__name__}})


@router.get("/models", response_model=ModelList, responses=ERRORS)
def models(request: Request, key: ApiKey = Depends(require("query"))):
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "ragkit"}]}
