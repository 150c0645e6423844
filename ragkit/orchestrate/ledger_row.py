"""One cost-ledger row (`LedgerRow`) and the SQLite schema it is stored in."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone

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


COLUMNS = [f.name for f in fields(LedgerRow)]
