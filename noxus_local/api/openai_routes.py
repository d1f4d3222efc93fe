"""OpenAI-compatible transcription: POST /v1/audio/transcriptions and /v1/audio/translations.

The official ``openai`` client works with only ``base_url`` changed. Each call is an
``auto-subtitles`` job with ``burn=false`` (same keys, tier limits, hold and charge,
Idempotency-Key, job history): the form is read here, renamed to the tool's fields
(``file`` → ``video``) and handed to the one submit path (api/submit.py); only the
request and response shapes and the error body are OpenAI's
(``{"error": {"message", "type", "code", "param"}}``, the route's own exception handler,
api/openai_errors.py). ``X-Job-Id`` names the job. The operation is declared on the
decorator: the multipart form, each ``response_format`` with its media type (json and
verbose_json: the ``OpenAiTranscription`` Struct; text, srt, vtt: ``text/plain``), the
202 of a job still running, and OpenAI's error body with an example per code. The handler
returns those same types: the Structs (transcription, 202, a failed job's ``OpenAiError``) in an
``EncodedResponse``, encoded once so an Idempotency-Key replay is the same bytes; text/srt/vtt as text.

Example::

    client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key=KEY)
    client.audio.transcriptions.create(model="whisper-1", file=open("a.wav", "rb"), language="es")
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, post

from noxus_local.api.deps import ServicesDep
from noxus_local.api.docs import operation
from noxus_local.api.envelope import EncodedResponse
from noxus_local.api.input_refs import FormShape
from noxus_local.api.inputs import ParsedInput, read_input
from noxus_local.api.media_docs import with_media
from noxus_local.api.openai_errors import TRANSCRIPTION_ERRORS, summary_message
from noxus_local.api.openai_schemas import (
    JOB_ACCEPTED,
    TRANSCRIPTION_FORM,
    TRANSCRIPTION_FORMATS,
    TRANSCRIPTION_JSON,
    TRANSCRIPTION_TEXT,
    TRANSCRIPTION_VERBOSE,
    OpenAiError,
    OpenAiJobAccepted,
    OpenAiTranscription,
    TranscriptionSegment,
    TranscriptionWord,
    error_examples,
)
from noxus_local.api.submit import remember, replayed_as_stored, submit
from noxus_local.captions import subtitles
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, ValidationError, message
from noxus_local.jobs import store as jobs
from noxus_local.node.services import Services
from noxus_local.tools.base import InputSpec, Limits

TOOL_SLUG = "auto-subtitles"
RESPONSE_FORMATS = TRANSCRIPTION_FORMATS
DEFAULT_MODEL = "whisper-base"
OPENAI_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")  # → our default model
TAG = "OpenAI-compatible"
TEXT_MEDIA = "text/plain; charset=utf-8"
# what these routes may answer; file_asset_id names an asset: another account's is 403, an unknown one 404
ERRORS = ("validation_error", "invalid_media", "scope_denied", "tool_not_allowed", "limit_exceeded",
          "unsupported_media_type", "insufficient_api_balance", "key_budget_exceeded", "idempotency_conflict",
          "concurrency_limit_exceeded", "missing_api_key", "invalid_api_key", "revoked_api_key",
          "account_suspended", "rate_limit_exceeded", "tool_unavailable", "processing_timeout", "job_cancelled",
          "shutting_down", "server_busy", "internal_error", "insufficient_storage", "asset_forbidden",
          "asset_not_found")


# what the routes answer: the transcription (json, verbose_json), still running (202), a failed job in
# OpenAI's error shape, text (text, srt, vtt), or bytes only for an Idempotency-Key replay of a stored answer
Answer = OpenAiTranscription | OpenAiJobAccepted | OpenAiError | str | bytes

# OpenAI's form: one file part, ``file`` (auto-subtitles calls it ``video``)
FORM = FormShape((InputSpec("file", "file", required=True),))


def _documented(operation_id: str, summary: str) -> dict[str, Any]:
    """The two routes' operation: OpenAI's multipart form in, each ``response_format`` with its media type out."""
    out = operation(
        operation_id, TAG, summary,
        "OpenAI's request and response; runs an `auto-subtitles` job with `burn=false` (same keys, limits, "
        "per-minute billing, Idempotency-Key and job history). `X-Job-Id` names the job. `response_format` "
        "`json` and `verbose_json` answer `application/json`, `text`, `srt` and `vtt` answer `text/plain`. "
        "Still running after the server's wait: 202 with the job to poll. Errors in OpenAI's shape "
        "`{\"error\": {\"message\", \"type\", \"code\", \"param\"}}`.",
        ok=(OpenAiTranscription, {"json": TRANSCRIPTION_JSON, "verbose_json": TRANSCRIPTION_VERBOSE}),
        more={202: (OpenAiJobAccepted, {"still running": JOB_ACCEPTED})},
        body_media="multipart/form-data", body_schema=TRANSCRIPTION_FORM, headers=("IdempotencyKey",),
        errors=ERRORS, error_model=OpenAiError, error_examples=error_examples(ERRORS, summary_message))
    return with_media(out, 200, {"text/plain": ({"type": "string", "description": "response_format text, "
                                                 "srt or vtt"}, TRANSCRIPTION_TEXT)})


@post("/v1/audio/transcriptions", status_code=200, exception_handlers=TRANSCRIPTION_ERRORS,
      **_documented("createTranscription", "Transcribe audio"))
async def transcriptions(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[Answer]:
    """The file's speech as text, in ``response_format``."""
    return await _run(request, svc, "transcribe", "/v1/audio/transcriptions")


