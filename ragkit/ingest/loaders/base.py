"""What every loader shares: reading bytes safely, decoding text, hashing, dates from the file."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence

from ragkit.errors import LoaderError
from ragkit.protocols import Loader

# Document.metadata key of per-page metadata, {"<page>": {key: value}} (an OCRed page's `ocr` and
# `ocr_confidence`): chunk_document gives each chunk what the pages it covers say, not the key itself
PAGE_METADATA = "page_metadata"


def read_bytes(path: Path, source: str) -> bytes:
    """The file's bytes, or a LoaderError saying why they cannot be read."""
    try:
        data = path.read_bytes()
    except PermissionError:
        raise LoaderError(source, "unreadable: permission denied (check the file's permissions)") from None
    except IsADirectoryError:
        raise LoaderError(source, "not a regular file (a directory)") from None
    except OSError as exc:
        raise LoaderError(source, f"unreadable: {exc.strerror or exc}") from None
    if not data:
        raise LoaderError(source, "empty file (0 bytes)")
    return data


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    """"UTF-16LE"/"UTF-16BE" when the bytes look like mostly-ASCII UTF-16 with no byte-order mark
    (every other byte NUL), else None."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "UTF-16LE"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "UTF-16BE"
    return None


def decode_text(data: bytes, source: str) -> str:
    """Text as UTF-8 (a BOM is dropped), or UTF-16/32 when the file starts with their byte-order
    mark; a LoaderError for binary content, invalid UTF-8 or UTF-16 without a mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise LoaderError(source, f"invalid {codec.upper()} at byte offset {exc.start} ({exc.reason})") from None
            if not text.strip():
                raise LoaderError(source, "empty file (only whitespace)")
            return text.lstrip("\ufeff")
    nul = data.find(b"\x00")
    if nul >= 0:
        if (kind := _utf16_without_bom(data)) is not None:
            raise LoaderError(
                source, f"text looks like {kind} without a byte-order mark; re-save the file as UTF-8 (or UTF-16 with a BOM)"
            )
        raise LoaderError(source, f"binary content (NUL byte at byte offset {nul}); not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoaderError(
            source,
            f"invalid UTF-8 at byte offset {exc.start} ({exc.reason}); re-save the file as UTF-8",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise LoaderError(source, "empty file (only whitespace)")
    return text


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_settings(content_hash: str, fingerprint: str) -> str:
    """A document's content hash under loader settings: the hash itself when the loader runs with
    its defaults (`fingerprint` empty), else a hash of both, so that changing an option that alters
    the text (ingest.loaders) makes the file count as changed for incremental ingest."""
    return content_hash if not fingerprint else sha256_hex(f"{content_hash}|{fingerprint}".encode())


def loader_fingerprint(loader: Loader | None) -> str:
    """The loader's non-default, text-altering settings as a string ("" for defaults or none)."""
    return str(getattr(loader, "fingerprint", "") or "")


def file_dates(path: Path) -> tuple[str, str]:
    """(created, modified) as ISO-8601 UTC datetimes from the file system.

    `modified` is the mtime. `created` is the birth time where the platform records one
    (macOS, Windows, BSD), else the mtime too: Linux's ctime is the inode change time, not a
    creation date, so it is not used.
    """
    st = os.stat(path)
    modified = _iso_timestamp(st.st_mtime)
    birth = getattr(st, "st_birthtime", None)
    return (_iso_timestamp(birth) if birth else modified), modified


def _iso_timestamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def iso_date(value: object) -> str | None:
    """An ISO-8601 string from a YAML/HTML/PDF date value, or None if it is not a date."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        candidate = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
        for parse in (date.fromisoformat, datetime.fromisoformat):  # a bare date stays a date
            try:
                return parse(candidate).isoformat()
            except ValueError:
                continue
        return None
    return None


def stem_title(path: Path) -> str:
    return path.stem


def loader_for(path: Path, loaders: Sequence[Loader]) -> Loader | None:
    """The first loader whose suffixes hold `path`'s (case-insensitive)."""
    suffix = path.suffix.lower()
    return next((loader for loader in loaders if suffix in loader.suffixes), None)
