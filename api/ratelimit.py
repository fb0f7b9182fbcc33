"""Login throttling: failures per user and per client address in a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginLimiter:
    SWEEP_AT = 10_000  # keys held before expired ones are swept out

    def __init__(self, attempts: int, window_seconds: float) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        """Failures inside the window. Keys without any are not kept: otherwise every name an
        attacker tries (even while refused) would stay in memory for good."""
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, *keys: str) -> int:
        """Seconds until another try is allowed (0 when allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                int(recent[0] + self.window - now) + 1
                for key in keys
                if len(recent := self._recent(key, now)) >= self.attempts
            ]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                recent.append(now)
                self._failures[key] = recent
            if len(self._failures) > self.SWEEP_AT:
                for key in list(self._failures):
                    self._recent(key, now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
