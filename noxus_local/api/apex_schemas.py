"""Seed 002's (Apex Studio) bodies as msgspec Structs: what its routes read, answer and publish.

One type per body, read strictly (``api.apex_body.read``) and published by Litestar from the same
Struct: the seed's camelCase names (``rename="camel"``), its bounds and allowed values in ``Meta``.
Members the seed does not define are ignored, as the seed's hosted API does (a client written for
it may send more; the typed NOXUS routes refuse them instead). Answers are ``{"data": ...}``,
errors ``{"error", "code"}`` (``ApexError``).

Example::

    msgspec.convert({"text": "Hello", "voiceId": "af_heart"}, ApexVoiceIn, strict=True).voice_id  # 'af_heart'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

TAG = "Apex Studio (seed 002)"
JOB = "job_5c0e2a7d9b1f3e4a6c8d0b2f"


def text(low: int, high: int, description: str = "", **more: Any) -> Any:
    """A string of ``low``-``high`` characters, as ``Meta`` publishes and checks it."""
    return Meta(min_length=low, max_length=high, description=description or None, **more)


ApexUrl = Annotated[str, text(8, 2048, "An http(s) URL, fetched through the SSRF guard")]
ApexVoiceModel = Literal["kokoro"]


class ApexBody(Struct, rename="camel", kw_only=True):
    """A seed 002 request body: camelCase members, unknown ones ignored."""


# ---- generation bodies ------------------------------------------------------------------------

class ApexVoiceIn(ApexBody):
    """``POST /api/generate/voice``: Kokoro text to speech."""

    text: Annotated[str, text(1, 10_000, "Text to speak")]
    voice_id: Annotated[str, text(1, 200, "A voice of GET /api/v1/voices (default af_heart, ef_dora for "
                                          "Spanish)")] | None = None
    speed: Annotated[float, Meta(ge=0.5, le=2.0, description="Playback speed (default 1.0)")] | None = None
    language: Annotated[str, text(2, 12, "ISO language code (default en)")] | None = None
    model: Annotated[ApexVoiceModel, Meta(description="The TTS model: only kokoro runs here")] | None = None


class ApexClipIn(ApexBody):
    """``POST /api/generate/clip``: the auto-clip tool on a fetched video."""

    source_video_url: Annotated[str, text(8, 2048, "HTTPS URL of the source video (SSRF-guarded)")]
    max_clips: Annotated[float, Meta(ge=1, le=20, description="Maximum clips to extract")] | None = None
    min_duration: Annotated[float, Meta(description="Min clip duration (seconds)")] | None = None
    max_duration: Annotated[float, Meta(description="Max clip duration (seconds)")] | None = None
    add_captions: Annotated[bool, Meta(description="Add auto-captions")] | None = None
    aspect_ratio: Literal["9:16", "1:1", "16:9"] | None = None
    viral_score_threshold: Annotated[float, Meta(ge=1, le=10, description="Minimum score")] | None = None


class ApexImageIn(ApexBody):
    """``POST /api/generate/image``: the image-generate tool on a configured engine."""

    prompt: Annotated[str, text(1, 2000, "Text prompt")]
    width: Annotated[int, Meta(ge=256, le=2048, description="Image width (default 1024)")] | None = None
    height: Annotated[int, Meta(ge=256, le=2048, description="Image height (default 1024)")] | None = None
    steps: Annotated[int, Meta(ge=1, le=50, description="Inference steps (default 4)")] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**53, description="Reproducibility seed")] | None = None
    style: Literal["photorealistic", "illustration", "3d", "flat"] | None = None
    model: Annotated[str, text(1, 100, "A [generators.<name>] of the config")] | None = None
    negative_prompt: Annotated[str, text(0, 2000, "What to avoid in the image")] | None = None


ApexPhotoshootBackground = Literal["studio-white", "lifestyle", "outdoor", "flat-lay", "custom"]
ApexPhotoshootAngle = Literal["front", "hero", "45-degree", "top-down", "lifestyle", "three-quarter", "close-up"]
ApexPhotoshootLighting = Literal["studio", "natural", "dramatic", "soft", "golden-hour"]


class ApexPhotoshootIn(ApexBody):
    """``POST /api/generate/photoshoot``: the product-photoshoot tool on a fetched photo or an asset."""

    product_image: Annotated[str, text(1, 2048, "HTTP(S) URL of the product photo (fetched through the SSRF "
                                                "guard) or an assetId")]
    background: Annotated[ApexPhotoshootBackground, Meta(description=(
        "studio-white and flat-lay are drawn here; lifestyle and outdoor need a configured "
        "[generators.<name>]"))]
    angle: ApexPhotoshootAngle | None = None
    lighting: ApexPhotoshootLighting | None = None
    count: Annotated[int, Meta(ge=1, le=4, description="Number of photos (default 1), each held")] | None = None
    custom_background: Annotated[str, text(1, 500, (
        "background=custom: a colour (#F4D35E), two for a gradient (#FF5500, #7A1FA2), or a description a "
        "configured generator draws"))] | None = None
    model: Annotated[str, text(1, 100, "A [generators.<name>] for generated backdrops")] | None = None


class ApexTranslateIn(ApexBody):
    """``POST /api/generate/translate``: the dub-video tool on a fetched video."""

    video_url: Annotated[str, text(8, 2048, "HTTPS URL of the source video (SSRF-guarded)")]
    output_language: Annotated[str, text(2, 12, "Target language ISO code: en, en-gb, es, fr, hi, it, ja, pt, "
                                                "pt-br, zh")]
    preserve_original_voice: Annotated[bool, Meta(description=(
        "Keep the original voice's timbre: true is 503 (no voice-cloning model)"))] | None = None


class ApexInstantAdIn(ApexBody):
    """``POST /api/generate/instant-ad``: the instant-ad tool on a product page."""

    website_url: Annotated[str, text(8, 2048, "Product or landing page URL (HTML), fetched through the SSRF "
                                              "guard")]
    platform: Literal["tiktok", "youtube", "instagram", "facebook", "linkedin"]
    count: Annotated[int, Meta(ge=1, le=4, description="Number of variations, each held")]
    style: Literal["modern", "bold", "minimal", "luxury", "playful"]
    output_format: Literal["image", "video", "both"] | None = None
    brand_profile_id: Annotated[str, text(1, 64, "A saved brand profile (GET /api/v1/brand-profiles)")] | None \
        = None


ApexCommercialPlatform = Literal["tiktok", "instagram", "youtube", "tv"]
ApexCommercialTone = Literal["professional", "energetic", "casual", "luxury", "funny"]
NO_FOOTAGE = "Refused (503): no video generator"


class ApexCommercialIn(ApexBody):
    """``POST /api/generate/commercial``: the video-ad tool on fetched product images."""

    product: Annotated[str, text(1, 2000, "Product name/description")]
    platform: Annotated[ApexCommercialPlatform, Meta(description="tiktok/instagram 9:16, youtube/tv 16:9")]
    duration: Annotated[Literal[15, 30, 60], Meta(description="Seconds")]
    tone: Annotated[ApexCommercialTone, Meta(description="The end card, motion and pace")]
    product_images: Annotated[list[ApexUrl], Meta(min_length=1, max_length=10, description=(
        "Product image URLs (required here: this server generates no footage)"))]
    target_audience: Annotated[str, text(0, 500, "Target audience description")] | None = None
    voice_id: Annotated[str, text(1, 200, "A voice of GET /api/v1/voices")] | None = None
    voice_model: ApexVoiceModel | None = None
    music_mood: Annotated[str, text(1, 200, "Background music mood")] | None = None
    spokesperson_image: Annotated[str, text(1, 2048, NO_FOOTAGE)] | None = None
    video_model: Annotated[str, text(1, 2048, NO_FOOTAGE)] | None = None


# the seed's bodies of the routes this server answers 503 (api/apex_routes.MISSING): published, not read

class ApexVideoIn(ApexBody):
    """``POST /api/generate/video`` as the seed defines it: ai-video-generate on a ``kind = "video"`` generator."""

    script: Annotated[str, text(1, 5000, "Video script")]
    avatar_image: Annotated[str, Meta(description="HTTPS URL of a face image for an avatar")] | None = None
    voice_id: str | None = None
    duration: Annotated[float, Meta(ge=3, le=60, description="Max seconds")] | None = None
    resolution: Literal["720p", "1080p"] | None = None
    style: Literal["professional", "casual", "energetic"] | None = None
    model: str | None = None


class ApexBRollIn(ApexBody):
    """``POST /api/generate/b-roll`` as the seed defines it: ai-video-generate on a ``kind = "video"`` generator."""

    prompt: Annotated[str, Meta(description="Scene description")]
    duration: Annotated[float, Meta(ge=3, le=6, description="Seconds")] | None = None
    resolution: Literal["480p", "720p"] | None = None
    model: str | None = None


class ApexText2VideoIn(ApexBody):
    """``POST /api/generate/text2video`` as the seed defines it: ai-video-generate on a video generator."""

    script: Annotated[str, Meta(description="Video script")]
    duration: Annotated[float, Meta(description="Seconds")] | None = None
    resolution: Literal["720p", "1080p"] | None = None
    style: Literal["cinematic", "documentary", "animation", "aerial"] | None = None
    model: str | None = None


class ApexAvatarIn(ApexBody):
    """``POST /api/generate/avatar`` as the seed defines it: ai-video-generate on a ``kind = "avatar"`` generator."""

    image: Annotated[str, Meta(description="HTTPS URL of the spokesperson photo")]
    resolution: Literal["480p", "720p", "1080p"]
    model: str
    audio: Annotated[str, Meta(description="Pre-recorded audio URL")] | None = None
    text: Annotated[str, Meta(description="Text to speak (if no audio)")] | None = None
    voice_id: str | None = None


class ApexVoiceCloneIn(ApexBody):
    """``POST /api/generate/voice-clone`` as the seed defines it (503 here: no voice-cloning model)."""

    name: Annotated[str, text(1, 100, "Voice name")]
    sample_audio_url: Annotated[str, Meta(description="HTTPS URL of a 15-30 s audio sample")]


class ApexOutboundCallIn(ApexBody):
    """``POST /api/voice-agent/calls/outbound`` as the seed defines it (503 here: no telephony bridge)."""

    agent_id: Annotated[str, Meta(description="Voice agent ID")]
    phone_number: Annotated[str, Meta(description="Target phone number (E.164)")]


# ---- management bodies ------------------------------------------------------------------------

class ApexKeyIn(ApexBody):
    """``POST /api/keys``."""

    name: Annotated[str, text(1, 100, "Key display name (unique in the account)")]


class ApexSettingsIn(ApexBody):
    """``PATCH /api/settings``: ``webhookUrl`` is required; ``null`` removes it."""

    webhook_url: Annotated[str, text(8, 2048, (
        "HTTPS URL to receive webhook events (http:// only for a host of [webhooks] allow_hosts); SSRF-checked"))] \
        | None


# ---- answers ----------------------------------------------------------------------------------

class ApexError(Struct, kw_only=True):
    """Every seed 002 error: a sentence (a 400 names the fields) and the seed's code."""

    error: Annotated[str, Meta(description="A sentence; a 400 names the fields")]
    code: Literal["BAD_REQUEST", "UNAUTHORIZED", "PAYMENT_REQUIRED", "FORBIDDEN", "NOT_FOUND",
                  "METHOD_NOT_ALLOWED", "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"]


