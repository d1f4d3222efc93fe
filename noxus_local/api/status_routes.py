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
from noxus_local.jobs.capacity import capacity_body

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
