"""Context assembly: chunks fenced as `<document ...>` blocks, labelled with source and page,
packed in rank order into a token budget (tiktoken)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ragkit.answer.text import split_sentences
from ragkit.models.tokens import get_encoding
from ragkit.types import Chunk, ScoredChunk

CONTEXT_OPEN = "<context>"
CONTEXT_CLOSE = "</context>"
_FENCE_LIKE = re.compile(
    r"<\s*/?\s*(?:documents?|context|system|instructions?|question|user|assistant|prompt)\b[^<>]{0,200}>?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContextBlock:
    text: str  # the whole <context> ... </context> block
    chunks: tuple[Chunk, ...]  # chunks included, in order
    tokens: int
    dropped: tuple[str, ...] = ()  # chunk ids left out: over budget
    truncated: tuple[str, ...] = ()  # chunk ids cut to fit


def as_chunk(item: Chunk | ScoredChunk) -> Chunk:
    return item.chunk if isinstance(item, ScoredChunk) else item


def neutralize(text: str) -> str:
    """Defuse anything in chunk text that looks like our fences or a chat-role tag, so a document
    cannot close its own `<document>` block and speak outside it: `<`/`>` of such tags become
    `‹`/`›`."""
    return _FENCE_LIKE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _attr(value: object) -> str:
    s = str(value)
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def citation_label(chunk: Chunk) -> str:
    """How the model must cite this chunk: `[Source: <source>, page <page>]` (`slide <n>` for a deck's
    slides, whose loader marks `page_label: slide`)."""
    if chunk.page is None:
        return f"[Source: {chunk.source}]"
    word = "slide" if (chunk.metadata or {}).get("page_label") == "slide" else "page"
    return f"[Source: {chunk.source}, {word} {chunk.page}]"


def fence(chunk: Chunk, index: int, text: str | None = None) -> str:
    """One chunk as a fenced, labelled `<document>` block (its text neutralized)."""
    attrs = [f'index="{index}"', f'source="{_attr(chunk.source)}"']
    if chunk.page is not None:
        attrs.append(f'page="{_attr(chunk.page)}"')
    if chunk.title:
        attrs.append(f'title="{_attr(chunk.title)}"')
    if chunk.section:
        attrs.append(f'section="{_attr(chunk.section)}"')
    body = neutralize(chunk.text if text is None else text).strip()
    return f"<document {' '.join(attrs)}>\n{body}\n</document>"


def assemble_context(
    chunks: Sequence[Chunk | ScoredChunk], budget_tokens: int, encoding: str = "cl100k_base"
) -> ContextBlock:
    """Pack chunks (in the given order) into at most `budget_tokens` tokens.

    A chunk that does not fit is skipped (a later, smaller one may still fit); if not even the
    first fits, it is cut at a sentence boundary (or a token boundary) to fill the budget.
    """
    enc = get_encoding(encoding)

    def ntok(s: str) -> int:
        return len(enc.encode(s, disallowed_special=()))

    used = ntok(f"{CONTEXT_OPEN}\n{CONTEXT_CLOSE}") + 1
    parts: list[str] = []
    kept: list[Chunk] = []
    dropped: list[str] = []
    truncated: list[str] = []
    seen: set[str] = set()
    for item in chunks:
        chunk = as_chunk(item)
        if chunk.chunk_id in seen:
            continue
        seen.add(chunk.chunk_id)
        block = fence(chunk, len(kept) + 1)
        cost = ntok(block) + 1
        if used + cost <= budget_tokens:
            parts.append(block)
            kept.append(chunk)
            used += cost
            continue
        if not kept:
            cut = _truncate_to_fit(chunk, budget_tokens - used, ntok, enc)
            if cut is not None:
                parts.append(cut)
                kept.append(chunk)
                truncated.append(chunk.chunk_id)
                used += ntok(cut) + 1
                continue
        dropped.append(chunk.chunk_id)
    text = "\n".join([CONTEXT_OPEN, *parts, CONTEXT_CLOSE])
    return ContextBlock(text, tuple(kept), ntok(text), tuple(dropped), tuple(truncated))


def _truncate_to_fit(chunk: Chunk, room: int, ntok, enc) -> str | None:
    """The longest fenced prefix of `chunk` (whole sentences if possible) within `room` tokens."""
    empty = ntok(fence(chunk, 1, "")) + 1
    if empty >= room:
        return None
    sentences = split_sentences(chunk.text)
    best = None
    lo, hi = 1, len(sentences)
    while lo <= hi:  # the most whole sentences that fit
        mid = (lo + hi) // 2
        candidate = fence(chunk, 1, chunk.text[: sentences[mid - 1].end])
        if ntok(candidate) + 1 <= room:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return best
    ids = enc.encode(chunk.text, disallowed_special=())[: max(room - empty - 2, 0)]
    while ids:  # decoding can merge tokens differently: shrink until the block fits
        candidate = fence(chunk, 1, enc.decode(ids))
        if ntok(candidate) + 1 <= room:
            return candidate
        ids = ids[: len(ids) - max(1, len(ids) // 20)]
    return None
