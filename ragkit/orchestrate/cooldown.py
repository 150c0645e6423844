"""Cooldowns: a model that failed N times in a row is skipped for a while."""

from __future__ import annotations

import threading

from ragkit.orchestrate.clock import Clock


class Cooldowns:
    def __init__(self, after: int, seconds: float, clock: Clock):
        self.after = after
        self.seconds = seconds
        self.clock = clock
        self._fails: dict[str, int] = {}
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def failure(self, key: str) -> bool:
        """Count one failure; True when the model is now cooling down."""
        with self._lock:
            n = self._fails.get(key, 0) + 1
            self._fails[key] = n
            if n >= self.after and self.seconds > 0:
                self._until[key] = self.clock.monotonic() + self.seconds
                self._fails[key] = 0
                return True
            return False

    def success(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
            self._until.pop(key, None)

    def remaining(self, key: str) -> float:
        """Seconds of cooldown left for `key` (0.0 when it may be called)."""
        with self._lock:
            until = self._until.get(key)
            if until is None:
                return 0.0
            left = until - self.clock.monotonic()
            if left <= 0:
                del self._until[key]
                return 0.0
            return left

    def consecutive_failures(self, key: str) -> int:
        with self._lock:
            return self._fails.get(key, 0)
