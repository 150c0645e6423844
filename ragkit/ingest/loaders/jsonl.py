"""BEIR corpus (.jsonl): one document per line with `_id`, `title`, `text`; streamed.

A document's source is its `_id`; its text is the title, a blank line, then the text (BEIR's
dense-retrieval evaluations embed title and text together, and it gives chunks their subject).
Its content hash is the sha256 of the record's canonical JSON. A bad line never stops the file:
with `on_error` it is reported there as LoaderError(source, "line N: reason"); without, it is
yielded in place as an error marker (`error_marker`: empty text, metadata {"error", "line"}),
which `is_error_marker` recognizes and the ingest pipeline reports as "<file>:<line>".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import file_dates, iso_date, sha256_hex, with_settings
from ragkit.types import Document

ErrorSink = Callable[[LoaderError], None]
GIVE_UP_AFTER = 20  # this many bad records before any good one: the file is not a corpus


class BeirJsonlLoader:
    suffixes = (".jsonl",)

    def __init__(self, on_error: ErrorSink | None = None, max_record_bytes: int | None = None, title_in_text: bool = True):
        self.on_error = on_error
        self.max_record_bytes = max_record_bytes  # the size limit applies per record: the file streams
        self.title_in_text = title_in_text  # config key ingest.loaders.jsonl_title_in_text
        self.fingerprint = "" if title_in_text else "jsonl_title_in_text=false"

    def load(self, path: Path, source: str) -> Iterator[Document]:
        try:
            f = open(path, "rb")
        except PermissionError:
            raise LoaderError(source, "unreadable: permission denied (check the file's permissions)") from None
        except OSError as exc:
            raise LoaderError(source, f"unreadable: {exc.strerror or exc}") from None
        created, modified = file_dates(path)
        errors: list[LoaderError] = []
        seen: dict[str, int] = {}
        loaded = 0
        with f:
            head = f.read(8192)
            nul = head.find(b"\x00")
            if nul >= 0:
                raise LoaderError(source, f"binary content (NUL byte at byte offset {nul}); not a JSONL file")
            f.seek(0)
            for lineno, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    doc = self._record(raw, lineno, source, seen, created, modified)
                except LoaderError as exc:
                    errors.append(exc)
                    if self.on_error is not None:
                        self.on_error(exc)
                    else:
                        yield error_marker(source, lineno, exc.reason)
                    if loaded == 0 and len(errors) >= GIVE_UP_AFTER:
                        raise LoaderError(
                            source,
                            f"not a BEIR JSONL corpus: its first {len(errors)} records are all invalid "
                            f"(first: {errors[0].reason})",
                        ) from None
                    continue
                loaded += 1
                yield doc
        if loaded == 0:
            first = errors[0].reason if errors else "the file holds no records"
            raise LoaderError(source, f"no valid JSONL records ({len(errors)} bad lines; first: {first})")

    def _record(self, raw: bytes, lineno: int, source: str, seen: dict[str, int], created: str, modified: str) -> Document:
        def bad(reason: str) -> LoaderError:
            return LoaderError(source, f"line {lineno}: {reason}")

        if self.max_record_bytes is not None and len(raw) > self.max_record_bytes:
            raise bad(
                f"record is {len(raw)} bytes, over the limit of {self.max_record_bytes} bytes (config key ingest.max_file_mb)"
            )
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad(f"invalid UTF-8 at byte offset {exc.start} of the line") from None
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise bad(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise bad("not a JSON object")
        doc_id = record.get("_id")
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool) or str(doc_id) == "":
            raise bad("missing `_id` (a string or integer)")
        doc_id = str(doc_id)
        title, body = record.get("title") or "", record.get("text") or ""
        if not isinstance(title, str) or not isinstance(body, str):
            raise bad("`title` and `text` must be strings")
        if not (title.strip() or body.strip()):
            raise bad(f"record {doc_id!r} has no text and no title")
        if doc_id in seen:
            raise bad(f"duplicate _id {doc_id!r} (first at line {seen[doc_id]})")
        seen[doc_id] = lineno
        title, body = title.strip(), body.strip()
        text = f"{title}\n\n{body}" if self.title_in_text and title and body else (body or title)
        canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        metadata: dict[str, Any] = {"corpus": source}
        if isinstance(record.get("metadata"), dict) and record["metadata"]:
            metadata["record_metadata"] = record["metadata"]
        return Document(
            doc_id,
            text,
            with_settings(sha256_hex(canonical.encode("utf-8")), self.fingerprint),
            title=title or None,
            created=_date(record, ("created", "date", "published")) or created,
            modified=_date(record, ("modified", "updated")) or modified,
            metadata=metadata,
        )


def error_marker(source: str, lineno: int, reason: str) -> Document:
    """Stands in the document stream for a corpus line that could not be loaded."""
    return Document(f"{source}:{lineno}", "", "", metadata={"error": reason, "line": lineno})


def is_error_marker(doc: Document) -> bool:
    return bool(doc.metadata.get("error")) and not doc.text


def _date(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if (value := iso_date(record.get(key))) is not None:
            return value
    return None
