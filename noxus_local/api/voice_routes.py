"""The voice library (seed 003): list, one voice, its signed preview, custom mixes, and cloning's 503.

Example::

    curl "http://127.0.0.1:8080/api/v1/voices?gender=female&accent=spanish" -H "Authorization: Bearer $KEY"
    {"success": true, "voices": [{"voice_id": "ef_dora", "name": "Dora", "gender": "female",
      "accent": "spanish", "age": null, "language": "es", "model": "kokoro-82m",
      "preview_url": "/api/v1/voices/ef_dora/preview?expires=…&sig=…", ...}], "pagination": {...}}
    curl -X POST http://127.0.0.1:8080/api/v1/voices -H "Authorization: Bearer $KEY" \\
      -d '{"name": "Narradora", "mix": {"ef_dora": 0.7, "em_alex": 0.3}}'
    201 {"success": true, "voice": {"voice_id": "custom_…", "category": "custom", "language": "es", ...}}
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, delete, get, post
from litestar.openapi.spec import Example
from litestar.params import PathParameter
from litestar.response import File
from msgspec import Meta, Struct

from noxus_local.api.auth import require_scope
from noxus_local.api.bodies import read_struct
from noxus_local.api.deps import PrincipalDep, ServicesDep, authenticated
from noxus_local.api.docs import AUTH_ERRORS, RID, Binary, envelope, operation, text_param
from noxus_local.api.envelope import error_body
from noxus_local.api.file_routes import read_signature
from noxus_local.api.inputs import ascii_int
from noxus_local.api.schemas import Error, Pagination, Voice, VoiceDeleted, VoiceDetail, VoiceList, ok
from noxus_local.errors import NotFound, ToolUnavailable, ValidationError
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.speech.voice_catalog import VOICES
from noxus_local.voices import custom
from noxus_local.voices import library as voices

PREVIEW_SIGNER = "voice-preview"  # the signed "job" of a preview URL; no job has this id
VOICE_ID = Annotated[str, PathParameter(description="A voice_id of the library", examples=[Example(value="ef_dora")])]
EXAMPLE = {"voice_id": "ef_dora", "name": "Dora", "gender": "female", "accent": "spanish", "age": None,
           "description": "Dora: a female Spanish voice of Kokoro-82M.", "use_case": None, "category": "premade",
           "language": "es", "model": "kokoro-82m", "installed": True,
           "preview_url": "/api/v1/voices/ef_dora/preview?expires=1779721445&sig=5d0f…"}
CUSTOM_EXAMPLE = {**EXAMPLE, "voice_id": "custom_3f9a0c1b7d2e4a58", "name": "Narradora", "category": "custom",
                  "description": "Narradora: a mix of Dora 70%, Alex 30% (Kokoro-82M).",
                  "mix": {"ef_dora": 0.7, "em_alex": 0.3},
                  "preview_url": "/api/v1/voices/custom_3f9a0c1b7d2e4a58/preview?expires=1779721445&sig=5d0f…"}
MIXABLE = sorted(v for v, info in VOICES.items() if info.model == custom.MODEL)
SIGNED = ("Signed URL: unix seconds (ASCII digits)", "HMAC-SHA256 signature")
CLONE_REFUSED = (
    t("voice_routes.voice_cloning_needs_cloning"),
    {"reason": "model_missing", "missing": ["a voice-cloning model"]})


# The types are read by ``read_struct``; the bounds published in ``extra_json_schema`` are checked by
# ``voices.custom`` (``check_name``, ``check_mix``), whose messages name the voices to use and whose errors
# name the field as a whole (``mix``, not ``mix.ef_dora``), as clients have always seen them.
class VoiceMixIn(Struct, kw_only=True):
    """A custom voice: its name and the premade voices it blends."""

    name: Annotated[str, Meta(description="1-100 letters (accents included), digits, spaces or . _ ' ( ) -",
                              extra_json_schema={"minLength": 1, "maxLength": custom.MAX_NAME,
                                                 "pattern": custom.NAME_PATTERN})]
    mix: Annotated[dict[str, Any], Meta(
        description="1-5 Kokoro voice ids and their weights (0-1000, summing above 0; normalised to 1)",
        extra_json_schema={"minProperties": 1, "maxProperties": custom.MAX_PARENTS,
                           "propertyNames": {"enum": MIXABLE},
                           "additionalProperties": {"type": "number", "exclusiveMinimum": 0,
                                                    "maximum": custom.MAX_WEIGHT}})]


@get("/api/v1/voices", **operation(
    "listVoices", "Voices", "List voices",
    "Installed voices (all with `include_uninstalled=true`, each with `installed`), by id. Filters are "
    "exact and case-insensitive; `language=en` matches en-us and en-gb; `q` searches name and description.",
    ok=(VoiceList, {"ok": envelope({"voices": [EXAMPLE], "pagination": {"limit": 50, "offset": 0, "total": 1,
                                                                        "has_more": False}})}),
    errors=("validation_error", *AUTH_ERRORS)))
async def list_voices(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                      gender: Annotated[str | None, text_param("")] = None,
                      accent: Annotated[str | None, text_param("")] = None,
                      age: Annotated[str | None, text_param("")] = None,
                      language: Annotated[str | None, text_param("")] = None,
                      q: Annotated[str | None, text_param("")] = None,
                      include_uninstalled: Annotated[str | None, text_param(
                          "", enum=["true", "false"], default="false")] = None,
                      limit: Annotated[str | None, text_param("", type="integer", default=50, minimum=1,
                                                              maximum=100)] = None,
                      offset: Annotated[str | None, text_param("", type="integer", default=0, minimum=0,
                                                               maximum=10**6)] = None) -> VoiceList:
    # read as text, strictly: ASCII digits and bounds, exact words
    first = ascii_int(limit, "limit", 50, 1, 100)
    skip = ascii_int(offset, "offset", 0, 0, 10**6)
    include = "false" if include_uninstalled is None else include_uninstalled.lower()  # "" is a 400, as before
    if include not in ("true", "false"):
        raise ValidationError.fields({"include_uninstalled": [t("common.true_or_false")]})
    filters = {"gender": gender, "accent": accent, "age": age, "language": language, "q": q}
    query = voices.VoiceQuery(**{k: (v or None) for k, v in filters.items()}, include_uninstalled=include == "true")
    custom = await to_thread.run_sync(svc.voices.all, principal.account_id)
    page, total = voices.list_voices(svc.cfg, query, first, skip, custom)
    return VoiceList(**ok(request), voices=[_signed(svc, v) for v in page],
                     pagination=Pagination(first, skip, total, skip + len(page) < total))


@post("/api/v1/voices", status_code=201, **operation(
    "createVoice", "Voices", "Make a custom voice (a mix)",
    "An account-private voice: a weighted blend of 1-5 premade voices' style vectors. Its language, gender and "
    "accent are its heaviest parent's; use its `voice_id` in text-to-speech and /v1/audio/speech. Costs nothing "
    "and runs no tool (no Idempotency-Key). Needs the `tools:run` scope.",
    ok=(VoiceDetail, {"created": envelope({"voice": CUSTOM_EXAMPLE})}), status=201,
    body=(VoiceMixIn, {"mix": {"name": "Narradora", "mix": {"ef_dora": 0.7, "em_alex": 0.3}}}),
    errors=("validation_error", "scope_denied", *AUTH_ERRORS)))
async def create_voice(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> VoiceDetail:
    """An account-private voice from ``{"name", "mix": {voice_id: weight}}``; 201 with the voice.

    Making one runs no tool and costs nothing, so it takes no hold and no
    Idempotency-Key: a retried POST makes a second voice, which DELETE removes.
    """
    require_scope(principal, "tools:run")
    body = read_struct(await request.body(), VoiceMixIn)
    info = await to_thread.run_sync(svc.voices.create, principal.account_id, body.name, body.mix)
    return VoiceDetail(**ok(request), voice=_signed(svc, voices.view(svc.cfg, info)))


@get("/api/v1/voices/{voice_id:str}", **operation(
    "getVoice", "Voices", "Get a voice",
    "One voice of the library, installed or not, or one of the account's custom voices (another "
    "account's: 404).", ok=(VoiceDetail, {"ok": envelope({"voice": EXAMPLE})}), errors=("not_found", *AUTH_ERRORS)))
async def show_voice(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                     voice_id: VOICE_ID) -> VoiceDetail:
    info = VOICES.get(voice_id) or await to_thread.run_sync(svc.voices.get, voice_id, principal.account_id)
    return VoiceDetail(**ok(request), voice=_signed(svc, voices.view(svc.cfg, info)))


@delete("/api/v1/voices/{voice_id:str}", status_code=200, sync_to_thread=True, **operation(
    "deleteVoice", "Voices", "Delete a custom voice",
    "One of the account's custom voices. A premade voice or another account's is 404 `not_found`. A job "
    "already queued with it still speaks (its mix was frozen in the job).",
    ok=(VoiceDeleted, {"ok": envelope({"deleted": True, "voice_id": "custom_3f9a0c1b7d2e4a58"})}),
    errors=("not_found", "scope_denied", *AUTH_ERRORS)))
def delete_voice(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                 voice_id: VOICE_ID) -> VoiceDeleted:
    """Deletes one of the account's custom voices (a premade or another account's voice: 404); sync, in
    Litestar's worker thread (``sync_to_thread=True``): a row write and a file removal."""
    require_scope(principal, "tools:run")
    svc.voices.delete(voice_id, principal.account_id)
    voices.preview_file(svc.cfg, voice_id).unlink(missing_ok=True)
    return VoiceDeleted(**ok(request), deleted=True, voice_id=voice_id)


