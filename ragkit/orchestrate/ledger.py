"""The cost ledger: one SQLite row per provider attempt, per paid embedding call, per cache hit.

Columns: time, UTC day, run id, request id (one gateway call), query id (one `ask`, shared by its
stages), stage, provider, model, tokens by kind, cost (NULL when the price is unknown - never 0),
estimated cost, latency, outcome ("ok", "cache_hit" or the error class), attempt number, cache hit
kind, dollars a cache hit saved, route, the routing decision (JSON), the always-large
counterfactual cost, and the call kind (llm | embedding). Secrets never reach it: rows hold
names and numbers only.

Damage. Opening runs `PRAGMA quick_check` and checks the schema. A file that is not SQLite, fails
the check, lacks the `calls` table or is 0 bytes is damaged: every use raises `LedgerError`
(`damaged=True`) and the file is never deleted, rewritten or recreated. ragkit creates a ledger
whole (built aside, then linked into place), so it never leaves an empty one: an existing 0-byte
ledger was emptied, and is refused rather than silently restarting the spend at $0. A row that
cannot be written (`record_or_keep`) is appended to `<ledger>.pending.jsonl` instead; the next
healthy open adds the pending rows (once: rows already in the ledger are skipped). `move_aside`
is the one explicit way to start a new ledger over a damaged one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

from ragkit.errors import LedgerError
from ragkit.orchestrate.ledger_pending import PendingRows, pending_path
from ragkit.orchestrate.ledger_row import _SCHEMA, COLUMNS, SCHEMA_VERSION, LedgerRow, utc_day

__all__ = ["Ledger", "LedgerRow", "SCHEMA_VERSION", "_SCHEMA", "move_aside", "pending_path", "utc_day"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_TABLECOLUMNS = frozenset({"id", "day", *COLUMNS})
_DAMAGE_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


class Ledger:
    """SQLite at `path` (WAL); safe to share between threads; `close()` releases it.

    Opens (and checks) lazily on first use; a failed open is retried on the next use, and a failed
    write closes the connection so the next use checks the file again."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._pending = PendingRows(self.path)
        self.pending_path = self._pending.path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # ---- open, check, create ----------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            self._create()
        elif self.path.is_file() and self.path.stat().st_size == 0:
            raise self._error("it is 0 bytes. ragkit never leaves an empty ledger (it creates one whole), so this "
                              "file was emptied or truncated", damaged=True)
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise self._error(f"it cannot be opened ({exc})") from exc
        try:
            problem = _check(conn)
            if problem is not None:
                raise self._error(problem[0], damaged=problem[1])
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)  # the table when the file is an empty SQLite database; the indexes
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._replay(conn)
        except LedgerError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(f"SQLite says: {exc}", damaged=_is_damage(exc)) from exc
        except OSError as exc:  # the pending file could not be read or cleared
            conn.close()
            raise self._error(f"its pending rows could not be added ({exc})") from exc
        return conn

    def _create(self) -> None:
        """Build a new ledger aside and link it into place: the ledger path never holds a partial file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.new-{uuid.uuid4().hex[:12]}")
        try:
            conn = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            try:
                os.link(tmp, self.path)  # fails if another process created it meanwhile: theirs is kept
            except OSError as exc:
                if not isinstance(exc, FileExistsError) and not self.path.exists():  # no hard links here
                    os.replace(tmp, self.path)
        except (sqlite3.Error, OSError) as exc:
            raise self._error(f"it could not be created ({exc})") from exc
        finally:
            for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                p.unlink(missing_ok=True)

    def _error(self, reason: str, *, damaged: bool = False) -> LedgerError:
        msg = f"cost ledger {self.path} {'is damaged' if damaged else 'cannot be used'}: {reason}."
        if damaged:
            msg += (" It was left as it is. Paid calls are refused until it is fixed, so that no spend goes "
                    "unrecorded: restore it from a backup, or run `ragkit cost --move-aside` to move it to "
                    f"{self.path.name}.damaged-<time> and start a new ledger (the spend history and the budgets "
                    "then restart from $0, knowingly).")
        else:
            msg += (" Paid calls are refused until it can record them: fix the cause (disk space, permissions, "
                    "another process holding it) and retry.")
        waiting = self.pending_count()
        if waiting:
            msg += (f" {waiting} call(s) that could not be recorded wait in {self.pending_path}; they are added "
                    "when the ledger opens healthy.")
        return LedgerError(msg, path=str(self.path), reason=reason, damaged=damaged)

    def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._db()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                self._drop()  # the next use opens and checks the file again
                raise self._error(f"SQLite says: {exc}", damaged=_is_damage(exc)) from exc

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def ensure_ready(self) -> None:
        """Open and check the ledger (adding any pending rows); raise LedgerError when it cannot record."""
        with self._lock:
            self._db()

    # ---- writes -----------------------------------------------------------------------------------
    def record(self, row: LedgerRow) -> int:
        """Insert `row`; raises LedgerError when the ledger cannot take it (see `record_or_keep`)."""
        return self._run(lambda conn: _insert(conn, row))

    def record_or_keep(self, row: LedgerRow) -> tuple[int | None, str | None]:
        """Record `row`, or keep it in the pending file. Never raises: (row id or None, a warning or None)."""
        try:
            return self.record(row), None
        except LedgerError as exc:
            reason = exc.reason
        what = (f"the {row.stage} {row.kind} call to {row.provider} model {row.model!r} "
                f"({_usd(row.cost_usd)}, {row.input_tokens} in / {row.output_tokens} out tokens)")
        try:
            self._pending.append(row)
            kept = (f"it was kept in {self.pending_path} (pending) and is added when the ledger opens healthy; "
                    "paid calls are refused until then")
        except OSError as exc:
            kept = (f"it could not be kept in {self.pending_path} either ({exc}); add it by hand: run "
                    f"{row.run_id}, request {row.request_id}, {utc_day(row.ts)}")
        msg = f"cost ledger {self.path}: {what} was not recorded ({reason}); {kept}"
        log.warning(msg)
        return None, msg

    def set_counterfactual(self, row_id: int, usd: float | None) -> None:
        """What the row's answer would have cost on the always-large route (routing savings)."""
        self._run(lambda conn: conn.execute("UPDATE calls SET counterfactual_usd = ? WHERE id = ?", (usd, row_id)))

    def _replay(self, conn: sqlite3.Connection) -> None:
        """Add the pending rows (skipping any already in the ledger), then remove the pending file."""
        rows, bad, taken = self._pending.take()
        if not taken:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            added = sum(_insert(conn, r, unless_present=True) is not None for r in rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._pending.done(taken, bad)
        if bad:
            log.warning("cost ledger %s: %d pending line(s) could not be read and were moved to %s.bad",
                        self.path, len(bad), self.pending_path)
        if added:
            log.warning("cost ledger %s: added %d call(s) that had been kept in %s", self.path, added,
                        self.pending_path)

    def pending_count(self) -> int:
        """Rows waiting in the pending file (and in any replay that was interrupted)."""
        return self._pending.count()

    # ---- reads ------------------------------------------------------------------------------------
    def rows(self, since: float | None = None, run_id: str | None = None) -> list[LedgerRow]:
        where, params = _where(since=since, run_id=run_id)
        sql = f"SELECT {', '.join(COLUMNS)} FROM calls{where} ORDER BY id"
        return self._run(lambda conn: [LedgerRow(*r) for r in conn.execute(sql, params).fetchall()])

    def dicts(self, since: float | None = None) -> list[dict[str, Any]]:
        return [{**asdict(r), "day": r.day} for r in self.rows(since=since)]

    def spent(self, *, run_id: str | None = None, day: str | None = None) -> float:
        """Known dollars spent (rows with an unknown price add nothing) for a run and/or a UTC day."""
        where, params = _where(run_id=run_id, day=day)
        sql = f"SELECT COALESCE(SUM(cost_usd), 0) FROM calls{where}"
        return float(self._run(lambda conn: conn.execute(sql, params).fetchone()[0]))

    def count(self) -> int:
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]))

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def move_aside(path: str | Path) -> Path:
    """Rename a ledger (and its -wal/-shm files) to `<name>.damaged-<UTC time>`; the next use starts a new
    one, which adds the pending rows. The explicit, knowing reset of the spend history."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.damaged-{stamp}")
    while dest.exists():
        dest = dest.with_name(dest.name + "+")
    os.rename(path, dest)
    for suffix in ("-wal", "-shm", "-journal"):  # SQLite finds them by name next to the moved file
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{dest}{suffix}")
    return dest


def _check(conn: sqlite3.Connection) -> tuple[str, bool] | None:
    """(what is wrong, whether the file is damaged), or None when it is a usable ledger. Raises sqlite3 errors."""
    found = [r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
    if found != ["ok"]:
        lines = " ".join(map(str, found)).replace("*** in database main ***", "").split("\n")
        return "the integrity check (PRAGMA quick_check) reports: " + "; ".join(
            x.strip() for x in lines if x.strip()), True
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        return f"it has schema version {version}, newer than this ragkit's {SCHEMA_VERSION}: upgrade ragkit", False
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "calls" not in tables:
        other = sorted(t for t in tables if not t.startswith("sqlite_"))
        if other:
            return f"it is an SQLite file but not a ragkit ledger: no `calls` table (it has {', '.join(other[:5])})", \
                True
        return None  # an empty SQLite database: the schema is created in it
    missing = _TABLECOLUMNS - {r[1] for r in conn.execute("PRAGMA table_info(calls)")}
    if missing:
        return f"its `calls` table lacks the column(s) {', '.join(sorted(missing))}", True
    return None


def _insert(conn: sqlite3.Connection, row: LedgerRow, *, unless_present: bool = False) -> int | None:
    if unless_present and conn.execute(
            "SELECT 1 FROM calls WHERE run_id = ? AND request_id = ? AND attempt = ? AND ts = ? AND outcome = ? "
            "AND kind = ? LIMIT 1", (row.run_id, row.request_id, row.attempt, row.ts, row.outcome, row.kind)
    ).fetchone():
        return None
    values = asdict(row)
    cols = [*COLUMNS, "day"]
    sql = f"INSERT INTO calls ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    return int(conn.execute(sql, [values[c] for c in COLUMNS] + [row.day]).lastrowid)


def _is_damage(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc).lower()
    return name in _DAMAGE_CODES or "malformed" in text or "not a database" in text


def _usd(cost: float | None) -> str:
    return "unknown cost" if cost is None else f"${cost:.6f}"


def _where(**filters: Any) -> tuple[str, list]:
    """since= (ts >=), run_id=, day= -> a WHERE clause and its parameters; None filters are left out."""
    ops = {"since": "ts >= ?", "run_id": "run_id = ?", "day": "day = ?"}
    used = [(ops[k], v) for k, v in filters.items() if v is not None]
    return (" WHERE " + " AND ".join(c for c, _ in used) if used else ""), [v for _, v in used]
