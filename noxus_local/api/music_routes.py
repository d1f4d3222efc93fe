"""The bundled music (issue 20): list the tracks by mood, each with a signed, expiring preview.

The library is ``compose.music``'s (the registry's ``music-immich-memories``:
28 MIT tracks, 5 moods); a track's ``id`` or its ``mood`` is what
script-to-video's ``music`` takes. Listing needs a valid key, like
``GET /api/v1/voices``; ``preview_url`` is signed like a job's file URL, so a
player fetches it without the key until it expires
(``[server] file_url_ttl_seconds``). The library not installed is 503
``tool_unavailable`` naming ``noxus-local models fetch music-immich-memories``.

Example::

    curl "http://127.0.0.1:8080/api/v1/music?mood=calm" -H "Authorization: Bearer $KEY"
    {"success": true, "moods": ["calm", "energetic", "happy", "nostalgic", "tender"],
     "tracks": [{"id": "calm_acoustic_1", "mood": "calm", "title": "Calm acoustic 1", "duration": 32.31,
                 "mime_type": "audio/ogg", "license": "MIT", "credit": "…",
                 "preview_url": "/api/v1/music/calm_acoustic_1/preview?expires=…&sig=…"}, …], …}
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from anyio import to_thread
from litestar import Request, get
from litestar.openapi.spec import Example
from litestar.params import PathParameter
from litestar.response import File

from noxus_local.api.deps import ServicesDep, authenticated, services_of
from noxus_local.api.docs import AUTH_ERRORS, Binary, envelope, operation, text_param
from noxus_local.api.file_routes import read_signature
from noxus_local.api.schemas import Mood, MusicList, MusicTrack, ok
from noxus_local.compose.music import MODEL_ID, MusicLibrary, Track
from noxus_local.errors import NotFound, ValidationError, one_of
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.node.services import Services

PREVIEW_SIGNER = "music-preview"  # the signed "job" of a preview URL; no job has this id
TRACK_ID = re.compile(r"[a-z0-9_]{1,64}")
MIME = "audio/ogg"  # Opus in Ogg
LICENSE = "MIT"
EXAMPLE = {"id": "calm_acoustic_1", "mood": "calm", "duration": 32.31, "title": "Calm acoustic 1",
           "mime_type": "audio/ogg", "license": "MIT",
           "credit": "immich-memories-music 0.1.0: generated with ACE-Step 1.5, no third-party material; "
                     "no attribution required",
           "preview_url": "/api/v1/music/calm_acoustic_1/preview?expires=1779721445&sig=9a41…"}
# documented as the pattern it must match; read as text, so a mismatch is the route's 404, not a 400
TRACK = Annotated[str, PathParameter(description="A track `id` of the list",
                                     schema_extra={"pattern": TRACK_ID.pattern.join("^$")},
                                     examples=[Example(value="calm_acoustic_1")])]
CREDIT = "immich-memories-music 0.1.0: generated with ACE-Step 1.5, no third-party material; no attribution required"


@get("/api/v1/music", guards=[authenticated], **operation(
    "listMusic", "Music", "List the bundled music",
    "Every track of the bundled library (or one `mood`'s), with its mood, duration, licence and a signed "
    "preview URL. An unknown mood is 400 listing the moods; the library not installed is 503 "
    "`tool_unavailable` naming `noxus-local models fetch music-immich-memories`.",
    ok=(MusicList, {"ok": envelope({"moods": list(get_args(Mood)), "tracks": [EXAMPLE]})}),
    errors=("validation_error", "tool_unavailable", *AUTH_ERRORS)))
async def list_music(request: Request[Any, Any, Any], svc: ServicesDep,
                     mood: Annotated[str | None, text_param("Only this mood's tracks",
                                                            enum=list(get_args(Mood)))] = None) -> MusicList:
    library = library_of(request)
    if mood is not None and mood not in library.moods():
        raise ValidationError.fields({"mood": [one_of(library.moods())]})
    tracks = library.by_mood(mood) if mood is not None else library.tracks
    views = await to_thread.run_sync(lambda: [_view(svc, t) for t in tracks])  # durations: ffmpeg, once
    return MusicList(**ok(request), moods=list(library.moods()), tracks=views)  # type: ignore[arg-type]


@get("/api/v1/music/{track_id:str}/preview", **operation(
    "getMusicPreview", "Music", "A track's audio (preview_url)",
    "Signed and expiring, no key: the Opus file itself, to play before choosing. A malformed `expires` or "
    "`sig` is 400 naming it; a wrong or expired one, or an unknown track, 404.", ok=(Binary, {}),
    ok_media=MIME, auth=False, errors=("not_found", "validation_error", "tool_unavailable", "internal_error")))
async def music_preview(request: Request[Any, Any, Any], svc: ServicesDep, track_id: TRACK,
                        expires: Annotated[str | None, text_param(
                            "Signed URL: unix seconds (ASCII digits)", True, pattern="^[0-9]{1,11}$")] = None,
                        sig: Annotated[str | None, text_param(
                            "HMAC-SHA256 signature", True, pattern="^[0-9a-f]{64}$")] = None) -> File:
    """The track itself (Opus), by its signed URL: no key, the signature is the permission
    (``expires``/``sig`` read strictly by ``file_routes.read_signature``)."""
    expires_at, signature = read_signature(expires, sig)
    if not TRACK_ID.fullmatch(track_id) or not svc.files.verify(PREVIEW_SIGNER, track_id, expires_at, signature):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    track = next((t for t in library_of(request).tracks if t.id == track_id), None)
    if track is None or not track.path.is_file():
        raise NotFound(details={"reason": "track_not_installed"})
    return File(path=track.path, filename=f"{track.id}.opus", media_type=MIME, content_disposition_type="inline")


def library_of(request: Request[Any, Any, Any]) -> MusicLibrary:
    """The app's library, kept so each track is probed once; an empty one (not fetched yet) is looked at again
    next time, so `models fetch` works without a restart. 503 while there are no tracks."""
    state = request.app.state
    library: MusicLibrary | None = state.get("music_library")
    if library is None or not library.tracks:
        library = MusicLibrary(models_dir(services_of(request).cfg) / MODEL_ID)
        state["music_library"] = library
    if not library.tracks:
        raise ModelNotInstalled.for_model(MODEL_ID, ["*.opus"])
    return library


def _view(svc: Services, track: Track) -> MusicTrack:
    signed = svc.files.signed_url(PREVIEW_SIGNER, track.id, svc.cfg.server.file_url_ttl_seconds)
    return MusicTrack(**track.as_dict(), title=track.id.replace("_", " ").capitalize(),  # type: ignore[arg-type]
                      mime_type=MIME, license=LICENSE, credit=CREDIT,
                      preview_url=f"/api/v1/music/{track.id}/preview?" + signed.split("?", 1)[1])
