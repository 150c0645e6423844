"""The cost ledger: one SQLite row per provider attempt, per paid embedding call, per cache hit.

Columns: time, UTC day, run id, request id (one gateway call), query id (one `ask`, shared by its
stages), stage, provider, model, tokens by kind, cost (NULL when the price is unknown - never 0),
estimated cost, latency, outcome ("ok", "cache_hit" or the error class), attempt number, cache hit
kind, dollars a cache hit saved, route, the routing decision (JSON), the always-large
counterfactual cost, and the call kind (llm | embedding). Secrets never reach it: rows hold
names and numbers only.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ragkit.types import Usage

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    run_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    query_id TEXT,
    stage TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    est_cost_usd REAL,
    latency_s REAL NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    error TEXT,
    attempt INTEGER NOT NULL DEFAULT 1,
    cache_hit TEXT,
    saved_usd REAL,
    route TEXT,
    routing TEXT,
    counterfactual_usd REAL,
    kind TEXT NOT NULL DEFAULT 'llm'
);
CREATE INDEX IF NOT EXISTS calls_run ON calls(run_id);
CREATE INDEX IF NOT EXISTS calls_day ON calls(day);
CREATE INDEX IF NOT EXISTS calls_ts ON calls(ts);
"""


def utc_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class LedgerRow:
    ts: float
    run_id: str
    request_id: str
    stage: str
    provider: str
    model: str
    outcome: str
    query_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None
    est_cost_usd: float | None = None
    latency_s: float = 0.0
    error: str | None = None
    attempt: int = 1
    cache_hit: str | None = None
    saved_usd: float | None = None
    route: str | None = None
    routing: str | None = None
    counterfactual_usd: float | None = None
    kind: str = "llm"  # llm | embedding

    @property
    def usage(self) -> Usage:
        return Usage(self.input_tokens, self.output_tokens, self.cache_read_tokens, self.cache_write_tokens)

    @property
    def day(self) -> str:
        return utc_day(self.ts)


_COLUMNS = [f.name for f in fields(LedgerRow)]


class Ledger:
    """SQLite at `path` (WAL); safe to share between threads; `close()` releases it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._conn = conn
        return self._conn

    def record(self, row: LedgerRow) -> int:
        values = asdict(row)
        cols = [*_COLUMNS, "day"]
        params = [values[c] for c in _COLUMNS] + [row.day]
        sql = f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        with self._lock:
            cur = self._db().execute(sql, params)
            return int(cur.lastrowid)

    def set_counterfactual(self, row_id: int, usd: float | None) -> None:
        """What the row's answer would have cost on the always-large route (routing savings)."""
        with self._lock:
            self._db().execute("UPDATE calls SET counterfactual_usd = ? WHERE id = ?", (usd, row_id))

    def rows(self, since: float | None = None, run_id: str | None = None) -> list[LedgerRow]:
        where, params = _where(since=since, run_id=run_id)
        with self._lock:
            cur = self._db().execute(f"SELECT {', '.join(_COLUMNS)} FROM calls{where} ORDER BY id", params)
            return [LedgerRow(*r) for r in cur.fetchall()]

    def dicts(self, since: float | None = None) -> list[dict[str, Any]]:
        return [{**asdict(r), "day": r.day} for r in self.rows(since=since)]

    def spent(self, *, run_id: str | None = None, day: str | None = None) -> float:
        """Known dollars spent (rows with an unknown price add nothing) for a run and/or a UTC day."""
        where, params = _where(run_id=run_id, day=day)
        with self._lock:
            (total,) = self._db().execute(f"SELECT COALESCE(SUM(cost_usd), 0) FROM calls{where}", params).fetchone()
        return float(total)

    def count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _where(*, since: float | None = None, run_id: str | None = None, day: str | None = None) -> tuple[str, list]:
    clauses, params = [], []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    if run_id is not None:
        clauses.append("run_id = ?")
        params.append(run_id)
    if day is not None:
        clauses.append("day = ?")
        params.append(day)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

