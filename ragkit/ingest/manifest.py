"""The ingest manifest: source -> content hash -> chunk ids, plus a write-ahead journal.

SQLite (one file next to the index), so every update is an atomic transaction. The `pending`
table is the journal that makes ingest crash-safe: a document is entered there (with the hash
being written) before any of its new chunks reach the store, and leaves it in the same
transaction that records its new hash. A run that finds pending rows knows exactly which
documents a crashed run may have left half-written.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
  source TEXT PRIMARY KEY,
  root TEXT NOT NULL,
  origin TEXT NOT NULL,
  hash TEXT NOT NULL,
  chunk_ids TEXT NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_root ON docs(root);
CREATE INDEX IF NOT EXISTS docs_hash ON docs(hash);
CREATE TABLE IF NOT EXISTS pending (
  source TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  root TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class DocEntry:
    source: str
    root: str  # absolute ingest root (a directory, or a JSONL file for corpora)
    origin: str  # the file the document came from, relative to root
    hash: str
    chunk_ids: tuple[str, ...]


class Manifest:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None)  # explicit transactions
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # ---- reads ---------------------------------------------------------------------------------
    def get(self, source: str) -> DocEntry | None:
        row = self._db.execute(
            "SELECT source, root, origin, hash, chunk_ids FROM docs WHERE source=?", (source,)
        ).fetchone()
        return _entry(row) if row else None

    def all(self, root: str | None = None) -> dict[str, DocEntry]:
        sql = "SELECT source, root, origin, hash, chunk_ids FROM docs"
        rows = self._db.execute(sql + " WHERE root=?", (root,)) if root else self._db.execute(sql)
        return {r[0]: _entry(r) for r in rows}

    def ingested_at(self) -> dict[str, float]:
        """source -> when its current version was stored (epoch seconds)."""
        return dict(self._db.execute("SELECT source, updated_at FROM docs"))

    def hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT source, hash FROM docs"))

    def by_hash(self, content_hash: str) -> DocEntry | None:
        row = self._db.execute(
            "SELECT source, root, origin, hash, chunk_ids FROM docs WHERE hash=? LIMIT 1", (content_hash,)
        ).fetchone()
        return _entry(row) if row else None

    def pending(self) -> dict[str, tuple[str, str]]:
        return {s: (h, r) for s, h, r in self._db.execute("SELECT source, hash, root FROM pending")}

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def generation(self) -> int:
        """Bumped by every run that changed the index: caches compare it to know they are stale."""
        return int(self.meta("generation", "0"))

    # ---- writes (each one transaction) ---------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def bump_generation(self) -> int:
        gen = self.generation + 1
        self.set_meta("generation", str(gen))
        return gen

    def begin_writes(self, items: Iterable[tuple[str, str, str]]) -> None:
        """Journal (source, hash, root) before any of their chunks are written."""
        with _tx(self._db):
            self._db.executemany("INSERT OR REPLACE INTO pending(source, hash, root) VALUES (?, ?, ?)", items)

    def commit_doc(self, entry: DocEntry) -> None:
        with _tx(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO docs(source, root, origin, hash, chunk_ids, updated_at) VALUES (?,?,?,?,?,?)",
                (entry.source, entry.root, entry.origin, entry.hash, json.dumps(entry.chunk_ids), time.time()),
            )
            self._db.execute("DELETE FROM pending WHERE source=?", (entry.source,))

    def commit_docs(self, entries: Iterable[DocEntry]) -> None:
        now = time.time()
        rows = [(e.source, e.root, e.origin, e.hash, json.dumps(e.chunk_ids), now) for e in entries]
        with _tx(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO docs(source, root, origin, hash, chunk_ids, updated_at) VALUES (?,?,?,?,?,?)",
                rows,
            )
            self._db.executemany("DELETE FROM pending WHERE source=?", [(r[0],) for r in rows])

    def remove(self, sources: Iterable[str]) -> None:
        keys = [(s,) for s in sources]
        with _tx(self._db):
            self._db.executemany("DELETE FROM docs WHERE source=?", keys)
            self._db.executemany("DELETE FROM pending WHERE source=?", keys)

    def clear_pending(self, source: str) -> None:
        self._db.execute("DELETE FROM pending WHERE source=?", (source,))


class _tx:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _entry(row) -> DocEntry:
    return DocEntry(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])))
