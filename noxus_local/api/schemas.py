"""Response bodies as msgspec Structs: what handlers return and what Litestar documents.

Each Struct is the contract's JSON body, envelope included (``success`` and
``request_id`` come from ``Envelope``); Litestar encodes it with msgspec and
generates its schema component of the same name for ``/schema/openapi.json``.
A member that is sometimes absent (not null) is ``X | UnsetType = UNSET``, which
msgspec leaves out of the body and the schema leaves out of ``required``.

Example::

    Ping(**ok(request), status="ok",
         api_key=KeyView(key_hint="noxus_test_Sgkr", environment="test"),
         account=AccountView(tier="free", status="active"))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request
from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.envelope import request_id_of

RequestId = Annotated[str, Meta(description="`req_` + 24 hex chars, or the client's own X-Request-Id",
                                examples=["req_3040b4d0dfd7ab7fb0ccc169"])]
Usd = Annotated[str, Meta(description="USD amount as a decimal string", examples=["0.002"],
                          pattern=r"^-?[0-9]+(\.[0-9]+)?$")]
Count = Annotated[int, Meta(ge=0)]
Environment = Literal["test", "live"]


def _const(value: Any, description: str = "") -> Any:
    """A member whose value never changes (``success`` is always true on a success body)."""
    return Meta(description=description or None, extra_json_schema={"extra": {"const": value}})


def ok(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The envelope's members of a success body: ``Balance(**ok(request), balance=...)``."""
    return {"success": True, "request_id": request_id_of(request)}


class Envelope(Struct, kw_only=True):
    """The members every success body has; ``request_id`` is also the X-Request-Id header."""

    success: Annotated[bool, _const(True)]
    request_id: RequestId


class ChargedZero(Struct):
    charged_usd: Annotated[str, _const("0")] = "0"


class Error(Struct, kw_only=True):
    """The one error body (``envelope.error_body``); ``api.openapi`` publishes the full code list."""

    success: Annotated[bool, _const(False)] = False
    error: Annotated[str, Meta(description="A human sentence in the server's locale")]
    error_code: Annotated[str, Meta(description="Stable, English")]
    request_id: RequestId
    billing: ChargedZero
    details: dict[str, Any] | UnsetType = UNSET


class KeyView(Struct):
    key_hint: str
    environment: Environment


class AccountView(Struct):
    tier: str
    status: Literal["active", "suspended"]


class Ping(Envelope, kw_only=True):
    status: Literal["ok"]
    api_key: KeyView
    account: AccountView


class BalanceView(Struct):
    currency: Literal["USD"]
    balance_usd: Usd
    available_usd: Annotated[str, Meta(description="Balance minus open holds", examples=["10"])]
    lifetime_spent_usd: Usd


class Balance(Envelope, kw_only=True):
    balance: BalanceView
    environment: Environment


class ToolUsage(Struct, kw_only=True):
    tool: str
    jobs: Count
    succeeded: Count
    failed: Count
    spent_usd: Usd
    units: Annotated[dict[str, float], Meta(
        description="Per-unit tools only: units charged, by unit (`{\"second\": 12.5}`)")] | UnsetType = UNSET


