"""What the runner observes, as plain values the checks read: per chunk, per search, per answer.

Also the pure helpers that turn a store chunk or a RAG answer into these values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

_TERMINAL = re.compile(r"(?:[.!?]+|…+|:)[\"'”’»)\]*_`]*$")
PAGED_SUFFIXES = (".pdf", ".pptx")
SECTIONED_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".docx", ".pptx", ".xlsx", ".xlsm", ".csv", ".tsv", ".eml", ".epub")


@dataclass(frozen=True)
class ChunkObs:
    source: str
    index: int
    boundary: str | None  # why it ends at a sentence boundary ("document_end", "punctuation", "line_break"), None if not
    tiktoken_tokens: int
    window_tokens: int | None  # the embedder's own count, when it has one
    has_source: bool
    has_page: bool
    has_section: bool
    has_dates: bool
    paged: bool  # the format has pages
    sectioned: bool  # the format has section headings
    tail: str = ""  # the last characters, for the report when it is not at a boundary


@dataclass(frozen=True)
class Caps:
    chunk_size: int  # tiktoken tokens (chunking.chunk_size)
    window: int | None  # embedder window (its own tokenizer), None when unknown


@dataclass
class SearchObs:
    item_id: str
    first_stage: list[str]  # doc ids (chunk sources) of the first stage, best first
    final: list[str]  # the pipeline's ranking: reranked results first, then the other candidates
    n_final: int  # how many of `final` the generator gets
    reranked: bool
    rerank_note: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    filter_checked: int = 0  # result chunks of a filtered query checked against the filter
    filter_matched: int = 0
    depth: int = 0  # chunks fetched for `first_stage` (grown until they hold recall_k documents)


@dataclass
class CitationObs:
    source: str
    page: int | None
    resolved: bool
    verified: bool
    support: float


@dataclass
class AnswerObs:
    item_id: str
    text: str  # the answer without its [Source: ...] markers (compared with gold answers)
    abstained: bool
    raw: str = ""  # the answer as returned (checked for forbidden strings)
    abstain_reason: str | None = None
    citations: list[CitationObs] = field(default_factory=list)
    claim_sentences: int = 0
    supported_sentences: int = 0
    latency: dict[str, float] = field(default_factory=dict)
    query_id: str = ""
    cost_usd: float | None = 0.0
    context_sources: list[str] = field(default_factory=list)
    context_texts: list[str] = field(default_factory=list)  # the chunks given to the generator (for a judge)
    filter_checked: int = 0
    filter_matched: int = 0
    model: str = ""
    error: str | None = None


def ends_at_boundary(doc_text: str | None, chunk_text: str, start: int, is_last: bool) -> str | None:
    """Does a chunk end where a sentence (or a block: heading, list item, paragraph) ends?

    Independent of the chunker's own splitter: the chunk is the document's last, or its text
    ends with terminal punctuation (. ! ? … or : before a list, optionally closed by quotes or
    brackets), or in the document a line break follows its last character.
    """
    body = chunk_text.rstrip()
    if not body:
        return None
    if is_last:
        return "document_end"
    if _TERMINAL.search(body):
        return "punctuation"
    if doc_text is not None:
        end = start + len(body)
        rest = doc_text[end:end + 200]
        if rest.strip() == "" and end >= len(doc_text.rstrip()):
            return "document_end"
        gap = rest[: len(rest) - len(rest.lstrip())]
        if "\n" in gap:
            return "line_break"
    return None


def payload_flags(payload: dict[str, Any]) -> dict[str, bool]:
    source = str(payload.get("source") or "")
    suffix = "." + source.rsplit(".", 1)[-1].lower() if "." in source.rsplit("/", 1)[-1] else ""
    return {
        "has_source": bool(source),
        "has_page": payload.get("page") is not None,
        "has_section": bool(payload.get("section")),
        "has_dates": bool(payload.get("created")) and bool(payload.get("modified")),
        "paged": suffix in PAGED_SUFFIXES,
        "sectioned": suffix in SECTIONED_SUFFIXES,
    }


def ranked_ids(hits: Sequence[Any]) -> list[str]:
    """Doc ids (chunk sources) of ScoredChunks in rank order, each at its first position."""
    return list(dict.fromkeys(h.chunk.source for h in hits))


def pipeline_ranking(candidates: Sequence[Any], results: Sequence[Any], reranked: bool) -> list[str]:
    """The ranking the pipeline produces: when reranked, the reranked results then the remaining
    first-stage candidates in their order; otherwise the first-stage candidates."""
    if not reranked:
        return ranked_ids(candidates)
    return list(dict.fromkeys([*ranked_ids(results), *ranked_ids(candidates)]))


def answer_obs(item_id: str, answer: Any) -> AnswerObs:
    """An AnswerObs from a ragkit Answer (duck-typed: text, abstained, citations, verification...)."""
    from ragkit.answer.citations import strip_citations

    ver = getattr(answer, "verification", None)
    claims = supported = 0
    if ver is not None and not answer.abstained:
        for s in ver.sentences:
            if s.is_claim and not s.dropped:
                claims += 1
                supported += bool(s.supported)
    cites = [] if answer.abstained else [
        CitationObs(c.source, c.page, c.chunk_id is not None, bool(c.verified), float(c.support or 0.0))
        for c in answer.citations
    ]
    return AnswerObs(
        item_id=item_id, text=strip_citations(answer.text) if answer.text else "", abstained=bool(answer.abstained),
        raw=answer.text or "",
        abstain_reason=answer.abstain_reason, citations=cites, claim_sentences=claims, supported_sentences=supported,
        latency=dict(answer.latency or {}), query_id=str(answer.query_id or ""), cost_usd=answer.cost_usd,
        context_sources=[h.chunk.source for h in answer.chunks], context_texts=[h.chunk.text for h in answer.chunks],
        model=str(getattr(answer, "model", "")),
    )


def norm_text(text: str) -> str:
    """Lowercased with whitespace collapsed: how gold answers are compared."""
    return " ".join(text.split()).lower()


def contains_any(text: str, needles: Sequence[str]) -> bool:
    t = norm_text(text)
    return any(norm_text(n) in t for n in needles if n.strip())
