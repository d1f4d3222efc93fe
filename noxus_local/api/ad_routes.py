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
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post

from noxus_local.accounts.keys import Principal
from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import encode, raw_response, request_id_of
from noxus_local.api.input_refs import _from_asset, _from_url
from noxus_local.api.inputs import ParsedInput, json_object
from noxus_local.api.submit import remember, replayed, submit
from noxus_local.config import Config
from noxus_local.errors import (
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
ROUTE = "/api/v1/generate"
HEX = re.compile(r"#[0-9A-Fa-f]{6}")
STATUS = {"queued": "generating", "running": "generating", "succeeded": "completed", "failed": "failed",
          "cancelled": "failed"}
STEP_STATUS = {"pending": "pending", "running": "processing", "succeeded": "completed", "failed": "failed",
               "skipped": "completed", "cancelled": "failed"}
TEXTS = {"companyName": 100, "voiceStyle": 200, "musicMood": 200, "tone": 200, "emotion": 200, "editStyle": 500}
TOOL_FIELDS = {"prompt": "prompt", "duration": "duration", "voiceId": "voice_id", "aspectRatio": "aspect_ratio",
               "companyName": "company_name", "ctaDesign": "cta_design", "gradientColor": "gradient_color",
               "voiceStyle": "voice_style", "musicMood": "music_mood", "tone": "tone", "emotion": "emotion",
               "editStyle": "edit_style", "qualityLoopVariants": "quality_loop_variants"}
CAMEL = {**{v: k for k, v in TOOL_FIELDS.items()}, "logo": "logoAssetId", "music_file": "musicAssetId",
         "music": "musicAssetId"}


# ---------------------------------------------------------------- errors in seed 003's shape


def seed_error(request: Request[Any, Any, Any], exc: NoxusError, cfg: Config) -> Response[bytes]:
    """A NoxusError as seed 003 writes it (its status and headers kept)."""
    body: dict[str, Any]
    if isinstance(exc, ValidationError):
        fields = (exc.details or {}).get("field_errors") or {}
        body = {"error": "Validation failed", "details": {
            "fieldErrors": {_camel(k): [str(m) for m in v] for k, v in fields.items()},
            "formErrors": [] if fields else [str(exc.message or message(exc.code, "en"))]}}
    elif isinstance(exc, InsufficientBalance):
        d = exc.details or {}
        need = _credits(cfg, Decimal(d.get("estimated_usd", "0")), up=True)
        have = _credits(cfg, Decimal(d.get("available_usd", "0")))
        body = {"error": f"Insufficient credits: {need} required but only {have} available"}
    elif isinstance(exc, ConcurrencyLimitExceeded):
        body = {"error": "Concurrency limit reached. Wait for active jobs to complete.", **exc.extra}
    elif isinstance(exc, RateLimitExceeded):
        body = {"error": "Rate limit exceeded. Try again later."}
    else:
        body = {"error": str(exc.message or message(exc.code, "en"))}
        if exc.details and exc.status < 500:
            body["details"] = exc.details
    return raw_response(encode(body), exc.status, {**exc.headers, "X-Request-Id": request_id_of(request)})


def _camel(name: str) -> str:
    m = re.fullmatch(r"images_([0-9]+)", name)
    return f"images[{m.group(1)}]" if m else CAMEL.get(name, name)


async def seed_answer(request: Request[Any, Any, Any],
                      handler: Callable[[], Awaitable[Response[bytes]]]) -> Response[bytes]:
    try:
        return await handler()
    except NoxusError as exc:
        return seed_error(request, exc, services_of(request).cfg)


def _credits(cfg: Config, usd: Decimal, up: bool = False) -> int:
    value = usd / Decimal(cfg.credits.usd_per_credit)
    return int(value.to_integral_value(rounding="ROUND_CEILING" if up else ROUND_FLOOR))


def _micros(cfg: Config, credits: int) -> int:
    return int(Decimal(credits) * Decimal(cfg.credits.usd_per_credit) * 1_000_000)


def quote(cfg: Config, duration: int, variants: int) -> int:
    """Seed 003's cost: editing per variant and scene, a clip per scene, one voice-over, one compositing.
    Example: ``quote(cfg, 15, 2) == 170`` (60 + 105 + 3 + 2) with the default ``[credits]``."""
    c, scenes = cfg.credits, scene_count(duration)
    return c.image_edit * variants * scenes + c.video_generation * scenes + c.voiceover + c.compositing


# ---------------------------------------------------------------- POST /api/v1/generate


def check_body(body: dict[str, Any]) -> dict[str, list[str]]:
    """Every field error of a generate body at once, in the seed's words."""
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
    if body.get("duration") not in (15, 30, 60) or isinstance(body.get("duration"), bool):
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
    if isinstance(body.get("veoModel"), str) and "veoModel" not in errors:
        errors["veoModel"] = ["No video generator is configured (none): leave veoModel out for the built-in "
                              "motion engine"]
    return errors


def _choice(body: dict[str, Any], errors: dict[str, list[str]], name: str, allowed: tuple[Any, ...]) -> None:
    value = body.get(name)
    if value is not None and (value not in allowed or isinstance(value, bool)):
        errors[name] = [f"Must be one of: {', '.join(str(a) for a in allowed)}"]


async def _files(svc: Services, principal: Principal, body: dict[str, Any], parsed: ParsedInput, limits: Limits,
                 workdir: Path) -> None:
    for n, ref in enumerate(body.get("imageAssetIds") or []):
        await to_thread.run_sync(_from_asset, svc, principal.account_id, f"images_{n}", ref, limits, workdir, parsed)
    for n, url in enumerate(body.get("imageUrls") or []):
        await _from_url(svc, f"images_{n}", url, limits, workdir, parsed)
    for name, field in (("logoAssetId", "logo"), ("musicAssetId", "music_file")):
        if body.get(name):
            await to_thread.run_sync(_from_asset, svc, principal.account_id, field, body[name], limits, workdir,
                                     parsed)


@post(ROUTE, status_code=200)
async def generate(request: Request[Any, Any, Any]) -> Response[bytes]:
    return await seed_answer(request, lambda: _generate(request))


async def _generate(request: Request[Any, Any, Any]) -> Response[bytes]:
    svc = services_of(request)
    seen: dict[str, Any] = {}  # the body, once the reader (after authentication) has read it

    async def read(limits: Limits, workdir: Path) -> ParsedInput:
        body = seen["body"] = json_object(await request.body())
        errors = check_body(body)
        if errors:
            raise ValidationError.fields(errors)
        principal = request.scope["state"]["principal"]  # type: ignore[index]  # submit authenticated first
        parsed = ParsedInput()
        await _files(svc, principal, body, parsed, limits, workdir)
        parsed.fields = {TOOL_FIELDS[k]: v for k, v in body.items() if k in TOOL_FIELDS and v is not None}
        parsed.fields["music"] = "none" if body.get("musicAssetId") else "auto"
        return parsed

    def credits_of(job: jobs.NewJob) -> int:
        return quote(svc.cfg, job.params["duration"], job.params["quality_loop_variants"])

    try:
        done = await submit(request, TOOL, read, route=ROUTE,
                            price=lambda job: Price(None, _micros(svc.cfg, credits_of(job))))
    except ValidationError as exc:
        raise seed_names(exc, seen.get("body") or {}) from None
    if done.replay is not None:
        return replayed(svc, done.job.id, done.replay)
    principal, job_id, credits = done.principal, done.job.id, credits_of(done.job)
    project, version = await to_thread.run_sync(ad_projects.record, svc.db, principal, job_id,
                                                seen["body"]["prompt"], credits)
    svc.dispatcher.enqueue(job_id)
    out = {"projectId": project, "versionId": version, "totalCredits": credits, "jobCount": len(done.tool.steps)}
    raw = encode(out)
    if done.options.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, 200, raw, {})
    return raw_response(raw, 200)


