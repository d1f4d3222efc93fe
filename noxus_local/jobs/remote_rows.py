"""Job rows of remote attempts: the SQL behind the internal worker API (issue 12).

A job routed to a remote worker gets an ``attempt_token`` when it is
published. Only a worker that shows that token may claim it (queued →
running), report its progress and settle it; when the API node gives up on
an attempt (missing heartbeat), the job gets a new token, so a late report of
the old attempt matches no row and is refused (409). The API node is the only
writer of these rows; money still settles once, in ``jobs.finish``.

Example::

    token = assign_attempt(db, "job_x")                  # at publish
    row = claim(db, "job_x", token, "gpu-1")             # the worker's claim
    cancel = beat(db, "gpu-1", {"job_x": token})         # → [] while it still runs
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from typing import Any

REMOTE_PREFIX = "remote:"  # jobs.worker of a remote attempt: "remote:<worker name>"


def assign_attempt(db: Any, job_id: str) -> str | None:
    """A fresh attempt token for a queued job; None when it is no longer queued."""
    token = secrets.token_hex(16)
    with db.write() as conn:
        cur = conn.execute("UPDATE jobs SET attempt_token = ? WHERE id = ? AND status = 'queued' AND settled = 0",
                           (token, job_id))
    return token if cur.rowcount == 1 else None


def claim(db: Any, job_id: str, token: str, worker: str) -> sqlite3.Row | None:
    """queued → running for the attempt that holds ``token``; None when it is not that attempt's any more."""
    now = time.time()
    with db.write() as conn:
        cur = conn.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, heartbeat_at = ?, attempts = attempts + 1,"
            " worker = ? WHERE id = ? AND status = 'queued' AND settled = 0 AND attempt_token = ?",
            (now, now, REMOTE_PREFIX + worker, job_id, token))
        if cur.rowcount != 1:
            return None
        return conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()


def attempt(db: Any, job_id: str, token: str) -> sqlite3.Row | None:
    """The job while ``token``'s attempt runs it (running, unsettled), else None."""
    return db.one("SELECT * FROM jobs WHERE id = ? AND attempt_token = ? AND status = 'running' AND settled = 0",
                  (job_id, token))


def beat(db: Any, running: dict[str, str]) -> list[str]:
    """Heartbeat of a worker's running attempts (job id → token); the ids it must cancel.

    A job to cancel is one no longer running under that token: cancelled,
    timed out, or given to another attempt.
    """
    if not running:
        return []
    now, cancel = time.time(), []
    with db.write() as conn:
        for job_id, token in running.items():
            cur = conn.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND attempt_token = ?"
                               " AND status = 'running' AND settled = 0", (now, job_id, token))
            if cur.rowcount != 1:
                cancel.append(job_id)
    return cancel


def stale(db: Any, older_than: float) -> list[sqlite3.Row]:
    """Remote attempts whose last heartbeat is older than ``older_than`` (unix seconds)."""
    return db.all("SELECT * FROM jobs WHERE status = 'running' AND settled = 0 AND worker LIKE ?"
                  " AND heartbeat_at < ?", (REMOTE_PREFIX + "%", older_than))


def overdue_running(db: Any, now: float) -> list[sqlite3.Row]:
    """Remote attempts past their Max-Processing-Time (the API node times them out; no local timer runs)."""
    return db.all("SELECT id FROM jobs WHERE status = 'running' AND settled = 0 AND worker LIKE ?"
                  " AND max_processing_seconds > 0 AND created_at + max_processing_seconds <= ?",
                  (REMOTE_PREFIX + "%", now))


def queued_remote(db: Any) -> list[sqlite3.Row]:
    """Unfinished queued jobs that were published to Redis (to publish again after Redis lost them)."""
    return db.all("SELECT * FROM jobs WHERE status = 'queued' AND settled = 0 AND attempt_token IS NOT NULL"
                  " ORDER BY created_at")


def is_remote(row: sqlite3.Row) -> bool:
    return bool(row["worker"] and row["worker"].startswith(REMOTE_PREFIX))
