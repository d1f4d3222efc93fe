"""Seed 003's video-ad API: ``POST /api/v1/generate``, version polling, credits, packages and projects.

HTTP only: the body is checked field by field in seed 003's words (camelCase
names, ``{"error": "Validation failed", "details": {"fieldErrors", "formErrors"}}``),
turned into the ``video-ad`` tool's input (images, logo and music written into
the job's work folder from assets or URLs behind the SSRF guard) and submitted
through the same path as every tool run (api/submit.py ``submit``: limits,
hold, idempotency). The hold is the seed's credit
table (config ``[credits]``) times ``usd_per_credit``; a failed job refunds it.
A version is that job: ``GET /api/v1/jobs/{versionId}`` (job_routes.py hands
``ver_`` ids here) shows its steps as seed 003's sub-jobs.

Every error on these routes is seed 003's body: ``{"error": "…"}`` plus
``details`` (400) or ``active``/``max`` (429).

Rate limits: seed 003's own per-minute window per key (the tier's
``ad_requests_per_minute``: free 30, starter 60, pro 120, enterprise 300),
counted once the key is known and sent as ``X-RateLimit-Limit/Remaining/Reset``
on every answer of these routes, errors included; a full window is a 429
``{"error": "Rate limit exceeded. Try again later."}`` with ``Retry-After``.
Concurrency: the tier's ``concurrent_jobs`` (1/3/10/50), a 429 with
``active``/``max``.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/generate -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"prompt": "Premium headphones", "imageAssetIds": ["asset_…"], "duration": 15, "voiceId": "af_heart"}'
    # → {"projectId": "proj_…", "versionId": "ver_…", "totalCredits": 170, "jobCount": 5}
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema

from noxus_local.accounts.keys import Principal
from noxus_local.api import ad_schemas as shapes
from noxus_local.api.ad_schemas import (
    AdCredits,
    AdGenerated,
    AdGenerateIn,
    AdLatestVersion,
    AdLimits,
    AdPackage,
    AdPackages,
    AdPagination,
    AdProject,
    AdProjects,
    AdSubJob,
    AdSubJobs,
    AdVersion,
    SeedError,
)
from noxus_local.api.auth import require_principal
from noxus_local.api.bodies import convert
from noxus_local.api.deps import PrincipalDep, ServicesDep, SettingsDep, services_of
from noxus_local.api.docs import AUTH_ERRORS, operation, text_param
from noxus_local.api.envelope import EncodedResponse, add_headers, raw_response, request_id_of
from noxus_local.api.input_refs import _from_asset, _from_url
from noxus_local.api.inputs import ParsedInput, check_values, json_object
from noxus_local.api.submit import remember, replayed, submit
from noxus_local.config import Config
from noxus_local.errors import (
    ERRORS_BY_CODE,
    ConcurrencyLimitExceeded,
    InsufficientBalance,
    JobNotFound,
    NoxusError,
    RateLimitExceeded,
    ValidationError,
    message,
)
from noxus_local.generate.ad_copy import scene_count
from noxus_local.jobs import ad_projects
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import job_body, stored_steps, sub_jobs
from noxus_local.money import Price
from noxus_local.node.services import Services
from noxus_local.products.end_cards import DESIGNS
from noxus_local.tools.base import Limits

TOOL = "video-ad"
TAG = "Video ads"
ROUTE = "/api/v1/generate"
HEX = re.compile(r"#[0-9A-Fa-f]{6}")
STATUS = {"queued": "generating", "running": "generating", "succeeded": "completed", "failed": "failed",
          "cancelled": "failed"}
STEP_STATUS = {"pending": "pending", "running": "processing", "succeeded": "completed", "failed": "failed",
               "skipped": "completed", "cancelled": "failed"}
TEXTS = {"veoModel": 100, "companyName": 100, "voiceStyle": 200, "musicMood": 200, "tone": 200, "emotion": 200,
         "editStyle": 500}
TOOL_FIELDS = {"prompt": "prompt", "duration": "duration", "voiceId": "voice_id", "aspectRatio": "aspect_ratio",
               "companyName": "company_name", "ctaDesign": "cta_design", "gradientColor": "gradient_color",
               "voiceStyle": "voice_style", "musicMood": "music_mood", "tone": "tone", "emotion": "emotion",
               "editStyle": "edit_style", "qualityLoopVariants": "quality_loop_variants", "veoModel": "veo_model"}
CAMEL = {**{v: k for k, v in TOOL_FIELDS.items()}, "logo": "logoAssetId", "music_file": "musicAssetId",
         "music": "musicAssetId"}


# ---------------------------------------------------------------- seed 003's rate limit


SEED_WINDOW = "seed003"


def seed_window(request: Request[Any, Any, Any], svc: Services, principal: Principal) -> None:
    """Count the request in seed 003's per-minute window and send its ``X-RateLimit-*`` headers (a 429 with
    ``Retry-After`` when full). Example: free tier, 31st request in a minute → 429, ``X-RateLimit-Remaining: 0``."""
    limit = svc.cfg.tiers[principal.tier].ad_requests_per_minute
    state = svc.apex_limiter.take(principal.key_id, SEED_WINDOW, limit, 60)
    if state is not None:
        add_headers(request, state.headers())


async def _seed_principal(request: Request[Any, Any, Any], svc: ServicesDep) -> Principal:
    principal = await require_principal(request)
    seed_window(request, svc, principal)
    return principal


# seed 003's handlers take ``principal: PrincipalDep`` resolved by this provider: authentication, then the window
SEED_DEPS = {"principal": Provide(_seed_principal)}


# ---------------------------------------------------------------- errors in seed 003's shape


def seed_body(exc: NoxusError, usd_per_credit: str) -> SeedError:
    """A NoxusError as seed 003 words it. Example: a concurrency limit is ``SeedError(error="Concurrency limit
    reached. Wait for active jobs to complete.", active=3, max=3)``."""
    if isinstance(exc, ValidationError):
        fields = (exc.details or {}).get("field_errors") or {}
        return SeedError(error="Validation failed", details={
            "fieldErrors": {_camel(k): [str(m) for m in v] for k, v in fields.items()},
            "formErrors": [] if fields else [str(exc.message or message(exc.code, "en"))]})
    if isinstance(exc, InsufficientBalance):
        d = exc.details or {}
        need = _credits(usd_per_credit, Decimal(d.get("estimated_usd", "0")), up=True)
        have = _credits(usd_per_credit, Decimal(d.get("available_usd", "0")))
        return SeedError(error=f"Insufficient credits: {need} required but only {have} available")
    if isinstance(exc, ConcurrencyLimitExceeded):
        return SeedError(error="Concurrency limit reached. Wait for active jobs to complete.",
                         active=exc.extra.get("active", msgspec.UNSET), max=exc.extra.get("max", msgspec.UNSET))
    if isinstance(exc, RateLimitExceeded):
        return SeedError(error="Rate limit exceeded. Try again later.")
    details = exc.details if exc.details and exc.status < 500 else msgspec.UNSET
    return SeedError(error=str(exc.message or message(exc.code, "en")), details=details)


def seed_error(request: Request[Any, Any, Any], exc: NoxusError, cfg: Config) -> Response[bytes]:
    """A NoxusError as seed 003 writes it (its status and headers kept)."""
    body = msgspec.json.encode(seed_body(exc, cfg.credits.usd_per_credit))
    return raw_response(body, exc.status, {**exc.headers, "X-Request-Id": request_id_of(request)})


def seed_errors(request: Request[Any, Any, Any], exc: NoxusError) -> Response[bytes]:
    """The exception handler of seed 003's routes (``exception_handlers=SEED``): every contract error a handler
    or its dependencies raise (the principal's 401/403/429 too) in the seed's shape; anything else falls
    through to the app's handler."""
    return seed_error(request, exc, services_of(request).cfg)


SEED: dict[type[Exception], Any] = {NoxusError: seed_errors}
R = TypeVar("R")


def _camel(name: str) -> str:
    m = re.fullmatch(r"images_([0-9]+)", name)
    return f"images[{m.group(1)}]" if m else CAMEL.get(name, name)


async def seed_answer(request: Request[Any, Any, Any],
                      handler: Callable[[], Awaitable[Response[R]]]) -> Response[R | bytes]:
    """For routes not on ``exception_handlers=SEED`` yet (cta_routes.py, job_routes.py's versions)."""
    try:
        return await handler()
    except NoxusError as exc:
        return seed_error(request, exc, services_of(request).cfg)


def seed_operation(*args: Any, one_of: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    """``docs.operation`` for a seed 003 route; ``one_of`` adds what a Struct's schema cannot say to its
    request body (``imageUrls`` xor ``imageAssetIds``) as ``{"allOf": [Struct], "oneOf": one_of}``."""
    out = operation(*args, **kw)
    if one_of:
        out["operation_class"] = _with_one_of(out["operation_class"], one_of)
    return out


def _with_one_of(base: type[Operation], arms: list[dict[str, Any]]) -> type[Operation]:
    @dataclass
    class OneOf(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            super().__post_init__()
            body = self.request_body
            if isinstance(body, RequestBody):  # a new body each time: the declared one stays as it was
                self.request_body = RequestBody(required=body.required, description=body.description, content={
                    media: OpenAPIMediaType(schema=Schema(all_of=[item.schema], one_of=[
                        Schema(required=arm["required"]) for arm in arms]) if item.schema else None,
                        examples=item.examples)
                    for media, item in body.content.items()})

    return OneOf


def seed_docs(codes: tuple[str, ...], field_errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``docs.operation`` keywords for seed 003's error shape: each code's example is its seed body
    (``field_errors``: the 400's)."""
    fields = field_errors or {"duration": ["Duration must be 15, 30, or 60"], "voiceId": ["Required"]}
    special = {"validation_error": {"error": "Validation failed", "details": {"fieldErrors": fields,
                                                                              "formErrors": []}},
               "insufficient_api_balance": {"error": "Insufficient credits: 100 required but only 45 available"},
               "concurrency_limit_exceeded": {"error": "Concurrency limit reached. Wait for active jobs to "
                                                       "complete.", "active": 3, "max": 3}}
    examples = {code: special.get(code) or msgspec.to_builtins(seed_body(ERRORS_BY_CODE[code](), "0.01"))
                for code in codes}
    return {"errors": codes, "error_model": SeedError, "error_examples": examples}


def _credits(usd_per_credit: str, usd: Decimal, up: bool = False) -> int:
    value = usd / Decimal(usd_per_credit)
    return int(value.to_integral_value(rounding="ROUND_CEILING" if up else ROUND_FLOOR))


def _micros(cfg: Config, credits: int) -> int:
    return int(Decimal(credits) * Decimal(cfg.credits.usd_per_credit) * 1_000_000)


def quote(cfg: Config, duration: int, variants: int) -> int:
    """Seed 003's cost: editing per variant and scene, a clip per scene, one voice-over, one compositing.
    Example: ``quote(cfg, 15, 2) == 170`` (60 + 105 + 3 + 2) with the default ``[credits]``."""
    c, scenes = cfg.credits, scene_count(duration)
    return c.image_edit * variants * scenes + c.video_generation * scenes + c.voiceover + c.compositing


def credit_table(cfg: Config) -> dict[str, Any]:
    """The ``[credits]`` table frozen in the job, so the tool charges each step's share as it succeeds
    (tools/ad_credits.py). Example: ``{"usd_per_credit": "0.01", "image_edit": 10, "video_generation": 35,
    "voiceover": 3, "compositing": 2}``."""
    c = cfg.credits
    return {"usd_per_credit": c.usd_per_credit, "image_edit": c.image_edit, "video_generation": c.video_generation,
            "voiceover": c.voiceover, "compositing": c.compositing}


# ---------------------------------------------------------------- POST /api/v1/generate


def check_body(body: dict[str, Any]) -> dict[str, list[str]]:
    """Every field error of a generate body at once, in the seed's words (msgspec stops at the first, and
    names it in its own); a body with none converts into ``AdGenerateIn`` (tests/unit/test_ad_schemas.py).

    Example: ``check_body({"prompt": "x", "imageAssetIds": ["asset_1"], "duration": 20, "voiceId": "v"})``
    is ``{"duration": ["Duration must be 15, 30, or 60"]}``."""
    errors: dict[str, list[str]] = {}
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        errors["prompt"] = ["Required"]
    elif len(prompt) > 2000:
        errors["prompt"] = ["String must contain at most 2000 character(s)"]
    urls, ids = body.get("imageUrls"), body.get("imageAssetIds")
    if (urls is None) == (ids is None):
        errors["imageUrls"] = errors["imageAssetIds"] = ["Provide either imageUrls or imageAssetIds (not both)"]
    for name, value in (("imageUrls", urls), ("imageAssetIds", ids)):
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            errors[name] = ["Expected an array of strings"]
        elif value is not None and not 1 <= len(value) <= 10:
            errors[name] = ["Give 1 to 10 images"]
    if type(body.get("duration")) is not int or body["duration"] not in (15, 30, 60):  # 15.0, true: not a length
        errors["duration"] = ["Duration must be 15, 30, or 60"]
    if not isinstance(body.get("voiceId"), str) or not body["voiceId"]:
        errors["voiceId"] = ["Required"]
    _choice(body, errors, "aspectRatio", ("9:16", "16:9"))
    _choice(body, errors, "ctaDesign", DESIGNS)
    _choice(body, errors, "qualityLoopVariants", (1, 2, 3))
    if body.get("gradientColor") is not None and not (isinstance(body["gradientColor"], str)
                                                      and HEX.fullmatch(body["gradientColor"])):
        errors["gradientColor"] = ["Must be a hex colour such as #FF5500"]
    for name, most in TEXTS.items():
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > most):
            errors[name] = [f"String must contain at most {most} character(s)"]
    for name in ("logoAssetId", "musicAssetId", "veoModel"):
        if body.get(name) is not None and not isinstance(body[name], str):
            errors[name] = ["Expected string"]
    return errors  # veoModel against the configured generators: the tool's check_installed (needs the config)


def _choice(body: dict[str, Any], errors: dict[str, list[str]], name: str, allowed: tuple[Any, ...]) -> None:
    value = body.get(name)
    if value is not None and (value not in allowed or isinstance(value, bool)):
        errors[name] = [f"Must be one of: {', '.join(str(a) for a in allowed)}"]


async def _files(svc: Services, principal: Principal, body: AdGenerateIn, parsed: ParsedInput, limits: Limits,
                 workdir: Path) -> None:
    for n, ref in enumerate(body.imageAssetIds or []):
        await to_thread.run_sync(_from_asset, svc, principal.account_id, f"images_{n}", ref, limits, workdir, parsed)
    for n, url in enumerate(body.imageUrls or []):
        await _from_url(svc, f"images_{n}", url, limits, workdir, parsed)
    for asset, field in ((body.logoAssetId, "logo"), (body.musicAssetId, "music_file")):
        if asset:
            await to_thread.run_sync(_from_asset, svc, principal.account_id, field, asset, limits, workdir, parsed)


def read_generate(raw: bytes) -> AdGenerateIn:
    """A generate body: one JSON object (at most 32 deep, no lone surrogate), every field error at once in
    the seed's words, then the typed Struct."""
    body = check_values(json_object(raw))
    errors = check_body(body)
    if errors:
        raise ValidationError.fields(errors)
    return convert(body, AdGenerateIn)


def tool_fields(body: AdGenerateIn) -> dict[str, Any]:
    """The ``video-ad`` tool's fields from a generate body; null is absent, as the seed's validator reads it."""
    fields = {tool: getattr(body, seed) for seed, tool in TOOL_FIELDS.items() if getattr(body, seed) is not None}
    fields["music"] = "none" if body.musicAssetId else "auto"
    return fields


GENERATE_ERRORS = ("validation_error", "invalid_media", "unsupported_media_type", "scope_denied", "tool_not_allowed",
                   "asset_forbidden", "asset_not_found", "insufficient_api_balance", "key_budget_exceeded",
                   "idempotency_conflict", "limit_exceeded", *AUTH_ERRORS, "concurrency_limit_exceeded",
                   "tool_unavailable", "shutting_down", "insufficient_storage")


@post(ROUTE, status_code=200, exception_handlers=SEED, **seed_operation(
    "generateAd", TAG, "Start a video ad (seed 003)",
    "Seed 003's pipeline (scene_plan → image_edit → video_generation → voiceover → compositing) as one "
    "`video-ad` job; the whole credit estimate is held at submit ([credits] table: 10 per image-edit variant, "
    "35 per scene clip, 3 voice-over, 2 compositing); each step's share is charged when it "
    "succeeds, a scene's failed image edit or clip refunds its share while the version completes, and a "
    "failed version refunds all. Poll "
    "`GET /api/v1/jobs/{versionId}`. Every field error at once, in seed 003's words and shape "
    "(`details.fieldErrors`); unknown members are ignored.",
    ok=(AdGenerated, shapes.GENERATED), headers=("IdempotencyKey",),
    body=(AdGenerateIn, shapes.GENERATE_EXAMPLES), **seed_docs(GENERATE_ERRORS), one_of=shapes.IMAGES_XOR))
async def generate(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[AdGenerated | bytes]:
    """``AdGenerated`` in an ``EncodedResponse``: encoded once, the bytes sent are the bytes an Idempotency-Key
    replays (a replay answers those stored bytes)."""
    seen: dict[str, AdGenerateIn] = {}  # the body, once the reader (after authentication) has read it

    async def read(limits: Limits, workdir: Path) -> ParsedInput:
        principal = request.scope["state"]["principal"]  # type: ignore[index]  # submit authenticated first
        seed_window(request, svc, principal)
        body = seen["body"] = read_generate(await request.body())
        parsed = ParsedInput()
        await _files(svc, principal, body, parsed, limits, workdir)
        parsed.fields = tool_fields(body)
        return parsed

    def credits_of(job: jobs.NewJob) -> int:
        return quote(svc.cfg, job.params["duration"], job.params["quality_loop_variants"])

    try:
        done = await submit(request, TOOL, read, route=ROUTE,
                            price=lambda job: Price(None, _micros(svc.cfg, credits_of(job))),
                            internal=lambda job: {"credit_table": credit_table(svc.cfg)})
    except ValidationError as exc:
        raise seed_names(exc, seen.get("body")) from None
    if done.replay is not None:
        return replayed(svc, done.job.id, done.replay)
    principal, job_id, credits = done.principal, done.job.id, credits_of(done.job)
    project, version = await to_thread.run_sync(ad_projects.record, svc.db, principal, job_id,
                                                seen["body"].prompt, credits)
    svc.dispatcher.enqueue(job_id)
    answer: EncodedResponse[AdGenerated | bytes] = EncodedResponse(AdGenerated(
        projectId=project, versionId=version, totalCredits=credits, jobCount=len(done.tool.steps)))
    if done.options.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, 200, answer.raw, {})
    return answer


FILE_FIELD = re.compile(r"(images|logo|music_file)(?:_([0-9]+))?(?:_url|_asset_id)?")


def seed_names(exc: ValidationError, body: AdGenerateIn | None) -> ValidationError:
    """The tool's file field names in an error (``images_0_url``, ``logo_asset_id``) as the seed's fields
    (``imageUrls``, ``logoAssetId``), the offending position kept in the message."""
    fields = (exc.details or {}).get("field_errors")
    if not fields:
        return exc
    images = "imageUrls" if body is not None and body.imageUrls is not None else "imageAssetIds"
    renamed: dict[str, list[str]] = {}
    for key, messages in fields.items():
        m = FILE_FIELD.fullmatch(key)
        if m is None:
            renamed.setdefault(key, []).extend(messages)
        elif m.group(1) == "images":
            where = f"[{m.group(2)}]: " if m.group(2) is not None else ""
            renamed.setdefault(images, []).extend(f"{where}{msg}" for msg in messages)
        else:
            renamed.setdefault(CAMEL[m.group(1)], []).extend(messages)
    exc.details = {**(exc.details or {}), "field_errors": renamed}
    return exc


# ---------------------------------------------------------------- GET /api/v1/jobs/{versionId}


def is_version_id(value: str) -> bool:
    return value.startswith("ver_")


async def show_version(request: Request[Any, Any, Any], version_id: str) -> Response[AdVersion | bytes]:
    """Called by job_routes.show_job for ``ver_`` ids: ``AdVersion``, or an error in the seed's shape (bytes)."""
    async def answer() -> Response[AdVersion]:
        principal = await require_principal(request)
        svc = services_of(request)
        seed_window(request, svc, principal)
        body = await to_thread.run_sync(version_view, svc, principal, version_id)
        return Response(body, media_type="application/json")

    return await seed_answer(request, answer)


def version_view(svc: Services, principal: Principal, version_id: str) -> AdVersion:
    row = ad_projects.version_row(svc.db, version_id, principal.account_id, principal.environment)
    if row is None:
        raise JobNotFound()
    job = jobs.get(svc.db, row["job_id"], principal.account_id, principal.environment)
    return version_body(svc, version_id, row["total_credits"], job)


def version_body(svc: Services, version_id: str, credits: int, job: Any) -> AdVersion:
    subs = sub_jobs(job["id"], stored_steps(job))
    details = [AdSubJob(**{**d, "status": STEP_STATUS.get(d["status"], d["status"])}) for d in subs["details"]]
    status = STATUS.get(job["status"], "generating")
    video = None
    if status == "completed":
        video = next((o["url"] for o in job_body(svc, job).get("outputs", []) if o["name"] == "video"), None)
    return AdVersion(versionId=version_id, status=status,  # type: ignore[arg-type]
                     progress=100 if status == "completed" else job["progress"], videoUrl=video,
                     totalCredits=credits, jobs=AdSubJobs(
                         total=subs["total"], completed=sum(d.status == "completed" for d in details),
                         failed=subs["failed"], details=details))


# ---------------------------------------------------------------- credits, packages, projects


@get("/api/v1/credits", exception_handlers=SEED, dependencies=SEED_DEPS, **operation(
    "getCredits", TAG, "Credit balance, tier and active jobs (seed 003)",
    "The account's available balance in credits (`[credits] usd_per_credit`), its tier, its queued and running "
    "jobs, and the tier's limits.", ok=(AdCredits, shapes.CREDITS), **seed_docs(AUTH_ERRORS)))
async def credits(svc: ServicesDep, principal: PrincipalDep) -> AdCredits:
    return await to_thread.run_sync(credits_view, svc, principal)


def credits_view(svc: Services, principal: Principal) -> AdCredits:
    from noxus_local.billing import ledger

    available = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment).available_micros
    active = ad_projects.active_jobs(svc.db, principal.account_id)
    tier = svc.cfg.tiers[principal.tier]
    return AdCredits(balance=_credits(svc.cfg.credits.usd_per_credit, Decimal(available) / 1_000_000),
                     tier=principal.tier, activeJobs=active,
                     limits=AdLimits(maxConcurrentJobs=tier.concurrent_jobs, rateLimitRpm=tier.ad_requests_per_minute))


@get("/api/v1/packages", exception_handlers=SEED, dependencies=SEED_DEPS, **operation(
    "listPackages", TAG, "Credit packages (seed 003)", "From `[credits] packages`; buy them on the dashboard.",
    ok=(AdPackages, shapes.PACKAGES), **seed_docs(AUTH_ERRORS)))
async def packages(settings: SettingsDep, principal: PrincipalDep) -> AdPackages:
    return AdPackages(packages=package_list(settings))


def package_list(cfg: Config) -> list[AdPackage]:
    """``[credits] packages`` as the seed lists them. Example: ``AdPackage(id="api-starter", name="API Starter",
    credits=500, priceCents=3900, priceDisplay="$39", popular=False)``."""
    out = []
    for entry in cfg.credits.packages:
        name, amount, cents = (part.strip() for part in entry.split("|"))
        price = Decimal(cents) / 100
        shown = f"${price:,.0f}" if price == price.to_integral_value() else f"${price:,.2f}"
        out.append(AdPackage(id=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), name=name,
                             credits=int(amount), priceCents=int(cents), priceDisplay=shown,
                             popular=name == cfg.credits.popular_package))
    return out


PAGE = {"limit": (20, 1, 100), "offset": (0, 0, 10**9)}


@get("/api/v1/projects", exception_handlers=SEED, dependencies=SEED_DEPS, **operation(
    "listProjects", TAG, "Projects and their latest version (seed 003)",
    "Newest first, `limit` 1-100 (default 20) and `offset`.", ok=(AdProjects, shapes.PROJECTS),
    **seed_docs(("validation_error", *AUTH_ERRORS), {"limit": ["Must be an integer from 1 to 100"]})))
async def projects(svc: ServicesDep, principal: PrincipalDep,
                   limit: Annotated[str | None, text_param("1-100 (default 20)", type="integer", minimum=1,
                                                           maximum=100, default=20)] = None,
                   offset: Annotated[str | None, text_param("default 0", type="integer", minimum=0,
                                                            maximum=10**9, default=0)] = None) -> AdProjects:
    size, start = _page("limit", limit), _page("offset", offset)
    return await to_thread.run_sync(projects_view, svc, principal, size, start)


def _page(name: str, raw: str | None) -> int:
    """``limit`` or ``offset``: ASCII digits within the seed's bounds, or a 400 in its words."""
    default, low, high = PAGE[name]
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high:
        return int(raw)
    raise ValidationError.fields({name: [f"Must be an integer from {low} to {high}"]})


def projects_view(svc: Services, principal: Principal, limit: int, offset: int) -> AdProjects:
    rows, total = ad_projects.list_projects(svc.db, principal.account_id, principal.environment, limit, offset)
    out = []
    for p, v in rows:
        latest = None if v is None else AdLatestVersion(
            versionId=v["id"], status=STATUS.get(v["status"], "generating"),  # type: ignore[arg-type]
            progress=100 if v["status"] == "succeeded" else v["progress"], totalCredits=v["total_credits"])
        out.append(AdProject(projectId=p["id"], name=p["name"], createdAt=_iso(p["created_at"]),
                             latestVersion=latest))
    return AdProjects(projects=out, pagination=AdPagination(limit=limit, offset=offset, total=total,
                                                            hasMore=offset + len(rows) < total))


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


HANDLERS = [generate, credits, packages, projects]
__all__ = ["HANDLERS", "HEX", "SEED", "SEED_DEPS", "seed_window",
           "AdVersion", "SeedError", "is_version_id", "seed_answer", "show_version"]
