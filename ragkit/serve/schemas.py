"""Request and response bodies (they are the OpenAPI schema too)."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskRequest(_Strict):
    question: str = Field(..., min_length=1)
    filters: Optional[dict[str, Any]] = None
    top_k: Optional[int] = Field(None, ge=1)
    stream: bool = False


class SearchRequest(_Strict):
    query: str = Field(..., min_length=1)
    filters: Optional[dict[str, Any]] = None
    top_k: Optional[int] = Field(None, ge=1)
    mode: Optional[Literal["hybrid", "dense", "sparse"]] = None
    rerank: Optional[bool] = None


class IngestPaths(_Strict):
    paths: list[str] = Field(..., min_length=1, max_length=100)


class ErrorBody(BaseModel):
    type: str
    message: str
    code: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class CitationOut(BaseModel):
    source: str
    page: Optional[int] = None
    chunk_id: Optional[str] = None
    start: Optional[int] = None
    end: Optional[int] = None
    quote: str
    support: float
    verified: bool
    reason: Optional[str] = None
    sentence_index: int = -1
    raw: str = ""


class ChunkOut(BaseModel):
    chunk_id: str
    source: str
    page: Optional[int] = None
    section: Optional[str] = None
    title: Optional[str] = None
    rank: int
    score: float
    scores: dict[str, float] = {}
    text: str


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


class AnswerOut(BaseModel):
    query_id: str
    question: str
    text: str
    citations: list[CitationOut]
    verified: bool
    abstained: bool
    abstain_reason: Optional[str] = None
    chunks: list[ChunkOut]
    model: str
    provider: str
    routing: dict[str, Any]
    cache_hit: Optional[str] = None
    usage: UsageOut
    cost_usd: Optional[float] = None
    latency: dict[str, float]
    notes: list[str]


class SearchOut(BaseModel):
    query: str
    results: list[ChunkOut]
    timings: dict[str, float]
    notes: list[str] = []


class JobOut(BaseModel):
    id: str
    state: Literal["queued", "running", "succeeded", "failed", "stopped"]
    created: float
    started: Optional[float] = None
    finished: Optional[float] = None
    progress: dict[str, int]
    report: Optional[dict[str, Any]] = None
    error: Optional[str] = None
    request: dict[str, Any]


class DocumentOut(BaseModel):
    source: str
    chunks: int
    content_hash: str
    title: Optional[str] = None
    created: Optional[str] = None
    modified: Optional[str] = None
    ingested_at: Optional[str] = None  # when this version was stored (UTC, ISO 8601), by ragkit ingest or a job


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    total: int


class DeletedOut(BaseModel):
    source: str
    chunks_deleted: int
    file_removed: bool


# ---- OpenAI-compatible ------------------------------------------------------------------------
class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Union[str, list[dict[str, Any]], None] = None


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; sampling parameters are accepted and ignored (the answer
    comes from the index), `filters` and `top_k` (extra_body in the SDK) narrow the retrieval."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(..., min_length=1)
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: Optional[bool] = False
    stream_options: Optional[dict[str, Any]] = None
    filters: Optional[dict[str, Any]] = None
    top_k: Optional[int] = Field(None, ge=1)


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def chunk_json(h) -> dict[str, Any]:
    c = h.chunk
    return {"chunk_id": c.chunk_id, "source": c.source, "page": c.page, "section": c.section, "title": c.title,
            "rank": h.rank, "score": float(h.score), "scores": {k: float(v) for k, v in (h.scores or {}).items()},
            "text": c.text}


def answer_json(a) -> dict[str, Any]:
    u = a.usage
    return {"query_id": a.query_id, "question": a.question, "text": a.text,
            "citations": [c.to_dict() for c in a.citations], "verified": a.verified, "abstained": a.abstained,
            "abstain_reason": a.abstain_reason, "chunks": [chunk_json(h) for h in a.chunks], "model": a.model,
            "provider": a.provider, "routing": dict(a.routing), "cache_hit": a.cache_hit,
            "usage": {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                      "cache_read_tokens": u.cache_read_tokens, "cache_write_tokens": u.cache_write_tokens},
            "cost_usd": a.cost_usd, "latency": dict(a.latency), "notes": list(a.notes)}
