"""load_path: the one entry point from a file to Documents, picking the loader by suffix.

The checks that need no parsing happen here, before any loader runs: broken symlinks, things that
are not regular files, unsupported suffixes, empty and oversized files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import loader_for  # noqa: F401  (re-exported: the registry's lookup)
from ragkit.ingest.loaders.docx import DocxLoader
from ragkit.ingest.loaders.email import EmlLoader, MsgLoader
from ragkit.ingest.loaders.epub import EpubLoader
from ragkit.ingest.loaders.html import HtmlLoader
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader, ErrorSink
from ragkit.ingest.loaders.markdown import MarkdownLoader
from ragkit.ingest.loaders.pdf import PdfLoader
from ragkit.ingest.loaders.pptx import PptxLoader
from ragkit.ingest.loaders.sheets import CsvLoader, XlsxLoader
from ragkit.ingest.loaders.text import TextLoader
from ragkit.protocols import Loader
from ragkit.types import Document

MIB = 1024 * 1024


def max_bytes_for(max_file_mb: float) -> int:
    """`ingest.max_file_mb` in bytes (1 MB = 1 MiB = 1,048,576 bytes)."""
    return int(max_file_mb * MIB)


def default_loaders(on_error: ErrorSink | None = None, max_record_bytes: int | None = None,
                    options=None) -> list[Loader]:
    """The loaders, one per format; `options` is the config's `ingest.loaders` section (a
    LoaderOptions; None: the loaders' defaults). A message's attachments go through loaders built
    with the same options."""
    o = options
    sheets = {} if o is None else {"max_cells": o.sheet_max_cells, "group_chars": o.sheet_group_chars}

    def attachments() -> list[Loader]:
        return default_loaders(options=options)

    return [
        TextLoader(),
        MarkdownLoader(),
        HtmlLoader(),
        PdfLoader() if o is None else PdfLoader(ocr_lang=o.ocr_lang, tables=o.pdf_tables, ocr=o.pdf_ocr),
        BeirJsonlLoader(on_error=on_error, max_record_bytes=max_record_bytes,
                        title_in_text=True if o is None else o.jsonl_title_in_text),
        DocxLoader(),
        PptxLoader() if o is None else PptxLoader(notes=o.pptx_notes),
        XlsxLoader(**sheets),
        CsvLoader(**sheets),
        EmlLoader(attachments),
        MsgLoader(attachments),
        EpubLoader(),
    ]


def supported_suffixes(loaders: Sequence[Loader] | None = None) -> tuple[str, ...]:
    return tuple(s for loader in (loaders or default_loaders()) for s in loader.suffixes)


def source_for(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes; the file name when root is the file itself
    or does not contain it. The file itself is not resolved (it may be a broken symlink)."""
    path_abs, root_abs = os.path.abspath(path), os.path.abspath(root)
    if path_abs == root_abs:
        return Path(path_abs).name
    rel = os.path.relpath(path_abs, root_abs)
    if rel.startswith(".." + os.sep) or rel == "..":
        return Path(path_abs).name
    return rel.replace(os.sep, "/")


def load_path(
    path: Path,
    root: Path,
    max_bytes: int,
    *,
    on_error: ErrorSink | None = None,
    loaders: Sequence[Loader] | None = None,
) -> Iterator[Document]:
    """Documents of one file. Raises LoaderError(source, reason) when the file cannot be used,
    while iterating (this is a generator). A JSONL corpus is streamed and its bad lines go to
    `on_error` (see BeirJsonlLoader); for a JSONL file `max_bytes` limits each record, not the file.
    """
    path = Path(path)
    source = source_for(path, Path(root))
    loaders = loaders if loaders is not None else default_loaders(on_error, max_record_bytes=max_bytes)
    if path.is_symlink() and not path.exists():
        raise LoaderError(source, f"broken symlink: it points to {os.readlink(path)!r}, which does not exist")
    if not path.exists():
        raise LoaderError(source, "file not found (deleted or moved while ingesting?)")
    if not path.is_file():
        raise LoaderError(source, "not a regular file")
    loader = loader_for(path, loaders)
    if loader is None:
        raise LoaderError(
            source,
            f"unsupported file type {path.suffix or '(no suffix)'!r}; supported: {', '.join(supported_suffixes(loaders))} "
            "(adjust ingest.include / ingest.exclude)",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoaderError(source, f"unreadable: {exc.strerror or exc}") from None
    if size == 0:
        raise LoaderError(source, "empty file (0 bytes)")
    if size > max_bytes and not isinstance(loader, BeirJsonlLoader):
        raise LoaderError(
            source,
            f"file too large: {size / MIB:.3g} MB ({size} bytes) is over the limit of {max_bytes / MIB:.3g} MB "
            f"({max_bytes} bytes); raise the config key ingest.max_file_mb to ingest it",
        )
    yield from loader.load(path, source)