FILE_FIELD = re.compile(r"(images|logo|music_file)(?:_([0-9]+))?(?:_url|_asset_id)?")


def seed_names(exc: ValidationError, body: dict[str, Any]) -> ValidationError:
    """The tool's file field names in an error (``images_0_url``, ``logo_asset_id``) as the seed's fields
    (``imageUrls``, ``logoAssetId``), the offending position kept in the message."""
    fields = (exc.details or {}).get("field_errors")
    if not fields:
        return exc
    images = "imageUrls" if body.get("imageUrls") is not None else "imageAssetIds"
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


async def show_version(request: Request[Any, Any, Any], version_id: str) -> Response[bytes]:
    """Called by job_routes.show_job for ``ver_`` ids."""
    async def answer() -> Response[bytes]:
        principal = await require_principal(request)
        svc = services_of(request)
        body = await to_thread.run_sync(version_view, svc, principal, version_id)
        return raw_response(encode(body))

    return await seed_answer(request, answer)


def version_view(svc: Services, principal: Principal, version_id: str) -> dict[str, Any]:
    row = ad_projects.version_row(svc.db, version_id, principal.account_id, principal.environment)
    if row is None:
        raise JobNotFound()
    job = jobs.get(svc.db, row["job_id"], principal.account_id, principal.environment)
    return version_body(svc, version_id, row["total_credits"], job)


