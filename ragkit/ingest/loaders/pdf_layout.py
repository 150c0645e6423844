"""A PDF page's text with its structure marked, from the fonts pypdf reports for each text run.

pypdf's plain text runs a heading into the paragraph under it ("Scaling out to a Qdrant
server\\nragkit stores ...": one line break, as between the wrapped lines of a paragraph) and a
code listing into the prose around it. Here each line of the extracted text is classed by the
fonts of the characters on it:

  heading  every character set larger than the document's body size (by HEADING_RATIO), or in a
           bold face on a short line without sentence punctuation;
  code     every character in a monospaced face (Courier, "Mono", Consolas, ...);
  body     anything else.

A run of heading lines becomes a paragraph of its own (blank lines around it) and a section of
the document; a run of code lines becomes a fenced code block (a line of three backticks before
and after it). So the shared sentence splitter sees the same structure in a PDF as in Markdown.
When the visitor's text differs from pypdf's own extraction, the page is left as pypdf gives it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

HEADING_RATIO = 1.15
HEADING_MAX_WORDS = 16
_MONO = re.compile(r"courier|mono|consol|menlo|inconsolata|fixed|typewriter|code", re.I)
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)


@dataclass
class PageRuns:
    """The extracted text of one page and, per character, (font name, effective size)."""

    text: str
    fonts: list[tuple[str, float]]
    consistent: bool  # the visitor's pieces join to exactly `text`


def read_page(page) -> PageRuns:
    pieces: list[tuple[str, str, float]] = []

    def visit(text, cm, tm, font, size):
        if not text:
            return
        name = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) if tm and cm else 1.0
        pieces.append((text, name, float(size or 0.0) * (scale or 1.0)))

    text = page.extract_text(visitor_text=visit) or ""
    fonts = [(name, size) for piece, name, size in pieces for _ in piece]
    return PageRuns(text, fonts, "".join(p for p, _, _ in pieces) == text)


def body_size(pages: list[PageRuns]) -> float:
    """The most common effective size of the non-monospaced, non-space characters."""
    sizes: Counter[float] = Counter()
    for p in pages:
        if p.consistent:
            sizes.update(round(size, 1) for ch, (name, size) in zip(p.text, p.fonts)
                         if not ch.isspace() and not _MONO.search(name))
    return sizes.most_common(1)[0][0] if sizes else 0.0


def line_kind(line: str, fonts: list[tuple[str, float]], body: float) -> str:
    chars = [f for ch, f in zip(line, fonts) if not ch.isspace()]
    if not chars:
        return "body"
    if all(_MONO.search(name) for name, _ in chars):
        return "code"
    short = len(line.split()) <= HEADING_MAX_WORDS and line.rstrip()[-1:] not in ".!?;,:"
    if short and body > 0 and all(size >= HEADING_RATIO * body for _, size in chars):
        return "heading"
    if short and all(_BOLD.search(name) for name, _ in chars):
        return "heading"
    return "body"


def structured_text(page: PageRuns, body: float) -> tuple[str, list[tuple[int, str]]]:
    """(the page's text with headings as paragraphs and code fenced, [(offset, label)] of its
    headings), both stripped of the page's outer whitespace."""
    raw = page.text.replace("\x00", "")
    if not page.consistent or len(raw) != len(page.fonts):
        return raw.strip(), []
    lines, at = [], 0
    for line in page.text.split("\n"):
        lines.append((line, line_kind(line, page.fonts[at:at + len(line)], body)))
        at += len(line) + 1
    out: list[str] = []
    headings: list[tuple[int, str]] = []
    size = 0  # length of "\n".join(out) so far, without building it each time

    def add(part: str, blank: bool) -> None:
        nonlocal size
        if out:
            sep = "\n\n" if blank else "\n"
            size += len(sep)
            out.append(sep)
        out.append(part)
        size += len(part)

    i, prev = 0, None
    while i < len(lines):
        line, kind = lines[i]
        j = i
        while j + 1 < len(lines) and lines[j + 1][1] == kind and kind != "body":
            j += 1
        group = [x for x, _ in lines[i:j + 1]]
        if kind == "heading":
            label = " ".join(" ".join(group).split())
            if label:
                add(label, True)
                headings.append((size - len(label), label))
        elif kind == "code":
            block = "\n".join(g.rstrip() for g in group).strip("\n")
            if block.strip():
                add("```\n" + block + "\n```", True)
        else:
            add(line, prev not in (None, "body"))
        i, prev = j + 1, kind
    text = "".join(out)
    lead = len(text) - len(text.lstrip())
    return text.strip(), [(off - lead, label) for off, label in headings]