class ApexQueuedData(Struct, rename="camel", kw_only=True):
    job_id: str
    status: Literal["queued"]
    estimated_minutes: int | UnsetType = UNSET
    variation_count: int | UnsetType = UNSET
    message: str


class ApexQueued(Struct, kw_only=True):
    """A generation job queued: poll ``GET /api/jobs?id=`` or wait for the webhook."""

    data: ApexQueuedData


class ApexJob(Struct, rename="camel", kw_only=True):
    """One job in the seed's shape (``jobs.apex.apex_job``): ``outputUrl`` once completed, ``error`` once failed."""

    id: str
    job_id: str
    type: str
    status: Annotated[str, Meta(description="queued | processing | completed | failed")]
    tool: str
    created_at: str | None
    output_url: str | UnsetType = UNSET
    output_type: str | None | UnsetType = UNSET
    metadata: dict[str, Any]
    credits_charged: int | None
    completed_at: str | None | UnsetType = UNSET
    error: str | UnsetType = UNSET
    failed_at: str | None | UnsetType = UNSET
    credits_refunded: int | UnsetType = UNSET


class ApexJobs(Struct, kw_only=True):
    """``GET /api/jobs``: one job with ``?id=``, else the latest 50."""

    data: ApexJob | list[ApexJob]


class ApexUsageData(Struct, rename="camel", kw_only=True):
    credits: int
    used: dict[str, int]
    plan: str
    balance_usd: str


