"""Seed 003's bodies as msgspec Structs: what its routes read and answer, and what Litestar documents.

The names are the seed's own (camelCase, no ``success``/``request_id`` envelope:
seed 003 answers bare objects). ``AdGenerateIn`` is ``POST /api/v1/generate``'s
body with every field of the seed's table and its bounds; the route checks a body
with ``ad_routes.check_body`` first, because the seed answers *every* field error at
once in its own words (``"Duration must be 15, 30, or 60"``), then converts it into
this Struct (a unit test keeps the two in step). ``SeedError`` is the error body of
every seed 003 route (cta_routes.py's and job_routes.py's ``ver_`` versions too).

Example::

    msgspec.convert({"prompt": "Headphones", "imageAssetIds": ["asset_1"], "duration": 15,
                     "voiceId": "af_heart"}, AdGenerateIn, strict=True).aspectRatio   # "9:16"
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.docs import RID

AD_VERSION = "ver_4e2a9c7b1d3f5a6e8c0b2d4f"
AD_PROJECT = "proj_1a2b3c4d5e6f7a8b9c0d1e2f"
EXAMPLE_ASSET = "asset_5b1c0e8f2a9d4c7e1f3a6b2d"
CtaDesign = Literal["minimal", "bold", "gradient", "split", "glass", "neon", "editorial", "brutalist"]
VersionStatus = Literal["generating", "completed", "failed"]
Credits = Annotated[int, Meta(ge=0, description="Credits (`[credits] usd_per_credit` USD each)")]
Hint200 = Annotated[str, Meta(max_length=200)]
Images = Annotated[list[str], Meta(min_length=1, max_length=10)]
Uri = Annotated[str, Meta(extra_json_schema={"format": "uri"})]


class AdGenerateIn(Struct, kw_only=True):
    """Seed 003's generate body: `prompt`, `duration`, `voiceId` and exactly one of `imageUrls` and
    `imageAssetIds`. Unknown members are ignored, as the seed's validator does."""

    prompt: Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S",
                                description="Creative prompt describing your ad (1-2000 chars)")]
    imageUrls: Annotated[list[Uri], Meta(
        min_length=1, max_length=10,
        description="Product image URLs (1-10); the server downloads them (SSRF-checked, size-capped)")] | None = None
    imageAssetIds: Annotated[Images, Meta(description="Pre-uploaded asset ids (1-10) from POST /api/v1/assets")] | \
        None = None
    duration: Annotated[Literal[15, 30, 60], Meta(description="Video length in seconds")]
    voiceId: Annotated[str, Meta(min_length=1, max_length=200, description="A voice_id of GET /api/v1/voices",
                                 examples=["af_heart"])]
    aspectRatio: Literal["9:16", "16:9"] | None = "9:16"
    veoModel: Annotated[str, Meta(max_length=100, description=(
        "A configured video generator ([generators.<name>] with kind = \"video\": a ComfyUI image-to-video "
        "workflow with {{image}}) that animates each scene's edited product shot; any other value is a 400 "
        "listing the configured ones. Leave it out for the built-in motion engine. A scene the generator fails "
        "is made by the motion engine (a warning; the video_generation sub-job notes each scene's engine)"),
        examples=["wan-i2v"])] | None = None
    logoAssetId: Annotated[str, Meta(description="An image asset laid over the video and on the end card")] | \
        None = None
    musicAssetId: Annotated[str, Meta(description=(
        "An audio asset for the background music; default: a bundled track chosen by musicMood"))] | None = None
    companyName: Annotated[str, Meta(max_length=100, description="Shown on the CTA end card")] | None = None
    ctaDesign: Annotated[CtaDesign, Meta(description="The end card's layout (GET /api/v1/cta-designs)")] | \
        None = None
    gradientColor: Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="Hex colour for the gradient CTA",
                                       examples=["#FF5500"])] | None = None
    voiceStyle: Annotated[Hint200, Meta(description="Hint for the voice direction")] | None = None
    musicMood: Annotated[Hint200, Meta(description="Hint for the music selection")] | None = None
    tone: Annotated[Hint200, Meta(description="Creative tone: luxury, playful, corporate ...")] | None = None
    emotion: Annotated[Hint200, Meta(description="Animation emotion style")] | None = None
    editStyle: Annotated[str, Meta(max_length=500, description=(
        "Image editing direction applied to every scene; guides the scene planner and the image editor"))] | \
        None = None
    qualityLoopVariants: Annotated[Literal[1, 2, 3], Meta(description="Image edit variants per scene")] | None = 2


# the Struct's schema cannot say "exactly one of": the operation's request body adds it
IMAGES_XOR = [{"required": ["imageUrls"]}, {"required": ["imageAssetIds"]}]