@post("/v1/audio/translations", status_code=200, exception_handlers=TRANSCRIPTION_ERRORS,
      **_documented("createTranslation", "Translate audio into English"))
async def translations(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[Answer]:
    """The file's speech as English text, in ``response_format``."""
    return await _run(request, svc, "translate", "/v1/audio/translations")


async def _run(request: Request[Any, Any, Any], svc: Services, task: str, route: str) -> Response[Answer]:
    wanted: list[str] = []  # the response_format the reader found

    async def read(limits: Limits, workdir: Path) -> ParsedInput:
        form = await read_input(request, FORM, limits, workdir)
        wanted.append(response_format(form.fields))
        return as_tool_input(form, task)

    done = await submit(request, TOOL_SLUG, read, route=route)
    job_id = done.job.id
    if done.replay is not None:
        return replayed_as_stored(svc, job_id, done.replay)
    wait = max(svc.cfg.jobs.sync_wait_seconds, float(done.options.max_processing_seconds or 0))
    finished = await svc.dispatcher.run_inline(job_id, wait)
    row = await to_thread.run_sync(jobs.get, svc.db, job_id)
    status, body = _answer(row, finished, wanted[0], task, svc.locale)
    headers = {"X-Job-Id": job_id}
    if isinstance(body, str):  # text, srt, vtt: text as it is
        answer: Response[Answer] = Response(body, status_code=status, media_type=TEXT_MEDIA, headers=headers)
        raw, mime = body.encode(), TEXT_MEDIA
    else:  # a Struct, encoded once: the bytes sent are the bytes an Idempotency-Key replays
        answer = encoded = EncodedResponse(body, status, headers)
        raw, mime = encoded.raw, "application/json"
    if done.job.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, status, raw, {**headers, "Content-Type": mime})
    return answer


def response_format(fields: Mapping[str, Any]) -> str:
    chosen = str(fields.get("response_format") or "json")
    if chosen not in RESPONSE_FORMATS:
        raise ValidationError(details={"field_errors": {"response_format": ["one of: " + ", ".join(RESPONSE_FORMATS)]}})
    return chosen


def as_tool_input(form: ParsedInput, task: str) -> ParsedInput:
    """The OpenAI form in auto-subtitles' names: files only, no burn, its one JSON file.

    ``prompt`` and ``temperature`` are accepted and not used (recognition picks its own
    temperatures); ``model`` ``whisper-1`` means our default model.
    """
    model = str(form.fields.get("model") or "whisper-1")
    language = str(form.fields.get("language") or "auto")
    fields = {"language": language, "task": task, "burn": "false", "formats": "json",
              "model": DEFAULT_MODEL if model in OPENAI_MODELS else model}
    rename = {"file": "video"}
    return ParsedInput(fields=fields, files={rename.get(k, k): v for k, v in form.files.items()},
                       file_hashes={rename.get(k, k): v for k, v in form.file_hashes.items()},
                       asset_ids={rename.get(k, k): v for k, v in form.asset_ids.items()})


def _answer(row: Any, finished: bool, wanted: str, task: str,
            locale: str) -> tuple[int, OpenAiTranscription | OpenAiJobAccepted | OpenAiError | str]:
    """The status and body: still running (``OpenAiJobAccepted``), failed (``OpenAiError``), or the
    transcription in ``wanted`` (a Struct for json/verbose_json, text for text/srt/vtt)."""
    if not finished:
        return 202, OpenAiJobAccepted(id=row["id"], object="job", status=row["status"],
                                      location=f"/api/v1/jobs/{row['id']}")
    if row["status"] != "succeeded":
        exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
        exc = exc_cls(row["error_message"] or message(row["error_code"] or "internal_error", locale))
        return exc.status, msgspec.convert(summary_message(exc, locale), OpenAiError)
    return 200, render(json.loads(row["result"] or "{}"), wanted, task)


@dataclass(frozen=True)
class _Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": " ".join(self.lines)}


def render(result: Mapping[str, Any], wanted: str, task: str) -> OpenAiTranscription | str:
    """The job's result as OpenAI answers ``response_format``: json and verbose_json an
    ``OpenAiTranscription``, text/srt/vtt their text.

    Example: ``render({"transcript": "Hola."}, "json", "transcribe")`` → ``OpenAiTranscription(text="Hola.")``.
    """
    segments = result.get("segments") or []
    text = str(result.get("transcript") or "")
    cues = [_Cue(s["start"], s["end"], tuple(s.get("lines") or [s["text"]])) for s in segments]
    if wanted == "text":
        return text + "\n"
    if wanted == "srt":
        return subtitles.srt_text(cues)
    if wanted == "vtt":
        return subtitles.vtt_text(cues)
    if wanted == "json":
        return OpenAiTranscription(text=text)
    return verbose(result, task)


def verbose(result: Mapping[str, Any], task: str) -> OpenAiTranscription:
    """``verbose_json``: OpenAI's segment members we have no value for are zero (``tokens`` empty)."""
    segments = result.get("segments") or []
    return OpenAiTranscription(
        task="translate" if task == "translate" else "transcribe", language=result.get("language"),
        duration=result.get("duration"), text=result.get("transcript") or "",
        segments=[TranscriptionSegment(id=s["id"], seek=0, start=s["start"], end=s["end"], text=s["text"],
                                       tokens=[], temperature=0.0, avg_logprob=0.0, compression_ratio=0.0,
                                       no_speech_prob=0.0) for s in segments],
        words=[TranscriptionWord(word=w["word"], start=w["start"], end=w["end"])
               for s in segments for w in s.get("words") or []])

