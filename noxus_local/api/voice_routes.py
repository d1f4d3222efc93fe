"""The voice library (seed 003): list, one voice, its signed preview, and cloning's 503.

Example::

    curl "http://127.0.0.1:8080/api/v1/voices?gender=female&accent=spanish" -H "Authorization: Bearer $KEY"
    {"success": true, "voices": [{"voice_id": "ef_dora", "name": "Dora", "gender": "female",
      "accent": "spanish", "age": null, "language": "es", "model": "kokoro-82m",
      "preview_url": "/api/v1/voices/ef_dora/preview?expires=…&sig=…", ...}], "pagination": {...}}
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import File

from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response
from noxus_local.api.file_routes import _signature
from noxus_local.api.inputs import ascii_int
from noxus_local.core import voices
from noxus_local.errors import NotFound, ToolUnavailable, ValidationError
from noxus_local.node.services import Services
from noxus_local.speech.voice_catalog import VOICES

PREVIEW_SIGNER = "voice-preview"  # the signed "job" of a preview URL; no job has this id
FILTERS = ("gender", "accent", "age", "language", "q")


@get("/api/v1/voices")
async def list_voices(request: Request[Any, Any, Any]) -> Response[bytes]:
    await require_principal(request)
    svc = services_of(request)
    q = request.query_params
    limit = ascii_int(q.get("limit"), "limit", 50, 1, 100)
    offset = ascii_int(q.get("offset"), "offset", 0, 0, 10**6)
    include = q.get("include_uninstalled", "false").lower()
    if include not in ("true", "false"):
        raise ValidationError.fields({"include_uninstalled": ["true o false / true or false"]})
    query = voices.VoiceQuery(**{k: (q.get(k) or None) for k in FILTERS}, include_uninstalled=include == "true")
    page, total = voices.list_voices(svc.cfg, query, limit, offset)
    return json_response(request, {"voices": [_signed(svc, v) for v in page],
                                   "pagination": {"limit": limit, "offset": offset, "total": total,
                                                  "has_more": offset + len(page) < total}})


@get("/api/v1/voices/{voice_id:str}")
async def show_voice(request: Request[Any, Any, Any], voice_id: FromPath[str]) -> Response[bytes]:
    await require_principal(request)
    svc = services_of(request)
    info = VOICES.get(voice_id)
    if info is None:
        raise NotFound(details={"voice_id": voice_id[:100], "list": "GET /api/v1/voices"})
    return json_response(request, {"voice": _signed(svc, voices.view(svc.cfg, info))})


@get("/api/v1/voices/{voice_id:str}/preview")
async def voice_preview(request: Request[Any, Any, Any], voice_id: FromPath[str]) -> File:
    svc = services_of(request)
    expires, sig = _signature(request)
    if voice_id not in VOICES or not svc.files.verify(PREVIEW_SIGNER, voice_id, expires, sig):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = await to_thread.run_sync(voices.preview_path, svc.cfg, svc.models, voice_id)
    return File(path=path, filename=f"{voice_id}.mp3", media_type="audio/mpeg", content_disposition_type="inline")


@post("/api/v1/voices/clone")
async def clone_voice(request: Request[Any, Any, Any]) -> Response[bytes]:
    await require_principal(request)
    raise ToolUnavailable("voice cloning needs a cloning model, and none is available offline; "
                          "mix voices instead (POST /api/v1/voices with \"mix\")",
                          details={"reason": "model_missing", "missing": ["a voice-cloning model"]})


def _signed(svc: Services, voice: dict[str, Any]) -> dict[str, Any]:
    """The voice with its preview URL (null while the voice is not installed)."""
    url = None
    if voice["installed"]:
        signed = svc.files.signed_url(PREVIEW_SIGNER, voice["voice_id"], svc.cfg.server.file_url_ttl_seconds)
        url = f"/api/v1/voices/{voice['voice_id']}/preview?" + signed.split("?", 1)[1]
    return {**voice, "preview_url": url}
