"""OpenAI-compatible transcription: POST /v1/audio/transcriptions and /v1/audio/translations.

The official ``openai`` client works with only ``base_url`` changed. Each call is an
``auto-subtitles`` job with ``burn=false`` (same keys, tier limits, hold and charge,
Idempotency-Key, job history): the form is read here, renamed to the tool's fields
(``file`` → ``video``) and handed to the one submit path (api/submit.py); only the
request and response shapes and the error body are OpenAI's
(``{"error": {"message", "type", "code", "param"}}``). ``X-Job-Id`` names the job.

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

from anyio import to_thread
from litestar import Request, Response, post

from noxus_local.api.deps import services_of
from noxus_local.api.envelope import encode, raw_response
from noxus_local.api.input_refs import FormShape
from noxus_local.api.inputs import ParsedInput, read_input
from noxus_local.api.submit import remember, replayed_as_stored, submit
from noxus_local.captions import subtitles
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, ValidationError, message, say
from noxus_local.jobs import store as jobs
from noxus_local.tools.base import InputSpec, Limits

TOOL_SLUG = "auto-subtitles"
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
DEFAULT_MODEL = "whisper-base"
OPENAI_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")  # → our default model


# OpenAI's form: one file part, ``file`` (auto-subtitles calls it ``video``)
FORM = FormShape((InputSpec("file", "file", required=True),))


@post("/v1/audio/transcriptions", status_code=200)
async def transcriptions(request: Request[Any, Any, Any]) -> Response[bytes]:
    return await _audio(request, "transcribe", "/v1/audio/transcriptions")


@post("/v1/audio/translations", status_code=200)
async def translations(request: Request[Any, Any, Any]) -> Response[bytes]:
    return await _audio(request, "translate", "/v1/audio/translations")


async def _audio(request: Request[Any, Any, Any], task: str, route: str) -> Response[bytes]:
    try:
        return await _run(request, task, route)
    except NoxusError as exc:
        return openai_error(exc, services_of(request).locale)


async def _run(request: Request[Any, Any, Any], task: str, route: str) -> Response[bytes]:
    svc = services_of(request)
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
    status, body, mime = _answer(row, finished, wanted[0], task, svc.locale)
    headers = {"X-Job-Id": job_id}
    if done.job.idempotency_key:
        await to_thread.run_sync(remember, svc, done.job, status, body, {**headers, "Content-Type": mime})
    return Response(body, status_code=status, media_type=mime, headers=headers)


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


def _answer(row: Any, finished: bool, wanted: str, task: str, locale: str) -> tuple[int, bytes, str]:
    if not finished:
        body = {"id": row["id"], "object": "job", "status": row["status"], "location": f"/api/v1/jobs/{row['id']}"}
        return 202, encode(body), "application/json"
    if row["status"] != "succeeded":
        exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
        exc = exc_cls(row["error_message"] or message(row["error_code"] or "internal_error", locale))
        return exc.status, encode(error_shape(exc, locale)), "application/json"
    return 200, *render(json.loads(row["result"] or "{}"), wanted, task)


@dataclass(frozen=True)
class _Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": " ".join(self.lines)}


def render(result: Mapping[str, Any], wanted: str, task: str) -> tuple[bytes, str]:
    """The job's result as OpenAI answers ``response_format``."""
    segments = result.get("segments") or []
    text = str(result.get("transcript") or "")
    cues = [_Cue(s["start"], s["end"], tuple(s.get("lines") or [s["text"]])) for s in segments]
    if wanted == "text":
        return (text + "\n").encode(), "text/plain; charset=utf-8"
    if wanted == "srt":
        return subtitles.srt_text(cues).encode(), "text/plain; charset=utf-8"
    if wanted == "vtt":
        return subtitles.vtt_text(cues).encode(), "text/plain; charset=utf-8"
    if wanted == "json":
        return encode({"text": text}), "application/json"
    return encode(verbose(result, task)), "application/json"


def verbose(result: Mapping[str, Any], task: str) -> dict[str, Any]:
    segments = result.get("segments") or []
    return {"task": task, "language": result.get("language"), "duration": result.get("duration"),
            "text": result.get("transcript") or "",
            "segments": [{"id": s["id"], "seek": 0, "start": s["start"], "end": s["end"], "text": s["text"],
                          "tokens": [], "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 0.0,
                          "no_speech_prob": 0.0} for s in segments],
            "words": [{"word": w["word"], "start": w["start"], "end": w["end"]}
                      for s in segments for w in s.get("words") or []]}


def error_shape(exc: NoxusError, locale: str) -> dict[str, Any]:
    """OpenAI's error body. ``type``: invalid_request_error for 4xx, server_error for 5xx."""
    fields = say((exc.details or {}).get("field_errors") or {}, locale)
    said = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items())
    text = say(exc.message, locale) or message(exc.code, locale)
    return {"error": {"message": f"{text} ({said})" if said else text,
                      "type": "invalid_request_error" if exc.status < 500 else "server_error",
                      "code": exc.code, "param": next(iter(fields), None)}}


def openai_error(exc: NoxusError, locale: str) -> Response[bytes]:
    return raw_response(encode(error_shape(exc, locale)), exc.status, dict(exc.headers))
