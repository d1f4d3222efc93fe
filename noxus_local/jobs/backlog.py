"""What waits for compute: queued rows, a job's place in line and its ETA, queued work.

A queued job's ``queue_position`` is 1 + the queued jobs submitted before it
that want any of the same resources (the compute pool serves each resource
first come, first served). Its ``eta_seconds`` is the slot-seconds of work
ahead of it (those jobs, plus what is left of the running ones) over the
slots. A job's expected run time is its tool's observed seconds per media
unit in the last hour (the same window and jobs table as
``/api/v1/status/latency``, per tool) times the units it is expected to
report (``Tool.work_units``: 1 image, N seconds of media). A tool never seen
yet counts ``UNSEEN_SECONDS`` a unit. It is an estimate, not a promise.

Example::

    queue_estimate(db, catalog, pool.slots, row)      # pool.slots("cpu") == 2
    # {"queue_position": 3, "eta_seconds": 0.6}
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from noxus_local.errors import NoxusError

WINDOW = 3600  # seconds of history the per-tool latency comes from
UNSEEN_SECONDS = 1.0


class ToolNeeds(Protocol):
    """A catalog: ``resolve(slug)`` gives a tool with ``resources_for(params)``."""

    def resolve(self, name: str) -> Any: ...


def queued_row(db: Any, job_id: str) -> sqlite3.Row | None:
    """The job if it is still waiting to run, else None (taken, ended or unknown)."""
    return db.one("SELECT * FROM jobs WHERE id = ? AND status = 'queued' AND settled = 0", (job_id,))


def overdue(db: Any, now: float | None = None) -> list[str]:
    """Queued jobs past their Max-Processing-Time (counted from submission) that no worker holds yet."""
    rows = db.all("SELECT id FROM jobs WHERE status = 'queued' AND settled = 0 AND max_processing_seconds > 0"
                  " AND created_at + max_processing_seconds <= ?", (time.time() if now is None else now,))
    return [r["id"] for r in rows]


def need_of(catalog: ToolNeeds, row: sqlite3.Row) -> dict[str, int]:
    """The slots a job's run takes, e.g. ``{"cpu": 2}``; {} for a tool no longer in the catalog."""
    return _demand(catalog, row)[0]


def _demand(catalog: ToolNeeds, row: sqlite3.Row) -> tuple[dict[str, int], float]:
    """(slots, expected media units) of a job, from the plan stored with it (issue 18 item 2: its
    ``resources`` and ``work_units``); ({}, 0) for a tool no longer in the catalog."""
    try:
        tool = catalog.resolve(row["tool"])
    except NoxusError:
        return {}, 0.0
    if row["plan"]:
        plan = json.loads(row["plan"])  # a Plan as JSON (tools/plan.py): defaults are left out
        need, units = plan.get("resources", {}), float(plan.get("work_units", 1.0))
    else:  # a job queued before plans were stored
        params = json.loads(row["params"])
        need, units = tool.resources_for(params), float(tool.work_units(params))
    return {resource: amount for resource, amount in need.items() if amount > 0}, units


def queue_estimate(db: Any, catalog: ToolNeeds, slots: Callable[[str], int],
                   row: sqlite3.Row) -> dict[str, Any]:
    """``{"queue_position", "eta_seconds"}`` of a queued job (see the module docstring)."""
    need = need_of(catalog, row)
    if not need:
        return {"queue_position": 1, "eta_seconds": 0.0}
    ahead = [(r, d) for r in _queued_before(db, row) if (d := _demand(catalog, r))[0].keys() & need.keys()]
    running = [(r, _demand(catalog, r)) for r in db.all(
        "SELECT tool, params, plan, started_at FROM jobs WHERE status = 'running' AND settled = 0")]
    per_unit = seconds_per_unit(db, {r["tool"] for r, _ in ahead + running})
    now, work = time.time(), dict.fromkeys(need, 0.0)
    for r, (n, units) in ahead:
        _add(work, n, per_unit.get(r["tool"], UNSEEN_SECONDS) * units)
    for r, (n, units) in running:
        left = per_unit.get(r["tool"], UNSEEN_SECONDS) * units - (now - (r["started_at"] or now))
        _add(work, n, max(0.0, left))
    eta = max((work[res] / slots(res) for res in need if slots(res) > 0), default=0.0)
    return {"queue_position": len(ahead) + 1, "eta_seconds": math.ceil(eta * 10) / 10}


def _queued_before(db: Any, row: sqlite3.Row) -> list[sqlite3.Row]:
    return db.all("SELECT tool, params, plan FROM jobs WHERE status = 'queued' AND settled = 0"
                  " AND (created_at < ? OR (created_at = ? AND id < ?))",
                  (row["created_at"], row["created_at"], row["id"]))


def _add(work: dict[str, float], need: Mapping[str, int], seconds: float) -> None:
    """Slot-seconds a job adds to each resource this estimate is about."""
    for resource, amount in need.items():
        if resource in work:
            work[resource] += amount * seconds


def seconds_per_unit(db: Any, tools: Iterable[str]) -> dict[str, float]:
    """Run seconds per media unit of each tool's jobs that succeeded in the last hour,
    e.g. ``{"qr": 0.04, "wait": 1.01}``."""
    names = sorted(set(tools))
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    rows = db.all(f"SELECT tool, SUM(finished_at - started_at) / NULLIF(SUM(COALESCE(media_units, 1)), 0)"
                  f" AS seconds FROM jobs WHERE status = 'succeeded' AND finished_at > ? AND tool IN ({marks})"
                  f" GROUP BY tool", (time.time() - WINDOW, *names))
    return {r["tool"]: float(r["seconds"]) for r in rows if r["seconds"] is not None}


def queued_work(db: Any, catalog: ToolNeeds) -> dict[str, int]:
    """Slots wanted by all queued jobs per resource, e.g. ``{"cpu": 6}``."""
    work: dict[str, int] = {}
    for row in db.all("SELECT tool, params, plan FROM jobs WHERE status = 'queued' AND settled = 0"):
        for resource, amount in need_of(catalog, row).items():
            work[resource] = work.get(resource, 0) + amount
    return work


def job_counts(db: Any) -> tuple[int, int]:
    """(running, queued) jobs in the store, every process included."""
    counts = dict(db.all("SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running')"
                         " AND settled = 0 GROUP BY status"))
    return counts.get("running", 0), counts.get("queued", 0)
