"""A job as clients see it, as msgspec Structs: the one published shape of ``jobs.view.job_body``.

The tool run (``POST /api/v1/tools/{name}``), the job routes, and the docs of
other routes that answer a job (analysis, OpenAI-compatible 202s) share these:
``Billing``, ``Output``, ``OutputFile``, ``Step``, ``SubJobs``, ``Job``. Litestar
generates one schema component per Struct (same name) for ``/schema/openapi.json``.
A member that is sometimes absent (not null) is ``X | UnsetType = UNSET``.

``job_struct(body, Model)`` turns a body built by ``jobs.view`` into the Struct a
handler returns; the Structs forbid unknown members when converting, so a member
added to ``job_body`` without a schema here fails loudly in the tests instead of
being dropped from the answer or left undocumented.

Example::

    row = jobs.get(svc.db, job_id, principal.account_id, principal.environment)
    return job_struct({**ok(request), **job_body(svc, row), "webhooks": []}, JobDetail)
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Response
from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.schemas import DateTime, Pagination, RequestId, Usd, _const

T = TypeVar("T")
log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
StepStatus = Literal["pending", "running", "succeeded", "failed", "cancelled", "skipped"]
Unit = Literal["second", "minute", "image", "1k_chars", "scene", "1k_tokens"]  # money.UNITS
NullableTime = Annotated[str | None, Meta(extra_json_schema={"extra": {"format": "date-time"}})]
JOB_ID_EXAMPLE = "job_d8f427d5ddacb142f44fba86"


class Billing(Struct, kw_only=True, forbid_unknown_fields=True):
    """What the job holds and charges, in USD decimal strings (integer micro-USD inside)."""

    currency: Literal["USD"]
    estimated_usd: Usd
    charged_usd: Usd
    balance_after_usd: Annotated[str, Meta(description="Once the job is settled",
                                           examples=["9.998"])] | UnsetType = UNSET
    unit: Annotated[Unit, Meta(description="Per-unit prices only: the unit the job is priced in")] | UnsetType = UNSET
    estimated_units: Annotated[float, Meta(
        description="Per-unit prices only: the units the hold (estimated_usd) was computed from")] | UnsetType = UNSET
    units: Annotated[float, Meta(
        description="Per-unit prices only, once settled: the units processed and charged (0 when the job failed "
                    "or was cancelled)")] | UnsetType = UNSET


class Output(Struct, kw_only=True, forbid_unknown_fields=True):
    """The primary file in seed 000's shape."""

    filename: str
    mime_type: str
    size_bytes: Annotated[int, Meta(ge=0)]
    url: Annotated[str, Meta(description="Signed, expiring URL of the file; no key needed")] | UnsetType = UNSET
    content_base64: Annotated[str, Meta(
        description="The file, when it is at most the server's inline_max_mb and return_base64 is not false",
        extra_json_schema={"extra": {"contentEncoding": "base64"}})] | UnsetType = UNSET
    expired: Annotated[bool, Meta(description="The file was removed by retention")] | UnsetType = UNSET


class OutputFile(Struct, kw_only=True, forbid_unknown_fields=True):
    """One of the job's files (``outputs``), primary first."""

    name: Annotated[str, Meta(description="The output's name: `primary` or the tool's name for its main file, "
                                          "then each extra", examples=["primary", "srt"])]
    filename: str
    mime_type: str
    size_bytes: Annotated[int, Meta(ge=0)]
    url: Annotated[str, Meta(description="This file's own signed, expiring URL; no key needed")] | UnsetType = UNSET
    expired: Annotated[bool, Meta(description="The file was removed by retention (no url then)")] | UnsetType = UNSET


class StepError(Struct, forbid_unknown_fields=True):
    """Why a step failed or was cancelled."""

    code: str
    message: str


