"""Plain progress lines for a run that is not on a terminal (a CI log, a redirected stderr): a line
when a phase starts, one per tenth of it (or after `every_s` seconds without one), with the time
elapsed and an estimate of the time left, and one when it ends::

    ask: 0/2000
    ask: 200/2000 (10%), 48 s elapsed, about 7 min 12 s left
    ask: 2000/2000 (100%), done in 8 min 1 s

It takes the runner's progress callback arguments (phase, advance, total when known).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

PHASES = {"ingest": "ingest (chunks)", "chunks": "chunks", "search": "retrieval", "ask": "ask", "judge": "judge"}


def fmt_duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


@dataclass
class _Phase:
    total: int | None
    started: float
    done: int = 0
    last_line: float = 0.0
    last_step: int = 0
    finished: bool = False


class PlainProgress:
    def __init__(self, write: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic,
                 steps: int = 10, every_s: float = 60.0):
        self.write = write
        self.clock = clock
        self.steps = max(1, steps)
        self.every_s = every_s
        self._phases: dict[str, _Phase] = {}

    def __call__(self, phase: str, advance: int, total: int | None) -> None:
        now = self.clock()
        label = PHASES.get(phase, phase)
        p = self._phases.get(phase)
        if p is None:
            p = self._phases[phase] = _Phase(total, now, last_line=now)
            if total is not None:
                self.write(f"{label}: 0/{total}")
        elif total is not None and p.total != total:
            p.total = total
        p.done += advance
        if not advance or not p.total or p.finished:
            return
        if p.done >= p.total:
            p.finished = True
            self.write(f"{label}: {p.done}/{p.total} (100%), done in {fmt_duration(now - p.started)}")
            return
        step = p.done * self.steps // p.total
        if step > p.last_step or now - p.last_line >= self.every_s:
            p.last_step, p.last_line = step, now
            elapsed = now - p.started
            left = elapsed / p.done * (p.total - p.done)
            self.write(f"{label}: {p.done}/{p.total} ({100 * p.done // p.total}%), {fmt_duration(elapsed)} elapsed, "
                       f"about {fmt_duration(left)} left")
