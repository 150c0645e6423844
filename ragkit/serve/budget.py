"""Per-key daily budgets (`budget_usd_per_day` in the keys file).

Each answer's cost (`Answer.cost_usd`, the sum of its ledger rows) is charged to the key that
asked, per UTC day, in `<home>/serve/spend.sqlite`, so the spend survives a restart. A query is
refused with 402 `budget_exceeded` (and Retry-After: the seconds to 00:00 UTC) once the key's
spend today has reached its budget. The check runs before a query, so one query in flight can
overshoot the budget by its own cost; answers served from a cache cost nothing and charge nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

from ragkit.serve.errors import ApiError
from ragkit.serve.keys import ApiKey

_SCHEMA = """CREATE TABLE IF NOT EXISTS spend (
    key_id TEXT NOT NULL, day TEXT NOT NULL, usd REAL NOT NULL DEFAULT 0, queries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day))"""


def utc_day(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d")


def seconds_to_midnight(now: dt.datetime | None = None) -> int:
    now = now or dt.datetime.now(dt.timezone.utc)
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - now).total_seconds()) + 1)


class KeySpend:
    """Money spent per key and UTC day (one SQLite file; safe across request threads)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def today(self, key_id: str, day: str | None = None) -> float:
        with self._lock:
            row = self._db.execute("SELECT usd FROM spend WHERE key_id = ? AND day = ?",
                                   (key_id, day or utc_day())).fetchone()
        return float(row[0]) if row else 0.0

    def charge(self, key_id: str, usd: float, day: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO spend (key_id, day, usd, queries) VALUES (?, ?, ?, 1) ON CONFLICT(key_id, day) "
                "DO UPDATE SET usd = usd + excluded.usd, queries = queries + 1", (key_id, day or utc_day(), usd))

    def close(self) -> None:
        with self._lock:
            self._db.close()


_LOCK = threading.Lock()


def spend_of(state) -> KeySpend:
    """The server's KeySpend, opened on first use."""
    with _LOCK:
        spend = getattr(state, "_key_spend", None)
        if spend is None:
            spend = KeySpend(Path(state.serve_dir) / "spend.sqlite")
            state._key_spend = spend
        return spend


def check_budget(state, key: ApiKey) -> None:
    """Raise 402 when the key has spent its daily budget."""
    budget = key.budget_usd_per_day
    if budget is None:
        return
    spent = spend_of(state).today(key.id)
    if spent >= budget:
        wait = seconds_to_midnight()
        raise ApiError(402, "budget_exceeded",
                       f"this key has spent ${spent:.4f} of its ${budget:.4f} daily budget; it resets at 00:00 UTC",
                       headers={"Retry-After": str(wait)})


def charge(state, key: ApiKey, answer) -> None:
    """Charge an answer's cost to the key (nothing to charge for a free or cached answer)."""
    usd = getattr(answer, "cost_usd", None)
    if key.budget_usd_per_day is None and not usd:
        return
    spend_of(state).charge(key.id, float(usd or 0.0))
