"""Job rows and their money: submit (limits + hold + row) and settle, atomically.

A job moves ``queued → running → succeeded | failed | cancelled``. The hold is
placed in the transaction that inserts the row, and settlement flips
``settled`` 0 → 1 in the transaction that charges or releases, so a job is
settled exactly once even if two workers (or a restart) race on it.

Example::

    replay = submit(db, new_job, tier, idempotency_hours=24)
    ...
    finish(db, job_id, status="succeeded", charge_micros=2000, output={...}, result={...})
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from noxus_local.accounts.keys import Principal
from noxus_local.admin import alerts
from noxus_local.assets import quota as storage
from noxus_local.billing import budgets, ledger
from noxus_local.billing.limits import check_job_limits
from noxus_local.config import TierSettings
from noxus_local.errors import InsufficientBalance, JobNotFound, KeyBudgetExceeded
from noxus_local.jobs import idempotency
from noxus_local.money import Price

TERMINAL = ("succeeded", "failed", "cancelled")
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # which process ran a job, for operators


@dataclass
class NewJob:
    id: str
    principal: Principal
    tool: str
    params: dict[str, Any]
    files: list[dict[str, Any]]
    limits: dict[str, Any]
    estimate_micros: int
    request_id: str
    idempotency_key: str | None = None
    fingerprint: str | None = None
    max_processing_seconds: int = 0
    webhook: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    price: Price | None = None  # a per-unit price, kept with the job; None = fixed per run
    estimated_units: float | None = None  # in the price's unit: what estimate_micros was computed from
    plan: str | None = None  # the tool's Plan as JSON (tools/plan.py): what its run reads, here or remote


def submit(db: Any, job: NewJob, tier: TierSettings, idempotency_hours: float) -> idempotency.Replay | None:
    """Reserve the idempotency key, check limits, hold money, insert the row.

    Returns a Replay when the same request already finished; raises 402/409/429.
    """
    p = job.principal
    try:
        with db.write() as conn:
            if job.idempotency_key:
                replay = idempotency.reserve(conn, p.account_id, p.environment, job.idempotency_key,
                                             job.fingerprint or "", job.id, idempotency_hours)
                if replay is not None:
                    return replay
            check_job_limits(conn, p.key_id, p.account_id, tier)
            if ledger.hold(conn, p.account_id, p.environment, job.estimate_micros, job.id) is None:
                available = ledger.read_balance(conn, p.account_id, p.environment).available_micros
                from noxus_local.money import format_usd
                raise InsufficientBalance(details={"estimated_usd": format_usd(job.estimate_micros),
                                                   "available_usd": format_usd(available)})
            budgets.reserve(conn, p.key_id, job.estimate_micros)  # same transaction: both holds or neither
            _insert(conn, job)
    except KeyBudgetExceeded as exc:  # the hold rolled back; the operator hears of it once per window
        alerts.key_refused(db, p.key_id, p.account_id, exc.details or {})
        raise
    return None


def _insert(conn: sqlite3.Connection, job: NewJob) -> None:
    p = job.principal
    conn.execute(
        "INSERT INTO jobs (id, account_id, environment, key_id, app_id, tool, status, steps, params,"
        " files, limits, estimate_micros, hold_micros, request_id, idempotency_key,"
        " max_processing_seconds, webhook, created_at, price_unit, unit_price_micros,"
        " minimum_price_micros, estimated_units, plan)"
        " VALUES (?,?,?,?,?,?,'queued',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (job.id, p.account_id, p.environment, p.key_id, p.app_id, job.tool,
         json.dumps(job.steps) if job.steps else None, json.dumps(job.params), json.dumps(job.files),
         json.dumps(job.limits), job.estimate_micros, job.estimate_micros, job.request_id,
         job.idempotency_key, job.max_processing_seconds,
         json.dumps(job.webhook) if job.webhook else None, time.time(), *_price_columns(job), job.plan))


def _price_columns(job: NewJob) -> tuple[Any, ...]:
    """A two-rate token price keeps no unit columns: its tool computes its own charge from the real
    token counts at the rates frozen in its params (``ToolOutput.actual_micros``, capped at the hold)."""
    if job.price is None or job.price.unit is None or job.price.output_unit_micros is not None:
        return (None, None, None, None)
    return (job.price.unit, job.price.unit_micros, job.price.minimum_micros, job.estimated_units)


def job_price(row: sqlite3.Row) -> Price | None:
    """The per-unit price a job was submitted under; None for a fixed price."""
    if row["price_unit"] is None:
        return None
    return Price(row["price_unit"], row["unit_price_micros"], row["minimum_price_micros"])


def start(db: Any, job_id: str) -> sqlite3.Row | None:
    """queued → running; None when the job is not queued (already taken or ended)."""
    with db.write() as conn:
        cur = conn.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, heartbeat_at = ?, attempts = attempts + 1,"
            " worker = ? WHERE id = ? AND status = 'queued'", (time.time(), time.time(), WORKER, job_id))
        if cur.rowcount != 1:
            return None
        return conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()


def set_progress(db: Any, job_id: str, progress: int, steps: list[dict[str, Any]] | None) -> None:
    with db.write() as conn:
        conn.execute("UPDATE jobs SET progress = ?, steps = COALESCE(?, steps) WHERE id = ?"
                     " AND status = 'running'",
                     (max(0, min(100, progress)), json.dumps(steps) if steps else None, job_id))


def finish(db: Any, job_id: str, *, status: str, charge_micros: int = 0,
           output: dict[str, Any] | None = None, result: dict[str, Any] | None = None,
           error_code: str | None = None, error_message: str | None = None,
           steps: list[dict[str, Any]] | None = None,
           media: tuple[str, float] | None = None, units: float | None = None,
           outputs: list[dict[str, Any]] | None = None, quota_bytes: int = 0) -> bool:
    """Settle money and close the job, exactly once; False if it was already settled.

    ``units`` is what a per-unit job processed (in its price_unit); a job that
    does not succeed is charged 0 and records 0 units. ``output`` is the primary
    file (seed 000's shape); ``outputs`` every file, primary first, each with its
    ``name``. Steps are stored even when someone else settled first (a timeout,
    a DELETE), so the step that was running when the job was stopped ends closed
    with its error. ``quota_bytes`` (0 = none): a success whose ``outputs`` would take the
    account past its storage quota raises 413 ``storage_quota`` here, in the transaction that
    would have kept them, and nothing is settled (the caller fails the job, charged 0).
    """
    with db.write() as conn:
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return False
        if row["settled"]:
            if steps:
                conn.execute("UPDATE jobs SET steps = ? WHERE id = ?", (json.dumps(steps), job_id))
            return False
        if status == "succeeded" and outputs:
            storage.check_quota(conn, row["account_id"], sum(int(o["size_bytes"]) for o in outputs),
                                quota_bytes, "output_mb")
        charge = min(charge_micros, row["hold_micros"]) if status == "succeeded" else 0
        ledger.settle(conn, row["account_id"], row["environment"], row["hold_micros"], charge, job_id)
        budgets.settle(conn, row["key_id"], row["hold_micros"], charge)
        conn.execute(
            "UPDATE jobs SET status = ?, settled = 1, charged_micros = ?, output = ?, outputs = ?, result = ?,"
            " error_code = ?, error_message = ?, finished_at = ?, steps = COALESCE(?, steps),"
            " media_type = ?, media_units = ?, units = ?,"
            " progress = CASE WHEN ? = 'succeeded' THEN 100 ELSE progress END WHERE id = ?",
            (status, charge, json.dumps(output) if output else None,
             json.dumps(outputs) if outputs else None,
             json.dumps(result) if result is not None else None, error_code, error_message,
             time.time(), json.dumps(steps) if steps else None, media[0] if media else None,
             media[1] if media else None, _settled_units(row, status, units), status, job_id))
    return True


def _settled_units(row: sqlite3.Row, status: str, units: float | None) -> float | None:
    """Units to record at settlement: None for fixed prices, 0 unless it succeeded."""
    if row["price_unit"] is None:
        return None
    if status != "succeeded":
        return 0.0
    return row["estimated_units"] if units is None else min(units, row["estimated_units"])


def stored_outputs(row: sqlite3.Row) -> list[dict[str, Any]]:
    """Every file of a job, primary first; a row with only ``output`` (written by a process older
    than schema v6 beside a newer one) lists that one as ``primary``."""
    if row["outputs"]:
        return list(json.loads(row["outputs"]))
    if row["output"]:
        return [{"name": "primary", **json.loads(row["output"])}]
    return []


def output_entry(db: Any, job_id: str, filename: str) -> dict[str, Any] | None:
    """The job's output stored under ``filename`` (any of its outputs), or None.

    Example: ``output_entry(db, "job_x", "video.srt")`` → ``{"name": "srt", "mime_type": ...}``.
    """
    row = db.one("SELECT output, outputs FROM jobs WHERE id = ? AND output_expired = 0", (job_id,))
    if row is None:
        return None
    return next((o for o in stored_outputs(row) if o["filename"] == filename), None)


def get(db: Any, job_id: str, account_id: str | None = None, env: str | None = None) -> sqlite3.Row:
    """The job, or 404 when it does not exist or belongs to someone else."""
    row = db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
    if row is None or (account_id is not None and (row["account_id"] != account_id
                                                   or row["environment"] != env)):
        raise JobNotFound()
    return row


def list_jobs(db: Any, account_id: str | None, env: str | None, *, tool: str | None = None,
              status: str | None = None, since: float | None = None, limit: int = 20,
              offset: int = 0) -> tuple[list[sqlite3.Row], int]:
    where, args = ["1 = 1"], []
    for column, value in (("account_id", account_id), ("environment", env), ("tool", tool),
                          ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        where.append("created_at >= ?")
        args.append(since)
    clause = " AND ".join(where)
    total = db.one(f"SELECT COUNT(*) FROM jobs WHERE {clause}", tuple(args))[0]
    rows = db.all(f"SELECT * FROM jobs WHERE {clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                  (*args, limit, offset))
    return rows, total


def heartbeat(db: Any, job_ids: list[str]) -> None:
    """Mark these running jobs as alive now (the runner calls this every few seconds)."""
    if not job_ids:
        return
    with db.write() as conn:
        conn.executemany("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
                         [(time.time(), job_id) for job_id in job_ids])


def is_settled(db: Any, job_id: str) -> bool:
    row = db.one("SELECT settled FROM jobs WHERE id = ?", (job_id,))
    return bool(row and row["settled"])


def unfinished(db: Any) -> list[sqlite3.Row]:
    return db.all("SELECT * FROM jobs WHERE settled = 0 ORDER BY created_at")


def requeue(db: Any, job_id: str, refund_attempt: bool = False,
            steps: list[dict[str, Any]] | None = None) -> bool:
    """running → queued after a crash or a shutdown, so the job runs again (its steps back to pending).

    ``refund_attempt``: a job put back by a clean shutdown was not a crash; its
    start does not count against recovery's ``MAX_ATTEMPTS``.
    """
    refund = 1 if refund_attempt else 0
    with db.write() as conn:
        cur = conn.execute("UPDATE jobs SET status = 'queued', progress = 0, attempts = MAX(0, attempts - ?),"
                           " steps = COALESCE(?, steps) WHERE id = ? AND settled = 0",
                           (refund, json.dumps(steps) if steps else None, job_id))
    return cur.rowcount == 1
