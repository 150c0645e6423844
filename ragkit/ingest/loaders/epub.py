"""EPUB (.epub) with ebooklib (the `office` extra): the spine's chapters in reading order.

Each chapter's XHTML is read as the HTML loader reads a page (visible text, h1-h3 as sections,
<pre> fenced, table rows as `| cell |`); a chapter that opens without a heading starts a section
named by its table-of-contents entry. Title, author and date come from the Dublin Core metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import file_dates, iso_date, read_bytes, sha256_hex
from ragkit.ingest.loaders.office import join_blocks, open_zip, parse_error, require
from ragkit.types import Document


class EpubLoader:
    suffixes = (".epub",)

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        archive = open_zip(data, source, "EPUB", "META-INF/container.xml")
        if any(n == "META-INF/encryption.xml" for n in archive.namelist()):
            raise LoaderError(source, "DRM-protected EPUB (META-INF/encryption.xml): its chapters are encrypted")
        require(source, "ebooklib", "ebooklib", "office", "EPUB files")
        from bs4 import BeautifulSoup
        from ebooklib import ITEM_DOCUMENT, epub

        from ragkit.ingest.loaders.html import _Blocks

        try:
            book = epub.read_epub(str(path), options={"ignore_ncx": False})
            toc = _toc_titles(book.toc)
            blocks: list[tuple[str, str | None]] = []
            for item_id, _linear in book.spine:
                item = book.get_item_with_id(item_id)
                if item is None or item.get_type() != ITEM_DOCUMENT:
                    continue
                soup = BeautifulSoup(item.get_content(), "html.parser")
                walker = _Blocks()
                walker.walk(soup.body or soup)
                walker.flush()
                chapter = list(walker.blocks)
                if chapter and chapter[0][1] is None:
                    label = toc.get(item.get_name()) or None
                    chapter[0] = (chapter[0][0], label)
                blocks += chapter
        except LoaderError:
            raise
        except Exception as exc:
            raise parse_error(source, "EPUB", exc) from None
        text, sections = join_blocks(blocks)
        if not text.strip():
            raise LoaderError(source, "no text in the EPUB's chapters")

        def dc(name: str) -> str | None:
            values = book.get_metadata("DC", name)
            return str(values[0][0]).strip() if values and values[0][0] else None

        stat_created, stat_modified = file_dates(path)
        date = iso_date(dc("date"))
        meta = {"author": a} if (a := dc("creator")) else {}
        return [Document(source, text, sha256_hex(data), title=dc("title") or path.stem, created=date or stat_created,
                         modified=date or stat_modified, sections=sections, metadata=meta)]


def _toc_titles(toc) -> dict[str, str]:
    """File name -> title of each table-of-contents entry (nested entries too)."""
    out: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, (tuple, list)) and len(entry) == 2:
            section, children = entry
            if getattr(section, "href", None):
                out.setdefault(section.href.split("#")[0], section.title)
            out.update({k: v for k, v in _toc_titles(children).items() if k not in out})
        elif getattr(entry, "href", None):
            out.setdefault(entry.href.split("#")[0], entry.title)
    return out