def version_body(svc: Services, version_id: str, credits: int, job: Any) -> dict[str, Any]:
    subs = sub_jobs(job["id"], stored_steps(job))
    for d in subs["details"]:
        d["status"] = STEP_STATUS.get(d["status"], d["status"])
    subs["completed"] = sum(d["status"] == "completed" for d in subs["details"])
    status = STATUS.get(job["status"], "generating")
    video = None
    if status == "completed":
        video = next((o["url"] for o in job_body(svc, job).get("outputs", []) if o["name"] == "video"), None)
    return {"versionId": version_id, "status": status, "progress": 100 if status == "completed" else job["progress"],
            "videoUrl": video, "totalCredits": credits, "jobs": subs}


# ---------------------------------------------------------------- credits, packages, projects


@get("/api/v1/credits")
async def credits(request: Request[Any, Any, Any]) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        principal = await require_principal(request)
        svc = services_of(request)
        return raw_response(encode(await to_thread.run_sync(credits_view, svc, principal)))

    return await seed_answer(request, answer)


def credits_view(svc: Services, principal: Principal) -> dict[str, Any]:
    from noxus_local.billing import ledger

    available = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment).available_micros
    active = ad_projects.active_jobs(svc.db, principal.account_id)
    tier = svc.cfg.tiers[principal.tier]
    return {"balance": _credits(svc.cfg, Decimal(available) / 1_000_000), "tier": principal.tier,
            "activeJobs": active,
            "limits": {"maxConcurrentJobs": tier.concurrent_jobs, "rateLimitRpm": tier.requests_per_minute}}


@get("/api/v1/packages")
async def packages(request: Request[Any, Any, Any]) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        await require_principal(request)
        return raw_response(encode({"packages": package_list(services_of(request).cfg)}))

    return await seed_answer(request, answer)


def package_list(cfg: Config) -> list[dict[str, Any]]:
    """``[credits] packages`` as the seed lists them. Example: ``{"id": "api-starter", "name": "API Starter",
    "credits": 500, "priceCents": 3900, "priceDisplay": "$39", "popular": false}``."""
    out = []
    for entry in cfg.credits.packages:
        name, amount, cents = (part.strip() for part in entry.split("|"))
        price = Decimal(cents) / 100
        shown = f"${price:,.0f}" if price == price.to_integral_value() else f"${price:,.2f}"
        out.append({"id": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), "name": name,
                    "credits": int(amount), "priceCents": int(cents), "priceDisplay": shown,
                    "popular": name == cfg.credits.popular_package})
    return out


@get("/api/v1/projects")
async def projects(request: Request[Any, Any, Any]) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        principal = await require_principal(request)
        svc = services_of(request)
        limit, offset = _page(request)
        body = await to_thread.run_sync(projects_view, svc, principal, limit, offset)
        return raw_response(encode(body))

    return await seed_answer(request, answer)


def _page(request: Request[Any, Any, Any]) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    values = {}
    for name, default, low, high in (("limit", 20, 1, 100), ("offset", 0, 0, 10**9)):
        raw = request.query_params.get(name)
        if raw is None:
            values[name] = default
        elif raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
            values[name] = int(raw)
        else:
            errors[name] = [f"Must be an integer from {low} to {high}"]
    if errors:
        raise ValidationError.fields(errors)
    return values["limit"], values["offset"]


def projects_view(svc: Services, principal: Principal, limit: int, offset: int) -> dict[str, Any]:
    rows, total = ad_projects.list_projects(svc.db, principal.account_id, principal.environment, limit, offset)
    out = []
    for p, v in rows:
        latest = None if v is None else {"versionId": v["id"], "status": STATUS.get(v["status"], "generating"),
                                         "progress": 100 if v["status"] == "succeeded" else v["progress"],
                                         "totalCredits": v["total_credits"]}
        out.append({"projectId": p["id"], "name": p["name"], "createdAt": _iso(p["created_at"]),
                    "latestVersion": latest})
    return {"projects": out, "pagination": {"limit": limit, "offset": offset, "total": total,
                                            "hasMore": offset + len(rows) < total}}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


HANDLERS = [generate, credits, packages, projects]
__all__ = ["HANDLERS", "is_version_id", "show_version"]
