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
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.deps import ServicesDep, authenticated
from noxus_local.api.docs import AUTH_ERRORS, envelope, operation, text_param
from noxus_local.api.schemas import Envelope, Latency, ok
from noxus_local.billing import usage
from noxus_local.errors import ValidationError, one_of
from noxus_local.jobs.capacity import capacity_body

TAG = "Status"
WINDOW = 3600
UNITS = {"image": "image", "video": "second"}
Share = Annotated[float, Meta(ge=0, le=1)]


class Resource(Struct, kw_only=True, forbid_unknown_fields=True):
    """One compute resource (cpu, gpu) of the pool."""

    slots: Annotated[int, Meta(description="Slots of the pool (multi-host mode: plus live remote workers' slots)")]
    busy: Annotated[int, Meta(description="Slots held now (multi-host mode: here and on live workers)")]
    queued: Annotated[int, Meta(description="Slots wanted by queued jobs")]
    waiting: Annotated[int, Meta(description="Slots wanted by jobs waiting in this process")]
    peak_busy: Annotated[int, Meta(description="Most slots held at once since start")]
    used: Share
    remote_slots: Annotated[int, Meta(description="Multi-host mode only: live remote workers' slots")] | UnsetType \
        = UNSET
    remote_busy: Annotated[int, Meta(description="Multi-host mode only: their busy slots")] | UnsetType = UNSET


class RemoteWorker(Struct, kw_only=True, forbid_unknown_fields=True):
    """A remote worker (multi-host mode): its tools, slots and busy slots per resource, last heartbeat."""

    name: str
    tools: list[str]
    slots: dict[str, int]
    busy: dict[str, int]
    running_jobs: int
    last_heartbeat: Annotated[float, Meta(description="unix seconds")]
    live: bool


class Capacity(Envelope, kw_only=True, forbid_unknown_fields=True):
    used_system_capacity: Annotated[Share, Meta(description="Seed 001's 0..1: the fullest resource")]
    running_jobs: int
    queued_jobs: int
    workers: int
    resources: Annotated[dict[str, Resource], Meta(description="Per compute resource (cpu, gpu)")]
    remote_workers: Annotated[list[RemoteWorker], Meta(
        description="Multi-host mode only: each remote worker's tools, slots, busy slots and last heartbeat"
    )] | UnsetType = UNSET


@get("/api/v1/status/latency", guards=[authenticated], **operation(
    "getLatency", TAG, "Observed latency per media unit",
    "Processing time per image, or per second of video, over real jobs that succeeded in the last "
    "hour (seed 001).",
    ok=(Latency, {"ok": envelope({"media_type": "image", "unit": "image", "latency_ms_per_unit": 21,
                                  "sample_jobs": 2, "window_seconds": 3600})}),
    errors=("validation_error", *AUTH_ERRORS)), sync_to_thread=True)
def latency(request: Request[Any, Any, Any], svc: ServicesDep,
            media_type: Annotated[str | None, text_param("", required=True, enum=list(UNITS))] = None) -> Latency:
    """Sync, in Litestar's worker thread: one SQLite aggregate over the window."""
    if media_type not in UNITS:
        raise ValidationError.fields({"media_type": [one_of(("image", "video"))]})
    row = usage.latency(svc.db, media_type, time.time() - WINDOW)
    per_unit = round(1000 * row["seconds"] / row["units"]) if row["units"] else None
    return Latency(**ok(request), media_type=media_type, unit=UNITS[media_type],  # type: ignore[arg-type]
                   latency_ms_per_unit=per_unit, sample_jobs=row["jobs"], window_seconds=WINDOW)


@get("/api/v1/status/capacity", guards=[authenticated], sync_to_thread=True, **operation(
    "getCapacity", TAG, "Capacity in use",
    "Busy compute slots plus the slots queued jobs want, over the pool's slots, capped at 1, for the "
    "fullest resource (seed 001's `used_system_capacity`); `resources` gives each one.",
    ok=(Capacity, {"ok": envelope({"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "workers": 2,
                                   "resources": {"cpu": {"slots": 2, "busy": 1, "queued": 0, "waiting": 0,
                                                         "peak_busy": 2, "used": 0.5},
                                                 "gpu": {"slots": 0, "busy": 0, "queued": 0, "waiting": 0,
                                                         "peak_busy": 0, "used": 0.0}}})})))
def capacity(request: Request[Any, Any, Any], svc: ServicesDep) -> Capacity:
    """Sync, in Litestar's worker thread: the first call may probe the GPU (ONNX Runtime) and reads SQLite."""
    return msgspec.convert({**ok(request), **capacity_body(svc)}, Capacity)
