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

from noxus_local.config import Config
from noxus_local.core import backlog
from noxus_local.core.files import FileStore
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
           "charged_usd": format_usd(row["charged_micros"])}
    if row["settled"]:
        after = svc.db.one("SELECT balance_after_micros FROM ledger WHERE job_id = ?"
                           " AND kind IN ('charge', 'release') ORDER BY id DESC LIMIT 1", (row["id"],))
        if after is not None:
            out["balance_after_usd"] = format_usd(after[0])
    return out


def output_block(svc: Services, row: sqlite3.Row, include_base64: bool) -> dict[str, Any] | None:
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


def sub_jobs(job_id: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The pipeline's steps in seed 003's shape: totals plus one entry per step.

    Example: ``{"total": 2, "completed": 1, "failed": 0, "details": [{"id": "job_x.1",
    "job_type": "decode", "status": "succeeded"}, {"id": "job_x.2", "job_type": "encode", ...}]}``
    """
    details = [{"id": f"{job_id}.{i}", "job_type": s["name"], "status": s["status"]}
               for i, s in enumerate(steps, start=1)]
    return {"total": len(details), "completed": sum(d["status"] == "succeeded" for d in details),
            "failed": sum(d["status"] == "failed" for d in details), "details": details}


def job_body(svc: Services, row: sqlite3.Row, include_base64: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tool": row["tool"], "job_id": row["id"], "status": row["status"],
        "progress": row["progress"], "created_at": iso(row["created_at"]),
        "started_at": iso(row["started_at"]), "finished_at": iso(row["finished_at"]),
        "billing": billing(svc, row),
    }
    if row["status"] == "queued":  # waiting for its turn or its compute slots
        body.update(backlog.queue_estimate(svc.db, svc.catalog, svc.pool.slots, row))
    if row["steps"]:
        body["steps"] = json.loads(row["steps"])
        body["sub_jobs"] = sub_jobs(row["id"], body["steps"])
    output = output_block(svc, row, include_base64)
    if output is not None:
        body["output"] = output
    if row["result"] and row["status"] == "succeeded":
        body["result"] = json.loads(row["result"])
    if row["error_code"]:
        body["error"] = {"code": row["error_code"], "message": row["error_message"]}
    return body
