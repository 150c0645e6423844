"""Spreadsheets: Excel (.xlsx, openpyxl in the `office` extra) and CSV/TSV (.csv, .tsv, standard library).

Each sheet is a section named after it (a CSV file's one sheet is named after the file). Its first
non-empty row is the header; the rows are written as Markdown table rows in groups of at most
TABLE_GROUP_CHARS characters, each group under a repeat of the header row, so a chunk of a group
says what its columns are. Formulas are read as the values Excel cached when it last saved the
file (a file never opened by a spreadsheet program has none: those cells are empty). Hidden sheets
are read too. A sheet over `max_cells` cells is refused with the file, sheet and size named.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import decode_text, file_dates, read_bytes, sha256_hex, with_settings
from ragkit.ingest.loaders.office import (TABLE_GROUP_CHARS, core_properties, join_blocks, open_zip, parse_error, require,
                                         table_groups)
from ragkit.types import Document

MAX_CELLS = 1_000_000  # per file: a bigger spreadsheet is a database export, not a document


def sheet_blocks(name: str, rows: Iterable[Sequence[object]], group_chars: int = TABLE_GROUP_CHARS) -> list[tuple[str, str | None]]:
    """A sheet's blocks: its row groups, the first one starting the sheet's section."""
    groups = table_groups(list(rows), group_chars)
    return [(g, name if i == 0 else None) for i, g in enumerate(groups)]


def _capped(rows: Iterable[Sequence[object]], source: str, sheet: str, counted: list[int], max_cells: int) -> Iterator[list]:
    for row in rows:
        counted[0] += len(row)
        if counted[0] > max_cells:
            raise LoaderError(
                source,
                f"spreadsheet too large: sheet {sheet!r} takes it over the limit of {max_cells:,} cells "
                f"({counted[0]:,} counted so far); split the file or export the rows you need as CSV",
            )
        yield list(row)


class _SheetOptions:
    def __init__(self, max_cells: int = MAX_CELLS, group_chars: int = TABLE_GROUP_CHARS):
        self.max_cells = max_cells  # ingest.loaders.sheet_max_cells: refuses a file, never alters its text
        self.group_chars = group_chars  # ingest.loaders.sheet_group_chars
        self.fingerprint = f"sheet_group_chars={group_chars}" if group_chars != TABLE_GROUP_CHARS else ""


class XlsxLoader(_SheetOptions):
    suffixes = (".xlsx", ".xlsm")

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        open_zip(data, source, "XLSX", "xl/workbook.xml")
        openpyxl = require(source, "openpyxl", "openpyxl", "office", "XLSX files")
        counted = [0]
        blocks: list[tuple[str, str | None]] = []
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise parse_error(source, "XLSX", exc) from None
        try:
            names = list(book.sheetnames)
            for ws in book.worksheets:
                declared = (ws.max_row or 0) * (ws.max_column or 0)
                if declared > self.max_cells:
                    raise LoaderError(
                        source,
                        f"spreadsheet too large: sheet {ws.title!r} is {ws.max_row:,} rows x {ws.max_column:,} columns "
                        f"({declared:,} cells), over the limit of {self.max_cells:,}; split the file or export the "
                        "rows you need as CSV",
                    )
                rows = _capped(ws.iter_rows(values_only=True), source, ws.title, counted, self.max_cells)
                blocks += sheet_blocks(ws.title, rows, self.group_chars)
            props = core_properties(getattr(book, "properties", None), "")
        except LoaderError:
            raise
        except Exception as exc:
            raise parse_error(source, "XLSX", exc) from None
        finally:
            book.close()
        text, sections = join_blocks(blocks)
        if not text.strip():
            raise LoaderError(source, f"no cell values in any of the workbook's {len(names)} sheets")
        stat_created, stat_modified = file_dates(path)
        meta = {"sheets": names}
        if "author" in props:
            meta["author"] = props["author"]
        return [Document(source, text, with_settings(sha256_hex(data), self.fingerprint), title=props.get("title") or path.stem,
                         created=props.get("created") or stat_created, modified=props.get("modified") or stat_modified,
                         sections=sections, metadata=meta)]


class CsvLoader(_SheetOptions):
    suffixes = (".csv", ".tsv")

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        raw = decode_text(data, source)
        if path.suffix.lower() == ".tsv":
            dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab
        else:
            try:
                dialect = csv.Sniffer().sniff(raw[:8192], delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
        try:
            rows = list(_capped(csv.reader(io.StringIO(raw, newline=""), dialect), source, path.stem, [0], self.max_cells))
        except csv.Error as exc:
            raise LoaderError(source, f"malformed CSV: {exc}") from None
        text, sections = join_blocks(sheet_blocks(path.stem, rows, self.group_chars))
        if not text.strip():
            raise LoaderError(source, "no values in the CSV file")
        created, modified = file_dates(path)
        return [Document(source, text, with_settings(sha256_hex(data), self.fingerprint), title=path.stem,
                         created=created, modified=modified,
                         sections=sections, metadata={"sheets": [path.stem]})]
