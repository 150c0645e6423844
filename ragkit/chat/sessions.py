"""Chat sessions on SQLite under the ragkit home folder (`<home>/chat/sessions.sqlite`): each turn's
question, the standalone question it retrieved with, the answer shown, its citations, whether it
abstained, cost, latency and a timestamp. Sessions are keyed by (tenant, session id): a tenant
never reads another tenant's session. Old sessions are dropped after `retention_days`."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    tenant TEXT NOT NULL,
    session TEXT NOT NULL,
    turn INTEGER NOT NULL,
    ts REAL NOT NULL,
    question TEXT NOT NULL,
    standalone TEXT NOT NULL,
    condense_method TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    citations TEXT NOT NULL,
    query_id TEXT NOT NULL,
    cost_usd REAL,
    latency TEXT NOT NULL,
    PRIMARY KEY (tenant, session, turn)
);
CREATE INDEX IF NOT EXISTS turns_ts ON turns (tenant, ts);
"""


@dataclass(frozen=True)
class Turn:
    turn: int
    ts: float
    question: str
    standalone: str
    condense_method: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]] = field(default_factory=list)
    query_id: str = ""
    cost_usd: float | None = 0.0
    latency: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    turns: int
    started: float
    updated: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tenant(tenant: str | None) -> str:
    return tenant or ""


class SessionStore:
    """Thread-safe (one connection, one lock; WAL)."""

    def __init__(self, path: Path | str, *, retention_days: float | None = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def prune(self, now: float | None = None) -> int:
        """Drop the turns of sessions not updated within retention_days; how many turns went."""
        if not self.retention_days:
            return 0
        cutoff = (now if now is not None else time.time()) - self.retention_days * 86400
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM turns WHERE (tenant, session) IN (SELECT tenant, session FROM turns "
                "GROUP BY tenant, session HAVING MAX(ts) < ?)", (cutoff,))
            return cur.rowcount

    def turns(self, session: str, tenant: str | None = None) -> list[Turn]:
        with self._lock:
            rows = self._db.execute(
                "SELECT turn, ts, question, standalone, condense_method, answer, abstained, citations, query_id,"
                " cost_usd, latency FROM turns WHERE tenant=? AND session=? ORDER BY turn",
                (_tenant(tenant), session)).fetchall()
        return [Turn(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), json.loads(r[7]), r[8], r[9], json.loads(r[10]))
                for r in rows]

    def add(self, session: str, turn: Turn, tenant: str | None = None) -> Turn:
        """Append `turn` (its number is assigned here: one after the session's last)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                n = self._db.execute("SELECT COALESCE(MAX(turn), 0) FROM turns WHERE tenant=? AND session=?",
                                     (_tenant(tenant), session)).fetchone()[0] + 1
                self._db.execute(
                    "INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (_tenant(tenant), session, n, turn.ts, turn.question, turn.standalone, turn.condense_method,
                     turn.answer, int(turn.abstained), json.dumps(turn.citations, default=str), turn.query_id,
                     turn.cost_usd, json.dumps(turn.latency)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Turn(n, *list(asdict(turn).values())[1:])

    def sessions(self, tenant: str | None = None) -> list[SessionInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT session, COUNT(*), MIN(ts), MAX(ts) FROM turns WHERE tenant=? GROUP BY session "
                "ORDER BY MAX(ts) DESC", (_tenant(tenant),)).fetchall()
        return [SessionInfo(*r) for r in rows]

    def delete(self, session: str, tenant: str | None = None) -> int:
        """Delete a session; how many turns it had (0: there was none)."""
        with self._lock:
            return self._db.execute("DELETE FROM turns WHERE tenant=? AND session=?",
                                    (_tenant(tenant), session)).rowcount
