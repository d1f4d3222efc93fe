"""Assets (seed 003): files an account uploads once and names in later tool calls by id.

Each asset is stored once per account by SHA-256: the same bytes uploaded
twice give the same asset and one file on disk. Files live under
``<data dir>/assets/<asset_id>`` (written to ``assets/.incoming/`` while they
stream in, then renamed), outside ``work/`` and ``outputs/``, so retention
never touches them: assets outlive jobs. What a file is comes from its bytes
(``media.sniff``); its size limit depends on that kind and is enforced while
it streams (``Intake``), and the tier's storage quota (assets plus the kept
outputs of the account's jobs, assets/quota.py) is checked in the transaction
that inserts the row.

Example::

    store = AssetStore(db, Path("noxus-data/assets"))
    intake = store.intake(caps)                     # caps: per-kind byte limits
    for chunk in chunks: intake.write(chunk)
    row, created = store.add("acct_1", intake.finish(), "logo.png", None, quota_bytes=100 << 20)
    store.link_into(row["id"], "acct_1", workdir / "in_image")   # a job's input
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from noxus_local.accounts.keys import new_id
from noxus_local.assets import quota as storage
from noxus_local.config import AssetSettings, TierSettings
from noxus_local.errors import AssetForbidden, AssetNotFound, InvalidMedia, LimitExceeded, ValidationError
from noxus_local.jobs.view import iso
from noxus_local.locale import t
from noxus_local.media.sniff import HEAD_BYTES, Sniffed, check_svg, sniff

# category → the kind of content it must hold; absent categories are inferred as the kind itself
CATEGORIES: dict[str, str] = {"product_image": "image", "logo": "image", "image": "image",
                              "music": "audio", "audio": "audio", "video": "video"}
KINDS = ("image", "audio", "video")
ACCEPTED_LIST = "PNG, JPEG, WebP, SVG, MP3, WAV, OGG, AAC, M4A, MP4, MOV, WebM, MKV, AVI"
MB = 1024 * 1024
# what new_id("asset") makes; anything else is unknown before it reaches SQLite (a lone surrogate
# would not even encode) or a response
ASSET_ID = re.compile(r"asset_[0-9a-f]{24}")
Row = dict[str, Any]  # an assets row as sqlite-utils reads it, e.g. {"id": "asset_…", "type": "image", ...}


@dataclass(frozen=True)
class Cap:
    """A size limit for one kind of content, and how a 413 names it."""

    max_bytes: int
    limit: str       # details.limit, e.g. "max_image_mb"

    def error(self) -> LimitExceeded:
        return LimitExceeded(details={"limit": self.limit, "max": round(self.max_bytes / MB, 2)})


@dataclass
class Received:
    """A fully streamed file in the incoming folder: what it is, its size and hash."""

    path: Path
    sniffed: Sniffed
    size_bytes: int
    sha256: str


class Intake:
    """Streams a file to disk, sniffs its first bytes, and stops at its kind's limit.

    The kind is known once 8 KB have arrived, so a 2 GB upload of the wrong
    thing (or a too-big one) stops there instead of filling the disk. On any
    error the caller deletes the partial file (``discard``).
    """

    def __init__(self, path: Path, caps: dict[str, Cap]) -> None:
        self.path = path
        self.caps = caps
        self.size = 0
        self._head = bytearray()
        self._sniffed: Sniffed | None = None
        self._digest = hashlib.sha256()
        self._fh: Any = None

    def write(self, chunk: bytes) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "wb")
        self.size += len(chunk)
        if self._sniffed is None:
            self._head += chunk[:HEAD_BYTES]
            if len(self._head) >= HEAD_BYTES:
                self._identify()
        if self._sniffed is not None and self.size > self.caps[self._sniffed.kind].max_bytes:
            raise self.caps[self._sniffed.kind].error()
        self._digest.update(chunk)
        self._fh.write(chunk)

    def finish(self) -> Received:
        if self._fh is not None:
            self._fh.close()
        if self.size == 0:
            raise ValidationError.fields({"file": [t("assets_store.empty_file_0_bytes")]})
        if self._sniffed is None:
            self._identify()
        assert self._sniffed is not None
        if self.size > self.caps[self._sniffed.kind].max_bytes:
            raise self.caps[self._sniffed.kind].error()
        return Received(self.path, self._sniffed, self.size, self._digest.hexdigest())

    def discard(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):  # on a full disk the close's flush fails again: unlink anyway
                self._fh.close()
        self.path.unlink(missing_ok=True)

    def _identify(self) -> None:
        found = sniff(bytes(self._head))
        if found is None or found.kind not in self.caps:
            raise InvalidMedia(
                t("assets_store.content_not_supported_format", accepted_list=ACCEPTED_LIST),
                details={"reason": "unsupported_content", "accepted_kinds": sorted(self.caps)})
        self._sniffed = found


def caps_for(settings: AssetSettings, tier: TierSettings) -> dict[str, Cap]:
    """Asset limits: images and audio from ``[assets]``, video up to the tier's upload limit."""
    return {"image": Cap(int(settings.max_image_mb * MB), "max_image_mb"),
            "audio": Cap(int(settings.max_audio_mb * MB), "max_audio_mb"),
            "video": Cap(int(tier.max_upload_mb * MB), "max_upload_mb")}


