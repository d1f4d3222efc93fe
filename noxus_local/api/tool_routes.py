"""Tool routes: the catalog, and POST /api/v1/tools/{slug-or-alias}.

The POST handler is the contract's pipeline in order (CONTRACT.md §3):
authenticate → scope/tool → parse and check limits → validate → plan (the
tool probes its input once: units, slots, models; ``plan_job``) → idempotency,
limits, hold and job row in one transaction → run (one-shot or queued) →
settle → respond. Anything that fails before the job row exists removes the
job's work folder, so a refused request leaves nothing on disk.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/qr \\
      -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\
      -d '{"text":"https://noxus.lat","output_format":"png"}'
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath

from noxus_local.accounts.keys import Principal, new_id
from noxus_local.api.auth import require_principal, require_scope, require_tool_allowed
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import add_headers, encode, error_body, json_response, raw_response, request_id_of
from noxus_local.api.inputs import ParsedInput, ascii_int, read_input
from noxus_local.billing.charges import estimate
from noxus_local.billing.limits import job_window, tier_limits
from noxus_local.errors import ERRORS_BY_CODE, InsufficientStorage, NoxusError, ShuttingDown, Text, ValidationError
from noxus_local.jobs import idempotency
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import job_body
from noxus_local.net.ssrf import check_url
from noxus_local.node.services import Services
from noxus_local.runtime.steps import plan as pending_steps
from noxus_local.store.space import storage_errors
from noxus_local.tools.base import InputFile, InputSpec, Limits, Plan, Tool, coerce_inputs

RETURN_BASE64 = InputSpec("return_base64", "boolean", default=True)
WEBHOOK_SHAPE = Text("objeto JSON {url, secret}", "a JSON object {url, secret}")


@get("/api/v1/tools")
async def list_tools(request: Request[Any, Any, Any]) -> Response[bytes]:
    svc = services_of(request)
    await require_principal(request)
    tools = [_describe(svc, t) for t in svc.catalog.tools.values()]
    return json_response(request, {"tools": tools})


@get("/api/v1/tools/{name:str}")
async def show_tool(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    svc = services_of(request)
    await require_principal(request)
    return json_response(request, {"tool": _describe(svc, svc.catalog.resolve(name))})


def _describe(svc: Services, tool: Tool) -> dict[str, Any]:
    body = tool.describe(svc.cfg.price(tool.slug))
    tier_names = list(svc.cfg.tiers)
    body["limits"] = {name: {"max_upload_mb": svc.cfg.tiers[name].max_upload_mb,
                             "max_image_pixels": svc.cfg.tiers[name].max_image_pixels}
                      for name in tier_names}
    return body


@post("/api/v1/tools/{name:str}", status_code=200)
async def run_tool(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    svc = services_of(request)
    principal = await require_principal(request)
    require_scope(principal, "tools:run")
    tool = svc.catalog.resolve(name)
    require_tool_allowed(svc, principal, tool)
    options = request_options(request, svc)
    svc.storage.check()  # below [storage] min_free_mb: 507 before the upload is written (issue 17)
    job_id = new_id("job")
    try:
        new_job, parsed = await _prepare(request, svc, principal, tool, job_id, options)
        replay = await to_thread.run_sync(
            jobs.submit, svc.db, new_job, svc.cfg.tiers[principal.tier], svc.cfg.jobs.idempotency_hours)
    except BaseException:
        svc.files.discard_work(job_id)
        raise
    if replay is not None:
        _adopt_request_id(request, replay.body)
        return replayed(svc, job_id, replay)
    return await _run_and_respond(request, svc, new_job, options, parsed)


def replayed(svc: Services, job_id: str, replay: Any) -> Response[bytes]:
    """An Idempotency-Key seen before: the stored answer, marked, and this attempt's work folder gone."""
    svc.files.discard_work(job_id)
    return raw_response(replay.body, replay.status_code, {**replay.headers, "Idempotent-Replayed": "true"})


def replayed_as_stored(svc: Services, job_id: str, replay: Any) -> Response[bytes]:
    """``replayed`` for the OpenAI-shaped routes: their stored answers carry their own Content-Type
    (audio, server-sent events, text), so the stored headers go out as they are, with no JSON type."""
    svc.files.discard_work(job_id)
    headers = {k: v for k, v in replay.headers.items() if k.lower() != "content-type"}
    mime = next((v for k, v in replay.headers.items() if k.lower() == "content-type"), None)
    # given as the media type, not a header: Litestar appends "; charset=utf-8" to a text/* header again
    return Response(replay.body, status_code=replay.status_code, media_type=mime,
                    headers={**headers, "Idempotent-Replayed": "true"})


@dataclasses.dataclass(frozen=True)
class Options:
    respond_async: bool
    max_processing_seconds: int
    idempotency_key: str | None


