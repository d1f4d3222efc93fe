"""OpenAI-compatible speech: ``POST /v1/audio/speech`` and ``GET /v1/audio/voices``.

The official ``openai`` client works with only ``base_url`` changed: the body
(``model``, ``input``, ``voice``, ``response_format``, ``speed``) is mapped
onto the text-to-speech tool and run as one of its jobs, so keys, limits,
billing, idempotency and job history are the same as ``/api/v1/tools``. The
answer is the audio itself, streamed sentence by sentence (api/speech_stream.py);
``X-Job-Id`` names the job. Errors use OpenAI's
shape, ``{"error": {"message", "type", "code"}}``, with our status codes.
OpenAI's own voice names map to the nearest Kokoro voice (``alloy`` →
``af_alloy``); a Kokoro id is taken as is.

Example::

    client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key=KEY)
    client.audio.speech.create(model="kokoro-82m", voice="ef_dora", input="Hola.").write_to_file("hola.mp3")
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.response import Stream

from noxus_local.api import speech_stream
from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import request_id_of
from noxus_local.api.submit import Options, json_fields, remember, replayed_as_stored, submit
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, Text, ValidationError, message, one_of, say
from noxus_local.jobs import idempotency
from noxus_local.jobs import store as jobs
from noxus_local.node.services import Services
from noxus_local.speech.voice_catalog import VOICES
from noxus_local.tools.text_to_speech import STREAM_FILE

OPENAI_VOICES = {"alloy": "af_alloy", "ash": "am_adam", "ballad": "bm_fable", "coral": "af_heart",
                 "echo": "am_echo", "fable": "bm_fable", "nova": "af_nova", "onyx": "am_onyx",
                 "sage": "af_sarah", "shimmer": "af_sky", "verse": "am_michael"}
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MIME = {"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac",
        "wav": "audio/wav", "pcm": "audio/pcm"}


@post("/v1/audio/speech")
async def create_speech(request: Request[Any, Any, Any]) -> Response[bytes] | Stream:
    try:
        return await _speech(request)
    except NoxusError as exc:
        return openai_error(request, exc)


@get("/v1/audio/voices")
async def list_openai_voices(request: Request[Any, Any, Any]) -> Response[bytes]:
    try:
        await require_principal(request)
    except NoxusError as exc:
        return openai_error(request, exc)
    voices = [{"id": v.voice_id, "name": v.name, "language": v.language, "gender": v.gender}
              for v in VOICES.values()]
    return _json({"object": "list", "voices": voices, "aliases": OPENAI_VOICES}, 200, request)


async def _speech(request: Request[Any, Any, Any]) -> Response[bytes] | Stream:
    svc = services_of(request)
    # a replay must be byte-identical: with a key, one whole file; without, the route tails the audio
    done = await submit(request, "text-to-speech", json_fields(request, _fields), route="/v1/audio/speech",
                        options=_options, internal=lambda job: {} if job.idempotency_key else {"stream_pcm": True})
    job, job_id = done.job, done.job.id
    if done.replay is not None:
        return replayed_as_stored(svc, job_id, done.replay)
    # OpenAI's clients wait for the audio: no 202 here; the body streams from the first sentence on
    # (a client that hangs up does not cancel: the job ends and is charged once, see speech_stream);
    # without stream_pcm (an Idempotency-Key) no stream file appears and the whole file is answered
    task = asyncio.ensure_future(svc.dispatcher.run_inline(job_id, svc.cfg.jobs.max_processing_seconds or 3600))
    fmt = done.parsed.fields["format"]
    fh = await speech_stream.first_audio(svc.files.work_root / job_id / STREAM_FILE, task)
    headers = {"X-Job-Id": job_id, "X-Request-Id": request_id_of(request)}
    if fh is not None:
        return Stream(speech_stream.stream_body(fh, task, fmt), status_code=200, media_type=MIME[fmt],
                      headers=headers)
    await task  # ended before any audio: ShuttingDown, a failure, or too short to tail
    row = await to_thread.run_sync(jobs.get, svc.db, job_id)
    if row["status"] != "succeeded":
        exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
        raise exc_cls(row["error_message"], details={"job_id": job_id})
    data = await to_thread.run_sync(svc.files.output_path(job_id, f"speech.{fmt}").read_bytes)
    if job.idempotency_key:
        await to_thread.run_sync(remember, svc, job, 200, data, {**headers, "Content-Type": MIME[fmt]})
    return Response(content=data, status_code=200, media_type=MIME[fmt], headers=headers)




def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's request mapped onto the text-to-speech tool's inputs."""
    for name in ("model", "voice"):  # null means the default; anything but a string is refused
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ValidationError.fields({name: [Text("texto", "a string")]})
    fmt = "mp3" if body.get("response_format") is None else body["response_format"]
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ValidationError.fields({"response_format": [one_of(FORMATS)]})
    voice = body.get("voice") or "af_heart"
    fields = {"text": body.get("input"), "voice_id": OPENAI_VOICES.get(voice.lower(), voice), "format": fmt}
    if body.get("speed") is not None:
        fields["speed"] = body["speed"]
    return fields


def openai_error(request: Request[Any, Any, Any], exc: NoxusError) -> Response[bytes]:
    """``{"error": {"message", "type", "code", "param"}}`` as OpenAI's clients read it."""
    locale = services_of(request).locale
    field_errors = say((exc.details or {}).get("field_errors") or {}, locale)
    param = next(iter(field_errors), None)
    text = say(exc.message, locale) or message(exc.code, locale)
    if param:
        text = f"{param}: {field_errors[param][0]}"
    kind = "invalid_request_error" if exc.status < 500 else "server_error"
    headers = {"X-Job-Id": (exc.details or {})["job_id"]} if (exc.details or {}).get("job_id") else {}
    return _json({"error": {"message": text, "type": kind, "code": exc.code, "param": param}},
                 exc.status, request, headers)


def _json(body: dict[str, Any], status: int, request: Request[Any, Any, Any],
          headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=json.dumps(body, ensure_ascii=False).encode(), status_code=status,
                    media_type="application/json",
                    headers={"X-Request-Id": request_id_of(request), **(headers or {})})


def _options(request: Request[Any, Any, Any], svc: Services) -> Options:
    """OpenAI's clients wait for the audio: never 202, the server's own time limit, and an
    Idempotency-Key (checked strictly) for a byte-identical replay."""
    key = request.headers.get("idempotency-key")
    return Options(respond_async=False, max_processing_seconds=svc.cfg.jobs.default_max_processing_seconds,
                   idempotency_key=None if key is None else idempotency.check_key(key))
