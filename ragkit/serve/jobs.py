"""Ingest jobs: recorded in SQLite (<home>/serve/jobs.sqlite), run one at a time on the server's
writer thread beside the queries.

A job is queued -> running -> succeeded | failed | stopped. Its progress (files, chunks) and its
ingest report are kept. A job found queued or running when the server starts was cut off (the
process was killed): it is marked failed, and the index is recovered first (the ingest journal
rolls half-written documents back), so a re-run converges. On SIGTERM the running job stops at
the next progress point and its half-written documents are rolled back the same way.

An idempotency key (per API key) makes a retried request return the first job, not a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("ragkit.serve")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, key_id TEXT NOT NULL, idem TEXT, fingerprint TEXT NOT NULL,
  state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL,
  request TEXT NOT NULL, progress TEXT NOT NULL, report TEXT, error TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs(key_id, idem) WHERE idem IS NOT NULL;
"""
FINAL = ("succeeded", "failed", "stopped")


class JobStopped(Exception):
    """Raised at a progress point when the server is shutting down."""


class IdempotencyConflict(Exception):
    pass


class JobStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(self, key_id: str, idem: str | None, fingerprint: str, request: dict) -> tuple[dict, bool]:
        """(job, created); an existing job for (key_id, idem) is returned as it is."""
        with self._lock:
            if idem is not None:
                row = self._db.execute("SELECT * FROM jobs WHERE key_id=? AND idem=?", (key_id, idem)).fetchone()
                if row is not None:
                    job = self._row(row)
                    if job["fingerprint"] != fingerprint:
                        raise IdempotencyConflict(idem)
                    return job, False
            job_id = uuid.uuid4().hex
            self._db.execute("INSERT INTO jobs(id, key_id, idem, fingerprint, state, created, request, progress) "
                             "VALUES (?,?,?,?,?,?,?,?)", (job_id, key_id, idem, fingerprint, "queued", time.time(),
                                                          json.dumps(request), json.dumps({})))
        return self.get(job_id), True

    def get(self, job_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return self._row(row) if row else None

    def update(self, job_id: str, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        args = [json.dumps(v) if k in ("progress", "report") else v for k, v in values.items()]
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {cols} WHERE id=?", (*args, job_id))

    def cut_off(self) -> int:
        """Mark jobs a killed process left queued or running as failed; how many."""
        with self._lock:
            cur = self._db.execute("UPDATE jobs SET state='failed', finished=?, error=? WHERE state IN "
                                   "('queued', 'running')", (time.time(), "the server stopped before the job ended "
                                                             "(its partial writes were rolled back); run it again"))
            return cur.rowcount

    def _row(self, row) -> dict:
        names = [d[0] for d in self._db.execute("SELECT * FROM jobs LIMIT 0").description]
        d = dict(zip(names, row))
        for k in ("request", "progress", "report"):
            d[k] = json.loads(d[k]) if d[k] else None
        return d


def fingerprint(parts: list[tuple[str, bytes | str]]) -> str:
    h = hashlib.sha256()
    for name, data in parts:
        h.update(name.encode() + b"\0")
        h.update(data if isinstance(data, bytes) else data.encode())
        h.update(b"\0")
    return h.hexdigest()


class JobRunner:
    """One writer thread: ingest jobs and document deletes, in order."""

    def __init__(self, store: JobStore, rag, metrics):
        self.store = store
        self.rag = rag
        self.metrics = metrics
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ragkit-writer")
        self._stop = threading.Event()

    def recover(self) -> Future:
        """At start: jobs cut off by a kill are failed, the index's half-written documents rolled back."""
        n = self.store.cut_off()
        if n:
            log.warning("ragkit serve: %d ingest job(s) were cut off by a stop; marked failed", n)

        def run():
            if self.rag.cfg.index_path.exists():
                self.rag.ingest([])  # the ingest journal's recovery step only
        return self._pool.submit(run)

    def submit(self, job_id: str, paths: list[Path]) -> None:
        self._pool.submit(self._run, job_id, paths)

    def call(self, fn: Callable[[], Any]) -> Future:
        """Run `fn` on the writer thread (after the jobs queued before it)."""
        return self._pool.submit(fn)

    def _run(self, job_id: str, paths: list[Path]) -> None:
        if self._stop.is_set():
            self.store.update(job_id, state="stopped", finished=time.time(), error="the server was shutting down")
            self.metrics.jobs.labels("stopped").inc()
            return
        progress: dict[str, int] = {"files": 0, "chunks": 0, "total_chunks": 0}
        last = [0.0]

        def on_progress(event: str, n: int) -> None:
            if self._stop.is_set():
                raise JobStopped()
            progress[event] = progress.get(event, 0) + n if event != "total_chunks" else n
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                self.store.update(job_id, progress=progress)

        self.store.update(job_id, state="running", started=time.time())
        self.metrics.jobs_running.inc()
        try:
            report = self.rag.ingest(paths, progress=on_progress)
        except JobStopped:
            self.rag.ingest([])  # roll back the documents it was writing
            self._finish(job_id, "stopped", progress, error="the server shut down during the job; run it again")
        except Exception as exc:  # noqa: BLE001  (the job reports it; the server goes on)
            log.error("ingest job %s failed: %s", job_id, type(exc).__name__)
            self._finish(job_id, "failed", progress, error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job_id, "succeeded", progress, report=report.to_dict())
        finally:
            self.metrics.jobs_running.dec()

    def _finish(self, job_id: str, state: str, progress: dict, report: dict | None = None,
                error: str | None = None) -> None:
        self.store.update(job_id, state=state, finished=time.time(), progress=progress, report=report, error=error)
        self.metrics.jobs.labels(state).inc()

    def shutdown(self, wait: bool = True) -> None:
        """Stop: the running job at its next progress point, queued ones before they start."""
        self._stop.set()
        self._pool.shutdown(wait=wait)
