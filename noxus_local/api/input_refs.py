"""``<field>_asset_id`` and ``<field>_url``: every file input of every tool, by reference.

After the body is read (``api.inputs``), each file input the body did not
carry may be named instead, as a JSON member or a form field:

- ``image_asset_id``: one of the account's assets (403 ``asset_forbidden`` for
  another account's, 404 ``asset_not_found`` unknown or deleted). Its file is
  hard-linked into the job's work folder so the tool's checks can read it
  now; the runner resolves the asset again when the job starts, so an asset
  deleted while the job waits fails the job, charged 0.
- ``image_url``: an http(s) URL the server downloads now (``core.fetch``):
  SSRF guard on every hop, the tier's upload limit while streaming, the
  ``[assets]`` deadline and minimum rate, and the body must be media
  (sniffed). It takes one of the server's fetch slots (``core.fetch_slots``;
  503 ``server_busy`` when none frees up soon), so slow senders never hold
  the threads other requests need.

Giving a field two ways (a file and a URL, say) is a 400.

A tool may also take a *list* of files (``Tool.file_lists``, e.g.
script-to-video's ``materials``): a JSON list of asset ids and/or URLs (or, in
a form, one per repeated field or comma-separated), each resolved as above into
the file input ``<name>_<i>`` in the order given, after any parts uploaded
under that name. A string field that may name an asset (``Tool.asset_fields``,
e.g. ``music`` → ``music_file``) is moved to ``<file>_asset_id`` when its value
is an asset id.

Example::

    {"image_asset_id": "asset_5b1c…", "output_format": "webp"}
    {"image_url": "https://example.com/product.png", "output_format": "webp"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from anyio import to_thread
from litestar import Request

from noxus_local.api.deps import services_of
from noxus_local.assets.store import ASSET_ID, Cap, Intake, check_content
from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.locale import t
from noxus_local.net.fetch import FetchPolicy, download
from noxus_local.node.services import Services
from noxus_local.tools.base import InputFile, InputSpec, Limits, Tool

WAYS = ("asset_id", "url")


@dataclass(frozen=True)
class FormShape:
    """Which fields of a body are files, for a route whose body is not a tool's own: OpenAI's
    transcription form names its file ``file`` where auto-subtitles says ``video``. A ``Tool`` has
    the same three attributes, so either is read the same way.

    Example: ``await read_input(request, FormShape((InputSpec("file", "file", required=True),)), ...)``.
    """

    inputs: tuple[InputSpec, ...]
    file_lists: tuple[str, ...] = ()
    asset_fields: Mapping[str, str] = field(default_factory=dict)


async def resolve_refs(request: Request[Any, Any, Any], tool: Tool | FormShape, limits: Limits, workdir: Path,
                       parsed: Any) -> None:
    """Fill ``parsed.files`` (and hashes, asset ids) for inputs named by asset id or URL."""
    for text_field, file_field in tool.asset_fields.items():
        value = parsed.fields.get(text_field)
        if isinstance(value, str) and ASSET_ID.fullmatch(value.strip()):
            parsed.fields[f"{file_field}_asset_id"] = parsed.fields.pop(text_field).strip()
    for name in tool.file_lists:
        await _file_list(request, name, limits, workdir, parsed)
    for name in (spec.name for spec in tool.inputs if spec.type == "file"):
        given = {way: parsed.fields[f"{name}_{way}"] for way in WAYS if parsed.fields.get(f"{name}_{way}")}
        if not given:
            continue
        if len(given) > 1 or name in parsed.files:
            raise ValidationError.fields({name: [
                t("input_refs.give_only_one_asset", name=name)]})
        svc, account_id = services_of(request), request.scope["state"]["principal"].account_id  # type: ignore[index]
        for way in given:  # resolved into a file: the tool sees a file, the fingerprint its hash
            parsed.fields.pop(f"{name}_{way}")
        if "asset_id" in given:
            await to_thread.run_sync(_from_asset, svc, account_id, name, given["asset_id"], limits, workdir, parsed)
        else:
            await _from_url(svc, name, given["url"], limits, workdir, parsed)


MAX_LIST_FILES = 20
LIST_SHAPE = t("input_refs.list_shape")


async def _file_list(request: Request[Any, Any, Any], name: str, limits: Limits, workdir: Path,
                     parsed: Any) -> None:
    """``name``'s references, each resolved into the file input ``<name>_<i>`` (uploads come first)."""
    refs = ref_list(name, parsed.fields.pop(name, None))
    uploaded = sum(1 for key in parsed.files if key.startswith(f"{name}_"))
    if uploaded + len(refs) > MAX_LIST_FILES:
        raise LimitExceeded(details={"limit": f"max_{name}", "max": MAX_LIST_FILES, "got": uploaded + len(refs)})
    if not refs:
        return
    svc, account_id = services_of(request), request.scope["state"]["principal"].account_id  # type: ignore[index]
    for i, ref in enumerate(refs, start=uploaded):
        if ref.lower().startswith(("http://", "https://")):
            await _from_url(svc, f"{name}_{i}", ref, limits, workdir, parsed)
        else:
            await to_thread.run_sync(_from_asset, svc, account_id, f"{name}_{i}", ref, limits, workdir, parsed)


