"""Markdown (.md, .markdown): optional YAML front matter, sections from ATX (#) and setext headings.

The front matter block is left out of `Document.text`; its `title` and dates become metadata.
Section spans run from a heading line to the next heading; their label is the heading text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import decode_text, file_dates, iso_date, read_bytes, sha256_hex
from ragkit.types import Document, Span

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*(?:[ \t]#+[ \t]*)?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CREATED_KEYS = ("created", "date", "published")
_MODIFIED_KEYS = ("modified", "updated", "lastmod", "last_modified")


class MarkdownLoader:
    suffixes = (".md", ".markdown")

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        raw = decode_text(data, source)
        meta, text = split_front_matter(raw, source)
        if not text.strip():
            raise LoaderError(source, "no text after the front matter")
        headings = find_headings(text)
        sections = tuple(
            Span(start, headings[i + 1][0] if i + 1 < len(headings) else len(text), label)
            for i, (start, _, label) in enumerate(headings)
        )
        stat_created, stat_modified = file_dates(path)
        created = _first_date(meta, _CREATED_KEYS) or stat_created
        modified = _first_date(meta, _MODIFIED_KEYS) or stat_modified
        title = _title(meta, headings) or path.stem
        extra = {k: v for k, v in meta.items() if k in ("tags", "author", "authors") and _jsonable(v)}
        return [
            Document(
                source,
                text,
                sha256_hex(data),
                title=title,
                created=created,
                modified=modified,
                sections=sections,
                metadata=extra,
            )
        ]


def split_front_matter(raw: str, source: str = "") -> tuple[dict[str, Any], str]:
    """(front matter as a dict, the text after it). No front matter: ({}, raw)."""
    m = _FRONT.match(raw)
    if not m:
        return {}, raw
    import yaml

    try:
        meta = yaml.load(m.group(1), Loader=_front_matter_loader(yaml, m.group(1), source)) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        raise LoaderError(source, f"invalid YAML front matter{line}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta, dict):
        raise LoaderError(source, "front matter is not a mapping of keys to values (expected `key: value` lines)")
    return {str(k).lower(): v for k, v in meta.items()}, raw[m.end() :]


def _front_matter_loader(yaml, block: str, source: str):
    """yaml.SafeLoader whose dates fail with the key and line (PyYAML says only "month must be in
    1..12" for `date: 2026-13-01`)."""

    class Loader(yaml.SafeLoader):
        def construct_yaml_timestamp(self, node):
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                line = node.start_mark.line
                text = block.splitlines()[line] if line < len(block.splitlines()) else ""
                key = text.split(":", 1)[0].strip() or "?"
                raise LoaderError(
                    source, f"front matter key `{key}` (line {line + 2}): {node.value!r} is not a valid date ({exc})"
                ) from None

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    return Loader


def find_headings(text: str) -> list[tuple[int, int, str]]:
    """(offset of the heading line, level, heading text) for each heading outside code fences."""
    out: list[tuple[int, int, str]] = []
    fence: str | None = None
    offset = 0
    prev: tuple[int, str] | None = None  # (offset, line) of the previous paragraph line
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        f = _FENCE.match(body)
        if fence is not None:
            if f and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence):
                fence = None
            prev = None
        elif f:
            fence, prev = f.group(1), None
        elif m := _ATX.match(body):
            out.append((offset, len(m.group(1)), (m.group(2) or "").strip()))
            prev = None
        elif (s := _SETEXT.match(body)) and prev is not None:
            out.append((prev[0], 1 if s.group(1)[0] == "=" else 2, prev[1].strip()))
            prev = None
        else:
            prev = (offset, body) if body.strip() and not body.lstrip().startswith(("-", "*", "+", ">", "|")) else None
        offset += len(line)
    return out


def _title(meta: dict[str, Any], headings: list[tuple[int, int, str]]) -> str | None:
    title = meta.get("title")
    if isinstance(title, (str, int, float)) and str(title).strip():
        return str(title).strip()
    for _, level, label in headings:
        if level == 1 and label:
            return label
    return next((label for _, _, label in headings if label), None)


def _first_date(meta: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = iso_date(meta.get(key))
        if value:
            return value
    return None


def _jsonable(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, list):
        return all(_jsonable(v) for v in value)
    return False