def check_content(received: Received, max_pixels: int = 0) -> None:
    """Beyond the magic bytes: SVGs must be safe, raster images must decode and fit ``max_pixels``.

    The pixel count is read from the header before anything is decoded, so a
    small file that would inflate to gigabytes (a decompression bomb) is a
    413, never a 500 from Pillow's own bomb check.
    """
    if received.sniffed.extension == "svg":
        check_svg(received.path)
    elif received.sniffed.kind == "image":
        try:
            with warnings.catch_warnings():  # the tier's limit is checked here; Pillow's warning adds nothing
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(received.path) as img:
                    _check_pixels(img.size, max_pixels)
                    img.verify()
        except Image.DecompressionBombError:  # over twice Pillow's own limit: refused before our check
            raise LimitExceeded(details={"limit": "max_image_pixels", "max": max_pixels}) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise InvalidMedia(t("assets_store.image_damaged_or_truncated"),
                               details={"reason": "image_undecodable"}) from None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    if max_pixels > 0 and size[0] * size[1] > max_pixels:
        raise LimitExceeded(details={"limit": "max_image_pixels", "max": max_pixels,
                                     "width": size[0], "height": size[1]})


def category_for(category: str | None, kind: str) -> str:
    """The asset's category: the one given (it must suit the content) or the content's kind."""
    if category is None:
        return kind
    if CATEGORIES[category] != kind:
        raise ValidationError.fields({"category": [
            t("assets_store.needs_content_file", category=category, categories=CATEGORIES[category], kind=kind)]})
    return category


