"""The internal worker API's bodies (``/internal/v1``, multi-host mode) as msgspec Structs.

Requests are what ``jobs/worker_client.py`` sends; the handlers read them strictly
(``api.bodies.read_struct``: types as declared, the contract's 400 naming the field)
but ignore unknown members, so a worker one release ahead or behind the API node
keeps reporting during a rolling upgrade. Answers are our envelope.

Example::

    read_struct(b'{"attempt": "5f0c…", "progress": 40}', AttemptProgressIn).progress   # 40
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from noxus_local.api.docs import envelope
from noxus_local.api.schemas import Envelope

ATTEMPT = "5f0c1e2d3b4a69788796a5b4c3d2e1f0"
JOB = "job_1f06dd345a4c8b86296883ec"
Attempt = Annotated[str, Meta(min_length=1, description=(
    "The attempt token of the job spec (or the `attempt` query parameter)"), examples=[ATTEMPT])]
Slots = dict[str, Annotated[int, Meta(ge=0)]]
Steps = Annotated[list[dict[str, Any]], Meta(description="The job's steps as the worker's tracker has them")]


class HeartbeatIn(Struct, kw_only=True):
    """A worker's heartbeat: what it runs and holds."""

    name: Annotated[str, Meta(min_length=1, description="The worker's name (`--name`)")]
    tools: list[str] | None = None
    slots: Annotated[Slots, Meta(description="Per resource (cpu, gpu), the worker's slots")] | None = None
    busy: Annotated[Slots, Meta(description="Per resource, the slots held now")] | None = None
    running: Annotated[dict[str, str], Meta(description="Running attempts: job id → attempt token")] | None = None


class ClaimIn(Struct, kw_only=True):
    attempt: Attempt | None = None
    worker: Annotated[str, Meta(description="The worker's name, for the log")] = "?"


class AttemptProgressIn(Struct, kw_only=True):
    attempt: Attempt | None = None
    progress: Annotated[int, Meta(description="Percent; kept within 0-100")] = 0
    steps: Steps | None = None


class StreamIn(Struct, kw_only=True):
    attempt: Attempt | None = None
    pieces: Annotated[list[str], Meta(max_length=10_000, description=(
        "A streamed chat's next pieces of text, in order, as the worker decoded them"))] = []


class OutputIn(Struct, kw_only=True):
    name: str
    filename: str
    mime_type: str
    sha256: Annotated[str, Meta(description="The SHA-256 the upload was checked against")]


class OutcomeIn(Struct, kw_only=True):
    """The attempt's end: succeeded with its uploaded outputs, failed or cancelled with an error code."""

    attempt: Attempt | None = None
    status: Annotated[Literal["succeeded", "failed", "cancelled"], Meta(description="Left out: failed")] | None = None
    outputs: list[OutputIn] | None = None
    result: dict[str, Any] | None = None
    units: float | None = None
    actual_micros: Annotated[int, Meta(ge=0)] | None = None
    media_units: float = 1.0
    steps: Steps | None = None
    error_code: str | None = None
    error_message: str | None = None


class WorkerInfo(Struct, kw_only=True):
    name: str
    tools: list[str]
    slots: Slots
    busy: Slots
    running_jobs: int
    last_heartbeat: Annotated[float, Meta(description="Unix seconds")]
    live: bool


class WorkerCancel(Envelope, kw_only=True):
    cancel: Annotated[list[str], Meta(description="Jobs to stop now")]


class WorkerList(Envelope, kw_only=True):
    workers: list[WorkerInfo]


class AttemptClaimed(Envelope, kw_only=True):
    job_id: str
    status: Literal["running"]


class OutputStored(Envelope, kw_only=True):
    filename: str
    size_bytes: int
    sha256: str


class AttemptProgressed(Envelope, kw_only=True):
    job_id: str


class StreamRelayed(Envelope, kw_only=True):
    job_id: str
    listening: Annotated[bool, Meta(description="A client reads this job's stream on this node (false: stop posting)")]
    stop: Annotated[bool, Meta(description="The client hung up: stop generating (charged for what was generated)")]


class AttemptReported(Envelope, kw_only=True):
    job_id: str
    settled: Annotated[bool, Meta(description="false: settled before (a repeated report changes nothing)")]


HEARTBEAT = {"beat": {"name": "gpu-1", "tools": ["wait"], "slots": {"cpu": 8, "gpu": 1}, "busy": {"cpu": 1},
                      "running": {JOB: ATTEMPT}}}
WORKERS = {"ok": envelope({"workers": [{"name": "gpu-1", "tools": ["wait"], "slots": {"cpu": 8, "gpu": 1},
                                        "busy": {"cpu": 1}, "running_jobs": 1, "last_heartbeat": 1779721445.5,
                                        "live": True}]})}
OUTCOMES = {"succeeded": {"attempt": ATTEMPT, "status": "succeeded", "outputs": [
                {"name": "primary", "filename": "out.png", "mime_type": "image/png", "sha256": "9f2c4e0b" * 8}],
                "result": {"width": 64}, "units": 1, "media_units": 1.0},
            "failed": {"attempt": ATTEMPT, "status": "failed", "error_code": "invalid_media",
                       "error_message": "The file is not a supported image."}}
