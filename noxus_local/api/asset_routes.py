"""Asset routes (seed 003): upload once, name the file by ``assetId`` in later tool calls.

Scopes: uploading and deleting need ``tools:run`` (assets exist to feed
tools, and they use the account's storage quota); listing and reading need
only a valid key of the account, like ``GET /api/v1/jobs``. A key sees only
its account's assets; another account's id answers 403 ``asset_forbidden``.
``publicUrl`` is signed and expiring like job outputs, so it works without
the key until it expires.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/assets -H "Authorization: Bearer $KEY" \\
      -F "file=@product.png" -F "category=product_image"
    # 201 {"success": true, "assetId": "asset_…", "type": "image", "category": "product_image", …}
"""

from __future__ import annotations

import re
from typing import Annotated, Any, BinaryIO

import msgspec
from anyio import to_thread
from litestar import Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.spec import Example
from litestar.params import PathParameter
from litestar.response import File
from msgspec import Meta

from noxus_local.accounts.keys import Principal
from noxus_local.api.auth import require_scope
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, Binary, envelope, operation, text_param
from noxus_local.api.schemas import Asset, AssetDeleted, AssetDetail, AssetList, Pagination, ok
from noxus_local.assets import store as assets
from noxus_local.errors import NotFound, UnsupportedMediaType, ValidationError, one_of
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.store.space import storage_errors

CHUNK = 1024 * 1024
ASSET_ID = Annotated[str, PathParameter(description="An assetId from an upload",
                                    examples=[Example(value="asset_5b1c0e8f2a9d4c7e1f3a6b2d")])]
EXAMPLE = {"assetId": "asset_5b1c0e8f2a9d4c7e1f3a6b2d", "type": "image", "category": "product_image",
           "mime_type": "image/png", "size_bytes": 48213, "filename": "product.png",
           "sha256": "9f2c4e0b7a1d3c5e8f6a2b4d0c9e7f1a3b5d7c9e1f0a2b4c6d8e0f1a3b5c7d9e",
           "created_at": "2026-05-25T15:04:05.933385Z",
           "publicUrl": "http://127.0.0.1:8080/api/v1/assets/asset_5b1c0e8f2a9d4c7e1f3a6b2d/content"
                        "?expires=1779721445&sig=5d0f…"}
_DIGITS = re.compile(r"[0-9]{1,12}")
_SIG = re.compile(r"[0-9a-f]{64}")
# an SVG opened from our origin must not run anything, even if a check were ever missed
CONTENT_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                   "X-Content-Type-Options": "nosniff"}
# the upload is a multipart form (a file part is not one JSON Struct): its schema as published
UPLOAD_FORM = {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary",
             "description": "PNG, JPEG, WebP, SVG (10 MB); MP3, WAV, OGG, AAC, M4A (15 MB); MP4, MOV, WebM, MKV, "
                            "AVI (the tier's upload limit). The kind is read from the bytes"},
    "category": {"type": "string", "enum": list(assets.CATEGORIES),
                 "description": "Inferred from the content when absent; must suit it"}}}
SIGNED = "Signed URL: unix seconds (ASCII digits)"


class AssetCreated(AssetDetail, kw_only=True):
    """A new upload, or the account's same bytes uploaded before (``deduplicated``: no second copy)."""

    deduplicated: Annotated[bool, Meta(description="true: the account already had these bytes; this is that asset")]


@post("/api/v1/assets", status_code=201, **operation(
    "uploadAsset", "Assets", "Upload an asset",
    "Multipart `file` plus optional `category`. What the file is comes from its bytes (the name and the part's "
    "content type are ignored); SVGs with scripts, event handlers or external references are refused. The same "
    "bytes uploaded again by the account return the same asset (`deduplicated: true`, no second copy). Uses the "
    "tier's storage quota, shared with the account's kept job outputs (413 `storage_quota`). Needs the "
    "`tools:run` scope.",
    ok=(AssetCreated, {"created": envelope({**EXAMPLE, "deduplicated": False})}), status=201,
    bodies={"multipart/form-data": (UPLOAD_FORM, {"product image": {"file": "(binary: product.png)",
                                                                    "category": "product_image"}})},
    errors=("validation_error", "invalid_media", "scope_denied", "limit_exceeded", "unsupported_media_type",
            *AUTH_ERRORS, "insufficient_storage")))
