"""What every loader shares: reading bytes safely, decoding text, hashing, dates from the file."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timezone
from pathlib import Path

from ragkit.errors import LoaderError


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


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped), or a LoaderError for binary content or invalid UTF-8."""
    nul = data.find(b"\x00")
    if nul >= 0:
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
