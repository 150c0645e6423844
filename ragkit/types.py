"""Shared value types: every layer speaks these. Frozen, plain, cheap to build."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, asdict
from typing import Any


@dataclass(frozen=True)
class Span:
    """A labelled character range [start, end) of a document's text (a page or a section)."""

    start: int
    end: int
    label: str | int | None


@dataclass(frozen=True)
class Document:
    """One loaded source: its whole text plus where pages and sections begin.

    `source` is the path relative to the ingest root, or the corpus id for JSONL corpora.
    `pages` and `sections` are sorted, non-overlapping spans into `text`; either may be empty.
    """

    source: str
    text: str
    content_hash: str
    title: str | None = None
    created: str | None = None  # ISO-8601 date or datetime
    modified: str | None = None
    pages: tuple[Span, ...] = ()
    sections: tuple[Span, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def page_at(self, offset: int) -> int | None:
        return _label_at(self.pages, offset)

    def section_at(self, offset: int) -> str | None:
        label = _label_at(self.sections, offset)
        return None if label is None else str(label)


def _label_at(spans: tuple[Span, ...], offset: int) -> Any:
    if not spans:
        return None
    starts = [s.start for s in spans]
    i = bisect.bisect_right(starts, offset) - 1
    if i < 0:
        return None
    return spans[i].label


@dataclass(frozen=True)
class TextPiece:
    """A chunker's output before ids and metadata: text with its offsets into the source text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A piece of a document that is embedded and stored as one point."""

    chunk_id: str  # UUID string, stable for (source, content_hash, index)
    source: str
    text: str
    start: int  # character offsets into Document.text: text == doc.text[start:end]
    end: int
    index: int  # position of the chunk within its document
    content_hash: str  # of the whole document
    title: str | None = None
    page: int | None = None
    section: str | None = None
    created: str | None = None
    modified: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def payload(self) -> dict[str, Any]:
        """The store payload: every metadata field plus the chunk text."""
        data = asdict(self)
        extra = data.pop("metadata") or {}
        data.pop("chunk_id")
        return {**extra, **data}

    @classmethod
    def from_payload(cls, chunk_id: str, payload: dict[str, Any]) -> "Chunk":
        known = {f for f in cls.__dataclass_fields__ if f not in ("chunk_id", "metadata")}
        core = {k: payload.get(k) for k in known}
        extra = {k: v for k, v in payload.items() if k not in known}
        return cls(chunk_id=str(chunk_id), metadata=extra, **core)


@dataclass(frozen=True)
class SparseVector:
    """BM25 term weights: hashed term ids (31-bit) and their weights, ids sorted ascending."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its score and where the score came from."""

    chunk: Chunk
    score: float
    rank: int = 0  # 1-based rank in the list it belongs to
    scores: dict[str, float] = field(default_factory=dict, hash=False, compare=False)  # per stage


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did, per outcome, in files and chunks."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    embedded: int = 0  # chunk texts actually sent to the embedder
    seconds: float = 0.0
    failures: tuple[tuple[str, str], ...] = ()  # (source, reason)
    # files stored under a root-qualified source because their plain one belongs to another file
    renamed: tuple[tuple[str, str], ...] = ()  # (absolute file path, source)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failures"] = [{"source": s, "reason": r} for s, r in self.failures]
        d["renamed"] = [{"path": p, "source": s} for p, s in self.renamed]
        return d


# ---- model layer ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str
    cache: bool = False  # mark the end of a stable prefix for provider prompt caching


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # uncached input tokens
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    provider: str
    finish_reason: str = "stop"
    usage: Usage = Usage()
    latency_s: float = 0.0
    cost_usd: float | None = None  # None when the price is unknown


@dataclass(frozen=True)
class StreamDelta:
    """One piece of a streamed completion (`LLM.stream`): `text` as it arrives; the last piece has
    `completion` set (the whole text, finish reason, usage with cached tokens) and no text."""

    text: str = ""
    completion: Completion | None = None


@dataclass(frozen=True)
class GenerationRequest:
    """What a `Generator` answers from: the question, the evidence in the prompt (best first) and the
    rendered prompt itself. The extractive generator reads `chunks`; an LLM generator sends `messages`."""

    question: str
    chunks: tuple[ScoredChunk, ...]
    messages: tuple[Message, ...]
    query_id: str | None = None
    template_version: str = "v1"
    stage: str = "generate"
    routing: Any = None  # the routing decision recorded with the call (ragkit.orchestrate.router.RoutingDecision)


@dataclass(frozen=True)
class Generation:
    """A generator's answer with what it cost. `completion.cost_usd` is what this request paid
    (0.0 on a cache hit); `cost_usd` sums every attempt (None when a price is unknown)."""

    completion: Completion
    cost_usd: float | None = 0.0
    usage: Usage = Usage()
    cache_hit: str | None = None  # None | "exact" | "semantic"
    saved_usd: float | None = None  # a cache hit: what the cached answer cost when it was made
    attempts: tuple[Any, ...] = ()  # ragkit.orchestrate.gateway.AttemptRecord, one per attempt
    notes: tuple[str, ...] = ()
    ledger_row: int | None = None  # the final attempt's ledger row, when a ledger recorded it
