"""The pending file: rows that could not be written to the ledger wait in `<ledger>.pending.jsonl`
(one JSON row a line, appended under an exclusive lock, fsynced) until the next healthy open adds
them. A replay first renames the file aside (`.replaying-<id>`), so rows written meanwhile go to a
fresh file and a replay interrupted by a crash is finished by the next one."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import asdict
from pathlib import Path

from ragkit.orchestrate.ledger_row import COLUMNS, LedgerRow

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: pending-file appends are not locked
    fcntl = None  # type: ignore[assignment]


def pending_path(path: str | Path) -> Path:
    """Where rows that could not be written wait: `<ledger>.pending.jsonl`."""
    p = Path(path)
    return p.with_name(p.name + ".pending.jsonl")


class PendingRows:
    def __init__(self, ledger_path: str | Path):
        self.path = pending_path(ledger_path)

    def append(self, row: LedgerRow) -> None:
        line = json.dumps({"v": 1, **asdict(row)}, allow_nan=False) + "\n"
        for _ in range(5):
            with open(self.path, "a", encoding="utf-8") as f:
                _flock(f)
                try:  # a replay may have taken the file between our open and our lock: write to the new one
                    if os.fstat(f.fileno()).st_ino != os.stat(self.path).st_ino:
                        continue
                except FileNotFoundError:
                    continue
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
                return
        raise OSError(f"{self.path} kept changing while appending")

    def count(self) -> int:
        """Rows waiting in the pending file (and in any replay that was interrupted)."""
        n = 0
        for p in [self.path, *self._taken()]:
            with contextlib.suppress(OSError):
                n += sum(1 for line in p.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())
        return n

    def take(self) -> tuple[list[LedgerRow], list[str], list[Path]]:
        """(rows, unreadable lines, the files they came from) for a replay; `done(files)` after it."""
        if self.path.is_file():  # new pending rows go to a fresh file while this one is replayed
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, Path(f"{self.path}.replaying-{uuid.uuid4().hex[:12]}"))
        taken = self._taken()
        lines: list[str] = []
        for p in taken:
            with open(p, "r", encoding="utf-8", errors="replace") as f:
                _flock(f)  # a writer that opened it before the rename finishes first
                lines += [line for line in f.read().splitlines() if line.strip()]
        parsed = [(line, _parse(line)) for line in lines]
        return [r for _, r in parsed if r is not None], [line for line, r in parsed if r is None], taken

    def done(self, taken: list[Path], bad: list[str]) -> None:
        """The replayed files removed; unreadable lines kept in `<pending>.bad`."""
        if bad:
            with open(f"{self.path}.bad", "a", encoding="utf-8") as f:
                f.write("\n".join(bad) + "\n")
        for p in taken:
            p.unlink(missing_ok=True)

    def _taken(self) -> list[Path]:
        return sorted(self.path.parent.glob(self.path.name + ".replaying-*"))


def _parse(line: str) -> LedgerRow | None:
    try:
        data = json.loads(line)
        return LedgerRow(**{k: data[k] for k in COLUMNS if k in data})
    except (ValueError, TypeError, KeyError):
        return None


def _flock(f) -> None:
    if fcntl is not None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released when the file is closed
