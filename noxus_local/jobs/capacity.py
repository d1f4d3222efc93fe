"""Capacity in use: per resource, busy slots plus what queued jobs want, over the pool's slots.

Shared by ``GET /api/v1/status/capacity`` (seed 001) and the operator's overview
(``admin.system``), so both say the same numbers; no HTTP here.

Example::

    capacity_body(svc)["used_system_capacity"]   # 0.5: the fullest resource is half busy
"""

from __future__ import annotations

from typing import Any

from noxus_local.jobs import backlog


def capacity_body(svc: Any) -> dict[str, Any]:
    """From the compute pool: per resource, busy slots plus the slots queued jobs want,
    over the pool's slots, capped at 1; ``used_system_capacity`` is the fullest one (seed 001's 0..1).

    Multi-host mode counts the live remote workers' slots and busy slots too (they run most jobs):
    a node with 2 CPU slots and one worker with 8, 4 of them busy, says ``cpu.slots`` 10, ``busy`` 4.
    """
    queued_work = backlog.queued_work(svc.db, svc.catalog)
    running, queued = backlog.job_counts(svc.db)
    remote = svc.remote.live_slots() if svc.remote is not None else None
    snapshot = svc.pool.snapshot()
    resources = {name: _resource(snapshot.get(name), queued_work.get(name, 0),
                                 None if remote is None else remote.get(name, {"slots": 0, "busy": 0}))
                 for name in [*snapshot, *(n for n in remote or {} if n not in snapshot)]}
    used = max((r["used"] for r in resources.values() if r["slots"]), default=0.0)
    body = {"used_system_capacity": used, "running_jobs": running, "queued_jobs": queued,
            "workers": svc.cfg.jobs.workers, "resources": resources}
    if svc.remote is not None:  # multi-host: per remote worker its tools, slots, busy, last heartbeat
        body["remote_workers"] = svc.remote.workers()
    return body


def _resource(pool: dict[str, int] | None, queued: int, remote: dict[str, int] | None) -> dict[str, Any]:
    """One resource; ``remote``: the live remote workers' {"slots", "busy"} (multi-host mode only)."""
    pool = pool or {"capacity": 0, "busy": 0, "waiting": 0, "peak_busy": 0}
    far = remote or {"slots": 0, "busy": 0}
    slots, busy = pool["capacity"] + far["slots"], pool["busy"] + far["busy"]
    used = min(1.0, (busy + queued) / slots) if slots else 0.0
    out = {"slots": slots, "busy": busy, "queued": queued, "waiting": pool["waiting"],
           "peak_busy": pool["peak_busy"], "used": round(used, 3)}
    if remote is not None:
        out.update(remote_slots=far["slots"], remote_busy=far["busy"])
    return out
