"""Citation markers in an answer: `[Source: name, page X]` and its near variants, parsed into
`CitationRef`s (offsets into the answer). Used by the verifier and by the refusal recogniser."""

from __future__ import annotations

import re

from ragkit.answer.types import CitationRef

_KEYWORD = r"(?:sources?|src|refs?|references?|citations?)"
_BRACKET = re.compile(r"\[\s*" + _KEYWORD + r"\s*[:\-–]\s*([^\[\]\n]*?)\s*\]", re.IGNORECASE)
_PAREN = re.compile(r"\(\s*" + _KEYWORD + r"\s*[:\-–]\s*([^()\n]*?)\s*\)", re.IGNORECASE)
_LEADING_KEYWORD = re.compile(r"^\s*" + _KEYWORD + r"\s*[:\-–]\s*", re.IGNORECASE)
_PAGE = re.compile(
    r"(?:^|[,\s(])\s*(?:pages?|pgs?\.?|pp?\.?|slides?)\s*:?\s*(\d+)(?:\s*(?:[-–]|to)\s*(\d+))?\s*\)?\s*$",
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