def ref_list(name: str, value: Any) -> list[str]:
    """A JSON list of strings, or a form's comma-separated text; a 400 naming ``name`` otherwise.

    Example: ``ref_list("materials", "asset_a, https://x.test/b.png")`` → ``["asset_a", "https://x.test/b.png"]``.
    """
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and 0 < len(i.strip()) <= 2048 for i in items):
        raise ValidationError.fields({name: [LIST_SHAPE]})
    return [i.strip() for i in items]


def _from_asset(svc: Services, account_id: str, name: str, asset_id: Any, limits: Limits, workdir: Path,
                parsed: Any) -> None:
    if not isinstance(asset_id, str) or len(asset_id) > 64:
        raise ValidationError.fields({f"{name}_asset_id": [t("input_refs.assetid")]})
    row = svc.assets.get(asset_id, account_id)
    if row["size_bytes"] > limits.max_upload_bytes:
        raise LimitExceeded(details={"limit": "max_upload_mb", "max": round(limits.max_upload_bytes / 2**20, 2)})
    path = workdir / f"in_{name}"
    svc.assets.link_into(asset_id, account_id, path)
    parsed.files[name] = InputFile(path, row["filename"], row["mime_type"], row["size_bytes"])
    parsed.file_hashes[name] = row["sha256"]
    parsed.asset_ids[name] = asset_id


async def _from_url(svc: Services, name: str, url: Any, limits: Limits, workdir: Path, parsed: Any) -> None:
    """Download ``url`` as input ``name`` under one fetch slot, on the event loop (issue 17).

    Awaited, not sent to a worker thread: a sender dripping bytes must not
    hold one of the threads every other request needs. E.g.
    ``await _from_url(svc, "image", "https://example.com/p.png", limits, workdir, parsed)``.
    """
    cap = Cap(limits.max_upload_bytes, "max_upload_mb")
    intake = Intake(workdir / f"in_{name}", {kind: cap for kind in ("image", "audio", "video")})
    slots = svc.fetch_slots
    async with slots.hold():
        try:
            received = await download(url, f"{name}_url", intake, FetchPolicy.of(svc.cfg.assets),
                                      verify=await slots.tls(), limiter=slots.threads)
            await to_thread.run_sync(check_content, received, limits.max_image_pixels, limiter=slots.threads)
        except BaseException:
            intake.discard()
            raise
    parsed.files[name] = InputFile(received.path, _url_filename(url, received.sniffed.extension),
                                   received.sniffed.mime, received.size_bytes)
    parsed.file_hashes[name] = received.sha256


def _url_filename(url: str, extension: str) -> str:
    """The URL's last path segment (its stem names the output, as an upload's name does), made safe."""
    last = unquote(urlsplit(url).path).rstrip("/").rsplit("/", 1)[-1]
    safe = "".join(ch for ch in last if ch.isprintable() and ch not in "\\/")[:200].lstrip(".")
    return safe or f"download.{extension}"
