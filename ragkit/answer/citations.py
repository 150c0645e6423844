"""Citation markers: parse `[Source: name, page X]` and its near variants out of an answer, split
the answer into sentences that own their citations, and resolve a citation to context chunks."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Sequence

from ragkit.answer.citation_markers import parse_citations
from ragkit.answer.refusal import is_abstention
from ragkit.answer.text import Sentence, content_words, names, number_mentions, split_sentences, strip_list_marker
from ragkit.answer.types import AnswerSentence, CitationRef
from ragkit.types import Chunk

__all__ = ["is_claim", "match_source", "parse_citations", "resolve_citation", "split_answer", "strip_citations"]

_NOT_A_CLAIM = re.compile(  # a reference list line: "Sources: ...", "- handbook.pdf, page 4"
    r"^(?:(?:sources?|references?|citations?)\s*:.*|[\w\-./ ]+\.[a-z0-9]{2,5}(?:\s*,?\s*(?:pages?|pp?\.?)\s*\d+)?\.?)$",
    re.IGNORECASE,
)
def strip_citations(text: str) -> str:
    """`text` without its citation markers, whitespace tidied."""
    refs = parse_citations(text)
    return _remove_spans(text, [(r.start, r.end) for r in refs])


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out, prev = [], 0
    for s, e in sorted(set(spans)):
        if s < prev:
            continue
        out.append(text[prev:s])
        prev = e
        # "Claim. [Source: a]." -> "Claim." rather than "Claim.."
        if text[:s].rstrip()[-1:] in (".", "!", "?") and text[e:].lstrip()[:1] == "." and text[e:].lstrip()[:2] != "..":
            prev = e + (len(text[e:]) - len(text[e:].lstrip())) + 1
    out.append(text[prev:])
    joined = "".join(out)
    joined = re.sub(r"[ \t]+", " ", joined)
    joined = re.sub(r"\s+([.,;:!?])", r"\1", joined)
    return joined.strip()


def split_answer(text: str) -> list[AnswerSentence]:
    """Sentences of an answer, each owning the citations written inside it or right after its
    final punctuation ("Claim. [Source: a]" and "Claim [Source: a]." both belong to "Claim")."""
    refs = parse_citations(text)
    masked = list(text)
    for r in refs:
        for i in range(r.start, r.end):
            if masked[i] != "\n":
                masked[i] = " "
    sentences = _cut_after_citations(split_sentences("".join(masked)), refs, text)
    owned: list[list[CitationRef]] = [[] for _ in sentences]
    ends = [s.end for s in sentences]
    for r in refs:
        idx = _owner(sentences, r)
        if idx is None:
            continue
        owned[idx].append(r)
        ends[idx] = max(ends[idx], r.end)
    if not sentences and refs:  # an answer that is only a citation
        return [AnswerSentence(0, refs[0].start, refs[-1].end, text[refs[0].start:refs[-1].end], "", tuple(refs))]
    out = []
    for i, s in enumerate(sentences):
        end = ends[i]
        sent_text = text[s.start:end]
        claim = strip_list_marker(_remove_spans(sent_text, [(r.start - s.start, r.end - s.start) for r in owned[i]]))
        out.append(AnswerSentence(i, s.start, end, sent_text, claim, tuple(owned[i])))
    return out


_STARTS_SENTENCE = re.compile(r"\s+(?=[A-Z0-9|`#>*\-\u2022\"'\u201c(])")


def _cut_after_citations(sentences: list[Sentence], refs: Sequence[CitationRef], text: str) -> list[Sentence]:
    """A citation closes its sentence when what follows it starts a new one (a capital, a digit, a
    table row, code, a heading or a list item), even with no full stop before it: "... with
    base_url: [Source: a] Port 6333 is ..." and "| `rrf_k` | `60` | [Source: b] The constant ..."
    are two sentences each. A citation followed by lowercase or punctuation stays inside."""
    cuts = sorted({r.end for r in refs})
    out: list[Sentence] = []
    for s in sentences:
        start = s.start
        for c in cuts:
            if not (start < c < s.end):
                continue
            m = _STARTS_SENTENCE.match(text, c)
            if m is None or m.end() >= s.end or not text[start:c].strip():
                continue
            out.append(Sentence(start, c, s.text[start - s.start:c - s.start], s.kind))
            start = m.end()
        out.append(s if start == s.start else Sentence(start, s.end, s.text[start - s.start:], s.kind))
    return out


def _owner(sentences, ref: CitationRef) -> int | None:
    if not sentences:
        return None
    for i, s in enumerate(sentences):
        if s.start <= ref.start < s.end:
            return i
    before = [i for i, s in enumerate(sentences) if s.end <= ref.start]
    if before:
        return before[-1]
    return 0


def is_claim(claim: str) -> bool:
    """Does this sentence assert something checkable? (content words, a number or a name; not a
    question, not a lead-in ending with ':')."""
    c = claim.strip()
    if not c or c.endswith("?") or c.endswith(":") or _NOT_A_CLAIM.match(c):
        return False
    if is_abstention(c):
        return False
    return len(content_words(c)) >= 2 or bool(number_mentions(c, include_words=False)) or bool(names(c))


# ---- resolution -----------------------------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip("\"'`").lower())


def _keys(name: str) -> list[str]:
    """Progressively looser keys for a source name: exact, case-folded, basename, basename stem."""
    n = _norm(name)
    base = PurePath(n.replace("\\", "/")).name or n
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return [name.strip(), n, base, stem]


def page_range(chunk: Chunk) -> tuple[int, int] | None:
    """The pages a chunk covers: (page, metadata page_end or page), None when it has no page."""
    if chunk.page is None:
        return None
    end = chunk.metadata.get("page_end") if chunk.metadata else None
    try:
        end_i = int(end) if end is not None else int(chunk.page)
    except (TypeError, ValueError):
        end_i = int(chunk.page)
    return int(chunk.page), max(int(chunk.page), end_i)


def match_source(name: str, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunks whose source matches `name`: exact, then case-insensitive, basename, basename
    without extension, then title. The first level that matches anything wins."""
    ref_keys = _keys(name)
    for level in range(4):
        hits = [c for c in chunks if (_keys(c.source)[level] if level else c.source) == ref_keys[level]]
        if hits:
            return hits
    n = _norm(name)
    return [c for c in chunks if c.title and _norm(c.title) == n]


