"""Word (.docx) with python-docx (the `office` extra): body paragraphs and tables in document order.

Heading and Title paragraphs become paragraphs of their own and sections; list paragraphs become
`- item` lines; a table becomes a Markdown table (`| cell | cell |`), kept whole when it fits a
chunk and otherwise cut into row groups that each repeat the header row. Only what the document
says now is text: tracked deletions (w:del, w:moveFrom) and comments are left out, tracked
insertions are kept. Core properties give title, author and dates.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import file_dates, read_bytes, sha256_hex
from ragkit.ingest.loaders.office import (
    core_properties, join_blocks, open_zip, parse_error, require, table_groups,
)
from ragkit.types import Document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading\s*\d|title|subtitle)$", re.I)
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delInstrText", W + "commentReference"}


class DocxLoader:
    suffixes = (".docx",)

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        open_zip(data, source, "DOCX", "word/document.xml")
        docx = require(source, "docx", "python-docx", "office", "DOCX files")
        try:
            document = docx.Document(io.BytesIO(data))
            blocks = list(_blocks(document))
        except Exception as exc:
            raise parse_error(source, "DOCX", exc) from None
        text, sections = join_blocks(blocks)
        if not text.strip():
            raise LoaderError(source, "no text in the DOCX (no paragraphs or tables with text)")
        props = core_properties(_props(document), "")
        stat_created, stat_modified = file_dates(path)
        title = props.get("title") or next((s.label for s in sections), None) or path.stem
        meta = {"author": props["author"]} if "author" in props else {}
        return [Document(source, text, sha256_hex(data), title=str(title), created=props.get("created") or stat_created,
                         modified=props.get("modified") or stat_modified, sections=sections, metadata=meta)]


def _props(document):
    try:
        return document.core_properties
    except Exception:
        return None


def _text(element) -> str:
    """The visible text under an element: w:t runs, tabs and breaks, skipping deletions."""
    out: list[str] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag
            if tag in _SKIP or tag == W + "tbl":
                continue
            if tag == W + "t":
                out.append(child.text or "")
            elif tag == W + "tab":
                out.append("\t")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            else:
                walk(child)

    walk(element)
    return "".join(out)


def _style_name(paragraph) -> str:
    try:
        return paragraph.style.name or ""
    except Exception:
        return ""


def _blocks(document) -> Iterable[tuple[str, str | None]]:
    from docx.text.paragraph import Paragraph

    body = document.element.body
    for child in body.iterchildren():
        if child.tag == W + "p":
            para = Paragraph(child, document)
            text = " ".join(_text(child).split()) if _HEADING_STYLE.match(_style_name(para)) else _text(child).strip()
            if not text:
                continue
            style = _style_name(para)
            if _HEADING_STYLE.match(style):
                yield text, text
            elif style.lower().startswith("list") or child.find(f"{W}pPr/{W}numPr") is not None:
                yield "- " + " ".join(text.split()), None
            else:
                yield text, None
        elif child.tag == W + "tbl":
            rows = []
            for tr in child.iterchildren(W + "tr"):
                rows.append([" ".join(_text(tc).split()) for tc in tr.iterchildren(W + "tc")])
            for group in table_groups(rows):
                yield group, None