class Step(Struct, kw_only=True, forbid_unknown_fields=True):
    """One step of a job (``runtime.steps``): the tool reports them in order."""

    id: Annotated[str, Meta(description="`<job_id>.<n>`", examples=[f"{JOB_ID_EXAMPLE}.2"])]
    n: Annotated[int, Meta(ge=1, description="1-based position")]
    name: str
    weight: Annotated[int | None, Meta(description="Share of the job's progress; null when the tool reports "
                                                   "it itself")]
    status: StepStatus
    progress: Annotated[int, Meta(ge=0, le=100, description="Within the step")]
    started_at: NullableTime
    finished_at: NullableTime
    error: Annotated[StepError | None, Meta(description="null unless the step failed or was cancelled")]
    details: Annotated[dict[str, Any], Meta(description="What the step decided, when the tool records it (e.g. "
                                                        "video-ad's scene_plan: each scene's image and on-screen "
                                                        "text; image_edit: every variant's score parts and the "
                                                        "pick)")] | UnsetType = UNSET


class SubJob(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, Meta(description="The step's id; GET /api/v1/jobs/{id} answers with the step")]
    job_type: Annotated[str, Meta(description="The step's name")]
    status: str
    error_message: Annotated[str, Meta(description="When the step failed")] | UnsetType = UNSET
    details: Annotated[dict[str, Any], Meta(description="What the step decided, when the tool records it")] \
        | UnsetType = UNSET


class SubJobs(Struct, kw_only=True, forbid_unknown_fields=True):
    """The steps in seed 003's sub-job shape."""

    total: Annotated[int, Meta(ge=0)]
    completed: Annotated[int, Meta(ge=0)]
    failed: Annotated[int, Meta(ge=0)]
    details: list[SubJob]


class JobError(Struct, forbid_unknown_fields=True):
    code: str
    message: Annotated[str, Meta(description="Always a sentence in the server's locale")]


class Job(Struct, kw_only=True, forbid_unknown_fields=True):
    """A job row as ``jobs.view.job_body`` shapes it (no envelope): status, progress, money, files."""

    tool: Annotated[str, Meta(description="Tool slug")]
    job_id: Annotated[str, Meta(examples=[JOB_ID_EXAMPLE])]
    status: JobStatus
    progress: Annotated[int, Meta(ge=0, le=100)]
    created_at: DateTime
    started_at: NullableTime
    finished_at: NullableTime
    billing: Billing
    queue_position: Annotated[int, Meta(ge=1, description="Queued jobs only: 1 = next to start among jobs "
                                                          "wanting the same compute")] | UnsetType = UNSET
    eta_seconds: Annotated[float, Meta(ge=0, description="Queued jobs only: estimated seconds until it starts, "
                                                         "from recent jobs")] | UnsetType = UNSET
    queue_reason: Annotated[Literal["no_live_worker"], Meta(
        description="Queued jobs only, multi-host mode: why it waits (`no_live_worker`: no live remote worker "
                    "declares its tool)")] | UnsetType = UNSET
    steps: Annotated[list[Step], Meta(description="The tool's steps in order (multi-step tools; older tools "
                                                  "list what they reported)")] | UnsetType = UNSET
    jobs: SubJobs | UnsetType = UNSET
    sub_jobs: Annotated[SubJobs, Meta(description="Alias of `jobs`, kept for older clients")] | UnsetType = UNSET
    output: Output | UnsetType = UNSET
    outputs: Annotated[list[OutputFile], Meta(
        description="Every file the job produced, the primary (`output`) first")] | UnsetType = UNSET
    result: Annotated[dict[str, Any], Meta(
        description="Tool-specific: sizes, transcript, segments...")] | UnsetType = UNSET
    error: Annotated[JobError, Meta(description="Failed or cancelled jobs")] | UnsetType = UNSET


