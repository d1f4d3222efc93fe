"""Events per key in a sliding time window, in memory: the one counter behind the sign-in limits.

Why one: the admin API's wrong-token lockout and the console's sign-in limit
both count attempts per client address over the last minute and say when the
oldest leaves the window; they differ only in what they count. Memory stays
bounded under a spray from many addresses: past ``max_keys`` the idle keys go.
Monotonic time (a clock change never frees or locks anyone).

Example::

    tries = SlidingWindows(window=60)
    tries.take("10.0.0.7", limit=5)     # True five times a minute, then False
    tries.retry_after("10.0.0.7")      # seconds until the oldest attempt leaves the window
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_KEYS = 10_000


class SlidingWindows:
    def __init__(self, window: float, max_keys: int = MAX_KEYS) -> None:
        self.window, self.max_keys = window, max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def count(self, key: str, now: float | None = None) -> int:
        """Events of ``key`` still inside the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._recent(key, now))

    def add(self, key: str, now: float | None = None) -> None:
        """Count one event for ``key``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(key, now).append(now)
            self._forget_idle(now)

    def take(self, key: str, limit: int, now: float | None = None) -> bool:
        """Count one event unless ``limit`` are already in the window (then False, not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._recent(key, now)
            if len(events) >= limit:
                return False
            events.append(now)
            self._forget_idle(now)
            return True

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds (at least 1) until the oldest event of ``key`` leaves the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._recent(key, now)
            return max(1, math.ceil(events[0] + self.window - now)) if events else 1

    def _forget_idle(self, now: float) -> None:
        if len(self._events) > self.max_keys:
            self._events = {k: q for k, q in self._events.items() if q and q[-1] > now - self.window}
            if len(self._events) > self.max_keys:  # all busy: a spray; start over rather than grow
                self._events.clear()
