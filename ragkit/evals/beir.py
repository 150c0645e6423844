"""BEIR-format data: queries (JSONL), qrels (TSV), corpus (JSONL), read line by line.

Also where the shared evaluation data lives: `shared_dir()` is `../shared` next to the repository
(overridable with the environment variable RAGKIT_SHARED_DIR); nothing is ever copied or fetched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Container, Iterator

SHARED_ENV = "RAGKIT_SHARED_DIR"


def shared_dir() -> Path:
    """The shared data/models folder: $RAGKIT_SHARED_DIR, else `<repo>/../shared`. May not exist."""
    env = os.environ.get(SHARED_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()


def scifact_dir() -> Path:
    return shared_dir() / "data" / "scifact"


def _open_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"BEIR file not found: {p}")
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.strip()
            if line:
                yield lineno, line


def load_queries(path: str | Path, ids: Container[str] | None = None) -> dict[str, str]:
    """{query id: text} from a BEIR queries.jsonl (`_id`, `text`); only `ids` when given."""
    out: dict[str, str] = {}
    for lineno, line in _open_lines(path):
        try:
            row = json.loads(line)
            qid, text = str(row["_id"]), str(row["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a BEIR query line with _id and text ({exc})") from None
        if ids is None or qid in ids:
            out[qid] = text
    return out


def load_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """{query id: {corpus id: grade}} from a BEIR qrels TSV (`query-id corpus-id score`, header optional)."""
    out: dict[str, dict[str, int]] = {}
    for lineno, line in _open_lines(path):
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) != 3:
            raise ValueError(f"{path}:{lineno}: expected 3 columns (query-id corpus-id score), got {len(parts)}")
        qid, did, grade = parts
        try:
            g = int(float(grade))
        except ValueError:
            if lineno == 1 or not out:  # the header row
                continue
            raise ValueError(f"{path}:{lineno}: score {grade!r} is not a number") from None
        out.setdefault(qid, {})[did] = g
    return out


def iter_corpus(path: str | Path) -> Iterator[tuple[str, str, str]]:
    """(doc id, title, text) per line of a BEIR corpus.jsonl (`_id`, `title`, `text`)."""
    for lineno, line in _open_lines(path):
        try:
            row = json.loads(line)
            yield str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or "")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a BEIR corpus line with _id ({exc})") from None
