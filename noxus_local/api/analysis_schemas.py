"""Seed 001's analysis bodies as msgspec Structs: what the analysis routes take and answer, published by Litestar.

Seed 001 keeps its own status words (``queued``, ``processing``, ``finished``, ``failed``) and its
``{job_id, status, items | result}`` shapes inside our envelope. The request Structs are read by the
routes' own readers, which keep seed 001's leniency: a bad *item* of a batch fails alone instead of
making the request a 400, so ``images`` is a list of anything here and the item's shape is
described in words; ``features`` names are checked by ``analysis.features.check_features``.

Example::

    msgspec.convert({"images": [{"id": "a", "url": "https://shop.example/a.png"}]}, AnalysisImagesIn)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.analysis.features import DEFAULT_FEATURES, FEATURES
from noxus_local.api.schemas import Envelope

VIDEO_JOB = "job_3d5f7a9c1e2b4d6f8a0c2e4b"
# a finished video analysis's ``result``, as the GET route and the tool's run answer it (the docs' example)
VIDEO_RESULT_EXAMPLE = {
    "probe": {"duration": 13.0, "container": "mov,mp4,m4a,3gp,3g2,mj2", "size_bytes": 129308, "bit_rate": 79574,
              "fps": 30.0, "width": 640, "height": 360, "coded_width": 640, "coded_height": 360, "rotation": 0,
              "video_codec": "h264", "frames": 390,
              "audio": {"present": True, "codec": "aac", "sample_rate": 48000, "channels": 1}},
    "scenes": [{"start": 0.0, "end": 2.5, "transition": "start"}, {"start": 2.5, "end": 8.0, "transition": "cut"},
               {"start": 8.0, "end": 13.0, "transition": "fade"}],
    "keyframes": [{"index": 0, "time": 1.0, "scene": 0, "reason": "scene", "width": 640, "height": 360,
                   "output": "keyframe-000", "analysis": {"colors": {"palette": []}},
                   "url": f"/api/v1/files/{VIDEO_JOB}/keyframe-000.jpg?expires=1779721445&sig=9a1b…"}],
    "audio": {"present": True, "duration": 13.0, "speech": [{"start": 1.0, "end": 3.6}], "speech_seconds": 2.6,
              "silences": [{"start": 3.6, "end": 13.0}],
              "loudness": {"standard": "EBU R128", "integrated_lufs": -27.4, "loudness_range_lu": 6.8,
                           "true_peak_dbtp": -8.1}},
    "features": ["colors", "quality"]}
SeedStatus = Literal["queued", "processing", "finished", "failed"]
Feature = Literal["metadata", "colors", "hash", "quality", "ocr", "faces", "safety", "tags", "objects", "embedding"]
assert set(Feature.__args__) == set(FEATURES)  # type: ignore[attr-defined]  # one list of names
Features = Annotated[list[Any], Meta(min_length=1, description=(
    f"Default: {', '.join(DEFAULT_FEATURES)}"), extra_json_schema={"items": {"enum": list(FEATURES)}})]


class Webhook(Struct, kw_only=True):
    url: Annotated[str, Meta(description="Called with the GET body plus `event` when the job ends",
                             extra_json_schema={"format": "uri"})]
    secret: Annotated[str, Meta(max_length=512, description="Signs X-Webhook-Signature (HMAC-SHA256)")] | \
        UnsetType = UNSET


class AnalysisImagesIn(Struct, kw_only=True):
    """``POST /api/v1/analysis/images``: a batch of images and the features to compute."""

    images: Annotated[list[Any], Meta(min_length=1, description=(
        "At most the tier's `max_batch_images` (413). Each item is `{id?, data_base64 | asset_id | url, "
        "features?}`: `data_base64` raw base64 (a data: URI prefix is stripped), `asset_id` an asset of this "
        "account, `url` downloaded by the server (SSRF-checked), `features` the item's own list. An item that "
        "breaks these rules is not a 400: it fails alone in the batch with its error."))]
    features: Features | UnsetType = UNSET
    webhook: Webhook | UnsetType = UNSET


class VideoAnalysisIn(Struct, kw_only=True):
    """``POST /api/v1/analysis/video`` as JSON: the video one way (``asset_id``, ``url`` or ``data_base64``)."""

    asset_id: Annotated[str, Meta(description="An asset of this account")] | UnsetType = UNSET
    url: Annotated[str, Meta(description="Downloaded by the server (SSRF-checked)")] | UnsetType = UNSET
    data_base64: Annotated[str, Meta(description="The video as raw base64")] | UnsetType = UNSET
    features: Features | UnsetType = UNSET
    sample_every_seconds: Annotated[float, Meta(ge=0.5, le=3600, description=(
        "Also analyse a keyframe every this many seconds"))] | UnsetType = UNSET
    webhook: Webhook | UnsetType = UNSET


class AnalysisAccepted(Envelope, kw_only=True, forbid_unknown_fields=True):
    """Seed 001's 202: poll ``location``."""

    job_id: str
    status: Literal["queued"]
    location: Annotated[str, Meta(description="Poll this path for the result")]


class AnalysisBilling(Struct, kw_only=True, forbid_unknown_fields=True):
    currency: Literal["USD"]
    estimated_usd: str
    charged_usd: str
    balance_after_usd: str | UnsetType = UNSET
    unit: str | UnsetType = UNSET
    estimated_units: float | UnsetType = UNSET
    units: float | UnsetType = UNSET


class SeedJobError(Struct, kw_only=True, forbid_unknown_fields=True):
    code: str
    message: str
    details: dict[str, Any] | UnsetType = UNSET


class AnalysisItem(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, Meta(description="The item's `id`, or its 0-based position")]
    status: SeedStatus
    result: Annotated[dict[str, Any], Meta(description=(
        "One member per feature; a feature without its model answers `{unavailable: true, reason}`"))] | \
        UnsetType = UNSET
    error: SeedJobError | UnsetType = UNSET


class AnalysisImages(Envelope, kw_only=True, forbid_unknown_fields=True):
    """``GET /api/v1/analysis/images/{job_id}``: the batch and each item in seed 001's words."""

    job_id: str
    status: SeedStatus
    items: list[AnalysisItem]
    billing: AnalysisBilling | UnsetType = UNSET
    error: SeedJobError | UnsetType = UNSET


class AnalysisVideo(Envelope, kw_only=True, forbid_unknown_fields=True):
    """``GET /api/v1/analysis/video/{job_id}``: seed 001's words and, once finished, the result."""

    job_id: str
    status: SeedStatus
    result: Annotated[dict[str, Any] | None, Meta(description=(
        "probe, scenes (with the transition that began each), keyframes (each with its image analysis and the "
        "signed url of its JPEG), audio (speech, loudness, silences)"))]
    progress: int | UnsetType = UNSET
    billing: AnalysisBilling | UnsetType = UNSET
    steps: list[dict[str, Any]] | UnsetType = UNSET
    outputs: list[dict[str, Any]] | UnsetType = UNSET
    error: SeedJobError | UnsetType = UNSET
