"""Status routes (seed 001): observed latency per media unit, and capacity in use.

Capacity comes from the compute pool (``queue.pool``) and the queued jobs.
Latency comes from real jobs that succeeded in the last ``WINDOW`` seconds:
total processing time over total units (images, or seconds of video).

Example::

    curl "http://127.0.0.1:8080/api/v1/status/latency?media_type=image" -H "Authorization: Bearer $KEY"
    {"success": true, "media_type": "image", "unit": "image", "latency_ms_per_unit": 41, ...}
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get

from noxus_local.api.deps import ServicesDep, authenticated
from noxus_local.api.envelope import json_response
from noxus_local.billing import usage
from noxus_local.errors import ValidationError, one_of
from noxus_local.jobs import backlog
from noxus_local.node.services import Services

WINDOW = 3600
UNITS = {"image": "image", "video": "second"}


@get("/api/v1/status/latency", guards=[authenticated])
async def latency(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[bytes]:
    media_type = request.query_params.get("media_type")
    if media_type not in UNITS:
        raise ValidationError.fields({"media_type": [one_of(("image", "video"))]})
    row = usage.latency(svc.db, media_type, time.time() - WINDOW)
    per_unit = None
    if row["units"]:
        per_unit = round(1000 * row["seconds"] / row["units"])
    return json_response(request, {"media_type": media_type, "unit": UNITS[media_type],
                                   "latency_ms_per_unit": per_unit, "sample_jobs": row["jobs"],
                                   "window_seconds": WINDOW})


@get("/api/v1/status/capacity", guards=[authenticated], sync_to_thread=True)
def capacity(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[bytes]:
    """Sync, in Litestar's worker thread: the first call may probe the GPU (ONNX Runtime) and reads SQLite."""
    return json_response(request, capacity_body(svc))


def capacity_body(svc: Services) -> dict[str, Any]:
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
