"""Seed 002's client contract (Apex Studio): the ``/api/generate/*`` routes, and what every route of
the seed shares (its error body, its per-endpoint-type rate windows); the management routes
(``/api/jobs``, ``/api/usage``, ``/api/keys``, ``/api/settings``) are in api/apex_account_routes.py.

HTTP only, typed: a handler gets ``svc`` and ``principal`` by injection (resolving the principal is
authentication: a 401 before anything else), counts the request in its endpoint type's window, reads
the body into its Struct (api/apex_schemas.py, read by api/apex_body.py; the same Struct is the
published schema) and documents itself on its decorator (api/apex_docs.py: the seed's error body and
statuses). A generation renames the seed's members to a tool's fields and hands them to the one submit
path (api/submit.py) like every other contract (scope, limits, validation, hold, idempotency, one job
row); the hold is the route's credits (``[apex_credits]``) on the same USD ledger, charged when the job
succeeds and released when it fails. Success bodies are ``{"data": ...}``, errors ``{"error", "code"}``
(``jobs.apex``), and every authenticated answer carries the seed's ``X-RateLimit-*`` window of its
endpoint type (``[apex]``, times the tier's ``apex_rate_factor``).

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
from typing import Any, NoReturn

from anyio import to_thread
from litestar import Request, Response, post

from noxus_local.accounts.keys import Principal
from noxus_local.api.apex_body import read
from noxus_local.api.apex_docs import GENERATION_ERRORS, UNAVAILABLE_ERRORS, apex_operation
from noxus_local.api.apex_schemas import (
    QUEUED,
    ApexAvatarIn,
    ApexBRollIn,
    ApexCall,
    ApexClipIn,
    ApexClonedVoice,
    ApexCommercialIn,
    ApexImageIn,
    ApexInstantAdIn,
    ApexOutboundCallIn,
    ApexPhotoshootIn,
    ApexQueued,
    ApexQueuedData,
    ApexText2VideoIn,
    ApexTranslateIn,
    ApexVideoIn,
    ApexVoiceCloneIn,
    ApexVoiceIn,
)
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.envelope import EncodedResponse, add_headers, encode, raw_response
from noxus_local.api.input_refs import _from_asset, _from_url
from noxus_local.api.inputs import ParsedInput
from noxus_local.api.submit import remember, replayed, submit
from noxus_local.assets.store import ASSET_ID
from noxus_local.billing.limits import tier_limits
from noxus_local.errors import NoxusError, Text, ToolUnavailable, ValidationError
from noxus_local.jobs import apex
from noxus_local.locale import t
from noxus_local.money import Price
from noxus_local.node.services import Services
from noxus_local.tools.base import Limits

PREFIXES = ("/api/generate", "/api/jobs", "/api/usage", "/api/keys", "/api/settings", "/api/voice-agent",
            "/api/upload")
Builder = Callable[[Services, Principal, Path], Awaitable[ParsedInput]]

# a generation's answer: the queued job (the stored bytes, unchanged, on an Idempotency-Key replay)
Queued = Response[ApexQueued | bytes]


def is_apex_path(path: str) -> bool:
    """The seed's paths answer errors in the seed's shape (the app's one handler asks)."""
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


def error_response(exc: NoxusError, locale: str) -> Response[bytes]:
    status, body = apex.error_body(exc, locale)
    return raw_response(encode(body), status, dict(exc.headers))


def window(request: Request[Any, Any, Any], svc: Services, principal: Principal, kind: str) -> None:
    """Count the request in its endpoint type's window (``[apex]``) and send that window's headers.

    The principal is resolved first (``PrincipalDep``: a 401 comes before any 400 or 429 of the seed)."""
    limit, seconds = _window(svc, principal, kind)
    state = svc.apex_limiter.take(principal.key_id, kind, limit, seconds)
    if state is not None:
        add_headers(request, state.headers())


def _window(svc: Services, principal: Principal, kind: str) -> tuple[int, int]:
    settings, factor = svc.cfg.apex, svc.cfg.tiers[principal.tier].apex_rate_factor
    limit, seconds = getattr(settings, f"{kind}_requests"), getattr(settings, f"{kind}_window_seconds")
    return (math.ceil(limit * factor) if factor > 0 else 0), seconds


def fail(field: str, said: Text) -> ValidationError:
    """The seed's 400 for one field: ``raise fail("stream", t("apex_routes.true_or_false"))``."""
    return ValidationError.fields({field: [said]})


def renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A tool's field names in a 400 back to the seed's (``names``: seed name → tool name)."""
    back = {tool_name: seed_name for seed_name, tool_name in names.items()}
    fields = (exc.details or {}).get("field_errors")
    if not fields:
        return exc
    return ValidationError(exc.message, details={**(exc.details or {}),
                                                 "field_errors": {back.get(k, k): v for k, v in fields.items()}})


def given(fields: dict[str, Any]) -> dict[str, Any]:
    """The members the client sent (``None``: left to the tool's default)."""
    return {name: value for name, value in fields.items() if value is not None}


# ---- generation -------------------------------------------------------------------------------

async def generation(request: Request[Any, Any, Any], svc: Services, principal: Principal, kind: str, slug: str,
                     build: Builder, names: dict[str, str], units: int = 1, *, credits: int | None = None,
                     internal: dict[str, Any] | None = None, **extra: int) -> Queued:
    """A generation: a tool job through the one submit path, held at the route's credits (the seed's flat
    price, times ``units`` for a route priced per item, e.g. photoshoot's photos; or ``credits`` where the route
    prices the request itself, e.g. instant-ad per variation; charged on success, released on failure) and
    delivered to the account's webhook. ``internal``: more server-set params; ``extra``: more members of the
    answer (``estimated_minutes``, ``variation_count``).

    The answer is the ``ApexQueued`` Struct, encoded once (``EncodedResponse``): with an Idempotency-Key the
    bytes sent are stored and replayed unchanged."""
    credits = apex.route_credits(svc.cfg, kind) * units if credits is None else credits

    async def read_input(_limits: Limits, workdir: Path) -> ParsedInput:
        return await build(svc, principal, workdir)

    try:
        done = await submit(request, slug, read_input, route=f"/api/generate/{kind}",
                            internal=lambda job: {apex.TYPE_KEY: kind, **(internal or {})},
                            price=lambda job: Price(None, apex.credit_micros(svc.cfg, credits)),
                            webhook=lambda job: apex.account_webhook(svc.db, principal.account_id))
    except ValidationError as exc:  # the tool's field names back to the seed's
        raise renamed(exc, names) from None
    job_id = done.job.id
    if done.replay is not None:
        return replayed(svc, job_id, done.replay)
    svc.dispatcher.enqueue(job_id)
    label = kind.replace("-", " ").capitalize()
    answer = EncodedResponse(ApexQueued(data=ApexQueuedData(job_id=job_id, status="queued", **extra,
                                                            message=f"{label} generation job queued")))
    if done.options.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, 200, answer.raw, {})
    return answer


def queued(label: str, **data: Any) -> dict[str, Any]:
    return {"queued": {"data": {"jobId": QUEUED["queued"]["data"]["jobId"], "status": "queued", **data,
                                "message": f"{label} generation job queued"}}}


def fields_of(build: Callable[[], dict[str, Any]]) -> Builder:
    """A builder for a route whose inputs are all fields (no file to fetch)."""
    async def built(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        return ParsedInput(fields=build())

    return built


async def fetched(svc: Services, principal: Principal, workdir: Path, fields: dict[str, Any],
                  urls: list[tuple[str, str]], seed_name: str) -> ParsedInput:
    """``fields`` plus each ``(input name, url)`` file (SSRF-guarded, size-capped); a refused URL is a 400
    naming the seed's member."""
    parsed = ParsedInput(fields=fields)
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    for name, url in urls:
        try:
            await _from_url(svc, name, url, limits, workdir, parsed)
        except ValidationError as exc:
            raise renamed(exc, {seed_name: f"{name}_url"}) from None
    return parsed


VOICE_NAMES = {"text": "text", "voiceId": "voice_id", "speed": "speed", "language": "language"}


@post("/api/generate/voice", status_code=200, **apex_operation(
    "apexGenerateVoice", "Generate voice (TTS)",
    "Kokoro text-to-speech as a queued `text-to-speech` job (80 credits by default, `[apex_credits] voice`), held "
    "now, charged on success, refunded on failure. `model` other than `kokoro` is 400 naming ours.",
    ok=(ApexQueued, queued("Voice", estimatedMinutes=1)), errors=GENERATION_ERRORS,
    body=(ApexVoiceIn, {"hello": {"text": "Hello there", "language": "en"},
                    "spanish": {"text": "Hola, ¿qué tal?", "voiceId": "ef_dora", "speed": 1.1, "language": "es"}})))
async def generate_voice(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Queued:
    """Text to speech on the local Kokoro model: ``{"text": "Hello", "voiceId": "af_heart", "speed": 1.1}``."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexVoiceIn)
    language = (body.language or "en").lower()
    fields = {"text": body.text, "language": language, "speed": 1.0 if body.speed is None else body.speed,
              "format": "wav", "voice_id": body.voice_id or ("ef_dora" if language.startswith("es") else "af_heart")}
    minutes = max(1, math.ceil(len(body.text) / 15 / 60))  # ~15 characters a second of speech
    return await generation(request, svc, principal, "voice", "text-to-speech", fields_of(lambda: fields),
                            VOICE_NAMES, estimated_minutes=minutes)


CLIP_NAMES = {"maxClips": "max_clips", "minDuration": "min_duration", "maxDuration": "max_duration",
              "addCaptions": "add_captions", "aspectRatio": "aspect_ratio",
              "viralScoreThreshold": "viral_score_threshold", "sourceVideoUrl": "video"}


@post("/api/generate/clip", status_code=200, **apex_operation(
    "apexGenerateClip", "Auto-clip a video",
    "The `auto-clip` tool on the video at `sourceVideoUrl` (fetched through the SSRF guard; a refused address "
    "is 400, charged 0); 30 credits (`[apex_credits] clip`).",
    ok=(ApexQueued, queued("Clip")), errors=(*GENERATION_ERRORS, "invalid_media", "limit_exceeded"),
    body=(ApexClipIn, {"clips": {"sourceVideoUrl": "https://media.example/talk.mp4", "maxClips": 3,
                             "minDuration": 15, "maxDuration": 45, "aspectRatio": "9:16", "addCaptions": True}})))
async def generate_clip(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Queued:
    """The auto-clip tool on a video fetched (SSRF-guarded) from ``sourceVideoUrl``."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexClipIn)
    fields = given({"max_clips": body.max_clips, "min_duration": body.min_duration,
                    "max_duration": body.max_duration, "add_captions": body.add_captions,
                    "aspect_ratio": body.aspect_ratio, "viral_score_threshold": body.viral_score_threshold})

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        return await fetched(svc, principal, workdir, fields, [("video", body.source_video_url)], "sourceVideoUrl")

    return await generation(request, svc, principal, "clip", "auto-clip", build, CLIP_NAMES)


IMAGE_NAMES = {"prompt": "prompt", "width": "width", "height": "height", "steps": "steps", "seed": "seed",
               "style": "style", "model": "model", "negativePrompt": "negative_prompt"}


@post("/api/generate/image", status_code=200, **apex_operation(
    "apexGenerateImage", "Generate an image",
    "The `image-generate` tool on a configured engine (ComfyUI workflow or OpenAI-compatible image server): "
    "`model` names a `[generators.<name>]` (unknown: 400 listing them; none configured: 503 naming the "
    "section). 10 credits.", ok=(ApexQueued, queued("Image")), errors=GENERATION_ERRORS,
    body=(ApexImageIn, {"skyline": {"prompt": "A futuristic city skyline at sunset, photorealistic", "width": 1024,
                                "height": 768, "model": "flux-2-pro", "seed": 7}})))
async def generate_image(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Queued:
    """The ``image-generate`` tool on a configured engine: ``model`` names a ``[generators.<name>]``."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexImageIn)
    fields = given({"prompt": body.prompt, "width": body.width, "height": body.height, "steps": body.steps,
                    "seed": body.seed, "style": body.style, "model": body.model,
                    "negative_prompt": body.negative_prompt})
    return await generation(request, svc, principal, "image", "image-generate", fields_of(lambda: fields),
                            IMAGE_NAMES)


PHOTOSHOOT_NAMES = {"background": "background", "angle": "angle", "lighting": "lighting", "count": "count",
                    "customBackground": "custom_background", "model": "model", "productImage": "image"}


@post("/api/generate/photoshoot", status_code=200, **apex_operation(
    "apexGeneratePhotoshoot", "Product photoshoot",
    "The `product-photoshoot` tool on the photo at `productImage`: the product cut out (ISNet), framed by "
    "`angle`, placed on `background` with a shadow, relit by `lighting`; `count` (1-4) distinct photos, each "
    "as PNG and JPEG at the input's size (`outputUrl` is the first PNG). 30 credits per photo "
    "(`[apex_credits] photoshoot` × `count`). `lifestyle`, `outdoor` and a described `customBackground` need "
    "a configured image generator: without one, 503 naming `[generators.<name>]`, charged 0. A photo with "
    "no separable product fails with `creditsRefunded` (the NOXUS route answers 400 `no_foreground`).",
    ok=(ApexQueued, queued("Photoshoot")),
    errors=(*GENERATION_ERRORS, "invalid_media", "limit_exceeded", "asset_not_found", "asset_forbidden"),
    body=(ApexPhotoshootIn, {"studio": {"productImage": "https://shop.example/mug.jpg", "background": "studio-white",
                                    "angle": "45-degree", "lighting": "golden-hour", "count": 2}})))
async def generate_photoshoot(request: Request[Any, Any, Any], svc: ServicesDep,
                              principal: PrincipalDep) -> Queued:
    """The ``product-photoshoot`` tool on the photo at ``productImage`` (an http(s) URL fetched through the SSRF
    guard, or an assetId): ``{"productImage": "https://…/mug.jpg", "background": "studio-white", "count": 2}``.
    Held at ``[apex_credits] photoshoot`` per photo."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexPhotoshootIn)
    ref = body.product_image
    fields = given({"background": body.background, "angle": body.angle, "lighting": body.lighting,
                    "count": body.count, "custom_background": body.custom_background, "model": body.model})

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        if not ASSET_ID.fullmatch(ref):
            return await fetched(svc, principal, workdir, fields, [("image", ref)], "productImage")
        parsed = ParsedInput(fields=fields)
        limits = tier_limits(svc.cfg.tiers[principal.tier])
        try:
            await to_thread.run_sync(_from_asset, svc, principal.account_id, "image", ref, limits, workdir, parsed)
        except ValidationError as exc:
            raise renamed(exc, {"productImage": "image_asset_id"}) from None
        return parsed

    return await generation(request, svc, principal, "photoshoot", "product-photoshoot", build, PHOTOSHOOT_NAMES,
                            units=body.count or 1)


TRANSLATE_NAMES = {"videoUrl": "video", "outputLanguage": "target_language",
                   "preserveOriginalVoice": "preserve_original_voice"}


@post("/api/generate/translate", status_code=200, **apex_operation(
    "apexGenerateTranslate", "Translate (dub) a video",
    "The `dub-video` tool on the video at `videoUrl` (fetched through the SSRF guard): its speech recognised, "
    "translated line by line into `outputLanguage` and spoken by a voice of that language, fitted to each "
    "line's time over the original ducked (no lip-sync). 1800 credits (`[apex_credits] translate`). An "
    "unsupported language or one the video already speaks is 400; a video without speech is 400 (a silent "
    "track at once; speech not found, or the same language detected, fails the job and refunds it); "
    "`preserveOriginalVoice: true` is 503 (no voice-cloning model).",
    ok=(ApexQueued, queued("Translate")), errors=(*GENERATION_ERRORS, "invalid_media", "limit_exceeded"),
    body=(ApexTranslateIn, {"to english": {"videoUrl": "https://media.example/charla.mp4", "outputLanguage": "en"}})))
async def generate_translate(request: Request[Any, Any, Any], svc: ServicesDep,
                             principal: PrincipalDep) -> Queued:
    """The ``dub-video`` tool on the video at ``videoUrl`` (SSRF-guarded): ``outputLanguage`` is the target;
    ``preserveOriginalVoice: true`` is a 503 (no voice-cloning model), charged 0."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexTranslateIn)
    fields = {"target_language": body.output_language, "preserve_original_voice": bool(body.preserve_original_voice)}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        return await fetched(svc, principal, workdir, fields, [("video", body.video_url)], "videoUrl")

    return await generation(request, svc, principal, "translate", "dub-video", build, TRANSLATE_NAMES)


INSTANT_AD_NAMES = {"websiteUrl": "website_url", "platform": "platform", "count": "count", "style": "style",
                    "outputFormat": "output_format", "brandProfileId": "brand_profile_id"}


@post("/api/generate/instant-ad", status_code=200, **apex_operation(
    "apexGenerateInstantAd", "Instant ad from a URL",
    "The `instant-ad` tool: the page at `websiteUrl` is fetched now (SSRF guard, HTML only, `[assets] "
    "fetch_max_page_mb`; not HTML, a refused address or too big: 400, charged 0) and read for its title, "
    "price, images, colours and logo; `count` variations of headline, body and CTA are rendered at the "
    "platform's size in `style` (`outputFormat` video: 15 s video ads). Held per variation: `[apex_credits] "
    "instant_ad` for 4, `instant_ad_per_variation` less for each one fewer (500-1,250 by default). A page "
    "without images gives text-only ads with a warning.",
    ok=(ApexQueued, queued("Instant ad", estimatedMinutes=1, variationCount=2)),
    errors=(*GENERATION_ERRORS, "limit_exceeded", "not_found"),
    body=(ApexInstantAdIn, {"tiktok": {"websiteUrl": "https://shop.example/glow-mug", "platform": "tiktok",
                                   "count": 2, "style": "bold"}})))
async def generate_instant_ad(request: Request[Any, Any, Any], svc: ServicesDep,
                              principal: PrincipalDep) -> Queued:
    """The ``instant-ad`` tool on ``websiteUrl`` (fetched and read before the hold: a page that is not HTML,
    too big or behind a refused address is a 400 charged nothing), held per variation."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexInstantAdIn)
    fields = given({"website_url": body.website_url, "platform": body.platform, "count": body.count,
                    "style": body.style, "output_format": body.output_format,
                    "brand_profile_id": body.brand_profile_id})
    cfg = svc.cfg
    credits = instant_ad_credits(cfg.apex_credits.instant_ad, cfg.apex_credits.instant_ad_per_variation, body.count)
    return await generation(request, svc, principal, "instant-ad", "instant-ad", fields_of(lambda: fields),
                            INSTANT_AD_NAMES, credits=credits,
                            estimated_minutes=1 if (body.output_format or "image") == "image" else 5,
                            variation_count=body.count)


def instant_ad_credits(most: int, per_variation: int, count: int) -> int:
    """A run's credits: ``most`` for 4 variations, ``per_variation`` less for each one fewer.

    Example: ``instant_ad_credits(1250, 250, 1) == 500`` (the seed's 500-1,250 range).
    """
    return max(0, most - per_variation * (4 - count))


COMMERCIAL_NAMES = {"product": "prompt", "duration": "duration", "tone": "tone", "voiceId": "voice_id",
                    "musicMood": "music_mood", "productImages": "images"}
COMMERCIAL_PLATFORMS = {"tiktok": "9:16", "instagram": "9:16", "youtube": "16:9", "tv": "16:9"}
COMMERCIAL_TONES = {"professional": "minimal", "energetic": "bold", "casual": "glass", "luxury": "editorial",
                    "funny": "neon"}


@post("/api/generate/commercial", status_code=200, **apex_operation(
    "apexGenerateCommercial", "Generate a commercial",
    "The `video-ad` tool: `product` (and `targetAudience`) as the brief, `productImages` (1-10 URLs, fetched "
    "through the SSRF guard; required: this server generates no footage) as its pictures, `platform` as the "
    "aspect (tiktok/instagram 9:16, youtube/tv 16:9), `tone` as the end card, motion and pace; 3000 credits. "
    "`spokespersonImage` and `videoModel` are 503 (no video generator).",
    ok=(ApexQueued, queued("Commercial", estimatedMinutes=4)),
    errors=(*GENERATION_ERRORS, "invalid_media", "limit_exceeded"),
    body=(ApexCommercialIn, {"mug": {"product": "Glow mug: keeps coffee hot for 6 hours", "platform": "instagram",
                                 "duration": 30, "tone": "energetic",
                                 "productImages": ["https://shop.example/mug-1.jpg",
                                                   "https://shop.example/mug-2.jpg"]}})))
async def generate_commercial(request: Request[Any, Any, Any], svc: ServicesDep,
                              principal: PrincipalDep) -> Queued:
    """The ``video-ad`` tool: ``product`` as the brief, ``productImages`` (1-10 URLs, fetched through the SSRF
    guard) as its pictures, ``platform`` as the aspect, ``tone`` as the end card, the voice's pace and the
    motion. This server has no video generator, so ``productImages`` is required, and ``spokespersonImage``
    and ``videoModel`` are refused (503) rather than ignored."""
    window(request, svc, principal, "generation")
    body = read(await request.body(), ApexCommercialIn)
    for name, value in (("spokespersonImage", body.spokesperson_image), ("videoModel", body.video_model)):
        if value is not None:
            raise ToolUnavailable(t("apex_routes.needs_video_generator_which", name=name))
    tone, audience = body.tone, body.target_audience
    fields: dict[str, Any] = {
        "prompt": f"{body.product} — for {audience}" if audience else body.product, "duration": body.duration,
        "aspect_ratio": COMMERCIAL_PLATFORMS[body.platform], "tone": tone,
        "cta_design": COMMERCIAL_TONES[tone], "emotion": "excitement" if tone in ("energetic", "funny") else "",
        "voice_style": "energetic" if tone in ("energetic", "funny") else "calm" if tone == "luxury" else "",
        **given({"voice_id": body.voice_id or None, "music_mood": body.music_mood or None})}

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        urls = [(f"images_{i}", url) for i, url in enumerate(body.product_images)]
        return await fetched(svc, principal, workdir, fields, urls, "productImages")

    return await generation(request, svc, principal, "commercial", "video-ad", build, COMMERCIAL_NAMES,
                            internal={"apex_platform": body.platform},
                            estimated_minutes=max(1, body.duration // 15 * 2))


# what each route would need; answered 503 until it exists (documented in the README). The video routes
# are served when a [generators.<name>] of their kind is configured (below), and 503 naming it otherwise.
VIDEO_ENGINE = ('a video generator: add a [generators.<name>] table with kind = "video", your ComfyUI\'s url and '
                "a video workflow in API format")
MISSING: dict[str, str] = {
    "video": VIDEO_ENGINE, "b-roll": VIDEO_ENGINE, "text2video": VIDEO_ENGINE,
    "avatar": 'a talking-head engine: add a [generators.<name>] table with kind = "avatar", your ComfyUI\'s url '
              "and an avatar workflow in API format",
    "voice-clone": "a voice-cloning model (e.g. an OpenVoice or XTTS-v2 ONNX export); none is installed",
}
VIDEO_ROUTES = ("video", "b-roll", "text2video", "avatar")
# the seed's body and answer of each (published as the seed defines them; the body is not read)
SEED_SHAPES: dict[str, tuple[type, dict[str, Any], Any, dict[str, Any]]] = {
    "video": (ApexVideoIn, {"script": "Meet the Glow mug.", "resolution": "720p", "style": "energetic"},
              ApexQueued, queued("Video")),
    "b-roll": (ApexBRollIn, {"prompt": "Steam rising from a coffee mug at dawn", "duration": 5}, ApexQueued,
               queued("B roll")),
    "text2video": (ApexText2VideoIn, {"script": "A city wakes up.", "style": "cinematic"}, ApexQueued,
                   queued("Text2video")),
    "avatar": (ApexAvatarIn, {"image": "https://media.example/face.jpg", "resolution": "720p", "model": "veed-fabric",
                          "text": "Hello!"}, ApexQueued, queued("Avatar")),
    "voice-clone": (ApexVoiceCloneIn, {"name": "Ana", "sampleAudioUrl": "https://media.example/ana.wav"},
                    ApexClonedVoice, {"cloned": {"voiceId": "voice_3f9a0c1b", "message": "Voice cloned successfully"}}),
}


def unavailable(kind: str) -> ToolUnavailable:
    """A route whose engine this server lacks: 503 naming it, after auth and the rate window; charged 0."""
    return ToolUnavailable(t("apex_routes.api_generate_needs", kind=kind, missing=MISSING[kind]))


def _unavailable_route(kind: str) -> Any:
    body_model, body_example, ok_model, ok_examples = SEED_SHAPES[kind]

    async def handler(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> NoReturn:
        window(request, svc, principal, "generation")
        raise unavailable(kind)

    handler.__name__ = handler.__qualname__ = f"generate_{kind.replace('-', '_')}"
    return post(f"/api/generate/{kind}", status_code=200, **apex_operation(
        f"apexGenerate{kind.title().replace('-', '')}", f"Generate {kind} (not available here)",
        f"Answers 503 `SERVICE_UNAVAILABLE` after authentication and the generation rate window: it needs "
        f"{MISSING[kind]}. Charged 0. The body and answer are published as seed 002 defines them; the body is "
        "not read.", ok=(ok_model, ok_examples), errors=UNAVAILABLE_ERRORS,
        body=(body_model, {"seed": body_example})))(handler)


UNAVAILABLE = [_unavailable_route(kind) for kind in MISSING if kind not in VIDEO_ROUTES]


@post("/api/voice-agent/calls/outbound", status_code=200, **apex_operation(
    "apexOutboundCall", "Start an outbound call (not available here)",
    "Answers 503 `SERVICE_UNAVAILABLE` after authentication and the generation rate window: phone calls need a "
    "telephony bridge this server does not have. Charged 0. The body and answer are published as seed 002 "
    "defines them; the body is not read.",
    ok=(ApexCall, {"call": {"data": {"callId": "call_5c0e2a7d", "status": "active"}}}), errors=UNAVAILABLE_ERRORS,
    body=(ApexOutboundCallIn, {"seed": {"agentId": "agent_1", "phoneNumber": "+34600000000"}})))
async def outbound_call(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> NoReturn:
    """Phone calls need a telephony bridge (SIP or a carrier's API) that this server does not have: 503, charged 0."""
    window(request, svc, principal, "generation")
    raise ToolUnavailable(t("apex_routes.calls"))


HANDLERS = [generate_voice, generate_clip, generate_image, generate_photoshoot, generate_translate,
            generate_instant_ad, generate_commercial, *UNAVAILABLE, outbound_call]