def resolve_citation(ref: CitationRef, chunks: Sequence[Chunk]) -> tuple[list[Chunk], str | None]:
    """The context chunks a citation names, and why it is wrong (None when it resolves).

    A source not in the context gives ([], reason). A page that none of the source's chunks in the
    context covers gives (the source's chunks, reason) so callers can still report support. A page
    on a source that has no pages is ignored.
    """
    hits = match_source(ref.source, chunks)
    if not hits and ref.page is not None and ref.text and ref.text != ref.source:
        hits = match_source(ref.text, chunks)  # a source whose name merely ends like a page: "Appendix p 2"
        if hits:
            return hits, None
    if not hits:
        known = sorted({c.source for c in chunks})
        shown = ", ".join(known[:8]) + (" ..." if len(known) > 8 else "")
        return [], f"source {ref.source!r} is not in the context (context sources: {shown or 'none'})"
    if ref.page is None:
        return hits, None
    ranges = [(c, page_range(c)) for c in hits]
    if all(r is None for _, r in ranges):
        return hits, None
    lo, hi = ref.page, ref.page_end or ref.page
    on_page = [c for c, r in ranges if r is not None and r[0] <= hi and lo <= r[1]]
    if on_page:
        return on_page, None
    pages = sorted({p for _, r in ranges if r is not None for p in range(r[0], r[1] + 1)})
    return hits, (
        f"page {ref.page} of {hits[0].source!r} is not in the context "
        f"(pages in context: {', '.join(map(str, pages))})"
    )