@get("/api/v1/voices/{voice_id:str}/preview", **operation(
    "getVoicePreview", "Voices", "A voice's sample (preview_url)",
    "Signed and expiring, no key; synthesised on the first request, then served from the cache. A malformed "
    "`expires` or `sig` is 400 naming it; a wrong or expired one 404.", ok=(Binary, {}), ok_media="audio/mpeg",
    auth=False, errors=("not_found", "validation_error", "tool_unavailable", "internal_error")))
async def voice_preview(request: Request[Any, Any, Any], svc: ServicesDep, voice_id: VOICE_ID,
                        expires: Annotated[str | None, text_param(SIGNED[0], True, pattern="^[0-9]{1,11}$")] = None,
                        sig: Annotated[str | None, text_param(SIGNED[1], True, pattern="^[0-9a-f]{64}$")] = None,
                        ) -> File:
    """The sample, by its signed URL (``expires``/``sig`` read strictly by ``file_routes.read_signature``)."""
    expires_at, signature = read_signature(expires, sig)
    info = VOICES.get(voice_id) or await to_thread.run_sync(svc.voices.signed, voice_id)
    if info is None or not svc.files.verify(PREVIEW_SIGNER, voice_id, expires_at, signature):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = await to_thread.run_sync(voices.preview_path, svc.cfg, svc.models, info)
    return File(path=path, filename=f"{voice_id}.mp3", media_type="audio/mpeg", content_disposition_type="inline")


def _clone_refused() -> ToolUnavailable:
    message, details = CLONE_REFUSED
    return ToolUnavailable(message, details=copy.deepcopy(details))


@post("/api/v1/voices/clone", status_code=200, guards=[authenticated], **operation(
    "cloneVoice", "Voices", "Clone a voice (unavailable)",
    "Voice cloning needs a model that does not exist offline: always 503 `tool_unavailable` naming what is "
    "missing (documented as the only answer). Mix voices instead (`POST /api/v1/voices`).",
    ok=(Error, {"unavailable": error_body(RID, _clone_refused(), "en")}),
    errors=("tool_unavailable", *AUTH_ERRORS)))
async def clone_voice() -> None:
    """Always 503: no cloning model exists offline (the guard answers a bad key first)."""
    raise _clone_refused()


def _signed(svc: Services, voice: dict[str, Any]) -> Voice:
    """The voice with its preview URL (null while the voice is not installed)."""
    url = None
    if voice["installed"]:
        signed = svc.files.signed_url(PREVIEW_SIGNER, voice["voice_id"], svc.cfg.server.file_url_ttl_seconds)
        url = f"/api/v1/voices/{voice['voice_id']}/preview?" + signed.split("?", 1)[1]
    return Voice(**voice, preview_url=url)
