"""Wrong admin tokens per client address: after ``limit`` in a sliding minute, refuse before comparing.

Why before comparing: a limiter that only counts failures still answers 200 to
the right guess, so a guesser loses nothing; refusing every attempt from an
address that keeps failing (``429`` with ``Retry-After``) caps the guesses at
``limit`` a minute. The token is long and random; this is the second fence.
In memory, per process (a restart forgets, as the API's request limits do).

Example::

    lock = Lockout(limit=10)
    lock.check("10.0.0.7")        # raises RateLimitExceeded while the address is locked out
    lock.failed("10.0.0.7")       # after a wrong token
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from noxus_local.errors import RateLimitExceeded

WRONG_PER_MINUTE = 10
MAX_ADDRESSES = 10_000  # bounded memory under a spray from many addresses


class Lockout:
    def __init__(self, limit: int = WRONG_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        hits = self._failures.setdefault(address, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def check(self, address: str | None) -> None:
        """429 ``rate_limit_exceeded`` while ``address`` has ``limit`` failures in the window."""
        now = time.monotonic()
        with self._lock:
            hits = self._recent(address or "-", now)
            if len(hits) >= self.limit:
                retry = max(1, math.ceil(hits[0] + self.window - now))
                raise RateLimitExceeded(headers={"Retry-After": str(retry)},
                                        details={"limit": "admin_token_failures_per_minute", "max": self.limit})

    def failed(self, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= MAX_ADDRESSES:
                self._failures.clear()
            self._recent(address or "-", now).append(now)
