"""What the OpenAPI document says about the routes not converted to typed handlers yet.

Routes that return msgspec Structs declare their operation on the decorator
(``api.docs``) and have no entry here; the rest answer raw JSON bytes, so
nothing here changes a response: this is documentation only. Bodies are JSON Schema (OpenAPI 3.1); examples are real
responses of this server with their ids shortened, and the error examples are
rendered by ``envelope.error_body`` itself, so they cannot drift from what a
client receives. ``tests/e2e/test_api_docs.py`` checks that every route has an
entry and that the request examples run.

Example::

    OPERATIONS[("post", "/api/v1/ping")].errors   # ("missing_api_key", ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from noxus_local.api.analysis_schemas import VIDEO_RESULT_EXAMPLE
from noxus_local.api.envelope import MESSAGES
from noxus_local.api.job_examples import JOB, JOB_ROW, RUN_EXAMPLES
from noxus_local.api.job_examples import step_example as _step_example
from noxus_local.api.job_examples import sub_jobs_example as _sub_jobs_example
from noxus_local.errors import Text
from noxus_local.media.images import INVALID_IMAGE

RID = "req_3040b4d0dfd7ab7fb0ccc169"
# a valid 1x1 PNG: the base64 examples run as they are in "Try it out"
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

INFO_DESCRIPTION = """\
The NOXUS tools API v1, served by NOXUS Local on your own machine. A client written
for the hosted API works here by changing only the base URL.

**Auth.** Send `Authorization: Bearer noxus_<env>_...` (create keys with
`noxus-local keys create`). Test keys spend the test balance, live keys the live one.

