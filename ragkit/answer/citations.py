"""Citation markers: parse `[Source: name, page X]` and its near variants out of an answer, split
the answer into sentences that own their citations, and resolve a citation to context chunks."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Sequence

from ragkit.answer.text import content_words, names, number_mentions, split_sentences, strip_list_marker
from ragkit.answer.types import AnswerSentence, CitationRef
from ragkit.types import Chunk

_KEYWORD = r"(?:sources?|src|refs?|references?|citations?)"
_BRACKET = re.compile(r"\[\s*" + _KEYWORD + r"\s*[:\-–]\s*([^\[\]\n]*?)\s*\]", re.IGNORECASE)
_PAREN = re.compile(r"\(\s*" + _KEYWORD + r"\s*[:\-–]\s*([^()\n]*?)\s*\)", re.IGNORECASE)
_LEADING_KEYWORD = re.compile(r"^\s*" + _KEYWORD + r"\s*[:\-–]\s*", re.IGNORECASE)
_NOT_A_CLAIM = re.compile(  # a reference list line: "Sources: ...", "- handbook.pdf, page 4"
    r"^(?:(?:sources?|references?|citations?)\s*:.*|[\w\-./ ]+\.[a-z0-9]{2,5}(?:\s*,?\s*(?:pages?|pp?\.?)\s*\d+)?\.?)$",
    re.IGNORECASE,
)
_PAGE = re.compile(
    r"(?:^|[,\s(])\s*(?:pages?|pgs?\.?|pp?\.?)\s*:?\s*(\d+)(?:\s*(?:[-–]|to)\s*(\d+))?\s*\)?\s*$",
    re.IGNORECASE,
)


def parse_citations(text: str) -> list[CitationRef]:
    """Every citation in `text`, in order; a bracket holding several (`; `-separated) gives several.

    Accepts `[Source: a.pdf, page 3]`, `[source: a.pdf p. 3]`, `[Source: a.pdf, p 3]`,
    `(Source: a.pdf, page 3)`, `[Source: a.pdf]`, `[Sources: a.pdf, page 1; b.md]`, any case and
    spacing. All refs from one bracket share the bracket's start/end.
    """
    spans: list[tuple[int, int, str, str]] = []
    for rx in (_BRACKET, _PAREN):
        for m in rx.finditer(text):
            spans.append((m.start(), m.end(), m.group(0), m.group(1)))
    spans.sort()
    refs: list[CitationRef] = []
    last_end = -1
    for start, end, raw, inner in spans:
        if start < last_end:  # a paren inside a bracket (or the reverse): keep the outer one
            continue
        last_end = end
        for item in inner.split(";"):
            ref = _parse_item(item, raw, start, end)
            if ref is not None:
                refs.append(ref)
    return refs


def _parse_item(item: str, raw: str, start: int, end: int) -> CitationRef | None:
    item = _LEADING_KEYWORD.sub("", item).strip()
    whole = item
    page = page_end = None
    m = _PAGE.search(item)
    if m and m.start() > 0:
        page = int(m.group(1))
        page_end = int(m.group(2)) if m.group(2) else None
        item = item[: m.start()]
    name = item.strip().strip(",").strip().strip("\"'“”‘’`").strip()
    if not name:
        return None
    return CitationRef(source=name, page=page, raw=raw, start=start, end=end, page_end=page_end, text=whole)


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
    sentences = split_sentences("".join(masked))
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
    from ragkit.answer.abstention import is_abstention  # local: abstention imports text helpers too

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