class ToolRun(Job, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/tools/{name}`` when the job succeeded within the sync wait: the job plus the envelope."""

    success: Annotated[bool, _const(True)]
    request_id: RequestId


class ToolAccepted(Struct, kw_only=True, forbid_unknown_fields=True):
    """202: the job goes on; poll ``location``."""

    success: Annotated[bool, _const(True)]
    tool: str
    job_id: str
    status: Literal["queued", "running"]
    request_id: RequestId
    location: Annotated[str, Meta(description="Poll this path for the result")]


class JobFailed(Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/tools/{name}`` when the job failed or timed out within the sync wait: the error envelope
    (``envelope.error_body``, at the error's status) plus the job's id and its billing (charged 0)."""

    success: Annotated[bool, _const(False)]
    error: Annotated[str, Meta(description="A human sentence in the server's locale")]
    error_code: Annotated[str, Meta(description="Stable, English")]
    request_id: RequestId
    billing: Billing
    details: dict[str, Any] | UnsetType = UNSET
    job_id: Annotated[str, Meta(examples=[JOB_ID_EXAMPLE])]


class WebhookAttempt(Struct, kw_only=True, forbid_unknown_fields=True):
    attempt: Annotated[int, Meta(ge=1)]
    at: NullableTime
    status_code: Annotated[int | None, Meta(description="The receiver's HTTP status; null when it never answered")]
    error: Annotated[str | None, Meta(description="Why the attempt failed (timeout, refused address...)")]
    duration_ms: int | None


class WebhookDelivery(Struct, kw_only=True, forbid_unknown_fields=True):
    """One webhook delivery of the job (``jobs.webhooks``): secrets and bodies are never shown."""

    id: str
    event: Literal["job.completed", "job.failed"]
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: Annotated[int, Meta(ge=0)]
    next_attempt_at: Annotated[str | None, Meta(description="Pending deliveries only",
                                                extra_json_schema={"extra": {"format": "date-time"}})]
    last_status_code: int | None
    last_error: str | None
    created_at: NullableTime
    delivered_at: NullableTime
    signed: Annotated[bool, Meta(description="An `X-Webhook-Signature` HMAC is sent (the webhook had a secret)")]
    history: list[WebhookAttempt]


class JobDetail(Job, kw_only=True, forbid_unknown_fields=True):
    """``GET /api/v1/jobs/{job_id}``: the job, its webhook deliveries and the envelope."""

    success: Annotated[bool, _const(True)]
    webhooks: Annotated[list[WebhookDelivery], Meta(description="Webhook deliveries for this job and their "
                                                                "attempts")]
    request_id: RequestId


class JobCancel(Job, kw_only=True, forbid_unknown_fields=True):
    """``DELETE /api/v1/jobs/{job_id}``: the job after the cancel."""

    success: Annotated[bool, _const(True)]
    cancelled: Annotated[bool, Meta(description="false when the job had already ended")]
    request_id: RequestId


class StepDetail(Step, kw_only=True, forbid_unknown_fields=True):
    """One step with its parent job's id and state; money lives on the parent only."""

    success: Annotated[bool, _const(True)]
    job_id: Annotated[str, Meta(description="The parent job, which holds and settles the money",
                                examples=[JOB_ID_EXAMPLE])]
    job_status: JobStatus
    job_progress: Annotated[int, Meta(ge=0, le=100)]
    tool: str
    request_id: RequestId


class JobList(Struct, kw_only=True, forbid_unknown_fields=True):
    success: Annotated[bool, _const(True)]
    jobs: list[Job]
    pagination: Pagination
    request_id: RequestId


def job_struct(body: dict[str, Any], model: type[T]) -> T:
    """``body`` (built by ``jobs.view``) as ``model``. A body the Struct does not describe (a member or value
    added to ``jobs.view`` without its schema) is logged and answered as it is, in a raw JSON ``Response``
    (Litestar sends a returned ``Response`` as it is, whatever the handler's annotation)."""
    try:
        return msgspec.convert(body, model)
    except msgspec.ValidationError as exc:
        log.error("a %s body does not match its published schema (%s): answered as built", model.__name__, exc)
        return Response(msgspec.json.encode(body), media_type="application/json")  # type: ignore[return-value]
