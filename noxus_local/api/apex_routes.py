"""Seed 002's client contract (Apex Studio): the ``/api/generate/*`` routes, and what every route of
the seed shares (its error body, its per-endpoint-type rate windows, body field checks); the
management routes (``/api/jobs``, ``/api/usage``, ``/api/keys``, ``/api/settings``) are in
api/apex_account_routes.py.

HTTP only. A generation route reads the seed's JSON body, renames it to a tool's fields and
hands it to the one submit path (api/submit.py) like every other contract (auth,
scope, limits, validation, hold, idempotency, one job row); the hold is the route's credits
(``[apex_credits]``) on the same USD ledger, charged when the job succeeds and released when it
fails. Success bodies are ``{"data": ...}``, errors ``{"error", "code"}`` (``core.apex``),
and every authenticated answer carries the seed's ``X-RateLimit-*`` window of its endpoint
type (``[apex]``, times the tier's ``apex_rate_factor``).

Example (the seed's own, with only the base URL changed)::

    curl -X POST http://127.0.0.1:8080/api/generate/voice -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"text": "Hello there", "language": "en"}'
    # {"data": {"jobId": "job_…", "status": "queued", "estimatedMinutes": 1, "message": "Voice generation job queued"}}
    curl "http://127.0.0.1:8080/api/jobs?id=job_…" -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, post

from noxus_local.accounts.keys import Principal
from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import add_headers, encode, raw_response
from noxus_local.api.input_refs import _from_asset, _from_url
from noxus_local.api.inputs import ParsedInput, json_object
from noxus_local.api.submit import remember, replayed, submit
from noxus_local.assets.store import ASSET_ID
from noxus_local.billing.limits import tier_limits
from noxus_local.errors import NoxusError, Text, ToolUnavailable, ValidationError
from noxus_local.jobs import apex
from noxus_local.money import Price
from noxus_local.node.services import Services
from noxus_local.tools.base import Limits

PREFIXES = ("/api/generate", "/api/jobs", "/api/usage", "/api/keys", "/api/settings", "/api/voice-agent",
            "/api/upload")
VOICE_MODELS = ("kokoro",)
Builder = Callable[[Services, Principal, Path], Awaitable[ParsedInput]]


def is_apex_path(path: str) -> bool:
    """The seed's paths answer errors in the seed's shape (the app's one handler asks)."""
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


def error_response(exc: NoxusError, locale: str) -> Response[bytes]:
    status, body = apex.error_body(exc, locale)
    return raw_response(encode(body), status, dict(exc.headers))


def data(body: Any, status: int = 200) -> Response[bytes]:
    return raw_response(encode({"data": body}), status)


async def guard(request: Request[Any, Any, Any], kind: str) -> Principal:
    """Authenticate, then count the request in its endpoint type's window and send that window's headers."""
    svc = services_of(request)
    principal = await require_principal(request)
    limit, window = _window(svc, principal, kind)
    state = svc.apex_limiter.take(principal.key_id, kind, limit, window)
    if state is not None:
        add_headers(request, state.headers())
    return principal


def _window(svc: Services, principal: Principal, kind: str) -> tuple[int, int]:
    settings, factor = svc.cfg.apex, svc.cfg.tiers[principal.tier].apex_rate_factor
    limit, window = getattr(settings, f"{kind}_requests"), getattr(settings, f"{kind}_window_seconds")
    return (math.ceil(limit * factor) if factor > 0 else 0), window


def fail(field: str, en: str) -> ValidationError:
    return ValidationError.fields({field: [Text(en, en)]})


def text_field(body: dict[str, Any], name: str, low: int, high: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise fail(name, f"required: a string of {low}-{high:,} characters")
        return None
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise fail(name, f"a string of {low}-{high:,} characters")
    return value


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise fail(name, f"a number from {low:g} to {high:g}")
    return float(value)


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    value = body.get(name)
    if value is not None and value not in choices:
        raise fail(name, "one of: " + ", ".join(choices))
    return value


async def read_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return json_object(await request.body())


# ---- generation -------------------------------------------------------------------------------

async def generation(request: Request[Any, Any, Any], principal: Principal, kind: str, slug: str, build: Builder,
                     names: dict[str, str], extra: dict[str, Any] | None = None, units: int = 1) -> Response[bytes]:
    """A generation: a tool job through the one submit path, held at the route's credits (the seed's flat
    price, times ``units`` for a route priced per item, e.g. photoshoot's photos; charged on success,
    released on failure) and delivered to the account's webhook."""
    svc = services_of(request)

    credits = apex.route_credits(svc.cfg, kind) * units

    async def read(_limits: Limits, workdir: Path) -> ParsedInput:
        return await build(svc, principal, workdir)

    try:
        done = await submit(request, slug, read, route=f"/api/generate/{kind}",
                            internal=lambda job: {apex.TYPE_KEY: kind},
                            price=lambda job: Price(None, apex.credit_micros(svc.cfg, credits)),
                            webhook=lambda job: apex.account_webhook(svc.db, principal.account_id))
    except ValidationError as exc:  # the tool's field names back to the seed's
        raise renamed(exc, names) from None
    job_id = done.job.id
    if done.replay is not None:
        return replayed(svc, job_id, done.replay)
    svc.dispatcher.enqueue(job_id)
    label = kind.replace("-", " ").capitalize()
    raw = encode({"data": {"jobId": job_id, "status": "queued", **(extra or {}),
                           "message": f"{label} generation job queued"}})
    if done.options.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, 200, raw, {})
    return raw_response(raw, 200)


def renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    back = {tool_name: seed_name for seed_name, tool_name in names.items()}
    fields = (exc.details or {}).get("field_errors")
    if not fields:
        return exc
    return ValidationError(exc.message, details={**(exc.details or {}),
                                                 "field_errors": {back.get(k, k): v for k, v in fields.items()}})


VOICE_NAMES = {"text": "text", "voiceId": "voice_id", "speed": "speed", "language": "language"}


@post("/api/generate/voice", status_code=200)
async def generate_voice(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Text to speech on the local Kokoro model: ``{"text": "Hello", "voiceId": "af_heart", "speed": 1.1}``."""
    principal = await guard(request, "generation")  # 401 before any 400
    body = await read_body(request)
    text = text_field(body, "text", 1, 10_000, required=True) or ""
    text_field(body, "voiceId", 1, 200)
    _number(body, "speed", 0.5, 2.0)
    text_field(body, "language", 2, 12)
    _choice(body, "model", VOICE_MODELS)
    language = str(body.get("language") or "en").lower()
    fields = {"text": text, "language": language, "speed": body.get("speed", 1.0), "format": "wav",
              "voice_id": body.get("voiceId") or ("ef_dora" if language.startswith("es") else "af_heart")}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        return ParsedInput(fields=fields)

    minutes = max(1, math.ceil(len(text) / 15 / 60))  # ~15 characters a second of speech
    return await generation(request, principal, "voice", "text-to-speech", build, VOICE_NAMES,
                        {"estimatedMinutes": minutes})


CLIP_NAMES = {"maxClips": "max_clips", "minDuration": "min_duration", "maxDuration": "max_duration",
              "addCaptions": "add_captions", "aspectRatio": "aspect_ratio",
              "viralScoreThreshold": "viral_score_threshold", "sourceVideoUrl": "video"}


@post("/api/generate/clip", status_code=200)
async def generate_clip(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The auto-clip tool on a video fetched (SSRF-guarded) from ``sourceVideoUrl``."""
    principal = await guard(request, "generation")
    body = await read_body(request)
    url = text_field(body, "sourceVideoUrl", 8, 2048, required=True) or ""
    _number(body, "maxClips", 1, 20)
    _number(body, "viralScoreThreshold", 1, 10)
    _choice(body, "aspectRatio", ("9:16", "1:1", "16:9"))
    if "addCaptions" in body and not isinstance(body["addCaptions"], bool):
        raise fail("addCaptions", "true or false")
    fields = {CLIP_NAMES[k]: v for k, v in body.items() if k in CLIP_NAMES and k != "sourceVideoUrl"}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        parsed = ParsedInput(fields=fields)
        limits = tier_limits(svc.cfg.tiers[principal.tier])
        try:
            await _from_url(svc, "video", url, limits, workdir, parsed)
        except ValidationError as exc:
            raise renamed(exc, {"sourceVideoUrl": "video_url"}) from None
        return parsed

    return await generation(request, principal, "clip", "auto-clip", build, CLIP_NAMES)


IMAGE_NAMES = {"prompt": "prompt", "width": "width", "height": "height", "steps": "steps", "seed": "seed",
               "style": "style", "model": "model", "negativePrompt": "negative_prompt"}


@post("/api/generate/image", status_code=200)
async def generate_image(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The ``image-generate`` tool on a configured engine: ``model`` names a ``[generators.<name>]``."""
    principal = await guard(request, "generation")
    body = await read_body(request)
    text_field(body, "prompt", 1, 2000, required=True)
    for side in ("width", "height"):
        _whole(body, side, 256, 2048)
    _whole(body, "steps", 1, 50)
    _whole(body, "seed", 0, 2**53)
    _choice(body, "style", ("photorealistic", "illustration", "3d", "flat"))
    text_field(body, "model", 1, 100)
    text_field(body, "negativePrompt", 0, 2000)
    fields = {IMAGE_NAMES[k]: v for k, v in body.items() if k in IMAGE_NAMES and v is not None}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        return ParsedInput(fields=fields)

    return await generation(request, principal, "image", "image-generate", build, IMAGE_NAMES)


PHOTOSHOOT_NAMES = {"background": "background", "angle": "angle", "lighting": "lighting", "count": "count",
                    "customBackground": "custom_background", "model": "model", "productImage": "image"}
PHOTOSHOOT_BACKGROUNDS = ("studio-white", "lifestyle", "outdoor", "flat-lay", "custom")
PHOTOSHOOT_ANGLES = ("front", "hero", "45-degree", "top-down", "lifestyle", "three-quarter", "close-up")
PHOTOSHOOT_LIGHTING = ("studio", "natural", "dramatic", "soft", "golden-hour")


@post("/api/generate/photoshoot", status_code=200)
async def generate_photoshoot(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The ``product-photoshoot`` tool on the photo at ``productImage`` (an http(s) URL fetched through the SSRF
    guard, or an assetId): ``{"productImage": "https://…/mug.jpg", "background": "studio-white", "count": 2}``.
    Held at ``[apex_credits] photoshoot`` per photo."""
    principal = await guard(request, "generation")
    body = await read_body(request)
    ref = text_field(body, "productImage", 1, 2048, required=True) or ""
    if body.get("background") is None:
        raise fail("background", "required: one of " + ", ".join(PHOTOSHOOT_BACKGROUNDS))
    _choice(body, "background", PHOTOSHOOT_BACKGROUNDS)
    _choice(body, "angle", PHOTOSHOOT_ANGLES)
    _choice(body, "lighting", PHOTOSHOOT_LIGHTING)
    _whole(body, "count", 1, 4)
    text_field(body, "customBackground", 1, 500)
    text_field(body, "model", 1, 100)
    fields = {PHOTOSHOOT_NAMES[k]: v for k, v in body.items()
              if k in PHOTOSHOOT_NAMES and k != "productImage" and v is not None}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        parsed = ParsedInput(fields=fields)
        limits = tier_limits(svc.cfg.tiers[principal.tier])
        try:
            if ASSET_ID.fullmatch(ref):
                await to_thread.run_sync(_from_asset, svc, principal.account_id, "image", ref, limits, workdir,
                                         parsed)
            else:
                await _from_url(svc, "image", ref, limits, workdir, parsed)
        except ValidationError as exc:
            raise renamed(renamed(exc, {"productImage": "image_url"}), {"productImage": "image_asset_id"}) from None
        return parsed

    return await generation(request, principal, "photoshoot", "product-photoshoot", build, PHOTOSHOOT_NAMES,
                            units=int(body.get("count") or 1))


TRANSLATE_NAMES = {"videoUrl": "video", "outputLanguage": "target_language",
                   "preserveOriginalVoice": "preserve_original_voice"}


@post("/api/generate/translate", status_code=200)
async def generate_translate(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The ``dub-video`` tool on the video at ``videoUrl`` (SSRF-guarded): ``outputLanguage`` is the target;
    ``preserveOriginalVoice: true`` is a 503 (no voice-cloning model), charged 0."""
    principal = await guard(request, "generation")
    body = await read_body(request)
    url = text_field(body, "videoUrl", 8, 2048, required=True) or ""
    language = text_field(body, "outputLanguage", 2, 12, required=True) or ""
    keep = body.get("preserveOriginalVoice", False)
    if not isinstance(keep, bool):
        raise fail("preserveOriginalVoice", "true or false")
    fields = {"target_language": language, "preserve_original_voice": keep}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        parsed = ParsedInput(fields=fields)
        limits = tier_limits(svc.cfg.tiers[principal.tier])
        try:
            await _from_url(svc, "video", url, limits, workdir, parsed)
        except ValidationError as exc:
            raise renamed(exc, {"videoUrl": "video_url"}) from None
        return parsed

    return await generation(request, principal, "translate", "dub-video", build, TRANSLATE_NAMES)



def _whole(body: dict[str, Any], name: str, low: int, high: int) -> None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise fail(name, f"a whole number from {low} to {high}")


# what each route would need; answered 503 until it exists (documented in the README)
MISSING: dict[str, str] = {
    "video": "a video generator: add a ComfyUI video workflow under [generators.<name>] "
             "(the video-generation engine is not built yet)",
    "b-roll": "a video generator: add a ComfyUI video workflow under [generators.<name>] "
              "(the video-generation engine is not built yet)",
    "text2video": "a video generator: add a ComfyUI video workflow under [generators.<name>] "
                  "(the video-generation engine is not built yet)",
    "avatar": "a talking-head engine: add a ComfyUI avatar workflow under [generators.<name>] "
              "(the avatar engine is not built yet)",
    "voice-clone": "a voice-cloning model (e.g. an OpenVoice or XTTS-v2 ONNX export); none is installed",
    "commercial": "the video-ad engine (issue: video ads), not merged on this server yet",
    "instant-ad": "the instant-ad tool (website to ad creatives), not built yet",
}


async def unavailable(request: Request[Any, Any, Any], kind: str) -> Response[bytes]:
    """A route whose engine this server lacks: 503 naming it, after auth and the rate window; charged 0."""
    await guard(request, "generation")
    raise ToolUnavailable(Text(f"/api/generate/{kind} needs {MISSING[kind]}.",
                               f"/api/generate/{kind} needs {MISSING[kind]}."))


def _unavailable_route(kind: str) -> Any:
    async def handler(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await unavailable(request, kind)

    handler.__name__ = handler.__qualname__ = f"generate_{kind.replace('-', '_')}"
    return post(f"/api/generate/{kind}", status_code=200)(handler)


UNAVAILABLE = [_unavailable_route(kind) for kind in MISSING]


@post("/api/voice-agent/calls/outbound", status_code=200)
async def outbound_call(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Phone calls need a telephony bridge (SIP or a carrier's API) that this server does not have: 503, charged 0."""
    await guard(request, "generation")
    raise ToolUnavailable(Text("Outbound calls need a telephony bridge (SIP or a carrier API), which NOXUS Local "
                               "does not have.",
                               "Outbound calls need a telephony bridge (SIP or a carrier API), which NOXUS Local "
                               "does not have."))


HANDLERS = [generate_voice, generate_clip, generate_image, generate_photoshoot, generate_translate, *UNAVAILABLE,
            outbound_call]
