"""The one submit path: every route that runs work goes through ``submit`` (issue 18 item 3).

Authenticate → scope → the tool allowed for the key → storage → the body read
into the job's work folder → validate, plan (the tool probes its input once:
units, slots, models) and price (``prepare_job``) → limits, hold, idempotency
and the job row in one transaction (``jobs.submit``). A refusal anywhere
removes the work folder, so it leaves nothing on disk and moves no money. A
route keeps only its own shapes: how it reads its body (``read``), how it
answers, and whether it runs the job inline, queues it or streams it; an
Idempotency-Key seen before is answered with ``replayed`` or
``replayed_as_stored``, and an answer to keep with ``remember``.

Example::

    done = await submit(request, "auto-subtitles", read_form, route="/v1/audio/transcriptions")
    if done.replay is not None:
        return replayed_as_stored(done.svc, done.job.id, done.replay)
    finished = await done.svc.dispatcher.run_inline(done.job.id, wait)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response

from noxus_local.accounts.brand_profiles import BrandProfileStore
from noxus_local.accounts.keys import Principal, new_id
from noxus_local.api.auth import require_principal, require_scope, require_tool_allowed
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import raw_response, request_id_of
from noxus_local.api.inputs import ParsedInput, ascii_int, json_object, read_input
from noxus_local.billing.charges import estimate
from noxus_local.billing.limits import tier_limits
from noxus_local.errors import ValidationError
from noxus_local.jobs import idempotency
from noxus_local.jobs import store as jobs
from noxus_local.locale import t
from noxus_local.money import Price
from noxus_local.net.ssrf import check_url
from noxus_local.node.services import Services
from noxus_local.runtime.steps import plan as pending_steps
from noxus_local.store.space import storage_errors
from noxus_local.tools.base import InputFile, InputSpec, Limits, Plan, Tool, coerce_inputs

RETURN_BASE64 = InputSpec("return_base64", "boolean", default=True)
WEBHOOK_SHAPE = t("common.json_object_url_secret")

# reads a route's body into the job's work folder: (the caller's tier limits, the folder) → fields and files
Reader = Callable[[Limits, Path], Awaitable[ParsedInput]]


@dataclasses.dataclass(frozen=True)
class Submission:
    """A job row written (its money held), or the stored answer of an Idempotency-Key seen before."""

    svc: Services
    principal: Principal
    tool: Tool
    job: jobs.NewJob
    parsed: ParsedInput
    options: Options
    replay: Any | None  # jobs.submit's stored response when this key was answered before


def json_fields(request: Request[Any, Any, Any], shape: Callable[[dict[str, Any]], dict[str, Any]]) -> Reader:
    """A reader for a JSON body that a route maps into the tool's field names (``shape``); like every
    reader it runs after authentication, so a bad body from an unknown caller is still a 401.

    Example: ``json_fields(request, lambda body: {"text": body["input"]})``.
    """
    async def read(_limits: Limits, _workdir: Path) -> ParsedInput:
        return ParsedInput(fields=shape(json_object(await request.body())))
    return read


async def submit(request: Request[Any, Any, Any], tool_name: str, read: Reader | None = None, *,
                 route: str | None = None,
                 options: Callable[[Request[Any, Any, Any], Services], Options] | None = None,
                 internal: Callable[[jobs.NewJob], Mapping[str, Any]] | None = None,
                 price: Callable[[jobs.NewJob], Price] | None = None,
                 webhook: Callable[[jobs.NewJob], dict[str, str] | None] | None = None) -> Submission:
    """Authenticate, read, validate, plan, price, hold and write the job row (see the module docstring).

    ``read``: the route's body reader (default: a tool call's multipart or JSON body, with
    ``<field>_asset_id`` / ``<field>_url`` resolved). ``route``: the path an Idempotency-Key is
    scoped to (default: the tool's own). ``options``: how this route reads the run's headers
    (default: ``request_options``), called after authentication like the reader. ``internal``:
    server-set params added after validation from the job about to be written (e.g.
    ``{"stream_pcm": True}`` when the route tails the audio); a client can never send them.
    ``price``: a contract that quotes its own fixed price for the validated job (seed 003's credit
    table): held and charged instead of the tool's per-unit price. ``webhook``: the contract's own
    delivery target for the job (seed 002's account webhook), instead of one the body names.
    """
    svc = services_of(request)
    principal = await require_principal(request)
    require_scope(principal, "tools:run")
    tool = svc.catalog.resolve(tool_name)
    require_tool_allowed(svc, principal, tool)
    run_options = (options or request_options)(request, svc)
    svc.storage.check()  # below [storage] min_free_mb: 507 before anything is written (issue 17)
    job_id = new_id("job")
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    try:
        parsed = await (read or _tool_body(request, tool))(limits, svc.files.work_dir(job_id))
        job = await prepare_job(request, svc, principal, tool, job_id, run_options, parsed, route)
        extra = internal(job) if internal is not None else {}
        if extra:
            job = dataclasses.replace(job, params={**job.params, **extra})
        if price is not None:
            quoted = price(job)
            job = dataclasses.replace(job, price=quoted, estimated_units=None, estimate_micros=quoted.unit_micros)
        if webhook is not None:
            job = dataclasses.replace(job, webhook=await to_thread.run_sync(webhook, job))
        replay = await to_thread.run_sync(jobs.submit, svc.db, job, svc.cfg.tiers[principal.tier],
                                          svc.cfg.jobs.idempotency_hours)
    except BaseException:
        svc.files.discard_work(job_id)
        raise
    return Submission(svc, principal, tool, job, parsed, run_options, replay)


def _tool_body(request: Request[Any, Any, Any], tool: Tool) -> Reader:
    async def read(limits: Limits, workdir: Path) -> ParsedInput:
        return await read_input(request, tool, limits, workdir)
    return read


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
    # a saved brand profile (instant-ad's brand_profile_id) is frozen in the job the same way
    params = await to_thread.run_sync(BrandProfileStore(svc.db).resolve, principal.account_id, params)
    # the run decided once (probe, units, slots, models): stored with the job, handed to run(ctx, plan)
    params, plan = await to_thread.run_sync(plan_job, tool, params, parsed.files, limits)
    await tool.prefetch(params, svc.cfg, svc.fetch_slots)  # a page a run reads: under a fetch slot, before the hold
    # the models the plan named (the one place that decides them): a missing one is a 503 before the hold
    await to_thread.run_sync(tool.check_installed, params, plan, svc.cfg)
    wants_base64(parsed.fields)  # refused before the job exists, not after it ran
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
    if hook is None:  # a form's webhook_secret alone calls nothing, but it is still read as declared
        _check_secret(fields.get("webhook_secret") or None)
        return None
    if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
        raise ValidationError.fields({"webhook.url": [t("submit.required_string")]})
    secret = hook.get("secret")
    _check_secret(secret)
    check_url(hook["url"], allow_hosts)
    return {"url": hook["url"], **({"secret": secret} if secret else {})}


def _check_secret(secret: Any) -> None:
    if secret is not None and (not isinstance(secret, str) or len(secret) > 512):
        raise ValidationError.fields({"webhook.secret": [t("submit.string_up_512_characters")]})


def wants_base64(fields: dict[str, Any]) -> bool:
    """``return_base64`` as a boolean, as strictly as a tool's own boolean inputs."""
    params, errors = coerce_inputs((RETURN_BASE64,), fields, {})
    if errors:
        raise ValidationError.fields(errors)
    return bool(params["return_base64"])


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


def remember_if_room(svc: Services, job: jobs.NewJob, raw: bytes) -> None:
    with storage_errors():
        remember(svc, job, 507, raw, {})


def remember(svc: Services, job: jobs.NewJob, status: int, raw: bytes, headers: dict[str, str]) -> None:
    """Store the response an Idempotency-Key replays."""
    p = job.principal
    idempotency.store_response(svc.db, p.account_id, p.environment, job.idempotency_key or "",
                               job.id, status, raw, headers)