class ApexUsage(Struct, kw_only=True):
    data: ApexUsageData


class ApexKeyView(Struct, rename="camel", kw_only=True):
    id: str
    name: str
    prefix: str
    environment: str
    created_at: str | None
    revoked_at: str | None


class ApexKeys(Struct, kw_only=True):
    data: list[ApexKeyView]


class ApexNewKey(Struct, kw_only=True):
    id: str
    key: Annotated[str, Meta(description="The key itself: shown this once")]
    name: str


class ApexKey(Struct, kw_only=True):
    data: ApexNewKey


class ApexRevokedData(Struct, kw_only=True):
    id: str
    revoked: bool


class ApexRevoked(Struct, kw_only=True):
    data: ApexRevokedData


class ApexWebhook(Struct, rename="camel", kw_only=True):
    webhook_url: str | None
    webhook_secret: Annotated[str | None, Meta(description="Signs the deliveries (X-ApexWebhook-Signature)")]


class ApexSettings(Struct, kw_only=True):
    data: ApexWebhook


# the seed's answers of the routes that are 503 here, published as the seed defines them

class ApexClonedVoice(Struct, rename="camel", kw_only=True):
    voice_id: str
    message: str


class ApexCallData(Struct, rename="camel", kw_only=True):
    call_id: str
    status: str


class ApexCall(Struct, kw_only=True):
    data: ApexCallData


QUEUED = {"queued": {"data": {"jobId": JOB, "status": "queued", "estimatedMinutes": 1,
                              "message": "Voice generation job queued"}}}