async def upload_asset(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> AssetCreated:
    """Streams the part to disk under its kind's limit (a thread), then stores it once per account."""
    require_scope(principal, "tools:run")
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType(details={"accepted": ["multipart/form-data"]})
    svc.storage.check()  # below [storage] min_free_mb: 507 before the body is read (issue 17)
    form = await request.form()
    upload, category = form.get("file"), _category(form.get("category"))
    if not isinstance(upload, UploadFile):
        raise ValidationError.fields({"file": [t("asset_routes.required_file_part")]})
    try:
        with storage_errors():  # the disk filled up under the upload: 507, and nothing half-stored
            row, created = await to_thread.run_sync(_store, svc, principal, upload.file, upload.filename, category)
    finally:
        await upload.close()
    return AssetCreated(**ok(request), **msgspec.structs.asdict(_view(request, svc, row)), deduplicated=not created)


@get("/api/v1/assets", **operation(
    "listAssets", "Assets", "List assets",
    "The account's assets, newest first, filtered by `type` or `category`.",
    ok=(AssetList, {"ok": envelope({"assets": [EXAMPLE], "pagination": {"limit": 20, "offset": 0, "total": 1,
                                                                      "has_more": False}})}),
    errors=("validation_error", *AUTH_ERRORS)))
async def list_assets(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                      type: Annotated[str | None, text_param("", enum=list(assets.KINDS))] = None,  # noqa: A002
                      category: Annotated[str | None, text_param("", enum=list(assets.CATEGORIES))] = None,
                      limit: Annotated[str | None, text_param("", type="integer", default=20, minimum=1,
                                                              maximum=100)] = None,
                      offset: Annotated[str | None, text_param("", type="integer", default=0, minimum=0,
                                                               maximum=10**9)] = None) -> AssetList:
    # the parameters arrive as text and are read strictly here (ASCII digits, bounds, exact words)
    first = _int_param(limit, "limit", 20, 1, 100)
    skip = _int_param(offset, "offset", 0, 0, 10**9)
    kind = _choice(type, "type", assets.KINDS)
    wanted = _choice(category, "category", tuple(assets.CATEGORIES))
    rows, total = svc.assets.page(principal.account_id, kind=kind, category=wanted, limit=first, offset=skip)
    return AssetList(**ok(request), assets=[_view(request, svc, r) for r in rows],
                     pagination=Pagination(first, skip, total, skip + len(rows) < total))


@get("/api/v1/assets/{asset_id:str}", **operation(
    "getAsset", "Assets", "Get an asset",
    "One asset with a fresh `publicUrl`. Another account's asset: 403 `asset_forbidden`.",
    ok=(AssetDetail, {"ok": envelope(EXAMPLE)}), errors=("asset_forbidden", "asset_not_found", *AUTH_ERRORS)))
async def show_asset(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                     asset_id: ASSET_ID) -> AssetDetail:
    return AssetDetail(**ok(request), **msgspec.structs.asdict(
        _view(request, svc, svc.assets.get(asset_id, principal.account_id))))


@delete("/api/v1/assets/{asset_id:str}", status_code=200, sync_to_thread=True, **operation(
    "deleteAsset", "Assets", "Delete an asset",
    "Removes the file and frees its quota. A queued job that names it fails with `asset_not_found` and is "
    "charged 0; a running job keeps its own copy. Needs the `tools:run` scope.",
    ok=(AssetDeleted, {"ok": envelope({"deleted": True, "assetId": EXAMPLE["assetId"]})}),
    errors=("scope_denied", "asset_forbidden", "asset_not_found", *AUTH_ERRORS)))
def delete_asset(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                 asset_id: ASSET_ID) -> AssetDeleted:
    """Sync, in Litestar's worker thread (``sync_to_thread=True``): the file removal and the row write."""
    require_scope(principal, "tools:run")
    svc.assets.delete(asset_id, principal.account_id)
    return AssetDeleted(**ok(request), deleted=True, assetId=asset_id)


@get("/api/v1/assets/{asset_id:str}/content", **operation(
    "getAssetContent", "Assets", "Download an asset (publicUrl)",
    "The asset's `publicUrl`: signed and expiring, no key. 404 once expired or deleted, or when the signature "
    "is malformed or wrong.", ok=(Binary, {}), ok_media="*/*", auth=False, errors=("not_found", "internal_error")))
async def asset_content(svc: ServicesDep, asset_id: ASSET_ID,
                        expires: Annotated[str | None, text_param(SIGNED, True, pattern="^[0-9]{1,12}$")] = None,
                        sig: Annotated[str | None, text_param("HMAC-SHA256 signature", True,
                                                              pattern="^[0-9a-f]{64}$")] = None) -> File:
    """The publicUrl: no key, the signature is the permission (strict ASCII, never a 500)."""
    expires, sig = expires or "", sig or ""
    if not (assets.ASSET_ID.fullmatch(asset_id) and _DIGITS.fullmatch(expires) and _SIG.fullmatch(sig)
            and svc.files.verify_asset(asset_id, int(expires), sig)):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    row = svc.assets.served(asset_id)
    if row is None or not svc.assets.file_of(asset_id).is_file():
        raise NotFound(details={"reason": "asset_deleted"})
    return File(path=svc.assets.file_of(asset_id), filename=row["filename"], media_type=row["mime_type"],
                content_disposition_type="inline", headers=CONTENT_HEADERS)


def _store(svc: Services, principal: Principal, source: BinaryIO, filename: str | None,
           category: str | None) -> tuple[Any, bool]:
    """Stream the part into the incoming folder under its kind's limit, then add it (a thread)."""
    tier = svc.cfg.tiers[principal.tier]
    intake = svc.assets.intake(assets.caps_for(svc.cfg.assets, tier))
    try:
        source.seek(0)
        while chunk := source.read(CHUNK):
            intake.write(chunk)
        received = intake.finish()
    except BaseException:
        intake.discard()
        raise
    quota = int(tier.storage_quota_mb * assets.MB)
    return svc.assets.add(principal.account_id, received, _safe_name(filename), category, quota,
                          tier.max_image_pixels)


def _view(request: Request[Any, Any, Any], svc: Services, row: Any) -> Asset:
    path = svc.files.signed_asset_url(row["id"], svc.cfg.server.file_url_ttl_seconds)
    return Asset(**assets.view(row, str(request.base_url).rstrip("/") + path))


def _category(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw.strip().lower() not in assets.CATEGORIES:
        raise ValidationError.fields({"category": [one_of(assets.CATEGORIES)]})
    return raw.strip().lower()


def _choice(raw: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if raw is None:
        return None
    if raw not in allowed:
        raise ValidationError.fields({name: [one_of(allowed)]})
    return raw


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ValidationError.fields({name: [t("common.integer_from", low=low, high=high)]})
    return int(raw)


def _safe_name(filename: str | None) -> str:
    """The client's file name minus any path and control characters (it is only shown back)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200].lstrip(".") or "upload"
