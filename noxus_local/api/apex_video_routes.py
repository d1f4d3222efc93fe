"""Seed 002's video routes (``/api/generate/video``, ``/b-roll``, ``/text2video``, ``/avatar``) on the
``ai-video-generate`` tool, i.e. on the user's own ComfyUI (issue 23).

Each route keeps the seed's body (api/apex_schemas.py) and answer, renames its members to the tool's
fields and goes through the one submit path (``apex_routes.generation``: the seed's credits held on the
shared ledger, charged on success, refunded on failure, the account's webhook). Without a
``[generators.<name>]`` of the route's kind (``video``; ``avatar`` for ``/avatar``) the route answers 503
``SERVICE_UNAVAILABLE`` naming the section to add, after authentication and the rate window and
before the body is read: charged 0. ``model`` names a configured generator (the seed's names, e.g.
``wan-2.6``, work when the admin calls a table that); an unknown one is a 400 listing those configured.

Example::

    curl -X POST http://127.0.0.1:8080/api/generate/b-roll -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"prompt": "Steam rising from a coffee mug at dawn", "duration": 5}'
    # {"data": {"jobId": "job_…", "status": "queued", "message": "B roll generation job queued"}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, post

from noxus_local.accounts.keys import Principal
from noxus_local.api.apex_body import read
from noxus_local.api.apex_docs import GENERATION_ERRORS, apex_operation
from noxus_local.api.apex_routes import Queued, fail, fetched, fields_of, generation, given, queued, unavailable, window
from noxus_local.api.apex_schemas import ApexAvatarIn, ApexBRollIn, ApexQueued, ApexText2VideoIn, ApexVideoIn
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.inputs import ParsedInput
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.tools.ai_video_generate import SPEECH_CHARS

SLUG = "ai-video-generate"
ERRORS = (*GENERATION_ERRORS, "invalid_media", "limit_exceeded")
VIDEO_STYLES = {"professional": "clean professional look", "casual": "casual handheld look",
                "energetic": "energetic fast-paced look"}
FILM_STYLES = {"cinematic": "cinematic film look", "documentary": "documentary footage",
               "animation": "animated", "aerial": "aerial drone shot"}
VIDEO_NAMES = {"script": "prompt", "duration": "duration", "resolution": "resolution", "model": "model",
               "avatarImage": "image"}
BROLL_NAMES = {"prompt": "prompt", "duration": "duration", "resolution": "resolution", "model": "model"}
TEXT2VIDEO_NAMES = {"script": "prompt", "duration": "duration", "resolution": "resolution", "model": "model"}
AVATAR_NAMES = {"text": "prompt", "resolution": "resolution", "model": "model", "image": "image", "audio": "audio",
                "voiceId": "voice_id"}
ENGINE = ("Runs the `ai-video-generate` tool on the configured ComfyUI video workflow (`[generators.<name>]` "
          "with `kind = \"video\"`; `model` names one, default the only one or the first by name; unknown: 400 "
          "listing them). The engine's clip is re-encoded to an H.264 MP4 at `resolution`, 16:9, exactly "
          "`duration` seconds (looped or cut). Without a video generator: 503 `SERVICE_UNAVAILABLE` naming the "
          "section, before the body is read, charged 0. An engine failure (its node errors, a timeout, an answer "
          "that is not a video) fails the job: `creditsRefunded`.")


def _configured(svc: Services, kind: str) -> list[str]:
    return svc.cfg.generators.names(("avatar",) if kind == "avatar" else ("video",))


def _open(request: Request[Any, Any, Any], svc: Services, principal: Principal, kind: str) -> None:
    """Auth (already resolved), the generation window, then 503 when no generator of the route's kind exists."""
    window(request, svc, principal, "generation")
    if not _configured(svc, kind):
        raise unavailable(kind)


def _styled(text: str, style: str | None, words: dict[str, str]) -> str:
    return f"{text}, {words[style]}" if style else text


@post("/api/generate/video", status_code=200, **apex_operation(
    "apexGenerateVideo", "Generate a video",
    f"{ENGINE} `script` is the prompt (`style` adds its look), `avatarImage` (an http(s) URL fetched through the "
    "SSRF guard) is the first frame of an image-to-video workflow (`{{image}}`). `voiceId` is accepted and not "
    "used (the generated clip has no voice). Default 5 s. 250 credits (`[apex_credits] video`).",
    ok=(ApexQueued, queued("Video")), errors=ERRORS,
    body=(ApexVideoIn, {"mug": {"script": "Meet the Glow mug.", "resolution": "720p", "style": "energetic",
                                "duration": 5}})))
