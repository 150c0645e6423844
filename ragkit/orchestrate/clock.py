"""Time as an object, so retries, deadlines and cooldowns can be driven deterministically.

`SystemClock` is real time. `ManualClock` is a real clock object for simulations, benches and
tests: `sleep` returns at once and advances it. With `real_time=True` it follows the real monotonic
clock plus every skipped sleep, so work done over real HTTP still counts against deadlines.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...  # seconds, for durations and deadlines

    def time(self) -> float: ...  # epoch seconds, for ledger timestamps and HTTP-dates

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """Sleeps are skipped and added to the clock; `sleeps` lists them in order."""

    def __init__(self, start_epoch: float = 1_750_000_000.0, *, real_time: bool = False):
        self._epoch = start_epoch
        self._offset = 0.0
        self._real_time = real_time
        self._origin = time.monotonic()
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        real = time.monotonic() - self._origin if self._real_time else 0.0
        return real + self._offset

    def time(self) -> float:
        return self._epoch + self.monotonic()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._offset += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
