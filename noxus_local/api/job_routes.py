"""Job routes: list, show, cancel, and a job's steps. A key sees only its own account's jobs.

A step's id (``job_x.2``, as listed in ``jobs.details[].id``) resolves both at
``/api/v1/jobs/job_x/steps/2`` and at ``/api/v1/jobs/job_x.2``; a seed 003
version id (``ver_…``) at ``/api/v1/jobs/ver_…`` answers seed 003's version body.
Handlers return the Structs of ``api.job_schemas``, which Litestar documents.

Example::

    curl http://127.0.0.1:8080/api/v1/jobs?tool=qr&limit=5 -H "Authorization: Bearer $KEY"
    curl http://127.0.0.1:8080/api/v1/jobs/job_x/steps/2 -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, delete, get
from litestar.openapi.spec import Example, OpenAPIFormat, OpenAPIType, Schema
from litestar.params import PathParameter

from noxus_local.accounts.keys import Principal
from noxus_local.api.ad_schemas import AdVersion
from noxus_local.api.auth import require_principal
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, envelope, operation, text_param
from noxus_local.api.inputs import ascii_int
from noxus_local.api.job_examples import JOB, JOB_ROW, PIPE_JOB, PIPELINE_RUNNING, STEP_FAILED, STEP_RUNNING
from noxus_local.api.job_schemas import JobCancel, JobDetail, JobList, StepDetail, job_struct
from noxus_local.api.schemas import ok
from noxus_local.errors import JobNotFound, ValidationError, one_of
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import iso, job_body, parse_step_id, step_body
from noxus_local.locale import t
from noxus_local.node.services import Services

TAG = "Jobs"
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000
_UNIX = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,6})?")
ERRORS = (*AUTH_ERRORS[:-1], "job_not_found", "internal_error")
JOB_ID = Annotated[str, PathParameter(description="A job id from a tool run", examples=[Example(value=JOB)])]
VERSION = {"versionId": "ver_4e2a9c7b1d3f5a6e8c0b2d4f", "status": "generating", "progress": 40, "videoUrl": None,
           "totalCredits": 170, "jobs": {"total": 2, "completed": 1, "failed": 0, "details": [
               {"id": f"{PIPE_JOB}.1", "job_type": "scene_plan", "status": "completed"},
               {"id": f"{PIPE_JOB}.2", "job_type": "image_edit", "status": "processing"}]}}


@get("/api/v1/jobs", **operation(
    "listJobs", TAG, "List jobs", "The key's account's jobs in this environment, newest first.",
    ok=(JobList, {"ok": envelope({"jobs": [JOB_ROW], "pagination": {"limit": 20, "offset": 0, "total": 1,
                                                                    "has_more": False}})}),
    errors=("validation_error", *AUTH_ERRORS[:-1], "tool_not_found", "internal_error")))
async def list_jobs(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                    tool: Annotated[str | None, text_param("Tool slug or alias", examples=["qr"])] = None,
                    status: Annotated[str | None, text_param("", enum=list(STATUSES))] = None,
                    since: Annotated[str | None, text_param(
                        "Jobs created at or after: ISO 8601 (RFC 3339) or unix seconds", type=None,
                        any_of=[Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                                Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]{1,11}(\.[0-9]{1,6})?$")],
                        examples=["2026-05-25T00:00:00Z"])] = None,
                    limit: Annotated[str | None, text_param("", type="integer", default=20, minimum=1,
                                                            maximum=MAX_LIMIT)] = None,
                    offset: Annotated[str | None, text_param("", type="integer", default=0, minimum=0,
                                                             maximum=MAX_OFFSET)] = None) -> JobList:
    # the parameters arrive as text and are read strictly here (ASCII digits, bounds, exact words)
    first = ascii_int(limit, "limit", 20, 1, MAX_LIMIT)
    skip = ascii_int(offset, "offset", 0, 0, MAX_OFFSET)
    if status is not None and status not in STATUSES:
        raise ValidationError.fields({"status": [one_of(STATUSES)]})
    slug = svc.catalog.resolve(tool).slug if tool else None
    moment = _since(since)

    def page() -> dict[str, Any]:
        rows, total = jobs.list_jobs(svc.db, principal.account_id, principal.environment, tool=slug,
                                     status=status, since=moment, limit=first, offset=skip)
        return {**ok(request), "jobs": [job_body(svc, r) for r in rows],
                "pagination": {"limit": first, "offset": skip, "total": total,
                               "has_more": skip + len(rows) < total}}

    return job_struct(await to_thread.run_sync(page), JobList)


@get("/api/v1/jobs/{job_id:str}", **operation(
    "getJob", TAG, "Get a job",
    "Status (`queued`, `running`, `succeeded`, `failed`, `cancelled`), progress 0-100 (the weighted sum "
    "of the tool's steps), `steps`, seed 003's `jobs` (alias `sub_jobs`), billing, `output` (the primary "
    "file) and `outputs` (every file, each with a fresh signed URL), result or error, and webhook "
    "deliveries. A step id from `jobs.details[].id` (`job_….2`) answers with that step's body, as "
    "`GET /api/v1/jobs/{job_id}/steps/{n}` does. A version id of `POST /api/v1/generate` (`ver_…`) answers "
    "seed 003's version body (`AdVersion`), and its errors in seed 003's shape (`SeedError`).",
    ok=(JobDetail | StepDetail | AdVersion,
        {"ok": envelope({**JOB_ROW, "webhooks": []}), "multi-step, running": PIPELINE_RUNNING,
         "a step id": STEP_RUNNING, "a version id (seed 003)": VERSION}),
    errors=ERRORS))
async def show_job(request: Request[Any, Any, Any], svc: ServicesDep,
                   job_id: JOB_ID) -> Response[JobDetail | StepDetail | AdVersion | bytes]:
    """Three shapes by id: a job (``JobDetail``), a step (``StepDetail``), a seed 003 version (``AdVersion``, its
    errors in the seed's shape, as bytes). bytes also for ``job_struct``'s logged fallback."""
    from noxus_local.api import ad_routes

    if ad_routes.is_version_id(job_id):  # a version of POST /api/v1/generate: seed 003's shape (CONTRACT §10)
        return await ad_routes.show_version(request, job_id)
    principal = await require_principal(request)  # not a dependency: a version id answers auth errors its way
    step = parse_step_id(job_id)
    if step is not None:  # a step id from jobs.details[].id
        body: Any = await _step(request, svc, principal, *step)
    else:
        body = await to_thread.run_sync(_job_detail, request, svc, principal, job_id)
    if isinstance(body, Response):  # job_struct's logged fallback: the body as built
        return body
    return Response(body, media_type="application/json")


def _job_detail(request: Request[Any, Any, Any], svc: Services, principal: Principal, job_id: str) -> JobDetail:
    row = jobs.get(svc.db, job_id, principal.account_id, principal.environment)
    return job_struct({**ok(request), **job_body(svc, row), "webhooks": webhook_view(svc, job_id)}, JobDetail)


@get("/api/v1/jobs/{job_id:str}/steps/{n:str}", **operation(
    "getJobStep", TAG, "Get one step of a job",
    "One step of a multi-step job: its id, name, weight, status (`pending`, `running`, `succeeded`, "
    "`failed`, `cancelled`, `skipped`), progress within the step, start and end times and the error "
    "when it failed, with the parent's `job_id`, `job_status` and `job_progress`. Money is held and "
    "settled on the parent job only. Another account's job, or a step the job does not have → 404.",
    ok=(StepDetail, {"running": STEP_RUNNING, "failed": STEP_FAILED}), errors=ERRORS))
async def show_step(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep, job_id: JOB_ID,
                    n: Annotated[str, PathParameter(description="The step's 1-based position",
                                                    examples=[Example(value="2")],
                                                    schema_extra={"pattern": r"^\d+$"})]) -> StepDetail:
    if not (n.isascii() and n.isdigit()) or len(n) > 6:
        raise JobNotFound(details={"reason": "step_not_found"})
    return await _step(request, svc, principal, job_id, int(n))


async def _step(request: Request[Any, Any, Any], svc: Services, principal: Principal, job_id: str,
                n: int) -> StepDetail:
    """The step's body; 404 job_not_found for another account's job or a step it does not have."""
    row = await to_thread.run_sync(jobs.get, svc.db, job_id, principal.account_id, principal.environment)
    body = step_body(row, n)
    if body is None:
        raise JobNotFound(details={"reason": "step_not_found"})
    return job_struct({**ok(request), **body}, StepDetail)


def webhook_view(svc: Services, job_id: str) -> list[dict[str, Any]]:
    deliveries = svc.hooks.attempts_for(job_id)
    for d in deliveries:
        for name in ("next_attempt_at", "created_at", "delivered_at"):
            d[name] = iso(d[name]) if d["status"] == "pending" or name != "next_attempt_at" else None
        for h in d["history"]:
            h["at"] = iso(h["at"])
    return deliveries


@delete("/api/v1/jobs/{job_id:str}", status_code=200, **operation(
    "cancelJob", TAG, "Cancel a job",
    "Cancels a queued or running job: its hold is released and it is charged 0. A job that already "
    "ended is returned as it is with `cancelled: false`.",
    ok=(JobCancel, {"already ended": envelope({"cancelled": False, **JOB_ROW})}), errors=ERRORS))
async def cancel_job(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                     job_id: JOB_ID) -> JobCancel:
    await to_thread.run_sync(jobs.get, svc.db, job_id, principal.account_id, principal.environment)
    cancelled = await to_thread.run_sync(svc.runner.cancel, job_id, "cancelled")

    def after() -> JobCancel:
        return job_struct({**ok(request), "cancelled": cancelled, **job_body(svc, jobs.get(svc.db, job_id))},
                          JobCancel)

    return await to_thread.run_sync(after)


def _since(raw: str | None) -> float | None:
    """``since`` as unix seconds (``1767225600``, ``1767225600.5``) or ISO 8601 with an
    optional zone; ASCII only and bounded, so ``"²"`` or 5,000 digits are a 400."""
    if raw is None:
        return None
    if _UNIX.fullmatch(raw):
        return float(raw)
    try:
        if not raw.isascii() or len(raw) > 40:
            raise ValueError(raw)
        moment = dt.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))  # RFC 3339 allows t, z
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    except (ValueError, OverflowError, OSError):  # year 1 in a far zone overflows timestamp()
        raise ValidationError.fields({"since": [t("common.iso_8601_or_unix_seconds")]}) from None

