"""Seed 003's projects and versions (migration 11): a project per ``POST /api/v1/generate``, a version per
video-ad job, with the credits quoted at submission. The SQL the seed 003 routes need, kept out of HTTP.

Example::

    project, version = record(db, principal, "job_x", "Premium headphones", 170)
    version_row(db, version, principal.account_id, principal.environment)["job_id"]   # "job_x"
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from noxus_local.accounts.keys import Principal, new_id
from noxus_local.billing.limits import ACTIVE_STATUSES


def record(db: Any, principal: Principal, job_id: str, prompt: str, credits: int) -> tuple[str, str]:
    """A new project named by the prompt and its first version; (project id, version id)."""
    project, version, now = new_id("proj"), new_id("ver"), time.time()
    with db.write() as conn:
        conn.execute("INSERT INTO ad_projects (id, account_id, environment, name, created_at) VALUES (?,?,?,?,?)",
                     (project, principal.account_id, principal.environment, " ".join(prompt.split())[:80], now))
        conn.execute("INSERT INTO ad_versions (id, project_id, account_id, job_id, total_credits, created_at)"
                     " VALUES (?,?,?,?,?,?)", (version, project, principal.account_id, job_id, credits, now))
    return project, version


def version_row(db: Any, version_id: str, account_id: str, environment: str) -> sqlite3.Row | None:
    """The account's version in this environment, or None (another account's is None too: a 404)."""
    return db.conn().execute(
        "SELECT v.* FROM ad_versions v JOIN ad_projects p ON p.id = v.project_id"
        " WHERE v.id = ? AND v.account_id = ? AND p.environment = ?",
        (version_id, account_id, environment)).fetchone()


def active_jobs(db: Any, account_id: str) -> int:
    """Jobs queued or running for the account: what its concurrency limit counts."""
    return int(db.conn().execute(f"SELECT COUNT(*) FROM jobs WHERE account_id = ? AND status IN {ACTIVE_STATUSES}",
                                 (account_id,)).fetchone()[0])


def list_projects(db: Any, account_id: str, environment: str, limit: int,
                  offset: int) -> tuple[list[tuple[sqlite3.Row, sqlite3.Row | None]], int]:
    """Newest first: each project with its latest version (id, credits, its job's status and progress)."""
    conn = db.conn()
    args = (account_id, environment)
    total = conn.execute("SELECT COUNT(*) FROM ad_projects WHERE account_id = ? AND environment = ?",
                         args).fetchone()[0]
    rows = conn.execute("SELECT * FROM ad_projects WHERE account_id = ? AND environment = ?"
                        " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
    out = []
    for p in rows:
        latest = conn.execute("SELECT v.id, v.total_credits, j.status, j.progress FROM ad_versions v"
                              " JOIN jobs j ON j.id = v.job_id WHERE v.project_id = ?"
                              " ORDER BY v.created_at DESC LIMIT 1", (p["id"],)).fetchone()
        out.append((p, latest))
    return out, int(total)