class AssetStore:
    """Asset rows in SQLite and their files under one folder."""

    def __init__(self, db: Any, root: Path) -> None:
        self.db = db
        self.root = root

    def intake(self, caps: dict[str, Cap]) -> Intake:
        return Intake(self.root / ".incoming" / secrets.token_hex(8), caps)

    def file_of(self, asset_id: str) -> Path:
        return self.root / asset_id

    def add(self, account_id: str, received: Received, filename: str, category: str | None,
            quota_bytes: int, max_pixels: int = 0) -> tuple[Row, bool]:
        """Insert the asset, or return the account's existing one with the same bytes.

        Returns (row, created). The quota is read and the row written in one
        ``BEGIN IMMEDIATE``, so two uploads at once cannot both squeeze under it.
        """
        try:
            check_content(received, max_pixels)
            chosen = category_for(category, received.sniffed.kind)
            with self.db.write() as conn:
                row = self._row("account_id = ? AND sha256 = ? AND deleted_at IS NULL", account_id, received.sha256)
                if row is not None:
                    return row, False
                # one quota for assets and kept job outputs (core.storage)
                storage.check_quota(conn, account_id, received.size_bytes, quota_bytes, "file_mb")
                asset_id = new_id("asset")
                table = self.db.table("assets")
                table.insert({"id": asset_id, "account_id": account_id, "sha256": received.sha256,
                              "type": received.sniffed.kind, "category": chosen, "mime_type": received.sniffed.mime,
                              "extension": received.sniffed.extension, "size_bytes": received.size_bytes,
                              "filename": filename, "created_at": time.time()})
                os.replace(received.path, self.file_of(asset_id))  # inside: a failed rename rolls the row back
                return table.get(asset_id), True
        finally:
            received.path.unlink(missing_ok=True)

    def get(self, asset_id: str, account_id: str) -> Row:
        """The account's live asset; 403 for another account's, 404 for unknown or deleted."""
        row = self._row("id = ?", asset_id) if ASSET_ID.fullmatch(asset_id) else None
        if row is None:
            raise AssetNotFound(details={"reason": "unknown_asset_id"})
        if row["account_id"] != account_id:
            raise AssetForbidden(details={"asset_id": asset_id})
        if row["deleted_at"] is not None:
            raise AssetNotFound(t("assets_store.asset_was_deleted", asset_id=asset_id),
                                details={"asset_id": asset_id, "reason": "deleted"})
        return row

    def page(self, account_id: str, *, kind: str | None = None, category: str | None = None,
             limit: int = 20, offset: int = 0) -> tuple[list[Row], int]:
        where, args = ["account_id = ?", "deleted_at IS NULL"], [account_id]
        for column, value in (("type", kind), ("category", category)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = " AND ".join(where)
        table = self.db.table("assets")
        rows = table.rows_where(clause, args, order_by="created_at DESC, id", limit=limit, offset=offset)
        return list(rows), table.count_where(clause, args)

    def delete(self, asset_id: str, account_id: str) -> Row:
        """Mark deleted and remove the file; jobs already running keep their own link to it."""
        with self.db.write():
            self.get(asset_id, account_id)
            row = self.db.table("assets").update(asset_id, {"deleted_at": time.time()}).get(asset_id)
        self.file_of(asset_id).unlink(missing_ok=True)
        return row

    def served(self, asset_id: str) -> Row | None:
        """A live asset by id alone, for its signed publicUrl (the signature is the permission)."""
        if not ASSET_ID.fullmatch(asset_id):
            return None
        return self._row("id = ? AND deleted_at IS NULL", asset_id)

    def _row(self, where: str, *args: str) -> Row | None:
        return next(self.db.table("assets").rows_where(where, list(args), limit=1), None)

    def sweep(self, older_than: float) -> int:
        """Remove what a crash left: half-received uploads, and files whose row never committed.

        Only files last written before ``older_than`` (unix seconds), so an
        upload streaming right now is never touched.
        """
        removed = 0
        for path in [*self.root.glob(".incoming/*"), *self.root.glob("asset_*")]:
            stale = path.is_file() and path.stat().st_mtime < older_than
            if stale and (path.parent.name == ".incoming" or self.served(path.name) is None):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def used_bytes(self, account_id: str) -> int:
        return int(self.db.one("SELECT COALESCE(SUM(size_bytes), 0) FROM assets WHERE account_id = ?"
                               " AND deleted_at IS NULL", (account_id,))[0])

    def link_into(self, asset_id: str, account_id: str, dest: Path) -> Row:
        """Give a job its own name for the asset's file (a hard link; a copy across devices)."""
        row = self.get(asset_id, account_id)
        dest.unlink(missing_ok=True)  # a job run again after a restart links anew
        try:
            os.link(self.file_of(asset_id), dest)
        except FileNotFoundError:  # deleted between the row read and the link
            raise AssetNotFound(details={"asset_id": asset_id, "reason": "deleted"}) from None
        except OSError:
            shutil.copyfile(self.file_of(asset_id), dest)
        return row


def view(row: Row, public_url: str) -> dict[str, Any]:
    """An asset as the API shows it (seed 003's ``assetId``, ``type``, ``publicUrl`` and the rest)."""
    return {"assetId": row["id"], "type": row["type"], "category": row["category"],
            "mime_type": row["mime_type"], "size_bytes": row["size_bytes"], "filename": row["filename"],
            "sha256": row["sha256"], "created_at": iso(row["created_at"]), "publicUrl": public_url}