class DayUsage(Struct):
    day: Annotated[str, Meta(description="YYYY-MM-DD (UTC)", pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    tool: str
    jobs: Count
    spent_usd: Usd


class Window(Struct):
    successful_jobs: Count
    limit: Annotated[int, Meta(description="Successful jobs per hour; 0 = unlimited")]
    window_seconds: int
    reset_at: Annotated[int, Meta(description="unix seconds")]


class TierView(Struct):
    name: str
    jobs_per_hour: int
    requests_per_minute: int
    concurrent_jobs: int
    max_upload_mb: float
    max_image_pixels: int
    max_video_seconds: int
    max_batch_images: int
    max_audio_seconds: int
    max_output_mb: float
    storage_quota_mb: float


class Usage(Envelope, kw_only=True):
    period_days: Annotated[int, Meta(ge=1, le=365)]
    environment: Environment
    by_tool: list[ToolUsage]
    by_day: list[DayUsage]
    current_window: Window
    tier: TierView


class StorageView(Struct):
    free_mb: Annotated[int, Meta(description="Free space of the data dir's disk, MB")]
    min_free_mb: Annotated[int, Meta(description="`[storage] min_free_mb` (0 = no guard)")]
    ok: bool


class Health(Envelope, kw_only=True):
    status: Annotated[Literal["ok", "degraded"], Meta(
        description="`degraded` while the data dir's disk is below `[storage] min_free_mb` "
                    "(new work then gets 507 `insufficient_storage`)")]
    storage: StorageView


class Latency(Envelope, kw_only=True):
    media_type: Literal["image", "video"]
    unit: Literal["image", "second"]
    latency_ms_per_unit: Annotated[int | None, Meta(description="null when no job finished in the window")]
    sample_jobs: Count
    window_seconds: int


DateTime = Annotated[str, Meta(extra_json_schema={"extra": {"format": "date-time"}})]


class Pagination(Struct):
    limit: int
    offset: Count
    total: Count
    has_more: bool


class Asset(Struct, kw_only=True):
    """An uploaded file (seed 003), as ``assets.store.view`` shows it."""

    assetId: Annotated[str, Meta(description="Use it as `<field>_asset_id` in tool calls",  # noqa: N815
                                 examples=["asset_5b1c0e8f2a9d4c7e1f3a6b2d"])]
    type: Annotated[Literal["image", "audio", "video"], Meta(description="From the file's bytes, never its name")]
    category: Literal["product_image", "logo", "music", "audio", "video", "image"]
    mime_type: str
    size_bytes: Count
    filename: str
    sha256: Annotated[str, Meta(description="Assets are stored once per account by SHA-256")]
    created_at: DateTime
    publicUrl: Annotated[str, Meta(description="Signed, expiring URL of the file; no key needed")]  # noqa: N815


class AssetDetail(Asset, kw_only=True):
    success: Annotated[bool, _const(True)]
    request_id: RequestId


class AssetList(Envelope, kw_only=True):
    assets: list[Asset]
    pagination: Pagination


class AssetDeleted(Envelope, kw_only=True):
    deleted: Annotated[bool, _const(True)]
    assetId: str  # noqa: N815


Nullable = Annotated[str | None, Meta(description="null where not published")]


class Voice(Struct, kw_only=True):
    """A text-to-speech voice, as ``voices.library.view`` shows it, with its signed preview URL."""

    voice_id: Annotated[str, Meta(description="Use it as `voice_id` of text-to-speech", examples=["ef_dora"])]
    name: str
    gender: Literal["female", "male"]
    accent: str
    age: Annotated[str | None, Meta(description="null where not published (all Kokoro voices)")]
    description: str
    use_case: Nullable
    category: Annotated[str, Meta(description="`premade`, or `custom` for the account's mixes")]
    language: str
    model: str
    installed: bool
    preview_url: Annotated[str | None, Meta(description="Signed, expiring URL of a short sample; null while the "
                                                        "voice is not installed")]
    mix: Annotated[dict[str, float], Meta(
        description="custom voices only: parents and weights (sum 1)")] | UnsetType = UNSET


class VoiceList(Envelope, kw_only=True):
    voices: list[Voice]
    pagination: Pagination


class VoiceDetail(Envelope, kw_only=True):
    voice: Voice


class VoiceDeleted(Envelope, kw_only=True):
    deleted: Annotated[bool, _const(True)]
    voice_id: str


Mood = Literal["calm", "energetic", "happy", "nostalgic", "tender"]


class MusicTrack(Struct, kw_only=True):
    id: Annotated[str, Meta(description="Use it as `music` of script-to-video", pattern=r"^[a-z0-9_]{1,64}$")]
    mood: Mood
    duration: Annotated[float, Meta(description="Seconds, from the file")]
    title: str
    mime_type: Literal["audio/ogg"]
    license: str
    credit: str
    preview_url: Annotated[str, Meta(description="Signed, expiring URL of the track itself (no key needed)")]


class MusicList(Envelope, kw_only=True):
    moods: list[Mood]
    tracks: list[MusicTrack]