def request_options(request: Request[Any, Any, Any], svc: Services) -> Options:
    """The run's headers, each read strictly: Max-Processing-Time is ASCII digits up to
    ``[jobs] max_processing_seconds`` (a 20-digit value would overflow SQLite's int64)."""
    prefer = request.headers.get("prefer", "").lower()
    mpt = ascii_int(request.headers.get("max-processing-time"), "Max-Processing-Time",
                    svc.cfg.jobs.default_max_processing_seconds, 0, svc.cfg.jobs.max_processing_seconds)
    key = request.headers.get("idempotency-key")
    return Options(respond_async="respond-async" in prefer, max_processing_seconds=mpt,
                   idempotency_key=idempotency.check_key(key) if key is not None else None)


async def _prepare(request: Request[Any, Any, Any], svc: Services, principal: Principal, tool: Tool,
                   job_id: str, options: Options) -> tuple[jobs.NewJob, ParsedInput]:
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    parsed = await read_input(request, tool, limits, svc.files.work_dir(job_id))
    new_job = await prepare_job(request, svc, principal, tool, job_id, options, parsed)
    return new_job, parsed


async def prepare_job(request: Request[Any, Any, Any], svc: Services, principal: Principal, tool: Tool,
                      job_id: str, options: Options, parsed: ParsedInput, route: str | None = None) -> jobs.NewJob:
    """Validate, check compute, price and fingerprint already-read input: the job row to submit.

    Every route that runs a tool goes through here, so limits, holds and idempotency stay in
    one place: the OpenAI-compatible routes (api/openai_routes.py, api/openai_speech_routes.py) and the analysis routes
    (api/analysis_routes.py) read their own body shapes and hand them over in the tool's
    field names; ``route`` (default: the tool's own path) keys their idempotency.
    """
    svc.storage.check()  # every route that runs a tool: 507 before any hold while the disk is low
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    params = await to_thread.run_sync(tool.validate, parsed.fields, parsed.files, limits)
    # a custom voice (issue 11) is the account's: its mix is looked up now and frozen in the job
    params = await to_thread.run_sync(svc.voices.resolve, principal.account_id, params)
    # the run decided once (probe, units, slots, models): stored with the job, handed to run(ctx, plan)
    params, plan = await to_thread.run_sync(plan_job, tool, params, parsed.files, limits)
    await to_thread.run_sync(tool.check_installed, params, svc.cfg)  # a missing model: 400/503 before the hold
    _wants_base64(parsed.fields)  # refused before the job exists, not after it ran
    # more compute than this machine has could never start: 503 before any money moves
    await to_thread.run_sync(svc.pool.check, plan.resources)
    price = svc.cfg.price(tool.slug)
    hold, units = await to_thread.run_sync(estimate, tool, price, params, plan)
    webhook = await to_thread.run_sync(webhook_from_fields, parsed.fields, svc.cfg.webhooks.allow_hosts)
    fingerprint = idempotency.fingerprint("POST", route or f"/api/v1/tools/{tool.slug}", parsed.fields,
                                          parsed.file_hashes)
    files = [{"field": k, "path": str(f.path), "filename": f.filename,
              "content_type": f.content_type, "size_bytes": f.size_bytes,
              **({"asset_id": parsed.asset_ids[k]} if k in parsed.asset_ids else {})}
             for k, f in parsed.files.items()]
    new_job = jobs.NewJob(
        id=job_id, principal=principal, tool=tool.slug, params=params, files=files,
        limits=dataclasses.asdict(limits),
        estimate_micros=hold, price=price, estimated_units=units,
        request_id=request_id_of(request), idempotency_key=options.idempotency_key,
        fingerprint=fingerprint, max_processing_seconds=options.max_processing_seconds, webhook=webhook,
        steps=pending_steps(tool.steps), plan=plan.dumps())  # a queued job already shows its steps, pending
    return new_job


def plan_job(tool: Tool, params: dict[str, Any], files: Mapping[str, InputFile],
             limits: Limits) -> tuple[dict[str, Any], Plan]:
    """The tool's plan of this run, and the params as the job keeps them (a plan may normalise them).

    Example: ``plan_job(WaitTool(), {"seconds": 2.0, ...}, {}, Limits())`` →
    ``({"seconds": 2.0, ...}, Plan(units=2.0, resources={}, work_units=2.0))``.
    """
    typed = tool.typed(params)
    plan = tool.plan(typed, files, limits)
    return tool.stored(typed), plan


