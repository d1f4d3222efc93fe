"""Seed 001's view of an analysis job: ``{job_id, status, items}`` with its own status words.

``GET /api/v1/jobs/{id}`` keeps the NOXUS words (queued, running, succeeded,
failed, cancelled); the analysis routes say what seed 001 says: ``queued``,
``processing``, ``finished``, ``failed``. Items come from the finished job's
result, from the progress file the running batch rewrites after each item,
or, before it starts, from the items as submitted.

Example::

    batch_view(svc, jobs.get(svc.db, "job_x", account_id, env), "en")
    # {"job_id": "job_x", "status": "processing", "items": [{"id": "a", "status": "finished",
    #   "result": {...}}, {"id": "b", "status": "processing"}, ...], "billing": {...}}
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from noxus_local.analysis.batch import PROGRESS_FILE, public, read_progress
from noxus_local.errors import message
from noxus_local.jobs.view import Services, billing, job_body

# set in a job's params by the seed 001 routes: its webhook then carries the body those routes' GET shows
SEED_ROUTE_KEY = "seed_route"
SEED_STATUS = {"queued": "queued", "running": "processing", "succeeded": "finished",
               "failed": "failed", "cancelled": "failed"}
BATCH_TOOL = "image-analyze-batch"


def batch_view(svc: Services, row: sqlite3.Row, locale: str = "es") -> dict[str, Any]:
    """The batch as seed 001 shows it, plus ``billing`` and the job's error when it failed."""
    status = SEED_STATUS[row["status"]]
    body: dict[str, Any] = {"job_id": row["id"], "status": status, "items": _items(svc, row, locale),
                            "billing": billing(svc, row)}
    if status == "failed":
        code = row["error_code"] or "internal_error"
        body["error"] = {"code": code, "message": row["error_message"] or message(code, locale)}
    return body


def _items(svc: Services, row: sqlite3.Row, locale: str) -> list[dict[str, Any]]:
    planned = json.loads(row["params"])["items"]
    if row["status"] == "succeeded":
        return list(json.loads(row["result"] or "{}").get("items") or [])
    if row["status"] == "running":
        # work_root, not work_dir(): reading must never create the folder of a job that ends meanwhile
        return read_progress(svc.files.work_root / row["id"] / PROGRESS_FILE) or [public(i) for i in planned]
    if row["status"] == "queued":
        return [public(i) for i in planned]
    code = row["error_code"] or "internal_error"
    error = {"code": code, "message": row["error_message"] or message(code, locale)}
    # a batch stopped as a whole (timeout, cancel) is charged 0: every item it had is failed with it
    return [public(i) if i["status"] == "failed" else {**public(i), "status": "failed", "error": error}
            for i in planned]


VIDEO_TOOL = "video-analyze"


def video_view(svc: Services, row: sqlite3.Row, locale: str = "es") -> dict[str, Any]:
    """A video analysis as seed 001 shows it: ``{job_id, status, result}``, plus progress, steps and billing.

    Each keyframe in ``result.keyframes`` gets the signed ``url`` of its JPEG (the same one
    ``outputs`` lists), so a client needs no second lookup. Example::

        video_view(svc, row)["result"]["keyframes"][0]["url"]   # "/api/v1/files/job_x/keyframe-000.jpg?…"
    """
    status = SEED_STATUS[row["status"]]
    full = job_body(svc, row)
    body: dict[str, Any] = {"job_id": row["id"], "status": status, "progress": row["progress"],
                            "result": None, "billing": full["billing"]}
    if "steps" in full:
        body["steps"] = full["steps"]
    if row["status"] == "succeeded":
        result = json.loads(row["result"] or "{}")
        urls = {o["name"]: o.get("url") for o in full.get("outputs") or []}
        for frame in result.get("keyframes") or []:
            frame["url"] = urls.get(frame.get("output"))
        body["result"] = result
        body["outputs"] = full.get("outputs") or []
    if status == "failed":
        code = row["error_code"] or "internal_error"
        body["error"] = {"code": code, "message": row["error_message"] or message(code, locale)}
    return body


def webhook_body(svc: Services, row: sqlite3.Row) -> dict[str, Any] | None:
    """Seed 001's callback body for a job submitted through ``/api/v1/analysis/…``, else None.

    Seed 001 posts "the final result payload": the same ``{job_id, status, items}`` /
    ``{job_id, status, result}`` its GET route answers, with its status words. A
    ``video-analyze`` or ``image-analyze-batch`` run through ``/api/v1/tools`` keeps
    the NOXUS job body, as every other tool. Example::

        webhook_body(svc, row)   # {"job_id": "job_x", "status": "finished", "items": [...], "billing": {...}}
    """
    route = json.loads(row["params"] or "{}").get(SEED_ROUTE_KEY)
    if route == "images" and row["tool"] == BATCH_TOOL:
        return batch_view(svc, row, svc.cfg.server.locale)
    if route == "video" and row["tool"] == VIDEO_TOOL:
        return video_view(svc, row, svc.cfg.server.locale)
    return None
