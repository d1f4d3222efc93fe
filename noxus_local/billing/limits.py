"""Rate and concurrency limits per key and account.

Requests per minute are counted in memory (one process serves the API); the
hourly successful-jobs window and concurrent jobs are counted from the jobs
table inside the same IMMEDIATE transaction that places the hold, so two
concurrent submissions can never both slip under a limit.

Example::

    limiter = RequestLimiter()
    limiter.hit("key_1", limit=60)           # raises RateLimitExceeded on the 61st
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass

from noxus_local.config import TierSettings
from noxus_local.errors import ConcurrencyLimitExceeded, RateLimitExceeded
from noxus_local.tools.base import Limits

JOB_WINDOW_SECONDS = 3600
ACTIVE_STATUSES = ("queued", "running")


@dataclass(frozen=True)
class WindowState:
    """The successful-jobs window, as sent in X-RateLimit-* headers."""

    limit: int
    used: int
    reset_at: int

    def headers(self) -> dict[str, str]:
        if self.limit <= 0:
            return {}
        return {"X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
                "X-RateLimit-Reset": str(self.reset_at)}


def tier_limits(tier: TierSettings) -> Limits:
    """The limits a tool sees for a caller of ``tier`` (one source: ``Limits.from_tier``)."""
    return Limits.from_tier(tier)


class RequestLimiter:
    """Sliding one-minute window of request times per key, in memory."""

    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, limit: int) -> None:
        if limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                retry = max(1, math.ceil(hits[0] + self.window - now))
                raise RateLimitExceeded(
                    headers={"Retry-After": str(retry)},
                    extra={"limit": {"limit": limit, "window_seconds": int(self.window)}},
                    details={"limit": "requests_per_minute"})
            hits.append(now)


class WindowLimiter:
    """Sliding windows of request times per (key, endpoint type), in memory, with their headers.

    Seed 002 limits each endpoint type on its own window (5 generations per 10 s, 20 reads per
    10 s, ...) and reports it on every response. Wall-clock times: ``X-RateLimit-Reset`` is a
    Unix timestamp. Example::

        state = WindowLimiter().take("key_1", "generation", limit=5, window=10)
        state.headers()   # {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "…"}
    """

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, kind: str, limit: int, window: float) -> WindowState | None:
        """Count one request; None when ``limit`` is 0 (no limit); 429 with Retry-After when full."""
        if limit <= 0:
            return None
        now = time.time()
        with self._lock:
            hits = self._hits.setdefault((key_id, kind), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                state = WindowState(limit, limit, math.ceil(hits[0] + window))
                raise RateLimitExceeded(headers={"Retry-After": str(max(1, math.ceil(hits[0] + window - now))),
                                                 **state.headers()},
                                        details={"limit": kind})
            hits.append(now)
            return WindowState(limit, len(hits), math.ceil(hits[0] + window))


def job_window(conn: sqlite3.Connection, key_id: str, limit: int, now: float | None = None) -> WindowState:
    """Successful jobs of this key in the last hour, and when the oldest leaves."""
    now = time.time() if now is None else now
    since = now - JOB_WINDOW_SECONDS
    row = conn.execute(
        "SELECT COUNT(*), MIN(finished_at) FROM jobs WHERE key_id = ? AND status = 'succeeded'"
        " AND finished_at > ?", (key_id, since)).fetchone()
    used, oldest = row[0], row[1]
    reset = math.ceil((oldest or now) + JOB_WINDOW_SECONDS)
    return WindowState(limit=limit, used=used, reset_at=reset)


def check_job_limits(conn: sqlite3.Connection, key_id: str, account_id: str,
                     tier: TierSettings) -> None:
    """Raise 429 when the hourly window or the concurrent-jobs limit is full.

    Active jobs count against the hourly window too: otherwise N concurrent
    submissions could all pass with one slot left.
    """
    active = conn.execute(
        f"SELECT COUNT(*) FROM jobs WHERE account_id = ? AND status IN {ACTIVE_STATUSES}",
        (account_id,)).fetchone()[0]
    if tier.concurrent_jobs > 0 and active >= tier.concurrent_jobs:
        raise ConcurrencyLimitExceeded(
            headers={"Retry-After": "1"},
            extra={"active": active, "max": tier.concurrent_jobs},
            details={"active": active, "max": tier.concurrent_jobs})
    if tier.jobs_per_hour <= 0:
        return
    window = job_window(conn, key_id, tier.jobs_per_hour)
    key_active = conn.execute(
        f"SELECT COUNT(*) FROM jobs WHERE key_id = ? AND status IN {ACTIVE_STATUSES}",
        (key_id,)).fetchone()[0]
    if window.used + key_active >= tier.jobs_per_hour:
        retry = max(1, window.reset_at - int(time.time()))
        raise RateLimitExceeded(
            headers={"Retry-After": str(retry), **window.headers()},
            extra={"limit": {"limit": tier.jobs_per_hour, "window_seconds": JOB_WINDOW_SECONDS}},
            details={"limit": "jobs_per_hour"})