async def _run_and_respond(request: Request[Any, Any, Any], svc: Services, job: jobs.NewJob,
                           options: Options, parsed: ParsedInput) -> Response[bytes]:
    finished = False
    if options.respond_async:
        svc.dispatcher.enqueue(job.id)
    else:
        try:
            finished = await svc.dispatcher.run_inline(job.id, svc.cfg.jobs.sync_wait_seconds)
        except InsufficientStorage as exc:  # not even the failure could be written yet: name the job anyway
            exc.details, exc.extra = {"job_id": job.id, **(exc.details or {})}, {"job_id": job.id}
            if job.idempotency_key:  # a retry replays this 507, once the store has room to keep it
                raw = encode(error_body(request_id_of(request), exc, svc.locale))
                with contextlib.suppress(InsufficientStorage):
                    await to_thread.run_sync(_remember_if_room, svc, job, raw)
            raise
        except ShuttingDown:
            if job.idempotency_key:  # a retry after the restart gets 202 + Location, not 409 for a day
                row = await to_thread.run_sync(jobs.get, svc.db, job.id)
                accepted = encode(_accepted_body(request, row))
                location = {"Location": f"/api/v1/jobs/{job.id}"}
                await to_thread.run_sync(remember, svc, job, 202, accepted, location)
            raise
    row = await to_thread.run_sync(jobs.get, svc.db, job.id)
    if not finished:
        status, body, headers = 202, _accepted_body(request, row), {"Location": f"/api/v1/jobs/{job.id}"}
    else:
        include = _wants_base64(parsed.fields)
        status, body, headers = await to_thread.run_sync(_final_body, svc, request, row, include)
        if status == 200:  # the window now holds this job: X-RateLimit-Remaining counts it
            await to_thread.run_sync(_refresh_window, svc, request, job.principal)
    raw = encode(body)
    if job.idempotency_key:
        await to_thread.run_sync(remember, svc, job, status, raw, headers)
    return raw_response(raw, status, headers)


def webhook_from_fields(fields: dict[str, Any], allow_hosts: list[str]) -> dict[str, str] | None:
    """``webhook: {url, secret?}`` (JSON), or ``webhook_url`` / ``webhook_secret`` (form).

    The URL is SSRF-checked now (after DNS resolution) so a bad target is a
    400 at submission, and again at each delivery.
    """
    hook = fields.get("webhook")
    if isinstance(hook, str) and not hook.strip():  # an empty form field: no webhook
        hook = None
    if isinstance(hook, str):  # a form field holding the JSON object; anything else is a mistake to say
        try:
            hook = json.loads(hook)
        except (ValueError, RecursionError):
            raise ValidationError.fields({"webhook": [WEBHOOK_SHAPE]}) \
                from None
    if hook is None and fields.get("webhook_url"):
        hook = {"url": fields["webhook_url"], "secret": fields.get("webhook_secret")}
    if hook is None:
        return None
    if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
        raise ValidationError.fields({"webhook.url": [Text("obligatorio, texto", "required, a string")]})
    secret = hook.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) > 512):
        raise ValidationError.fields({"webhook.secret": [Text("texto de hasta 512 caracteres",
                                                              "a string up to 512 characters")]})
    check_url(hook["url"], allow_hosts)
    return {"url": hook["url"], **({"secret": secret} if secret else {})}


def _refresh_window(svc: Services, request: Request[Any, Any, Any], principal: Principal) -> None:
    tier = svc.cfg.tiers[principal.tier]
    if tier.jobs_per_hour > 0:
        add_headers(request, job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour).headers())


def _accepted_body(request: Request[Any, Any, Any], row: Any) -> dict[str, Any]:
    return {"success": True, "tool": row["tool"], "job_id": row["id"], "status": row["status"],
            "request_id": request_id_of(request), "location": f"/api/v1/jobs/{row['id']}"}


def _final_body(svc: Services, request: Request[Any, Any, Any], row: Any,
                include_base64: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
    rid = request_id_of(request)
    if row["status"] == "succeeded":
        body = job_body(svc, row, include_base64)
        return 200, {"success": True, **body, "request_id": rid}, {}
    exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
    stored = job_body(svc, row)
    details = {"job_id": row["id"], **(_json(row["result"]).get("details") or {})}
    exc = exc_cls(row["error_message"], details=details)
    body = error_body(rid, exc, svc.locale)
    body["job_id"], body["billing"] = row["id"], stored["billing"]
    return exc.status, body, {}


def _adopt_request_id(request: Request[Any, Any, Any], body: bytes) -> None:
    """A replay is the original response: its X-Request-Id is the original one too."""
    original = _json(body.decode()).get("request_id")
    if original:
        request.scope["state"]["request_id"] = original  # type: ignore[index]


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _wants_base64(fields: dict[str, Any]) -> bool:
    """``return_base64`` as a boolean, as strictly as a tool's own boolean inputs."""
    params, errors = coerce_inputs((RETURN_BASE64,), fields, {})
    if errors:
        raise ValidationError.fields(errors)
    return bool(params["return_base64"])


def _remember_if_room(svc: Services, job: jobs.NewJob, raw: bytes) -> None:
    with storage_errors():
        remember(svc, job, 507, raw, {})


def remember(svc: Services, job: jobs.NewJob, status: int, raw: bytes, headers: dict[str, str]) -> None:
    """Store the response an Idempotency-Key replays."""
    p = job.principal
    idempotency.store_response(svc.db, p.account_id, p.environment, job.idempotency_key or "",
                               job.id, status, raw, headers)
