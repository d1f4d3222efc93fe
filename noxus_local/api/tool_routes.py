"""Tool routes: the catalog, and POST /api/v1/tools/{slug-or-alias}.

The POST handler is the contract's pipeline in order (CONTRACT.md §3): the
one submit path (api/submit.py: authenticate → scope/tool → read → validate →
plan → price → idempotency, limits, hold and job row in one transaction) →
run (one-shot or queued) → settle → respond.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/qr \\
      -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\
      -d '{"text":"https://noxus.lat","output_format":"png"}'
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from noxus_local.accounts.keys import Principal
from noxus_local.api.deps import ServicesDep, authenticated
from noxus_local.api.docs import AUTH_ERRORS, operation
from noxus_local.api.envelope import EncodedResponse, add_headers, encode, error_body, request_id_of
from noxus_local.api.inputs import ParsedInput
from noxus_local.api.job_examples import ACCEPTED
from noxus_local.api.job_schemas import JobFailed, ToolAccepted, ToolRun, job_struct
from noxus_local.api.schemas import ok
from noxus_local.api.submit import Options, remember, remember_if_room, replayed, submit, wants_base64
from noxus_local.api.tool_schemas import ToolDetail, ToolList
from noxus_local.billing.limits import job_window
from noxus_local.config import Config
from noxus_local.errors import ERRORS_BY_CODE, InsufficientStorage, NoxusError, ShuttingDown
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import job_body
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.tools.base import InputSpec, Tool

TAG = "Tools"
RUN_TOOL_ID = "runTool"
RETURN_BASE64 = InputSpec("return_base64", "boolean", default=True)
WEBHOOK_SHAPE = t("common.json_object_url_secret")


RUN_ERRORS = ("validation_error", "invalid_media", "missing_api_key", "invalid_api_key", "revoked_api_key",
              "insufficient_api_balance", "key_budget_exceeded", "scope_denied", "tool_not_allowed",
              "account_suspended", "asset_forbidden", "tool_not_found", "asset_not_found", "idempotency_conflict",
              "limit_exceeded", "unsupported_media_type", "rate_limit_exceeded", "concurrency_limit_exceeded",
              "internal_error", "tool_unavailable", "processing_timeout", "shutting_down", "request_timeout",
              "server_busy", "insufficient_storage", "job_cancelled")
# what a job itself can end with (the runner keeps any NoxusError its run raises): answered as ``JobFailed``
# (the error plus ``job_id`` and the job's billing) at the code's status; api.openapi documents it there
JOB_FAILURES = ("validation_error", "limit_exceeded", "invalid_media", "job_cancelled", "internal_error",
                "tool_unavailable", "processing_timeout", "insufficient_storage")
RUN_DESCRIPTION = (
    "Authenticate → check scope and tool → check limits → estimate → check the balance (402) → "
    "hold → process → charge the actual amount on success (never more than the hold), release "
    "on failure.\n\nSend `multipart/form-data` (files as parts, other fields as text) or "
    "`application/json` (files as `content_base64` for the tool's first file input, or "
    "`<field>_base64`, plus `filename`; a `data:` URI prefix is tolerated). Any file input may instead "
    "be `<field>_asset_id` (an asset of this account) or `<field>_url` (downloaded by the server behind "
    "the SSRF guard, within the upload limit, the `[assets]` deadline and minimum rate; past "
    "`[assets] fetch_slots` downloads at once, 503 `server_busy`). The request returns "
    "when the job ends; with `Prefer: respond-async`, or when the job outlasts the server's "
    "sync wait, it returns 202 and the job's `Location`. Add `webhook: {url, secret}` (JSON) or "
    "`webhook_url` / `webhook_secret` (form) to be called when the job ends. "
    "`return_base64=false` leaves `content_base64` out of the output.\n\nA one-shot call "
    "still running when the server stops answers 503 `shutting_down` with `Retry-After` and "
    "`details.job_id`: the job is kept queued and runs after the restart; poll it. A request "
    "body that stalls for `[server] body_timeout_seconds` answers 408 `request_timeout`; past "
    "`[server] max_concurrent_uploads` bodies in flight, 503 `server_busy` with `Retry-After`. "
    "While the server's disk is below `[storage] min_free_mb`, or when it fills up during the job, "
    "507 `insufficient_storage`: the job ends `failed`, charged 0, and is never run again.")
T = TypeVar("T")
# the run's answers: the job, accepted, or its failure (bytes only for job_struct's logged fallback)
RunAnswer = ToolRun | ToolAccepted | JobFailed | bytes
TOOL_NAME = Annotated[str, PathParameter(description="Tool slug or alias", examples=[Example(value="qr")])]


@get("/api/v1/tools", guards=[authenticated], **operation(
    "listTools", TAG, "List the tool catalog",
    "Every active tool: slug, Spanish aliases, inputs (type, required, default, allowed values), "
    "pricing (`fixed` with `price_usd`, or `dynamic` with `unit`, `unit_usd` and `starting_usd`), "
    "per-tier limits, and whether it is available on this server (with the reason when not). The examples "
    "are this server's own catalog.", ok=(ToolList, {}), errors=AUTH_ERRORS))
async def list_tools(request: Request[Any, Any, Any], svc: ServicesDep) -> ToolList:
    """Every entry as its ``ToolDescription`` (a member a tool adds undeclared is logged, see ``job_struct``)."""
    tools = [describe(svc, t) for t in svc.catalog.tools.values()]
    return job_struct({**ok(request), "tools": tools}, ToolList)


@get("/api/v1/tools/{name:str}", guards=[authenticated], **operation(
    "getTool", TAG, "Describe one tool", "The catalog entry of one tool, by slug or alias.",
    ok=(ToolDetail, {}), errors=(*AUTH_ERRORS[:-1], "tool_not_found", "internal_error")))
async def show_tool(request: Request[Any, Any, Any], svc: ServicesDep, name: TOOL_NAME) -> ToolDetail:
    return job_struct({**ok(request), "tool": describe(svc, svc.catalog.resolve(name))}, ToolDetail)


def describe(svc: Services, tool: Tool) -> dict[str, Any]:
    """The catalog entry as both catalog routes answer it (and the document shows it)."""
    return catalog_entry(svc.cfg, tool)


def catalog_entry(cfg: Config, tool: Tool) -> dict[str, Any]:
    """The tool's own description plus this server's price and per-tier limits (a ``ToolDescription``).

    Example: ``catalog_entry(cfg, QrTool())["pricing"]`` → ``{"type": "fixed", "price_usd": "0.002"}``.
    """
    body = tool.describe(cfg.price(tool.slug))
    body["limits"] = {name: {"max_upload_mb": tier.max_upload_mb, "max_image_pixels": tier.max_image_pixels}
                      for name, tier in cfg.tiers.items()}
    return body


@post("/api/v1/tools/{name:str}", status_code=200, **operation(
    RUN_TOOL_ID, TAG, "Run a tool", RUN_DESCRIPTION, ok=(ToolRun, {}),
    more={202: (ToolAccepted, {"accepted": ACCEPTED})}, errors=RUN_ERRORS,
    headers=("IdempotencyKey", "Prefer", "MaxProcessingTime")))
async def run_tool(request: Request[Any, Any, Any], name: TOOL_NAME) -> Response[RunAnswer]:
    """The job (200), accepted (202) or its failure (the error's status), each its Struct, encoded once so an
    Idempotency-Key replay answers the stored bytes unchanged. The request bodies (JSON or multipart, per
    tool) and examples are added by ``api.openapi`` from the catalog."""
    done = await submit(request, name)
    if done.replay is not None:
        _adopt_request_id(request, done.replay.body)
        return replayed(done.svc, done.job.id, done.replay)  # the stored answer, as it was sent
    return await _run_and_respond(request, done.svc, done.job, done.options, done.parsed)


async def _run_and_respond(request: Request[Any, Any, Any], svc: Services, job: jobs.NewJob,
                           options: Options, parsed: ParsedInput) -> EncodedResponse[RunAnswer]:
    finished = False
    if options.respond_async:
        svc.dispatcher.enqueue(job.id)
    else:
        try:
            finished = await svc.dispatcher.run_inline(job.id, svc.cfg.jobs.sync_wait_seconds)
        except InsufficientStorage as exc:  # not even the failure could be written yet: name the job anyway
            exc.details, exc.extra = {"job_id": job.id, **(exc.details or {})}, {"job_id": job.id}
            if job.idempotency_key:  # a retry replays this 507 (the error handler's bytes), once there is room
                raw = encode(error_body(request_id_of(request), exc, svc.locale))
                with contextlib.suppress(InsufficientStorage):
                    await to_thread.run_sync(remember_if_room, svc, job, raw)
            raise
        except ShuttingDown:
            if job.idempotency_key:  # a retry after the restart gets 202 + Location, not 409 for a day
                row = await to_thread.run_sync(jobs.get, svc.db, job.id)
                later = EncodedResponse(_accepted(request, row), 202, _location(job.id))
                await to_thread.run_sync(remember, svc, job, 202, later.raw, _location(job.id))
            raise
    row = await to_thread.run_sync(jobs.get, svc.db, job.id)
    if not finished:
        answer: EncodedResponse[RunAnswer] = EncodedResponse(_accepted(request, row), 202, _location(job.id))
    else:
        include = wants_base64(parsed.fields)
        status, body = await to_thread.run_sync(_final_body, svc, request, row, include)
        answer = EncodedResponse(body, status)
        if status == 200:  # the window now holds this job: X-RateLimit-Remaining counts it
            await to_thread.run_sync(_refresh_window, svc, request, job.principal)
    if job.idempotency_key:
        await to_thread.run_sync(remember, svc, job, answer.status_code, answer.raw, dict(answer.headers))
    return answer


def _refresh_window(svc: Services, request: Request[Any, Any, Any], principal: Principal) -> None:
    tier = svc.cfg.tiers[principal.tier]
    if tier.jobs_per_hour > 0:
        add_headers(request, job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour).headers())


def _location(job_id: str) -> dict[str, str]:
    return {"Location": f"/api/v1/jobs/{job_id}"}


def _accepted(request: Request[Any, Any, Any], row: Any) -> ToolAccepted:
    return ToolAccepted(success=True, tool=row["tool"], job_id=row["id"], status=row["status"],
                        request_id=request_id_of(request), location=f"/api/v1/jobs/{row['id']}")


def _final_body(svc: Services, request: Request[Any, Any, Any], row: Any,
                include_base64: bool) -> tuple[int, ToolRun | JobFailed | bytes]:
    """The finished job's answer: ``ToolRun`` (200), or ``JobFailed`` at the error's status. A body its Struct
    does not describe is logged and answered as built (``job_struct``), as its bytes."""
    rid = request_id_of(request)
    if row["status"] == "succeeded":
        return 200, _typed({"success": True, **job_body(svc, row, include_base64), "request_id": rid}, ToolRun)
    exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
    stored = job_body(svc, row)
    details = {"job_id": row["id"], **(_json(row["result"]).get("details") or {})}
    exc = exc_cls(row["error_message"], details=details)
    body = error_body(rid, exc, svc.locale)
    body["job_id"], body["billing"] = row["id"], stored["billing"]
    return exc.status, _typed(body, JobFailed)


def _typed(body: dict[str, Any], model: type[T]) -> T | bytes:
    typed = job_struct(body, model)
    return typed.content if isinstance(typed, Response) else typed  # job_struct's logged fallback: as built


def _adopt_request_id(request: Request[Any, Any, Any], body: bytes) -> None:
    """A replay is the original response: its X-Request-Id is the original one too."""
    original = _json(body.decode()).get("request_id")
    if original:
        request.scope["state"]["request_id"] = original  # type: ignore[index]


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


