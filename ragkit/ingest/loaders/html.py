"""HTML (.html, .htm) with BeautifulSoup: visible text, <title>, h1-h3 sections, meta dates.

script, style, noscript, template, svg and the <head> are dropped. Block elements become
paragraphs separated by blank lines, so sentences never run across blocks. Each h1-h3 starts a
section labelled with its text. A <pre> block becomes a fenced code block and a table row a
"| cell | cell |" line, the structure the sentence splitter keeps out of answer sentences.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import decode_text, file_dates, iso_date, read_bytes, sha256_hex
from ragkit.types import Document, Span

DROP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas"})
BLOCK = frozenset(
    """address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table
    tbody thead tfoot tr ul""".split()
)
SECTION_TAGS = frozenset({"h1", "h2", "h3"})
CREATED_META = ("dcterms.created", "dc.date.created", "article:published_time", "datepublished", "date", "dc.date")
MODIFIED_META = ("dcterms.modified", "dc.date.modified", "article:modified_time", "datemodified", "last-modified", "og:updated_time")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_SPACES = re.compile(r"[^\S\n]+")


class HtmlLoader:
    suffixes = (".html", ".htm")

    def load(self, path: Path, source: str) -> Iterable[Document]:
        from bs4 import BeautifulSoup

        data = read_bytes(path, source)
        markup = _decode(data, source)
        soup = BeautifulSoup(markup, "html.parser")
        title_tag = soup.find("title")
        title = title_tag.get_text(" ", strip=True) if title_tag else ""
        metas = _meta_values(soup)
        blocks = _Blocks()
        blocks.walk(soup.body or soup)
        text, sections = blocks.joined()
        if not text.strip():
            raise LoaderError(source, "no visible text in the HTML (only markup, scripts or styles)")
        if not title:
            title = next((s.label for s in sections if s.label), "") or path.stem
        stat_created, stat_modified = file_dates(path)
        created = next((d for k in CREATED_META if (d := iso_date(metas.get(k)))), None) or stat_created
        modified = next((d for k in MODIFIED_META if (d := iso_date(metas.get(k)))), None) or stat_modified
        return [
            Document(source, text, sha256_hex(data), title=str(title), created=created, modified=modified, sections=sections)
        ]


def _decode(data: bytes, source: str) -> str:
    """UTF-8, unless a <meta charset> near the top declares another encoding."""
    m = _CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared.replace("-", "").replace("_", "") in ("utf8", "usascii", "ascii"):
        return decode_text(data, source)
    if b"\x00" in data:
        return decode_text(data, source)  # raises: binary content
    try:
        return data.decode(declared)
    except (LookupError, UnicodeDecodeError) as exc:
        raise LoaderError(source, f"cannot decode as its declared charset {declared!r}: {exc}") from None


def _meta_values(soup) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("http-equiv") or tag.get("itemprop")
        value = tag.get("content")
        if key and value:
            out.setdefault(str(key).strip().lower(), str(value))
    return out


class _Blocks:
    """Collects visible text as blocks; each block remembers whether it is a section heading."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str | None]] = []
        self.buf: list[str] = []
        self.pre = 0

    def walk(self, node) -> None:
        from bs4 import NavigableString
        from bs4.element import PreformattedString

        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, CDATA, doctype, declarations
                continue
            if isinstance(child, NavigableString):
                self.buf.append(str(child) if self.pre else _SPACES.sub(" ", str(child).replace("\n", " ")))
                continue
            name = (child.name or "").lower()
            if name in DROP:
                continue
            if name == "br":
                self.buf.append("\n")
                continue
            if name in ("td", "th"):
                self.buf.append(" | ")
            if name not in BLOCK:
                self.walk(child)
                continue
            self.flush()
            if name == "pre":
                self.pre += 1
            self.walk(child)
            if name == "pre":
                self.pre -= 1
            self.flush(child.get_text(" ", strip=True) if name in SECTION_TAGS else None, name)

    def flush(self, label: str | None = None, tag: str = "") -> None:
        text = "".join(self.buf)
        self.buf = []
        text = "\n".join(line.strip() for line in text.split("\n")).strip()
        if not text:
            return
        if tag == "pre":
            text = f"```\n{text}\n```"  # a code block, as the sentence splitter knows it
        elif tag == "tr":
            text = "| " + " ".join(text.lstrip("| ").split()) + " |"  # a table row: "| cell | cell |"
        self.blocks.append((text, label))

    def joined(self) -> tuple[str, tuple[Span, ...]]:
        self.flush()
        parts, starts = [], []
        at = 0
        for text, label in self.blocks:
            if parts:
                at += 2  # the "\n\n" between blocks
            if label is not None:
                starts.append((at, label))
            parts.append(text)
            at += len(text)
        full = "\n\n".join(parts)
        sections = tuple(
            Span(start, starts[i + 1][0] if i + 1 < len(starts) else len(full), label)
            for i, (start, label) in enumerate(starts)
        )
        return full, sections
