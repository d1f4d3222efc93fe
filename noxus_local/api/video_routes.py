"""Seed 001's video analysis routes: ``POST /api/v1/analysis/video`` and ``GET …/video/{job_id}``.

Three ways in, one job (tool ``video-analyze``):

- a raw body, ``Content-Type: video/*`` or ``application/octet-stream``: streamed
  to the job's work folder in chunks with a running size check, never held
  whole in memory; past the tier's upload limit (or a declared
  ``Content-Length`` already over it) the read stops with 413 and the
  partial file goes with the folder. Options come as query parameters:
  ``features``, ``sample_every_seconds``, ``webhook_url``, ``webhook_secret``;
- ``multipart/form-data`` with the file in part ``video`` and the options as fields;
- JSON ``{"asset_id" | "url" | "data_base64", "features"?, "sample_every_seconds"?, "webhook"?}``.

Then the same path as every tool (api/submit.py ``submit``:
probe, limits, hold, idempotency) and ``202`` + ``Location``. Anything that
is not a video is refused by the probe before the job exists: charged 0.

Example::

    curl -X POST "http://127.0.0.1:8080/api/v1/analysis/video?features=colors,quality&sample_every_seconds=5" \\
      -H "Authorization: Bearer $KEY" -H "Content-Type: video/mp4" --data-binary @clip.mp4
    curl http://127.0.0.1:8080/api/v1/analysis/video/job_x -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from noxus_local.api.analysis_routes import READ_ERRORS, SUBMIT_ERRORS, TAG, seed_view, submit_seed_job
from noxus_local.api.analysis_schemas import (
    VIDEO_JOB,
    VIDEO_RESULT_EXAMPLE,
    AnalysisAccepted,
    AnalysisVideo,
    VideoAnalysisIn,
)
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import BINARY_SCHEMA, envelope, operation, text_param
from noxus_local.api.input_refs import resolve_refs
from noxus_local.api.inputs import ParsedInput, _read_json, _read_multipart, _too_big, check_values
from noxus_local.errors import InvalidMedia, NoxusError, UnsupportedMediaType, ValidationError
from noxus_local.jobs.analysis_view import VIDEO_TOOL, video_view
from noxus_local.locale import t
from noxus_local.tools.base import InputFile, Limits, Tool

ROUTE = "/api/v1/analysis/video"
OPTIONS = ("features", "sample_every_seconds", "webhook", "webhook_url", "webhook_secret")
RAW_TYPES = ("application/octet-stream",)
FLUSH_BYTES = 1024 * 1024  # chunks are written to disk in one thread hop per MiB
# JSON's names for the file, as seed 001 and the image items say them → the tool's input names
JSON_FILE_KEYS = {"asset_id": "video_asset_id", "url": "video_url", "data_base64": "video_base64"}
EMPTY = t("video_routes.empty")
JOB_ID = Annotated[str, PathParameter(description="The `job_id` of the 202", examples=[Example(value=VIDEO_JOB)])]
RAW = " (with a raw body; a form or JSON says it in the body)"
FEATURES_TEXT = "Image features of each keyframe, comma-separated. Default: colors,quality"
SAMPLE_TEXT = "Also analyse a keyframe every this many seconds"
# the multipart form: the video as a part, an asset or a URL, and the options as fields
FORM = {"type": "object", "any_of": [{"required": [way]} for way in ("video", "video_asset_id", "video_url")],
        "properties": {
            "video": BINARY_SCHEMA, "video_asset_id": {"type": "string",
                                                       "description": "An asset of this account, instead of the part"},
            "video_url": {"type": "string", "format": "uri",
                          "description": "Downloaded by the server (SSRF-checked), instead of the part"},
            "features": {"type": "string", "description": FEATURES_TEXT},
            "sample_every_seconds": {"type": "number", "minimum": 0.5, "maximum": 3600, "description": SAMPLE_TEXT},
            "webhook_url": {"type": "string", "description": "Where the final result is POSTed (SSRF-checked)"},
            "webhook_secret": {"type": "string", "description": "Signs the webhook (X-Webhook-Signature)"}}}
JSON_BODY = {"all_of": [VideoAnalysisIn], "any_of": [{"required": [way]} for way in JSON_FILE_KEYS]}


@post(ROUTE, status_code=202, **operation(
    "submitVideoAnalysis", TAG, "Submit a video for analysis",
    "Seed 001: the video as the raw body (`Content-Type: video/*` or `application/octet-stream`, streamed to disk; "
    "options as query parameters), as multipart part `video`, or JSON `asset_id` / `url` / `data_base64`. "
    "Answers 202 with `Location`. Not a video, no video stream, 0 bytes or corrupt: 400 `invalid_media`; over "
    "the upload limit or `max_video_seconds`: 413. Priced per second of video: held for the probed duration, "
    "charged the seconds decoded (`result.warnings` says when a header lied); `Max-Processing-Time` stops the "
    "job (charged 0). The webhook posts the GET body (`{job_id, status, result}`) plus `event`.",
    ok=(AnalysisAccepted, {"accepted": envelope({"job_id": VIDEO_JOB, "status": "queued",
                                                 "location": f"{ROUTE}/{VIDEO_JOB}"})}),
    status=202, headers=("IdempotencyKey", "MaxProcessingTime"),
    errors=tuple(dict.fromkeys((*SUBMIT_ERRORS, "invalid_media", "asset_forbidden", "asset_not_found",
                                "unsupported_media_type", "tool_unavailable", "request_timeout", "server_busy"))),
    bodies={"video/*": (BINARY_SCHEMA, {}), "application/octet-stream": (BINARY_SCHEMA, {}),
            "multipart/form-data": (FORM, {}),
            "application/json": (JSON_BODY, {"an asset": {"asset_id": "asset_0f1e2d3c4b5a69788796a5b4",
                                                           "features": ["colors"]}})}))
async def submit_video(request: Request[Any, Any, Any], svc: ServicesDep,
                       features: Annotated[str | None, text_param(FEATURES_TEXT + RAW)] = None,
                       sample_every_seconds: Annotated[str | None, text_param(
                           SAMPLE_TEXT + RAW, type="number", minimum=0.5, maximum=3600)] = None,
                       webhook_url: Annotated[str | None, text_param(
                           "Where the final result is POSTed (SSRF-checked)" + RAW)] = None,
                       webhook_secret: Annotated[str | None, text_param(
                           "Signs the webhook (X-Webhook-Signature)" + RAW)] = None,
                       ) -> Response[AnalysisAccepted | bytes]:
    """The video as one job through ``submit`` (which authenticates); its 202 is kept for replays.
    The query options are read with the body (``_read_video``: the body's own say wins)."""
    tool = svc.catalog.resolve(VIDEO_TOOL)

    async def read(limits: Limits, workdir: Path) -> ParsedInput:
        return await _read_video(request, tool, limits, workdir)

    return await submit_seed_job(request, svc, VIDEO_TOOL, read, ROUTE, "video")


@get(f"{ROUTE}/{{job_id:str}}", **operation(
    "getVideoAnalysis", TAG, "Get a video analysis",
    "Seed 001's words (`queued`, `processing`, `finished`, `failed`) and, once finished, the `result`: probe data, "
    "scenes with cuts and fades, keyframes with their image analysis and download URL, speech segments, EBU R128 "
    "loudness and silences. Another tool's job is 404 `job_not_found`.",
    ok=(AnalysisVideo, {"finished": envelope({
        "job_id": VIDEO_JOB, "status": "finished", "progress": 100, "result": VIDEO_RESULT_EXAMPLE,
        "billing": {"currency": "USD", "estimated_usd": "0.0026", "charged_usd": "0.0026"}})}),
    errors=READ_ERRORS))
async def show_video(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                     job_id: JOB_ID) -> AnalysisVideo:
    return await seed_view(request, svc, principal, job_id, VIDEO_TOOL, video_view, AnalysisVideo)


async def _read_video(request: Request[Any, Any, Any], tool: Tool, limits: Limits, workdir: Path) -> ParsedInput:
    """The video on disk as input ``video`` plus the options, whichever way they came."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith("video/") or ctype in RAW_TYPES:
        parsed = await _stream_body(request, limits, workdir / "in_video")
    elif ctype == "multipart/form-data":
        parsed = await _read_multipart(request, tool, limits, workdir)
        await resolve_refs(request, tool, limits, workdir, parsed)
    elif ctype in ("application/json", "") or ctype.endswith("+json"):
        raw = await request.body()
        if not raw:
            raise InvalidMedia(EMPTY, details={"reason": "empty"})
        renamed, given = _renamed(raw)
        try:
            parsed = await to_thread.run_sync(_read_json, renamed, tool, limits, workdir)
            await resolve_refs(request, tool, limits, workdir, parsed)
        except NoxusError as exc:
            raise _named_as_given(exc, given) from None
    else:
        raise UnsupportedMediaType(details={"content_type": ctype[:100], "accepted": [
            "video/*", "application/octet-stream", "multipart/form-data", "application/json"]})
    for name in OPTIONS:  # query parameters fill what the body did not say
        value = request.query_params.get(name)
        if value is not None and name not in parsed.fields:
            parsed.fields[name] = value
    check_values(parsed.fields)
    if "video" not in parsed.files:
        raise ValidationError.fields({"video": [t("common.required")]})
    return parsed


def _renamed(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """JSON's ``asset_id`` / ``url`` / ``data_base64`` under the tool's names (``video_asset_id``…),
    and which were renamed (tool name → the client's), so errors can name them as the client did."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return raw, {}  # _read_json says what is wrong with it
    if not isinstance(body, dict):
        return raw, {}
    given: dict[str, str] = {}
    for own, name in JSON_FILE_KEYS.items():
        if own in body and name not in body:
            body[name] = body.pop(own)
            given[name] = own
    return json.dumps(body).encode(), given


def _named_as_given(exc: NoxusError, given: dict[str, str]) -> NoxusError:
    """The error with its field errors under the client's names: ``url``, never ``video_url`` (issue 17).

    Example: ``{"video_url": ["must be http(s)"]}`` → ``{"url": ["must be http(s)"]}`` when the
    body said ``url``.
    """
    fields = (exc.details or {}).get("field_errors")
    if given and isinstance(fields, dict):
        exc.details = {**(exc.details or {}), "field_errors": {given.get(k, k): v for k, v in fields.items()}}
    return exc


async def _stream_body(request: Request[Any, Any, Any], limits: Limits, path: Path) -> ParsedInput:
    """Copy the request body to ``path`` as it arrives: at most ``FLUSH_BYTES`` in memory at once."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limits.max_upload_bytes:
        raise _too_big(limits)  # said up front: refused before a byte is read
    digest, size = hashlib.sha256(), 0
    pending: list[bytes] = []
    buffered = 0
    out = await to_thread.run_sync(open, path, "wb")
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_upload_bytes:
                raise _too_big(limits)
            digest.update(chunk)
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= FLUSH_BYTES:
                await to_thread.run_sync(out.write, b"".join(pending))
                pending, buffered = [], 0
        if pending:
            await to_thread.run_sync(out.write, b"".join(pending))
    finally:
        await to_thread.run_sync(out.close)
    if size == 0:
        raise InvalidMedia(EMPTY, details={"reason": "empty"})
    parsed = ParsedInput()
    parsed.files["video"] = InputFile(path, "video", request.headers.get("content-type"), size)
    parsed.file_hashes["video"] = digest.hexdigest()
    return parsed
