"""Job rows → response bodies; the one place that shapes job JSON.

The tool endpoint, GET /jobs/{id} and webhooks all use ``job_body`` so a
client sees the same fields wherever it looks.

Example::

    body = job_body(svc, row, include_base64=True)
    # {"tool": "qr", "job_id": "job_…", "status": "succeeded", "billing": {…}, "output": {…}}
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from typing import Any, Protocol

from noxus_local.assets.files import FileStore
from noxus_local.config import Config
from noxus_local.errors import message
from noxus_local.jobs import backlog
from noxus_local.jobs.store import stored_outputs
from noxus_local.money import format_usd
from noxus_local.store.db import Database


class SlotCount(Protocol):
    """The compute pool as a job view sees it: ``slots("cpu")`` → 2."""

    def slots(self, resource: str) -> int: ...


class Services(Protocol):
    """What shaping a job needs: the store, the signer, the config, the catalog and the
    compute pool (for a queued job's place in line); ``node.Services`` fits."""

    cfg: Config
    db: Database
    files: FileStore
    catalog: backlog.ToolNeeds
    pool: SlotCount


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


def billing(svc: Services, row: sqlite3.Row) -> dict[str, Any]:
    out = {"currency": "USD", "estimated_usd": format_usd(row["estimate_micros"]),
           "charged_usd": format_usd(row["charged_micros"]), **units_block(row)}
    if row["settled"]:
        after = svc.db.one("SELECT balance_after_micros FROM ledger WHERE job_id = ?"
                           " AND kind IN ('charge', 'release') ORDER BY id DESC LIMIT 1", (row["id"],))
        if after is not None:
            out["balance_after_usd"] = format_usd(after[0])
    return out


def units_block(row: sqlite3.Row) -> dict[str, Any]:
    """A per-unit job's units: ``{"unit": "second", "estimated_units": 5.0, "units": 3.0}``.

    ``units`` (what was processed and charged) appears once the job is
    settled; fixed-price jobs have no units block.
    """
    if row["price_unit"] is None:
        return {}
    out: dict[str, Any] = {"unit": row["price_unit"], "estimated_units": round(row["estimated_units"], 6)}
    if row["units"] is not None:
        out["units"] = round(row["units"], 6)
    return out


def output_block(svc: Services, row: sqlite3.Row, include_base64: bool) -> dict[str, Any] | None:
    """The primary output in seed 000's shape, with ``content_base64`` when it fits inline."""
    if not row["output"]:
        return None
    out = json.loads(row["output"])
    if row["output_expired"]:
        return {**out, "expired": True}
    out["url"] = svc.files.signed_url(row["id"], out["filename"], svc.cfg.server.file_url_ttl_seconds)
    if include_base64 and out["size_bytes"] <= svc.cfg.server.inline_max_mb * 1024 * 1024:
        path = svc.files.output_path(row["id"], out["filename"])
        out["content_base64"] = base64.b64encode(path.read_bytes()).decode()
    return out


def outputs_list(svc: Services, row: sqlite3.Row) -> list[dict[str, Any]] | None:
    """Every file of the job, primary first, each behind its own signed, expiring URL.

    Example: ``[{"name": "primary", "filename": "qr.png", "mime_type": "image/png",
    "size_bytes": 478, "url": "/api/v1/files/job_x/qr.png?expires=…&sig=…"}]``
    """
    stored = stored_outputs(row)
    if not stored:
        return None
    ttl = svc.cfg.server.file_url_ttl_seconds
    listed = []
    for o in stored:
        entry = {k: o[k] for k in ("name", "filename", "mime_type", "size_bytes")}
        if row["output_expired"]:
            entry["expired"] = True
        else:
            entry["url"] = svc.files.signed_url(row["id"], o["filename"], ttl)
        listed.append(entry)
    return listed


def step_id(job_id: str, n: int) -> str:
    return f"{job_id}.{n}"


def parse_step_id(value: str) -> tuple[str, int] | None:
    """``job_x.2`` → ``("job_x", 2)``; None for a plain job id (job ids never hold a dot)."""
    job_id, dot, n = value.rpartition(".")
    if not dot or not job_id or not (n.isascii() and n.isdigit()) or len(n) > 6:
        return None
    return job_id, int(n)


def step_view(job_id: str, step: dict[str, Any]) -> dict[str, Any]:
    """One stored step as clients see it: its id, ISO times, the error when it failed."""
    return {"id": step_id(job_id, step["n"]), "n": step["n"], "name": step["name"],
            "weight": step.get("weight"), "status": step["status"], "progress": step.get("progress", 0),
            "started_at": iso(step.get("started_at")), "finished_at": iso(step.get("finished_at")),
            "error": step.get("error"), **({"details": step["details"]} if step.get("details") else {})}


def sub_jobs(job_id: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The pipeline's steps in seed 003's shape: totals plus one entry per step.

    Example: ``{"total": 2, "completed": 1, "failed": 1, "details": [{"id": "job_x.1",
    "job_type": "decode", "status": "succeeded"}, {"id": "job_x.2", "job_type": "encode",
    "status": "failed", "error_message": "…"}]}``; every id resolves at GET /api/v1/jobs/{id}.
    """
    details = []
    for s in steps:
        entry = {"id": step_id(job_id, s["n"]), "job_type": s["name"], "status": s["status"]}
        if s.get("error"):
            entry["error_message"] = s["error"]["message"]
        if s.get("details"):  # what the step decided (StepScope.record), e.g. video-ad's per-scene picks
            entry["details"] = s["details"]
        details.append(entry)
    return {"total": len(details), "completed": sum(d["status"] == "succeeded" for d in details),
            "failed": sum(d["status"] == "failed" for d in details), "details": details}


def stored_steps(row: sqlite3.Row) -> list[dict[str, Any]]:
    return json.loads(row["steps"]) if row["steps"] else []


def step_body(row: sqlite3.Row, n: int) -> dict[str, Any] | None:
    """GET /api/v1/jobs/{id}/steps/{n}: the step with its parent job's id and status; None if no such step.

    Money lives on the parent only, so a step has no billing.
    """
    step = next((s for s in stored_steps(row) if s["n"] == n), None)
    if step is None:
        return None
    return {**step_view(row["id"], step), "job_id": row["id"], "job_status": row["status"],
            "job_progress": row["progress"], "tool": row["tool"]}


def job_body(svc: Services, row: sqlite3.Row, include_base64: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tool": row["tool"], "job_id": row["id"], "status": row["status"],
        "progress": row["progress"], "created_at": iso(row["created_at"]),
        "started_at": iso(row["started_at"]), "finished_at": iso(row["finished_at"]),
        "billing": billing(svc, row),
    }
    if row["status"] == "queued":  # waiting for its turn or its compute slots
        body.update(backlog.queue_estimate(svc.db, svc.catalog, svc.pool.slots, row))
        reason = svc.remote.queue_reason(row["tool"]) if svc.remote is not None else None
        if reason:  # multi-host: no live remote worker declares this tool; it waits (and may time out)
            body["queue_reason"] = reason
    steps = stored_steps(row)
    if steps:
        body["steps"] = [step_view(row["id"], s) for s in steps]
        body["jobs"] = sub_jobs(row["id"], steps)
        body["sub_jobs"] = body["jobs"]  # the alias older clients read
    output = output_block(svc, row, include_base64)
    if output is not None:
        body["output"] = output
    outputs = outputs_list(svc, row)
    if outputs is not None:
        body["outputs"] = outputs
    if row["result"] and row["status"] == "succeeded":
        body["result"] = json.loads(row["result"])
    if row["error_code"]:
        # always a sentence (the schema says string): cancel and timeout store only the code
        body["error"] = {"code": row["error_code"],
                         "message": row["error_message"] or message(row["error_code"], svc.cfg.server.locale)}
    return body
