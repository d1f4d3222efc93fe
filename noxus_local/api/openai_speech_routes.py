"""OpenAI-compatible speech: ``POST /v1/audio/speech`` and ``GET /v1/audio/voices``.

The official ``openai`` client works with only ``base_url`` changed: the body
(``model``, ``input``, ``voice``, ``response_format``, ``speed``) is mapped
onto the text-to-speech tool and run as one of its jobs, so keys, limits,
billing, idempotency and job history are the same as ``/api/v1/tools``. The
answer is the audio itself, streamed sentence by sentence (api/speech_stream.py);
``X-Job-Id`` names the job. The body is read into ``SpeechRequest``
(api/openai_schemas.py: the schema published is the type read; unknown members are
ignored, as OpenAI's clients expect). Errors use OpenAI's shape,
``{"error": {"message", "type", "code", "param"}}``, with our status codes: the
route's own exception handler (api/openai_errors.py) answers every ``NoxusError``.
OpenAI's own voice names map to the nearest Kokoro voice (``alloy`` →
``af_alloy``); a Kokoro id is taken as is.

Example::

    client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key=KEY)
    client.audio.speech.create(model="kokoro-82m", voice="ef_dora", input="Hola.").write_to_file("hola.mp3")
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.response import Stream

from noxus_local.api import speech_stream
from noxus_local.api.bodies import convert
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, operation
from noxus_local.api.envelope import request_id_of
from noxus_local.api.inputs import ParsedInput, check_values, json_object
from noxus_local.api.media_docs import keep_nulls, replace_media
from noxus_local.api.openai_errors import FIELD_ERRORS, field_message
from noxus_local.api.openai_schemas import (
    SPEECH_EXAMPLE,
    SPEECH_FORMATS,
    VOICES_EXAMPLE,
    OpenAiError,
    OpenAIVoice,
    OpenAIVoices,
    SpeechRequest,
    error_examples,
)
from noxus_local.api.submit import Options, remember, replayed_as_stored, submit
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, ValidationError, one_of
from noxus_local.jobs import idempotency
from noxus_local.jobs import store as jobs
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.speech.voice_catalog import VOICES
from noxus_local.tools.base import Limits
from noxus_local.tools.text_to_speech import STREAM_FILE

OPENAI_VOICES = {"alloy": "af_alloy", "ash": "am_adam", "ballad": "bm_fable", "coral": "af_heart",
                 "echo": "am_echo", "fable": "bm_fable", "nova": "af_nova", "onyx": "am_onyx",
                 "sage": "af_sarah", "shimmer": "af_sky", "verse": "am_michael"}
FORMATS = SPEECH_FORMATS
MIME = {"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac",
        "wav": "audio/wav", "pcm": "audio/pcm"}
TAG = "Voices"
SPEECH_ERRORS_DOC = ("validation_error", "limit_exceeded", "insufficient_api_balance", "key_budget_exceeded",
                     "scope_denied", "tool_not_allowed", "idempotency_conflict", "concurrency_limit_exceeded",
                     "tool_unavailable", *AUTH_ERRORS, "processing_timeout", "shutting_down", "server_busy",
                     "insufficient_storage")
VOICES_ERRORS = AUTH_ERRORS


@post("/v1/audio/speech", status_code=200, exception_handlers=FIELD_ERRORS, **replace_media(operation(
    "createSpeech", TAG, "OpenAI-compatible speech",
    "The `openai` client's `audio.speech.create` with only `base_url` changed: runs text-to-speech as a "
    "job (same keys, limits, billing, history; `X-Job-Id` names it) and answers the audio, streamed from the "
    "first sentence on, in the media type of `response_format` (mp3 `audio/mpeg`, opus `audio/opus`, aac "
    "`audio/aac`, flac `audio/flac`, wav `audio/wav`, pcm `audio/pcm`: 16-bit mono at 24 kHz). With an "
    "`Idempotency-Key` the whole file is answered once the job ends, and a replay is byte-identical. Errors "
    "in OpenAI's shape `{\"error\": {\"message\", \"type\", \"code\", \"param\"}}`. Speech past the "
    "tier's `max_audio_seconds` (estimated before the hold, or reached while synthesising) is 413 "
    "`limit_exceeded`.",
    ok=(bytes, {}), body=(SpeechRequest, {"openai": SPEECH_EXAMPLE}), headers=("IdempotencyKey",),
    errors=SPEECH_ERRORS_DOC, error_model=OpenAiError,
    error_examples=error_examples(SPEECH_ERRORS_DOC, field_message)),
    200, {mime: ({"type": "string", "format": "binary", "description": f"response_format {fmt}"}, {})
          for fmt, mime in MIME.items()}))
async def create_speech(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[bytes] | Stream:
    """The text spoken, streamed as it is synthesised (the whole file with an Idempotency-Key)."""
    # a replay must be byte-identical: with a key, one whole file; without, the route tails the audio
    done = await submit(request, "text-to-speech", _reader(request), route="/v1/audio/speech",
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


@get("/v1/audio/voices", exception_handlers=FIELD_ERRORS, **keep_nulls(operation(
    "listOpenAIVoices", TAG, "OpenAI-compatible voice list",
    "Every Kokoro voice id and the OpenAI names mapped onto them. Errors in OpenAI's shape.",
    ok=(OpenAIVoices, {"ok": VOICES_EXAMPLE}), errors=VOICES_ERRORS, error_model=OpenAiError,
    error_examples=error_examples(VOICES_ERRORS, field_message))))
async def list_openai_voices(principal: PrincipalDep) -> OpenAIVoices:
    """The voices ``voice`` may name, and OpenAI's names (``aliases``)."""
    voices = [OpenAIVoice(id=v.voice_id, name=v.name, language=v.language, gender=v.gender)
              for v in VOICES.values()]
    return OpenAIVoices(object="list", voices=voices, aliases=OPENAI_VOICES)


def _reader(request: Request[Any, Any, Any]) -> Any:
    """The body as ``SpeechRequest``, mapped onto the tool's fields; like every reader it runs after
    authentication (a bad body from an unknown caller is still a 401)."""
    async def read(_limits: Limits, _workdir: Path) -> ParsedInput:
        body = check_values(json_object(await request.body()))
        _precheck(body)
        return ParsedInput(fields=tool_fields(convert(body, SpeechRequest)))
    return read


def _precheck(body: dict[str, Any]) -> None:
    """The members this route has always checked itself, in its own words (before the Struct's types)."""
    for name in ("model", "voice"):  # null means the default; anything but a string is refused
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ValidationError.fields({name: [t("common.a_string")]})
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, str) or fmt not in FORMATS):
        raise ValidationError.fields({"response_format": [one_of(FORMATS)]})


def tool_fields(body: SpeechRequest) -> dict[str, Any]:
    """OpenAI's request mapped onto the text-to-speech tool's inputs (it checks the text, voice and speed)."""
    voice = body.voice or "af_heart"
    fields: dict[str, Any] = {"text": body.input, "voice_id": OPENAI_VOICES.get(voice.lower(), voice),
                              "format": body.response_format or "mp3"}
    if body.speed is not None:
        fields["speed"] = body.speed
    return fields


def _options(request: Request[Any, Any, Any], svc: Services) -> Options:
    """OpenAI's clients wait for the audio: never 202, the server's own time limit, and an
    Idempotency-Key (checked strictly) for a byte-identical replay."""
    key = request.headers.get("idempotency-key")
    return Options(respond_async=False, max_processing_seconds=svc.cfg.jobs.default_max_processing_seconds,
                   idempotency_key=None if key is None else idempotency.check_key(key))