class AdGenerated(Struct, kw_only=True):
    projectId: str
    versionId: Annotated[str, Meta(description="Poll GET /api/v1/jobs/{versionId}")]
    totalCredits: Annotated[Credits, Meta(description="Held up front; refunded if the version fails")]
    jobCount: Annotated[int, Meta(ge=1, description="The pipeline's steps (seed 003's sub-jobs)")]


class AdSubJob(Struct, kw_only=True):
    id: str
    job_type: str
    status: str
    error_message: str | UnsetType = UNSET
    details: Annotated[dict[str, Any], Meta(description="What the step decided: scene_plan each scene's image "
                                                        "(index) and on-screen text; image_edit every variant's "
                                                        "score parts and the pick; video_generation the engine "
                                                        "of each scene (engines: a generator's name or motion)")] \
        | UnsetType = UNSET


class AdSubJobs(Struct, kw_only=True):
    total: int
    completed: int
    failed: int
    details: list[AdSubJob]


class AdVersion(Struct, kw_only=True):
    """Seed 003's version body (``GET /api/v1/jobs/{versionId}``)."""

    versionId: str
    status: VersionStatus
    progress: Annotated[int, Meta(ge=0, le=100)]
    videoUrl: Annotated[str | None, Meta(description="Set when status is completed")]
    totalCredits: Credits
    jobs: AdSubJobs


class AdLimits(Struct, kw_only=True):
    maxConcurrentJobs: int
    rateLimitRpm: Annotated[int, Meta(description="0: no per-minute limit")]


class AdCredits(Struct, kw_only=True):
    balance: Annotated[int, Meta(description="Available credits (the balance less holds), rounded down")]
    tier: str
    activeJobs: Annotated[int, Meta(ge=0, description="Queued and running jobs")]
    limits: AdLimits


class AdPackage(Struct, kw_only=True):
    id: str
    name: str
    credits: int
    priceCents: int
    priceDisplay: str
    popular: bool


class AdPackages(Struct, kw_only=True):
    packages: list[AdPackage]


class AdLatestVersion(Struct, kw_only=True):
    versionId: str
    status: VersionStatus
    progress: Annotated[int, Meta(ge=0, le=100)]
    totalCredits: Credits


class AdProject(Struct, kw_only=True):
    projectId: str
    name: str
    createdAt: Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
    latestVersion: AdLatestVersion | None


class AdPagination(Struct, kw_only=True):
    limit: int
    offset: int
    total: int
    hasMore: bool


class AdProjects(Struct, kw_only=True):
    projects: list[AdProject]
    pagination: AdPagination


class SeedError(Struct, kw_only=True, omit_defaults=True):
    """Seed 003's error body; a 400 adds `details` {fieldErrors, formErrors}, a concurrency 429 `active`/`max`."""

    error: str
    details: dict[str, Any] | UnsetType = UNSET
    active: int | UnsetType = UNSET
    max: int | UnsetType = UNSET


GENERATE_EXAMPLES = {
    "headphones": {"prompt": "Premium wireless headphones — sleek, modern, lifestyle",
                   "imageAssetIds": [EXAMPLE_ASSET], "duration": 15, "voiceId": "af_heart", "aspectRatio": "9:16",
                   "companyName": "SoundWave", "ctaDesign": "bold", "gradientColor": "#FF5500"},
    "from URLs": {"prompt": "Luxury skincare product — clean, minimal, elegant",
                  "imageUrls": ["https://example.com/product-front.png"], "duration": 15, "voiceId": "af_heart",
                  "aspectRatio": "16:9", "companyName": "Glow Labs", "ctaDesign": "minimal"},
}
GENERATED = {"ok": {"projectId": AD_PROJECT, "versionId": AD_VERSION, "totalCredits": 170, "jobCount": 5}}
CREDITS = {"ok": {"balance": 450, "tier": "starter", "activeJobs": 1,
                  "limits": {"maxConcurrentJobs": 3, "rateLimitRpm": 60}}}
PACKAGES = {"ok": {"packages": [{"id": "api-starter", "name": "API Starter", "credits": 500, "priceCents": 3900,
                                 "priceDisplay": "$39", "popular": False},
                                {"id": "api-growth", "name": "API Growth", "credits": 2000, "priceCents": 11900,
                                 "priceDisplay": "$119", "popular": True}]}}
PROJECTS = {"ok": {"projects": [{"projectId": AD_PROJECT, "name": "Premium wireless headphones",
                                 "createdAt": "2026-12-06T15:00:00Z", "latestVersion": {
                                     "versionId": AD_VERSION, "status": "completed", "progress": 100,
                                     "totalCredits": 170}}],
                   "pagination": {"limit": 20, "offset": 0, "total": 1, "hasMore": False}}}
__all__ = ["RID", "AdVersion", "SeedError"]
