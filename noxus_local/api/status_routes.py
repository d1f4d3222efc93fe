"""Status routes (seed 001): observed latency per media unit, and capacity in use.

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

from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response
from noxus_local.errors import ValidationError
from noxus_local.node.services import Services

WINDOW = 3600
UNITS = {"image": "image", "video": "second"}


@get("/api/v1/status/latency")
async def latency(request: Request[Any, Any, Any]) -> Response[bytes]:
    await require_principal(request)
    svc = services_of(request)
    media_type = request.query_params.get("media_type")
    if media_type not in UNITS:
        raise ValidationError.fields({"media_type": ["uno de / one of: image, video"]})
    row = svc.db.one(
        "SELECT COUNT(*) AS jobs, SUM(finished_at - started_at) AS seconds, SUM(media_units) AS units"
        " FROM jobs WHERE media_type = ? AND status = 'succeeded' AND finished_at > ?",
        (media_type, time.time() - WINDOW))
    per_unit = None
    if row["units"]:
        per_unit = round(1000 * row["seconds"] / row["units"])
    return json_response(request, {"media_type": media_type, "unit": UNITS[media_type],
                                   "latency_ms_per_unit": per_unit, "sample_jobs": row["jobs"],
                                   "window_seconds": WINDOW})


@get("/api/v1/status/capacity")
async def capacity(request: Request[Any, Any, Any]) -> Response[bytes]:
    await require_principal(request)
    return json_response(request, capacity_body(services_of(request)))


def capacity_body(svc: Services) -> dict[str, Any]:
    """Busy plus waiting jobs over worker slots, capped at 1 (seed 001's 0..1)."""
    counts = dict(svc.db.all("SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running')"
                             " GROUP BY status"))
    slots = svc.cfg.jobs.workers
    running, queued = counts.get("running", 0), counts.get("queued", 0)
    return {"used_system_capacity": round(min(1.0, (running + queued) / slots), 3),
            "running_jobs": running, "queued_jobs": queued, "workers": slots}
