"""PowerPoint (.pptx) with python-pptx (the `office` extra): one page per slide.

A slide's page number is its 1-based position in the deck, and the document's metadata says
`page_label: slide`, so citations and listings can say "slide N". The slide title starts a section
of that name; other text frames follow in reading order (top to bottom, then left to right), each
paragraph a block of its own (indented ones as `- item`), tables as Markdown tables, grouped shapes opened.
Speaker notes are left out unless `notes=True`, then they follow the slide's text after "Notes:".
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import file_dates, read_bytes, sha256_hex, with_settings
from ragkit.ingest.loaders.office import core_properties, open_zip, paged_join, parse_error, require, table_groups
from ragkit.types import Document


class PptxLoader:
    suffixes = (".pptx",)

    def __init__(self, notes: bool = False):
        self.notes = notes  # config key ingest.loaders.pptx_notes
        self.fingerprint = "pptx_notes=true" if notes else ""

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        open_zip(data, source, "PPTX", "ppt/presentation.xml")
        pptx = require(source, "pptx", "python-pptx", "office", "PPTX files")
        try:
            deck = pptx.Presentation(io.BytesIO(data))
            slides = [(n, list(self._slide_blocks(slide))) for n, slide in enumerate(deck.slides, start=1)]
        except Exception as exc:
            raise parse_error(source, "PPTX", exc) from None
        text, pages, sections = paged_join(slides)
        if not text.strip():
            raise LoaderError(source, f"no text on any of the deck's {len(slides)} slides")
        props = core_properties(_props(deck), "")
        stat_created, stat_modified = file_dates(path)
        title = props.get("title") or next((s.label for s in sections), None) or path.stem
        meta = {"page_label": "slide", "slide_count": len(slides)}
        if "author" in props:
            meta["author"] = props["author"]
        return [Document(source, text, with_settings(sha256_hex(data), self.fingerprint), title=str(title), created=props.get("created") or stat_created,
                         modified=props.get("modified") or stat_modified, pages=pages, sections=sections, metadata=meta)]

    def _slide_blocks(self, slide) -> Iterable[tuple[str, str | None]]:
        title_shape = slide.shapes.title
        title = " ".join((title_shape.text_frame.text if title_shape is not None and title_shape.has_text_frame else "").split())
        if title:
            yield title, title
        for shape in _reading_order(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            yield from _shape_blocks(shape)
        if self.notes and slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            body = notes.text.strip() if notes is not None else ""
            if body:
                yield "Notes: " + body, None


def _props(deck):
    try:
        return deck.core_properties
    except Exception:
        return None


def _reading_order(shapes) -> list:
    return sorted(shapes, key=lambda s: ((s.top or 0) // 20000, s.left or 0))  # rows of about 0.02 inch


def _shape_blocks(shape) -> Iterable[tuple[str, str | None]]:
    if shape.shape_type == 6 or hasattr(shape, "shapes") and not getattr(shape, "has_text_frame", False):  # a group
        for inner in _reading_order(shape.shapes):
            yield from _shape_blocks(inner)
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
        for group in table_groups(rows):
            yield group, None
        return
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        for para in shape.text_frame.paragraphs:  # each paragraph (bullet) a block: never one run-on sentence
            line = " ".join(para.text.split())
            if line:
                yield ("- " + line) if para.level > 0 else line, None