async def generate_video(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Queued:
    """A clip from ``script`` (``avatarImage``: its first frame) on the configured ComfyUI video workflow."""
    _open(request, svc, principal, "video")
    body = read(await request.body(), ApexVideoIn)
    fields = given({"prompt": _styled(body.script, body.style, VIDEO_STYLES), "aspect_ratio": "16:9",
                    "duration": body.duration or 5.0, "resolution": body.resolution or "720p", "model": body.model})

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        if body.avatar_image is None:
            return ParsedInput(fields=fields)
        return await fetched(svc, principal, workdir, fields, [("image", body.avatar_image)], "avatarImage")

    return await generation(request, svc, principal, "video", SLUG, build, VIDEO_NAMES)


@post("/api/generate/b-roll", status_code=200, **apex_operation(
    "apexGenerateBRoll", "Generate B-roll",
    f"{ENGINE} `prompt` describes the scene; `duration` 3-6 s (default 5), `resolution` 480p or 720p (default "
    "720p). 150 credits (`[apex_credits] b_roll`).",
    ok=(ApexQueued, queued("B roll")), errors=ERRORS,
    body=(ApexBRollIn, {"steam": {"prompt": "Steam rising from a coffee mug at dawn", "duration": 5}})))
async def generate_b_roll(request: Request[Any, Any, Any], svc: ServicesDep,
                          principal: PrincipalDep) -> Queued:
    """B-roll footage for ``prompt`` on the configured ComfyUI video workflow."""
    _open(request, svc, principal, "b-roll")
    body = read(await request.body(), ApexBRollIn)
    fields = given({"prompt": body.prompt, "aspect_ratio": "16:9", "duration": body.duration or 5.0,
                    "resolution": body.resolution or "720p", "model": body.model})
    return await generation(request, svc, principal, "b-roll", SLUG, fields_of(lambda: fields), BROLL_NAMES)


@post("/api/generate/text2video", status_code=200, **apex_operation(
    "apexGenerateText2Video", "Text to video",
    f"{ENGINE} `script` is the prompt, `style` adds its look (cinematic, documentary, animation, aerial); "
    "`duration` 1-60 s (default 5). 250 credits (`[apex_credits] text2video`).",
    ok=(ApexQueued, queued("Text2video")), errors=ERRORS,
    body=(ApexText2VideoIn, {"city": {"script": "A city wakes up.", "style": "cinematic", "duration": 6}})))
async def generate_text2video(request: Request[Any, Any, Any], svc: ServicesDep,
                              principal: PrincipalDep) -> Queued:
    """A clip from ``script`` in ``style`` on the configured ComfyUI video workflow."""
    _open(request, svc, principal, "text2video")
    body = read(await request.body(), ApexText2VideoIn)
    fields = given({"prompt": _styled(body.script, body.style, FILM_STYLES), "aspect_ratio": "16:9",
                    "duration": 5.0 if body.duration is None else body.duration,
                    "resolution": body.resolution or "720p", "model": body.model})
    return await generation(request, svc, principal, "text2video", SLUG, fields_of(lambda: fields),
                            TEXT2VIDEO_NAMES)


@post("/api/generate/avatar", status_code=200, **apex_operation(
    "apexGenerateAvatar", "Generate an avatar video",
    "Runs the `ai-video-generate` tool on a configured ComfyUI talking-head workflow (`[generators.<name>]` with "
    "`kind = \"avatar\"`; `model` must name one: otherwise 400 listing them). `image` (the face) and `audio` "
    "(http(s) URLs fetched through the SSRF guard) are uploaded to ComfyUI as `{{image}}` and `{{audio}}`; "
    "`text` fills `{{prompt}}`; `text` or `audio` is required. With `text` and no `audio`, our text-to-speech "
    "speaks `text` in `voiceId` (a voice of GET /api/v1/voices, default af_heart; unknown: 400) and that WAV is "
    "uploaded as `{{audio}}`, `{{duration}}` the speech's length. The MP4 is 1:1 at `resolution`, as long as "
    "the audio or the speech (up to 60 s; 5 s with neither), with its voice. Without an avatar generator: 503 "
    "naming the section, charged 0. 750 credits (`[apex_credits] avatar`).",
    ok=(ApexQueued, queued("Avatar")), errors=ERRORS,
    body=(ApexAvatarIn, {"face": {"image": "https://media.example/face.jpg", "resolution": "720p",
                                  "model": "talker", "audio": "https://media.example/hello.wav"}})))
async def generate_avatar(request: Request[Any, Any, Any], svc: ServicesDep,
                          principal: PrincipalDep) -> Queued:
    """A talking head: the face at ``image`` says ``audio`` (or ``text``) on the configured avatar workflow."""
    _open(request, svc, principal, "avatar")
    body = read(await request.body(), ApexAvatarIn)
    names = _configured(svc, "avatar")
    if body.model not in names:
        raise fail("model", t("apex_video_routes.one_of", names=', '.join(names)))
    if not body.text and not body.audio:
        raise fail("text", t("apex_video_routes.text_or_audio_required"))
    fields = given({"prompt": body.text or "a person speaking", "aspect_ratio": "1:1",
                    "resolution": body.resolution, "model": body.model,
                    **({"speech": body.text[:SPEECH_CHARS], "voice_id": body.voice_id} if not body.audio else {})})
    urls = [("image", body.image), *([("audio", body.audio)] if body.audio else [])]

    async def build(svc: Services, principal: Principal, workdir: Path) -> ParsedInput:
        parsed = await fetched(svc, principal, workdir, fields, urls[:1], "image")
        if len(urls) > 1:
            more = await fetched(svc, principal, workdir, {}, urls[1:], "audio")
            parsed.files.update(more.files)
            parsed.file_hashes.update(more.file_hashes)
        return parsed

    return await generation(request, svc, principal, "avatar", SLUG, build, AVATAR_NAMES)


HANDLERS = [generate_video, generate_b_roll, generate_text2video, generate_avatar]
