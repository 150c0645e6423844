"""What the office-format loaders share: optional imports that name their extra, zip containers
checked before a parser sees them, Markdown table rows, and Document assembly from text blocks.

A block is (text, section label or None): a block with a label starts a section of that name.
Blocks are joined with blank lines, so sentences never run across them; a table is a block of
`| cell | cell |` lines, the structure the sentence splitter keeps whole and out of answer
sentences.
"""

from __future__ import annotations

import importlib
import io
import zipfile
from typing import Any, Sequence

from ragkit.errors import LoaderError
from ragkit.types import Span

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File: legacy .doc/.xls/.ppt, .msg, or encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"
MAX_UNZIPPED = 512 * 1024 * 1024  # a zip that expands past this is refused (a zip bomb)


def require(source: str, module: str, package: str, extra: str, what: str) -> Any:
    """`import module`, or a LoaderError naming the pip package and the ragkit extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise LoaderError(
            source,
            f"reading {what} needs the optional package {package}: pip install 'ragkit[{extra}]' (or pip install {package})",
        ) from None


def open_zip(data: bytes, source: str, kind: str, required: str) -> zipfile.ZipFile:
    """The bytes as a zip archive holding `required`, or a LoaderError saying what the file is instead:
    password-protected (an OLE container with an EncryptionInfo stream), a legacy binary format,
    truncated, not the format its suffix says, or a zip bomb."""
    if data.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            raise LoaderError(
                source, f"password-protected {kind}: the file is encrypted; save an unprotected copy to ingest it"
            )
        raise LoaderError(
            source,
            f"not a {kind} file: it is a legacy binary Office file (OLE container, e.g. .doc/.xls/.ppt); "
            f"save it as {kind} first",
        )
    if not data.startswith(ZIP_MAGIC):
        raise LoaderError(source, f"not a {kind} file: no zip header (wrong file extension?)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise LoaderError(source, f"truncated or corrupt {kind}: not a complete zip archive ({exc})") from None
    except Exception as exc:
        raise LoaderError(source, f"corrupt {kind}: {type(exc).__name__}: {exc}") from None
    if required not in names:
        raise LoaderError(source, f"not a {kind} file: the zip archive has no {required} (wrong file extension?)")
    total = sum(i.file_size for i in archive.infolist())
    if total > MAX_UNZIPPED:
        raise LoaderError(source, f"{kind} expands to {total} bytes, over the limit of {MAX_UNZIPPED} (a zip bomb?)")
    return archive


def parse_error(source: str, kind: str, exc: Exception) -> LoaderError:
    """A parser's exception on a file that passed `open_zip` (a damaged member, bad XML)."""
    return LoaderError(source, f"corrupt {kind}: {type(exc).__name__}: {exc}")


def cell_text(value: object) -> str:
    """A value as one Markdown table cell: no line breaks, pipes escaped, whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return " ".join(str(value).split()).replace("|", "\\|")


def table_row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(cell_text(c) for c in cells) + " |"


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows as `| a | b |` lines, the first one the header; all rows padded to the widest."""
    rows = [list(r) for r in rows if any(cell_text(c) for c in r)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    return "\n".join(table_row(r + [""] * (width - len(r))) for r in rows)


def join_blocks(blocks: Sequence[tuple[str, str | None]]) -> tuple[str, tuple[Span, ...]]:
    """(the blocks' text joined by blank lines, the sections their labels start)."""
    parts: list[str] = []
    starts: list[tuple[int, str]] = []
    at = 0
    for text, label in blocks:
        text = text.strip("\n")
        if not text.strip():
            continue
        if parts:
            at += 2
        if label:
            starts.append((at, label))
        parts.append(text)
        at += len(text)
    full = "\n\n".join(parts)
    sections = tuple(
        Span(start, starts[i + 1][0] if i + 1 < len(starts) else len(full), label) for i, (start, label) in enumerate(starts)
    )
    return full, sections


def paged_join(pages: Sequence[tuple[int, Sequence[tuple[str, str | None]]]]) -> tuple[str, tuple[Span, ...], tuple[Span, ...]]:
    """(text, page spans, section spans) of numbered pages of blocks (a slide deck); a page with no
    text gets no span."""
    parts: list[str] = []
    page_spans: list[Span] = []
    section_spans: list[Span] = []
    at = 0
    for number, blocks in pages:
        text, sections = join_blocks(blocks)
        if not text:
            continue
        if parts:
            at += 2
        page_spans.append(Span(at, at + len(text), number))
        section_spans += [Span(at + s.start, at + s.end, s.label) for s in sections]
        parts.append(text)
        at += len(text)
    return "\n\n".join(parts), tuple(page_spans), tuple(section_spans)


TABLE_GROUP_CHARS = 450  # longer tables are cut into row groups under their header: about 200-240
# MiniLM word pieces for a dense numeric table (2.0-2.3 characters each), under its 256-piece window


def table_groups(rows: Sequence[Sequence[object]], max_chars: int = TABLE_GROUP_CHARS) -> list[str]:
    """A table as one Markdown table when it fits `max_chars`, else as groups of rows that each
    repeat the header row (the first row), so each group read alone still says what its columns are."""
    rows = [list(r) for r in rows if any(cell_text(c) for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    lines = [table_row(r + [""] * (width - len(r))) for r in rows]
    header, body = lines[0], lines[1:]
    if len("\n".join(lines)) <= max_chars or not body:
        return ["\n".join(lines)]
    groups: list[str] = []
    group: list[str] = []
    size = len(header)
    for line in body:
        if group and size + 1 + len(line) > max_chars:
            groups.append("\n".join([header, *group]))
            group, size = [], len(header)
        group.append(line)
        size += 1 + len(line)
    if group:
        groups.append("\n".join([header, *group]))
    return groups


def core_properties(props, title_fallback: str) -> dict[str, Any]:
    """title, author, created, modified from an OOXML document's core properties (python-docx,
    python-pptx and openpyxl all expose them with these attribute names)."""
    from ragkit.ingest.loaders.base import iso_date

    out: dict[str, Any] = {}
    if props is None:
        return {"title": title_fallback}
    title = (getattr(props, "title", None) or "").strip()
    out["title"] = title or title_fallback
    author = getattr(props, "author", None) or getattr(props, "creator", None)
    if isinstance(author, str) and author.strip():
        out["author"] = author.strip()
    for key in ("created", "modified"):
        value = iso_date(getattr(props, key, None))
        if value:
            out[key] = value
    return out