**Envelope.** Every JSON body has `success` and `request_id`; the `X-Request-Id`
header carries the same id (send your own `X-Request-Id` to reuse it). Errors have
`error` (a sentence in the server's locale), a stable `error_code`, `billing.charged_usd = "0"`
and optional `details` (validation errors list `details.field_errors`).

**Billing.** Tools check the balance against an estimate before running, hold it, and
charge only on success (never more than the estimate). A `fixed` price is one amount per
run; a `dynamic` one is `unit_usd` per `unit` (second, minute, image, 1k_chars, scene): the
hold is computed from the validated input, the charge from what was processed, rounded up
to the micro-USD; `billing` then shows `unit`, `estimated_units` and `units`.

**Running tools.** `POST /api/v1/tools/{name}` with `multipart/form-data` or JSON
(files as `content_base64` / `<field>_base64`). One-shot by default; `Prefer: respond-async`
(or a job longer than the server's sync wait) answers `202` with `Location: /api/v1/jobs/{id}`.
`Idempotency-Key` makes retries safe: the same key and body return the original response
with `Idempotent-Replayed: true` and no second charge.

**Limits.** Authenticated responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` for the successful-jobs window; `429` carries `Retry-After`.
"""

TAGS = [
    {"name": "Account", "description": "Check the key, read the balance and usage."},
    {"name": "Tools", "description": "The tool catalog, and running a tool."},
    {"name": "Jobs", "description": "Every tool run is a job: list, inspect, cancel."},
    {"name": "Files", "description": "Tool outputs by signed, expiring URL (no key needed)."},
    {"name": "Assets", "description": "Upload images, audio and video once; name them in tool calls by "
                                      "`<field>_asset_id` (seed 003)."},
    {"name": "Voices", "description": "The voice library of text-to-speech (seed 003): filters, previews."},
    {"name": "Status", "description": "Observed latency and capacity in use."},
    {"name": "System", "description": "Liveness and metrics for operators."},
    {"name": "OpenAI-compatible", "description": "OpenAI's audio and chat routes: the official client works with only "
                                                 "`base_url` changed. Errors in OpenAI's shape."},
]

BEARER = [{"apiKeyAuth": []}]
SECURITY_SCHEMES = {
    "apiKeyAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "noxus_<test|live>_<key>",
                   "description": "An API key: `Authorization: Bearer noxus_test_...`."},
}


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _str(description: str = "", **kw: Any) -> dict[str, Any]:
    return {"type": "string", **({"description": description} if description else {}), **kw}


def _int(description: str = "", **kw: Any) -> dict[str, Any]:
    return {"type": "integer", **({"description": description} if description else {}), **kw}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **({"required": list(required)} if required else {}),
            **kw}


def _signed_url_params(expires_digits: int = 11,
                       sig_description: str = "HMAC-SHA256 signature") -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``expires`` and ``sig`` query parameters of a signed download URL (files, assets, voice previews).

    Every route served from a signed URL takes the same pair, so it is written once here.
    Example: ``parameters=(JOB_ID_PARAM, *_signed_url_params())``
    """
    return ({"name": "expires", "in": "query", "required": True, "description": "unix seconds",
             "schema": _str(pattern=rf"^[0-9]{{1,{expires_digits}}}$")},
            {"name": "sig", "in": "query", "required": True, "description": sig_description,
             "schema": _str(pattern=r"^[0-9a-f]{64}$")})


def _ok(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A success body: the envelope's two members around the route's own."""
    return _obj({"success": {"const": True}, **properties, "request_id": _ref("RequestId")},
                ("success", *required, "request_id"))


USD = _str("USD amount as a decimal string", examples=["0.002"])
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"]
STEP_STATUSES = ["pending", "running", "succeeded", "failed", "cancelled", "skipped"]
SCHEMAS: dict[str, Any] = {
    "RequestId": _str("`req_` + 24 hex chars, or the client's own X-Request-Id", examples=[RID]),
    "Error": _obj({
        "success": {"const": False},
        "error": _str("A human sentence in the server's locale (es by default, en available)"),
        "error_code": _str("Stable, English", enum=sorted(MESSAGES)),
        "request_id": _ref("RequestId"),
        "billing": _obj({"charged_usd": {"const": "0"}}, ("charged_usd",)),
        "details": _obj({"field_errors": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}}}, additionalProperties=True,
            description="Optional. Validation errors list `field_errors`; limits name the `limit`."),
        "limit": _obj({"limit": _int(), "window_seconds": _int()},
                      description="429 rate_limit_exceeded only (seed 000)"),
        "active": _int("429 concurrency_limit_exceeded only"),
        "max": _int("429 concurrency_limit_exceeded only"),
        "job_id": _str("When the error ended a job that was created"),
    }, ("success", "error", "error_code", "request_id", "billing")),
}

HEADERS = {
    "X-Request-Id": {"description": "The request's id, the same as the body's request_id",
                     "schema": _ref("RequestId")},
    "X-RateLimit-Limit": {"description": "Successful jobs allowed per hour for this key", "schema": _int()},
    "X-RateLimit-Remaining": {"description": "Successful jobs left in the current window", "schema": _int()},
    "X-RateLimit-Reset": {"description": "When the window frees a slot (unix seconds)", "schema": _int()},
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": _int()},
    "Location": {"description": "The job to poll: /api/v1/jobs/{job_id}", "schema": _str()},
    "Idempotent-Replayed": {"description": "`true` when this is the stored response of an earlier "
                                           "request with the same Idempotency-Key", "schema": _str()},
}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

# printable ASCII, no space at either end, 1-255 chars (core.idempotency.KEY_RE)
IDEMPOTENCY_KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"

PARAMETERS = {
    "XRequestId": {"name": "X-Request-Id", "in": "header", "required": False,
                   "description": "Your own request id: reused when it matches `[A-Za-z0-9._-]{1,64}`; any other "
                                  "value is replaced by a new `req_` id (never refused)",
                   "schema": _str()},
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "1-255 printable chars. Same key + same body within 24 h returns the "
                                      "original response, not a second job or charge; a different body → 409.",
                       "schema": _str(pattern=IDEMPOTENCY_KEY_PATTERN), "example": "qr-2026-05-25-001"},
    "Prefer": {"name": "Prefer", "in": "header", "required": False,
               "description": "`respond-async`: answer 202 at once with the job's Location. Other "
                              "preferences are ignored, as RFC 7240 says a server may",
               "schema": _str(examples=["respond-async"])},
    "MaxProcessingTime": {"name": "Max-Processing-Time", "in": "header", "required": False,
                          "description": "Seconds the job may run (0 = unlimited), ASCII digits, at most the "
                                         "server's `[jobs] max_processing_seconds` (604800 by default); past it "
                                         "the job fails with processing_timeout and is charged 0",
                          "schema": _int(minimum=0, maximum=604800), "example": 60},
}

# details/extra that make each error example look like the real thing
ERROR_SAMPLES: dict[str, dict[str, Any]] = {
    "validation_error": {"details": {"field_errors": {"text": [Text("es obligatorio", "is required")]}}},
    "invalid_media": {"message": INVALID_IMAGE},
    "insufficient_api_balance": {"details": {"estimated_usd": "0.002", "available_usd": "0.001"}},
    "key_budget_exceeded": {"details": {"cap_usd": "5", "spent_usd": "4.999", "held_usd": "0",
                                        "estimated_usd": "0.002", "period": "month",
                                        "resets_at": "2027-01-01T00:00:00Z"}},
    "scope_denied": {"details": {"required_scope": "tools:run"}},
    "tool_not_allowed": {"details": {"tool": "qr"}},
    "tool_not_found": {"details": {"tool": "crear-gif"}},
    "idempotency_conflict": {"details": {"reason": "different_request"}},
    "limit_exceeded": {"details": {"limit": "max_upload_mb", "max": 25}},
    "unsupported_media_type": {"details": {"content_type": "text/plain",
                                           "accepted": ["multipart/form-data", "application/json"]}},
    "rate_limit_exceeded": {"extra": {"limit": {"limit": 60, "window_seconds": 3600}},
                            "details": {"limit": "jobs_per_hour"}},
    "concurrency_limit_exceeded": {"extra": {"active": 1, "max": 1}, "details": {"active": 1, "max": 1}},
    "tool_unavailable": {"details": {"reason": "model_missing",
                                     "install": "noxus-local models fetch whisper-base"}},
    "processing_timeout": {"details": {"job_id": JOB}, "extra": {"job_id": JOB}},
    "shutting_down": {"details": {"job_id": JOB, "status": "queued"}, "extra": {"job_id": JOB}},
    "request_timeout": {"details": {"limit": "body_timeout_seconds", "max": 30}},
    "server_busy": {"details": {"limit": "max_concurrent_uploads", "max": 16}},
    "insufficient_storage": {"details": {"free_mb": 7, "min_free_mb": 256}},
    "asset_forbidden": {"details": {"asset_id": "asset_5b1c0e8f2a9d4c7e1f3a6b2d"}},
    "asset_not_found": {"details": {"asset_id": "asset_5b1c0e8f2a9d4c7e1f3a6b2d", "reason": "deleted"}},
}

AUTH_ERRORS = ("missing_api_key", "invalid_api_key", "revoked_api_key", "account_suspended",
               "rate_limit_exceeded", "internal_error")


@dataclass(frozen=True)
class Op:
    """One operation's documentation. ``errors`` are error codes; statuses come from errors.py.

    ``examples`` name success bodies; empty means "made from the live catalog" (tool routes).
    """

    operation_id: str
    tag: str
    summary: str
    description: str
    schema: str | None                     # success body component; None: described in ``content``
    examples: dict[str, Any] = field(default_factory=dict)
    auth: bool = True
    status: int = 200
    errors: tuple[str, ...] = AUTH_ERRORS
    parameters: tuple[dict[str, Any], ...] = ()
    content: dict[str, Any] | None = None  # a non-JSON success body
    request_body: dict[str, Any] | None = None
    extra: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # more successes: 202
    error_schema: str = "Error"  # the OpenAI-compatible routes answer errors in OpenAI's shape
    security: str = "apiKeyAuth"  # the internal worker routes: WORKER_SECURITY (no rate-limit headers)


def _envelope(body: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, **body, "request_id": RID}


JOB_ID_PARAM = {"name": "job_id", "in": "path", "required": True, "description": "A job id from a tool run",
                "schema": _str(), "example": JOB}

OPERATIONS: dict[tuple[str, str], Op] = {}


ASSET_ERRORS = ("missing_api_key", "invalid_api_key", "revoked_api_key", "account_suspended", "rate_limit_exceeded")

# members every tool body accepts besides the tool's own inputs
JSON_COMMON = {
    "return_base64": {"type": "boolean", "default": True,
                      "description": "false: leave `content_base64` out of `output` (the `url` is always there)"},
    "webhook": _obj({"url": _str("Called with the job's body when it ends", format="uri"),
                     "secret": _str("Signs X-Webhook-Signature (HMAC-SHA256)", maxLength=512)}, ("url",)),
}
FORM_COMMON = {
    "return_base64": JSON_COMMON["return_base64"],
    "webhook_url": _str("Called with the job's body when it ends", format="uri"),
    "webhook_secret": _str("Signs X-Webhook-Signature (HMAC-SHA256)", maxLength=512),
}

# request examples: name → (tool slug, Example Object); seed 000's own calls first
# the request examples of each tool live on its class (``Tool.examples``: tools/<name>.py)

# seed 001's image analysis: a batch job with its own status words (GET /api/v1/jobs keeps NOXUS's)
TAGS.insert(-2, {"name": "Analysis", "description": "Seed 001: image batches analysed item by item, and videos "
                 "(shots, keyframes, speech, loudness)."})

# seed 001's video analysis (api/video_routes.py): a video-analyze job, priced per second of video
VIDEO_JOB = "job_3d5f7a9c1e2b4d6f8a0c2e4b"
VIDEO_RESULT = VIDEO_RESULT_EXAMPLE
VIDEO_STEPS = ("probe", "scenes", "keyframes", "audio")
VIDEO_OUTPUTS = [{"name": "analysis", "filename": "analysis.json", "mime_type": "application/json", "size_bytes": 2051,
                  "url": f"/api/v1/files/{VIDEO_JOB}/analysis.json?expires=1779721445&sig=7c2d…"},
                 {"name": "keyframe-000", "filename": "keyframe-000.jpg", "mime_type": "image/jpeg",
                  "size_bytes": 18734, "url": VIDEO_RESULT["keyframes"][0]["url"]}]
RUN_EXAMPLES["video-analyze"] = _envelope({
    **JOB_ROW, "tool": "video-analyze", "job_id": VIDEO_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.0026", "charged_usd": "0.0026", "balance_after_usd": "9.9974",
                "unit": "second", "estimated_units": 13.0, "units": 13.0},
    "steps": [_step_example(VIDEO_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:08.120470Z")
              for i, n in enumerate(VIDEO_STEPS, start=1)],
    "jobs": _sub_jobs_example(VIDEO_JOB, VIDEO_STEPS), "sub_jobs": _sub_jobs_example(VIDEO_JOB, VIDEO_STEPS),
    "output": {k: VIDEO_OUTPUTS[0][k] for k in ("filename", "mime_type", "size_bytes", "url")},
    "outputs": VIDEO_OUTPUTS, "result": {**VIDEO_RESULT, "keyframes": [
        {k: v for k, v in f.items() if k != "url"} for f in VIDEO_RESULT["keyframes"]]}})


# --- voices (api/voice_routes.py) ---
# brand profiles (issue 24, api/brand_routes.py): an account's saved brand kits, instant-ad's brand_profile_id
TAGS.insert(-2, {"name": "Brand profiles", "description": "Saved brand kits (name, colours, logo) that instant-ad "
                                                          "paints its ads with (`brand_profile_id`)."})
TTS_JOB = "job_7c1e9a04b2d84f3e6a5c0b19"
TTS_RUN = _envelope({
    **JOB_ROW, "tool": "text-to-speech", "job_id": TTS_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.001", "charged_usd": "0.001", "balance_after_usd": "9.995"},
    "steps": [_step_example(TTS_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:08.120470Z")
              for i, n in enumerate(("phonemize", "synthesize", "encode"), start=1)],
    "jobs": _sub_jobs_example(TTS_JOB, ("phonemize", "synthesize", "encode")),
    "sub_jobs": _sub_jobs_example(TTS_JOB, ("phonemize", "synthesize", "encode")),
    "outputs": [{"name": "primary", "filename": "speech.mp3", "mime_type": "audio/mpeg", "size_bytes": 23405,
                 "url": f"/api/v1/files/{TTS_JOB}/speech.mp3?expires=1779721445&sig=9a1f…"}],
    "output": {"filename": "speech.mp3", "mime_type": "audio/mpeg", "size_bytes": 23405,
               "url": f"/api/v1/files/{TTS_JOB}/speech.mp3?expires=1779721445&sig=9a1f…"},
    "result": {"duration_seconds": 1.45, "language": "es", "voice_id": "ef_dora", "voice_language": "es",
               "model": "kokoro-82m", "format": "mp3", "sample_rate": 24000,
               "sentences": [{"text": "Hola, ¿qué tal?", "start": 0.0, "end": 1.45}],
               "words": [{"word": "Hola,", "start": 0.21, "end": 0.62}, {"word": "¿qué", "start": 0.62, "end": 0.9},
                         {"word": "tal?", "start": 0.9, "end": 1.3}],
               "timing_source": "model_durations"}})
RUN_EXAMPLES["text-to-speech"] = TTS_RUN
# --- script-to-video (tools/script_to_video.py) ---
S2V_JOB = "job_2b7e5c9a1d3f4e6a8c0b2d4f"
S2V_STEPS = ("write", "plan", "voice", "visuals", "render")
S2V_FILES = (("video", "video.mp4", "video/mp4", 1843211), ("script", "script.txt", "text/plain; charset=utf-8", 98),
             ("timeline", "timeline.json", "application/json", 3120), ("srt", "video.srt", "application/x-subrip", 160),
             ("vtt", "video.vtt", "text/vtt", 150), ("narration", "narration.mp3", "audio/mpeg", 96122))
S2V_WORDS = [{"word": "¿Sabías", "start": 0.15, "end": 0.6}, {"word": "que", "start": 0.62, "end": 0.75},
             {"word": "el", "start": 0.78, "end": 0.85}, {"word": "café", "start": 0.9, "end": 1.3},
             {"word": "nació", "start": 1.35, "end": 1.7}, {"word": "en", "start": 1.72, "end": 1.8},
             {"word": "Etiopía?", "start": 1.85, "end": 2.6}]
S2V_RUN = _envelope({
    **JOB_ROW, "tool": "script-to-video", "job_id": S2V_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.0131", "charged_usd": "0.0106", "balance_after_usd": "9.9894"},
    "steps": [_step_example(S2V_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:09.120470Z")
              for i, n in enumerate(S2V_STEPS, start=1)],
    "jobs": _sub_jobs_example(S2V_JOB, S2V_STEPS), "sub_jobs": _sub_jobs_example(S2V_JOB, S2V_STEPS),
    "output": {"filename": "video.mp4", "mime_type": "video/mp4", "size_bytes": 1843211,
               "url": f"/api/v1/files/{S2V_JOB}/video.mp4?expires=1779721445&sig=9a1f…"},
    "outputs": [{"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
                 "url": f"/api/v1/files/{S2V_JOB}/{filename}?expires=1779721445&sig=9a1f…"}
                for name, filename, mime, size in S2V_FILES],
    "result": {"script": "¿Sabías que el café nació en Etiopía? Hoy se bebe en todo el mundo.", "language": "es",
               "voice_id": "ef_dora", "duration": 5.3, "width": 720, "height": 1280, "fps": 25,
               "planner": "llm", "timing_source": "model_durations",
               "scenes": [{"index": 0, "text": "¿Sabías que el café nació en Etiopía? Hoy se bebe en todo el mundo.",
                           "start": 0.0, "end": 5.3,
                           "visual": {"kind": "material", "source": "taza.jpg",
                                      "description": "Una taza de café humeante sobre una mesa de madera",
                                      "search": ["café", "taza", "etiopía"],
                                      "search_en": ["coffee", "cup", "ethiopia"],
                                      "match": {"by": "name", "terms": ["taza", "cup"], "found": ["taza"]}},
                           "words": S2V_WORDS}],
               "segments": [{"id": 0, "start": 0.15, "end": 2.6, "text": "¿Sabías que el café nació en Etiopía?",
                             "lines": ["¿Sabías que el café nació en", "Etiopía?"],
                             "words": [{**w, "probability": 1.0} for w in S2V_WORDS]}],
               "warnings": []}})
RUN_EXAMPLES["script-to-video"] = S2V_RUN
# --- the remote workers' internal API (api/worker_routes.py): documented only where it is served,
# in multi-host mode; worker token, not an API key, and no rate-limit headers
WORKER_SECURITY = "workerTokenAuth"
WORKER_SCHEME = {"type": "http", "scheme": "bearer",
                 "description": "A worker token, one of the API node's `[workers] tokens` (not an API key). "
                                "A wrong one: 401 `invalid_worker_token`, logged."}
INTERNAL_TAG = {"name": "Internal", "description": "Multi-host mode only: what `noxus-local worker --api-url` "
                                                   "speaks to. Keep it on a private network."}
# the operations are generated from api/worker_routes.py's decorators (Structs in api/worker_schemas.py);
# Litestar documents them only where they are served: app.py registers them in multi-host mode only


CHAT_JOB = "job_1df3a537c9d56904545cb458"
_CHAT_OUT = {"filename": "chat.json", "mime_type": "application/json", "size_bytes": 211,
             "url": f"/api/v1/files/{CHAT_JOB}/chat.json?expires=1796649932&sig=b08fcc15…"}
RUN_EXAMPLES["chat"] = _envelope({
    "tool": "chat", "job_id": CHAT_JOB, "status": "succeeded", "progress": 100,
    "created_at": "2026-12-06T13:25:28.922162Z", "started_at": "2026-12-06T13:25:28.924346Z",
    "finished_at": "2026-12-06T13:25:32.233623Z",
    "billing": {"currency": "USD", "estimated_usd": "0.000016", "charged_usd": "0.000013",
                "balance_after_usd": "9.999961"},
    "output": _CHAT_OUT, "outputs": [{"name": "primary", **_CHAT_OUT}],
    "result": {"text": "Hello! How can I assist you today?", "model": "qwen2.5-coder-0.5b-instruct",
               "finish_reason": "stop", "created": 1796563532,
               "usage": {"prompt_tokens": 31, "completion_tokens": 10, "total_tokens": 41}}})


# --- music (api/music_routes.py) ---
TAGS.insert(-2, {"name": "Music", "description": "The bundled background music (28 MIT tracks by mood) that "
                                                 "composed videos take by mood or track id."})

# the auto-clip tool (tools/auto_clip.py): one MP4, JSON and SRT per clip; priced per minute of source
# plus 30 s of units per clip rendered
CLIP_JOB = "job_5e8a2c4b6d0f1a3c5e7b9d2f"
CLIP_STEPS = ("probe", "transcribe", "candidates", "score", "reframe", "render")
CLIP_OUTPUTS = [{"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
                 "url": f"/api/v1/files/{CLIP_JOB}/{filename}?expires=1779721445&sig=2b7e…"}
                for name, filename, mime, size in (("clip-1", "clip-1.mp4", "video/mp4", 1843201),
                                                   ("clip-1-json", "clip-1.json", "application/json", 4210),
                                                   ("clip-1-srt", "clip-1.srt", "application/x-subrip", 812))]
CLIP_RESULT = {
    "clips": [{"index": 1, "start": 9.865, "end": 23.551, "duration": 13.686, "viral_score": 8.3,
               "reasons": [{"signal": "hook", "value": 9.0, "strength": 0.9, "weight": 3.0, "contribution": 2.43,
                            "detail": "llm: A question with a striking number up front."},
                           {"signal": "questions", "value": 1, "strength": 0.5, "weight": 1.0,
                            "contribution": 0.45}],
               "hook": {"text": "Why do 90% of new startups fail in their first three years?", "score": 9.0,
                        "reason": "A question with a striking number up front.", "source": "llm",
                        "title": None},
               "transcript": "Why do 90% of new startups fail in their first three years? There are three reasons.",
               "output": "clip-1.mp4", "camera": {"max_speed": 0.21, "travel": 0.8, "framed_share": 1.0}}],
    "clipCount": 1, "viralScores": [8.3], "candidates_considered": 12, "language": "en", "source_duration": 41.3,
    "timings": {"probe": 0.01, "transcribe": 4.2, "candidates": 0.05, "shots_and_faces": 1.9, "score": 3.1,
                "reframe": 0.0, "render": 4.4},
}
RUN_EXAMPLES["auto-clip"] = _envelope({
    **JOB_ROW, "tool": "auto-clip", "job_id": CLIP_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.0657", "charged_usd": "0.0357", "balance_after_usd": "9.9643",
                "unit": "minute", "estimated_units": 131.3, "units": 71.3},
    "steps": [_step_example(CLIP_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:09.120470Z")
              for i, n in enumerate(CLIP_STEPS, start=1)],
    "jobs": _sub_jobs_example(CLIP_JOB, CLIP_STEPS), "sub_jobs": _sub_jobs_example(CLIP_JOB, CLIP_STEPS),
    "output": {k: CLIP_OUTPUTS[0][k] for k in ("filename", "mime_type", "size_bytes", "url")},
    "outputs": CLIP_OUTPUTS, "result": CLIP_RESULT})

# seed 003's video-ad API (api/ad_routes.py): its own bodies and its own error shape
AD_JOB = "job_8a6c4e2f0b1d3a5c7e9f1b3d"
AD_STEPS = ("scene_plan", "image_edit", "video_generation", "voiceover", "compositing")
# seed 003's routes (api/ad_routes.py) are generated from their decorators (Structs in api/ad_schemas.py);
# the version body stays here while GET /api/v1/jobs/{id} (job_routes.py) is in this table
# (ad_schemas.AdVersion is the same body as a Struct)
SCHEMAS.update({
    "AdVersion": _obj({
        "versionId": _str(), "status": _str(enum=["generating", "completed", "failed"]),
        "progress": _int(minimum=0, maximum=100), "videoUrl": {"type": ["string", "null"]},
        "totalCredits": _int(),
        "jobs": _obj({"total": _int(), "completed": _int(), "failed": _int(), "details": {
            "type": "array", "items": _obj({"id": _str(), "job_type": _str(), "status": _str(),
                                            "error_message": _str()}, ("id", "job_type", "status"))}},
            ("total", "completed", "failed", "details"))},
        ("versionId", "status", "progress", "videoUrl", "totalCredits", "jobs")),
})
SCHEMAS["JobOrStep"] = {"anyOf": [_ref("JobDetail"), _ref("StepDetail"), _ref("AdVersion")],
                        "description": "A job; a step's body when the id is a step id (`job_….2`); seed 003's "
                                       "version body when it is a version id (`ver_…`) of POST /api/v1/generate"}
TAGS.insert(-2, {"name": "Video ads", "description": "Seed 003: product photos → a narrated video ad with a CTA "
                                                     "end card; credits, packages and projects."})

# --- video-ad (tools/video_ad.py) ---
VAD_FILES = (("video", "video.mp4", "video/mp4", 2210431), ("script", "script.txt", "text/plain; charset=utf-8", 120),
             ("timeline", "timeline.json", "application/json", 4210), ("end_card", "end-card.png", "image/png", 40211),
             ("narration", "narration.mp3", "audio/mpeg", 84122))
VAD_RUN = _envelope({
    **JOB_ROW, "tool": "video-ad", "job_id": AD_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.06", "charged_usd": "0.06", "balance_after_usd": "9.94"},
    "steps": [_step_example(AD_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:19.120470Z")
              for i, n in enumerate(AD_STEPS, start=1)],
    "jobs": _sub_jobs_example(AD_JOB, AD_STEPS), "sub_jobs": _sub_jobs_example(AD_JOB, AD_STEPS),
    "output": {"filename": "video.mp4", "mime_type": "video/mp4", "size_bytes": 2210431,
               "url": f"/api/v1/files/{AD_JOB}/video.mp4?expires=1779721445&sig=9a1f…"},
    "outputs": [{"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
                 "url": f"/api/v1/files/{AD_JOB}/{filename}?expires=1779721445&sig=9a1f…"}
                for name, filename, mime, size in VAD_FILES],
    "result": {"script": "Meet premium wireless headphones.\nDesigned to stand out and made to last.\n"
                         "Get yours today from SoundWave.", "language": "en", "voice_id": "af_heart",
               "duration": 15.0, "width": 720, "height": 1280, "fps": 25, "writer": "template",
               "timing_source": "model_durations",
               "scenes": [{"index": 0, "text": "Meet premium wireless headphones.", "start": 0.0, "end": 4.1,
                           "image": 0, "shot": {"backdrop": "studio", "framing": 0, "score": 1.256},
                           "variants": [{"backdrop": "studio", "framing": 0, "score": 1.256},
                                        {"backdrop": "gradient", "framing": 1, "score": 0.61}],
                           "motion": {"zoom_start": 1.0, "zoom_end": 1.12, "x_start": 0.5, "y_start": 0.5,
                                      "x_end": 0.5, "y_end": 0.5},
                           "words": [{"word": "Meet", "start": 0.1, "end": 0.4}]}],
               "end_card": {"design": "bold", "company_name": "SoundWave", "start": 12.5, "end": 15.0},
               "music": "energetic_1", "warnings": ["no text model is installed: a template wrote the ad copy"]}})
RUN_EXAMPLES["video-ad"] = VAD_RUN

# --- instant-ad (tools/instant_ad.py) ---
IAD_JOB = "job_4e6a8c0b2d4f6a8c0e2b4d6f"
IAD_STEPS = ("page", "copy", "product", "render", "video")
IAD_FILES = (("ad-1", "ad-1.png", "image/png", 812345), ("ad-2", "ad-2.png", "image/png", 790112),
             ("page", "page.json", "application/json", 1210))
RUN_EXAMPLES["instant-ad"] = _envelope({
    **JOB_ROW, "tool": "instant-ad", "job_id": IAD_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.02", "charged_usd": "0.02", "balance_after_usd": "9.98"},
    "steps": [_step_example(IAD_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:19.120470Z")
              for i, n in enumerate(IAD_STEPS, start=1)],
    "jobs": _sub_jobs_example(IAD_JOB, IAD_STEPS), "sub_jobs": _sub_jobs_example(IAD_JOB, IAD_STEPS),
    "output": {"filename": "ad-1.png", "mime_type": "image/png", "size_bytes": 812345,
               "url": f"/api/v1/files/{IAD_JOB}/ad-1.png?expires=1779721445&sig=7c2e…"},
    "outputs": [{"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
                 "url": f"/api/v1/files/{IAD_JOB}/{filename}?expires=1779721445&sig=7c2e…"}
                for name, filename, mime, size in IAD_FILES],
    "result": {"variations": [{"index": 1, "headline": "Cold all day", "body": "A steel bottle that keeps drinks "
                               "cold for 24 hours.", "cta": "Shop now", "image": "ad-1.png", "video": None},
                              {"index": 2, "headline": "Your new favourite", "body": "Light, tough, leak-proof.",
                               "cta": "Get yours", "image": "ad-2.png", "video": None}],
               "page": {"url": "https://shop.example/glow-bottle", "title": "Glow Bottle",
                        "description": "A steel bottle that keeps drinks cold all day.", "price": "$24.90",
                        "images": ["https://shop.example/img/bottle.jpg"], "logo": None,
                        "theme_color": "#1d6fd8"},
               "brand": {"name": "Acme Home", "colours": ["#1d6fd8"], "logo_url": ""},
               "platform": "instagram", "size": {"width": 1080, "height": 1080}, "style": "bold",
               "output_format": "image", "variation_count": 2, "writer": "llm", "warnings": []}})


# --- seed 002 (Apex Studio): its routes are typed (api/apex_routes.py, api/apex_schemas.py); its tag ---
TAGS.insert(next(i for i, t in enumerate(TAGS) if t["name"] == "OpenAI-compatible"), {
    "name": "Apex Studio (seed 002)", "description": "Seed 002's API: `/api/generate/*`, `/api/jobs`, `/api/usage`, "
    "`/api/keys`, `/api/settings`, in its own shapes (`{data}`, `{error, code}`), credits and per-endpoint-type rate "
    "limits."})

# --- image-generate, product-photoshoot and dub-video on the NOXUS route (seed 002's image, photoshoot and
# translate run them) ---
# the image-generate tool on the NOXUS route (api/openapi.py makes its concrete path from these)
IG_JOB = "job_2b4d6f8a0c1e3a5c7e9b1d3f"
IG_URL = f"/api/v1/files/{IG_JOB}/image.png?expires=1779721445&sig=5d1f…"
RUN_EXAMPLES["image-generate"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "image-generate", "job_id": IG_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.01", "charged_usd": "0.01", "balance_after_usd": "9.99"},
    "output": {"filename": "image.png", "mime_type": "image/png", "size_bytes": 912345, "url": IG_URL},
    "outputs": [{"name": "primary", "filename": "image.png", "mime_type": "image/png", "size_bytes": 912345,
                 "url": IG_URL}],
    "result": {"model": "flux-2-pro", "width": 1024, "height": 768, "seed": 7}})
# the product-photoshoot tool on the NOXUS route: two photos, each as PNG and JPEG, and the cut-out
PS_JOB = "job_7d1e3f5a9b2c4d6e8f0a1b3c"


def _ps_file(name: str, filename: str, mime: str, size: int) -> dict[str, Any]:
    return {"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
            "url": f"/api/v1/files/{PS_JOB}/{filename}?expires=1779721445&sig=8a0c…"}


PS_FILES = [_ps_file("primary", "photo-1.png", "image/png", 2_104_331),
            _ps_file("photo-1-jpeg", "photo-1.jpg", "image/jpeg", 312_870),
            _ps_file("photo-2", "photo-2.png", "image/png", 2_087_112),
            _ps_file("photo-2-jpeg", "photo-2.jpg", "image/jpeg", 305_441),
            _ps_file("cutout", "product-cutout.png", "image/png", 401_220)]
RUN_EXAMPLES["product-photoshoot"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "product-photoshoot", "job_id": PS_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.06", "charged_usd": "0.06", "balance_after_usd": "9.94"},
    "output": {k: v for k, v in PS_FILES[0].items() if k != "name"}, "outputs": PS_FILES,
    "result": {"width": 1600, "height": 1200, "count": 2, "background": "studio-white", "angle": "45-degree",
               "lighting": "golden-hour", "seed": 7, "backdrop_source": "drawn", "generator": None,
               "photos": [{"index": 1, "png": "photo-1.png", "jpeg": "photo-1.jpg",
                           "look": {"index": 0, "scale": 0.62, "x": 0.47, "light_direction": 170.0, "shadow": 0.45,
                                    "tone": 0}},
                          {"index": 2, "png": "photo-2.png", "jpeg": "photo-2.jpg",
                           "look": {"index": 1, "scale": 0.66, "x": 0.51, "light_direction": 151.3, "shadow": 0.39,
                                    "tone": 1}}],
               "mask": {"confidence": 0.982, "coverage": 0.1413, "box": [612, 250, 402, 702]}}})

# the dub-video tool on the NOXUS route (seed 002's translate runs it)
DUB_JOB = "job_7d1f3b5a9c2e4f6a8b0d2c4e"
DUB_FILES = [("video", "charla-en.mp4", "video/mp4", 1_284_512), ("srt", "charla-en.srt", "application/x-subrip", 243),
             ("segments", "charla-en.json", "application/json", 1_433)]
DUB_OUTPUTS = [{"name": n, "filename": f, "mime_type": m, "size_bytes": size,
                "url": f"/api/v1/files/{DUB_JOB}/{f}?expires=1779721445&sig=9b3e…"} for n, f, m, size in DUB_FILES]
RUN_EXAMPLES["dub-video"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "dub-video", "job_id": DUB_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.0266", "charged_usd": "0.0266", "balance_after_usd": "9.9734",
                "unit": "minute", "estimated_units": 10.6, "units": 10.6},
    "output": {k: DUB_OUTPUTS[0][k] for k in ("filename", "mime_type", "size_bytes", "url")},
    "outputs": DUB_OUTPUTS,
    "result": {"source_language": "es", "target_language": "en", "voice_id": "af_heart",
               "translator": "llm:qwen2.5-coder-1.5b-instruct", "lip_sync": False, "duration_seconds": 10.648,
               "voice_gain": 0.893, "duck_db": -22.0,
               "segments": [{"id": 0, "start": 0.5, "end": 2.64, "source_text": "Hola, me llamo Ana y vivo en Madrid.",
                             "translation": "Hello, my name is Ana and I live in Madrid.", "speech_start": 0.5,
                             "speech_end": 3.05, "speed": 1.0, "tempo": 1.0, "borrowed_seconds": 0.41,
                             "cut_seconds": 0.0}]}})
