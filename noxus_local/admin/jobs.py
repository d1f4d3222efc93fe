"""Jobs for the operator: every account's jobs, filtered and paged, and cancel (the runner's own cancel).

Example::

    rows, total = list_jobs(db, status="running", tool="qr", account_id="acme", since=t0, limit=50)
    cancel_job(svc, actor, "job_ab12")       # settled at once, charged 0; 409 when it had already ended
"""

from __future__ import annotations

import sqlite3
from typing import Any

from noxus_local.admin import inputs
from noxus_local.admin.audit import Actor, record
from noxus_local.errors import JobNotFound, StateConflict
from noxus_local.jobs import store as jobs
from noxus_local.money import format_usd

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
MAX_LIMIT = 200


def job_summary(row: sqlite3.Row) -> dict[str, Any]:
    """The operator's line for one job: who, what, state, progress, money, times."""
    return {"job_id": row["id"], "account_id": row["account_id"], "environment": row["environment"],
            "key_id": row["key_id"], "tool": row["tool"], "status": row["status"], "progress": row["progress"],
            "held_usd": format_usd(row["hold_micros"]), "charged_usd": format_usd(row["charged_micros"]),
            "error_code": row["error_code"], "worker": row["worker"],
            "created_at": inputs.iso(row["created_at"]), "started_at": inputs.iso(row["started_at"]),
            "finished_at": inputs.iso(row["finished_at"])}


def list_jobs(db: Any, *, status: str | None = None, tool: str | None = None, account_id: str | None = None,
              environment: str | None = None, since: float | None = None, limit: int = 50,
              offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest first across every account (``jobs.store.list_jobs`` with no account): (summaries, total)."""
    if status is not None:
        status = inputs.choice(status, "status", STATUSES)
    rows, total = jobs.list_jobs(db, account_id, environment, tool=tool, status=status, since=since,
                                 limit=max(1, min(limit, MAX_LIMIT)), offset=max(0, offset))
    return [job_summary(r) for r in rows], int(total)


def cancel_job(svc: Any, actor: Actor, job_id: str) -> dict[str, Any]:
    """Stop a queued or running job through the runner (settled now, charged 0, the tool told to stop)."""
    row = jobs.get(svc.db, job_id)  # 404 job_not_found
    if row["settled"]:
        raise StateConflict(details={"job_id": job_id, "status": row["status"]})
    if not svc.runner.cancel(job_id, "cancelled"):
        raise StateConflict(details={"job_id": job_id, "status": jobs.get(svc.db, job_id)["status"]})
    record(svc.db, actor, "job.cancel", job_id, {"account_id": row["account_id"], "tool": row["tool"],
                                                 "was": row["status"]})
    return job_summary(jobs.get(svc.db, job_id))


__all__ = ["JobNotFound", "cancel_job", "job_summary", "list_jobs"]
