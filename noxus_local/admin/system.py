"""The machine for the operator: models (installed, verify), workers, capacity, and the overview.

``overview()`` is the console's first screen and must stay fast with 100,000
jobs (issue 25: ≤ 200 ms): jobs per status come from the counts triggers keep
(``job_status_counts``, migration v16), spend today and this month from one
covering index (``ledger_kind_time``), balances from their small table; only
the capacity reads the queued jobs (what each one needs).
``scripts/bench/bench_admin_overview.py`` measures it.

Example::

    overview(svc)["spend"]["today_usd"]     # "1.25"
    verify_models(cfg, actor, db, ["silero-vad"])
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from noxus_local.admin import inputs
from noxus_local.admin.audit import Actor, record
from noxus_local.config import Config
from noxus_local.errors import NotFound
from noxus_local.inference.registry.installed import ModelRegistry, ModelStatus
from noxus_local.jobs.capacity import capacity_body
from noxus_local.money import format_usd
from noxus_local.store.db import Database

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def _model(status: ModelStatus) -> dict[str, Any]:
    return {"id": status.spec.id, "task": status.spec.task, "default": status.spec.default,
            "state": status.state, "size_bytes": status.size, "problems": list(status.problems)}


def models(cfg: Config) -> list[dict[str, Any]]:
    """Every declared model with its state (files checked for presence and size, not hashed)."""
    return [_model(s) for s in ModelRegistry.from_config(cfg).list_models()]


def verify_models(cfg: Config, actor: Actor, db: Database, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Hash the installed files against the manifest (slow for big models: call it off the event loop)."""
    registry = ModelRegistry.from_config(cfg)
    unknown = [i for i in ids or [] if i not in registry.specs]
    if unknown:
        raise NotFound(details={"models": unknown})
    out = [_model(s) for s in registry.verify(ids or [])]
    record(db, actor, "models.verify", ",".join(ids or []) or "*",
           {"checked": len(out), "installed": sum(1 for m in out if m["state"] == "installed")})
    return out


def workers(svc: Any) -> dict[str, Any]:
    """This node's queue workers and slots, the processes running jobs now (by the ``worker`` column with
    their latest heartbeat) and, in multi-host mode, every remote worker."""
    running = [{"worker": r["worker"], "running_jobs": r["jobs"], "last_heartbeat": inputs.iso(r["beat"]),
                "seconds_since_heartbeat": None if r["beat"] is None else round(time.time() - r["beat"], 1)}
               for r in svc.db.all("SELECT worker, COUNT(*) AS jobs, MAX(heartbeat_at) AS beat FROM jobs"
                                   " WHERE status = 'running' GROUP BY worker ORDER BY worker")]
    return {"local": {"workers": svc.cfg.jobs.workers, "queue": svc.cfg.jobs.queue_backend,
                      "slots": svc.pool.snapshot()},
            "running": running, "remote": svc.remote.workers() if svc.remote is not None else None}


def capacity(svc: Any) -> dict[str, Any]:
    """What ``GET /api/v1/status/capacity`` answers: per resource busy + queued over slots."""
    return capacity_body(svc)


def _day_start(now: float) -> float:
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC).timestamp()


def _month_start(now: float) -> float:
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC).timestamp()


def spend_since(db: Database, since: float, environment: str | None = None) -> int:
    """Micro-USD charged since ``since`` (UTC), from the ledger's ``charge`` rows."""
    if environment is None:
        row = db.one("SELECT COALESCE(SUM(amount_micros), 0) FROM ledger WHERE kind = 'charge' AND created_at >= ?",
                     (since,))
    else:
        row = db.one("SELECT COALESCE(SUM(amount_micros), 0) FROM ledger WHERE kind = 'charge' AND created_at >= ?"
                     " AND environment = ?", (since, environment))
    return int(row[0])


def job_counts(db: Database) -> dict[str, int]:
    """Jobs per status, every account, from the counts the v16 triggers keep (5 rows, not a scan of the jobs)."""
    return {row[0]: int(row[1]) for row in db.all("SELECT status, jobs FROM job_status_counts")}


def overview(svc: Any, now: float | None = None) -> dict[str, Any]:
    """Balances (totals per environment), spend today and this month (UTC), jobs per status, capacity.

    Example: ``overview(svc)["jobs"]["running"]`` → 2.
    """
    now = time.time() if now is None else now
    db = svc.db
    balances = {env: {"accounts": 0, "balance_usd": "0", "held_usd": "0", "available_usd": "0"}
                for env in inputs.ENVIRONMENTS}
    for row in db.all("SELECT environment, COUNT(*), SUM(balance_micros), SUM(held_micros) FROM balances"
                      " GROUP BY environment"):
        total, held = row[2] or 0, row[3] or 0
        balances[row[0]] = {"accounts": row[1], "balance_usd": format_usd(total), "held_usd": format_usd(held),
                            "available_usd": format_usd(total - held)}
    counts = {s: 0 for s in STATUSES} | job_counts(db)
    accounts = dict(db.all("SELECT status, COUNT(*) FROM accounts GROUP BY status"))
    today, month = _day_start(now), _month_start(now)
    spend = {"today_usd": format_usd(spend_since(db, today)), "month_usd": format_usd(spend_since(db, month)),
             "today_since": inputs.iso(today), "month_since": inputs.iso(month)}
    cap = capacity_body(svc)
    return {"generated_at": inputs.iso(now), "balances": balances, "spend": spend, "jobs": counts,
            "accounts": {"active": accounts.get("active", 0), "suspended": accounts.get("suspended", 0)},
            "capacity": {"used_system_capacity": cap["used_system_capacity"], "running_jobs": cap["running_jobs"],
                         "queued_jobs": cap["queued_jobs"], "resources": cap["resources"]}}
