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
from noxus_local.api.job_routes import MAX_LIMIT, MAX_OFFSET
from noxus_local.errors import Text
from noxus_local.media.images import INVALID_IMAGE
from noxus_local.money import UNITS

RID = "req_3040b4d0dfd7ab7fb0ccc169"
JOB = "job_d8f427d5ddacb142f44fba86"
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
STEP_PROPERTIES: dict[str, Any] = {
    "id": _str("`<job_id>.<n>`", examples=[f"{JOB}.2"]), "n": _int("1-based position", minimum=1),
    "name": _str(), "weight": {"type": ["integer", "null"],
                               "description": "Share of the job's progress; null when the tool reports it itself"},
    "status": _str(enum=STEP_STATUSES), "progress": _int("Within the step", minimum=0, maximum=100),
    "started_at": NULLABLE_TIME, "finished_at": NULLABLE_TIME, "error": _ref("StepError"),
}

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
    "Billing": _obj({"currency": {"const": "USD"}, "estimated_usd": USD, "charged_usd": USD,
                     "balance_after_usd": {**USD, "description": "Once the job is settled"},
                     "unit": _str("Per-unit prices only: the unit the job is priced in", enum=list(UNITS)),
                     "estimated_units": {"type": "number", "description": "Per-unit prices only: "
                                         "the units the hold (estimated_usd) was computed from"},
                     "units": {"type": "number", "description": "Per-unit prices only, once settled: "
                               "the units processed and charged (0 when the job failed or was cancelled)"}},
                    ("currency", "estimated_usd", "charged_usd")),
    "Output": _obj({
        "filename": _str(), "mime_type": _str(), "size_bytes": _int(),
        "url": _str("Signed, expiring URL of the file; no key needed"),
        "content_base64": _str("The file, when it is at most the server's inline_max_mb and "
                               "return_base64 is not false", contentEncoding="base64"),
        "expired": {"type": "boolean", "description": "The file was removed by retention"},
    }, ("filename", "mime_type", "size_bytes")),
    "OutputFile": _obj({
        "name": _str("The output's name: `primary` or the tool's name for its main file, then each extra",
                     examples=["primary", "srt"]),
        "filename": _str(), "mime_type": _str(), "size_bytes": _int(),
        "url": _str("This file's own signed, expiring URL; no key needed"),
        "expired": {"type": "boolean", "description": "The file was removed by retention (no url then)"},
    }, ("name", "filename", "mime_type", "size_bytes")),
    "StepError": {"type": ["object", "null"], "properties": {"code": _str(), "message": _str()},
                  "description": "Why the step failed; null unless it failed or was cancelled"},
    "Step": _obj(STEP_PROPERTIES, ("id", "n", "name", "weight", "status", "progress", "started_at",
                                   "finished_at", "error")),
    "SubJobs": _obj({"total": _int(), "completed": _int(), "failed": _int(),
                     "details": {"type": "array", "items": _obj({
                         "id": _str("The step's id; GET /api/v1/jobs/{id} answers with the step"),
                         "job_type": _str("The step's name"), "status": _str(enum=STEP_STATUSES),
                         "error_message": _str("When the step failed")}, ("id", "job_type", "status"))}},
                    ("total", "completed", "failed", "details"),
                    description="The steps in seed 003's sub-job shape"),
    "StepDetail": _ok({**STEP_PROPERTIES,
                       "job_id": _str("The parent job, which holds and settles the money", examples=[JOB]),
                       "job_status": _str(enum=JOB_STATUSES), "job_progress": _int(minimum=0, maximum=100),
                       "tool": _str()},
                      ("id", "n", "name", "status", "progress", "job_id", "job_status", "job_progress", "tool")),
    "JobOrStep": {"anyOf": [_ref("JobDetail"), _ref("StepDetail")],
                  "description": "A job; a step's body when the id is a step id (`job_….2`)"},
    "Job": _obj({
        "tool": _str("Tool slug"), "job_id": _str(examples=[JOB]),
        "status": _str(enum=JOB_STATUSES), "progress": _int(minimum=0, maximum=100),
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": NULLABLE_TIME, "finished_at": NULLABLE_TIME,
        "billing": _ref("Billing"),
        "steps": {"type": "array", "items": _ref("Step"),
                  "description": "The tool's steps in order (multi-step tools; older tools list what they reported)"},
        "jobs": _ref("SubJobs"),
        "sub_jobs": {**_ref("SubJobs"), "description": "Alias of `jobs`, kept for older clients"},
        "output": _ref("Output"),
        "outputs": {"type": "array", "items": _ref("OutputFile"),
                    "description": "Every file the job produced, the primary (`output`) first"},
        "result": {"type": "object", "description": "Tool-specific: sizes, transcript, segments...",
                   "additionalProperties": True},
        "error": _obj({"code": _str(), "message": _str("Always a sentence in the server's locale")},
                      ("code", "message"), description="Failed or cancelled jobs"),
        "queue_position": _int("Queued jobs only: 1 = next to start among jobs wanting the same compute",
                               minimum=1),
        "eta_seconds": {"type": "number", "minimum": 0,
                        "description": "Queued jobs only: estimated seconds until it starts, from recent jobs"},
        "queue_reason": _str("Queued jobs only, multi-host mode: why it waits (`no_live_worker`: no live "
                             "remote worker declares its tool)", enum=["no_live_worker"]),
    }, ("tool", "job_id", "status", "progress", "created_at", "billing")),
    "ToolRun": {"allOf": [_ref("Job"), _ok({})]},
    "ToolAccepted": _ok({"tool": _str(), "job_id": _str(), "status": _str(enum=["queued", "running"]),
                         "location": _str("Poll this path for the result")},
                        ("tool", "job_id", "status", "location")),
    "ToolInputSpec": _obj({
        "name": _str(), "type": _str(enum=["string", "integer", "number", "boolean", "file", "color", "object"]),
        "required": {"type": "boolean"}, "default": {}, "allowed_values": {"type": "array"},
        "minimum": {"type": "number"}, "maximum": {"type": "number"}, "max_length": _int(),
        "description": _str()}, ("name", "type", "required")),
    "ToolDescription": _obj({
        "slug": _str(), "aliases": {"type": "array", "items": _str()}, "title": _str(),
        "description": _str(), "media_type": _str(),
        "inputs": {"type": "array", "items": _ref("ToolInputSpec")},
        "pricing": {"oneOf": [
            _obj({"type": {"const": "fixed"}, "price_usd": {**USD, "description": "Per run"}},
                 ("type", "price_usd")),
            _obj({"type": {"const": "dynamic"}, "unit": _str(enum=list(UNITS)),
                  "unit_usd": {**USD, "description": "Price of one unit"},
                  "starting_usd": {**USD, "description": "One unit, or the minimum charge if higher"}},
                 ("type", "unit", "unit_usd", "starting_usd"))],
            "description": "`fixed`: one price per run. `dynamic`: the hold is unit_usd times the units "
                           "measured from the validated input; a success is charged the units processed, "
                           "rounded up to the micro-USD, never more than the hold."},
        "available": {"type": "boolean"},
        "unavailable_reason": _str("Why, and how to install what is missing"),
        "limits": {"type": "object", "description": "Per tier", "additionalProperties": True},
        "styles": {"type": "array", "description": "auto-subtitles: the caption presets",
                   "items": _obj({"name": _str(), "description": _str(), "looks_like": _str()})},
        "fonts": {"type": "array", "items": _str(), "description": "auto-subtitles: the bundled font families"},
    }, ("slug", "aliases", "title", "inputs", "pricing", "available")),
    "ToolList": _ok({"tools": {"type": "array", "items": _ref("ToolDescription")}}, ("tools",)),
    "ToolDetail": _ok({"tool": _ref("ToolDescription")}, ("tool",)),
    "JobList": _ok({"jobs": {"type": "array", "items": _ref("Job")},
                    "pagination": _obj({"limit": _int(), "offset": _int(), "total": _int(),
                                        "has_more": {"type": "boolean"}})}, ("jobs", "pagination")),
    "JobDetail": {"allOf": [_ref("Job"), _ok({"webhooks": {
        "type": "array", "description": "Webhook deliveries for this job and their attempts",
        "items": {"type": "object", "additionalProperties": True}}}, ("webhooks",))]},
    "JobCancel": {"allOf": [_ref("Job"), _ok({"cancelled": {
        "type": "boolean", "description": "false when the job had already ended"}}, ("cancelled",))]},
    "Latency": _ok({"media_type": _str(enum=["image", "video"]), "unit": _str(enum=["image", "second"]),
                    "latency_ms_per_unit": {"type": ["integer", "null"],
                                            "description": "null when no job finished in the window"},
                    "sample_jobs": _int(), "window_seconds": _int()}, ("media_type", "latency_ms_per_unit")),
    "Capacity": _ok({"used_system_capacity": {"type": "number", "minimum": 0, "maximum": 1},
                     "running_jobs": _int(), "queued_jobs": _int(), "workers": _int(),
                     "resources": {"type": "object", "description": "Per compute resource (cpu, gpu)",
                                   "additionalProperties": _obj({
                                       "slots": _int("Slots of the pool (multi-host mode: plus live remote "
                                                     "workers' slots)"),
                                       "busy": _int("Slots held now (multi-host mode: here and on live workers)"),
                                       "remote_slots": _int("Multi-host mode only: live remote workers' slots"),
                                       "remote_busy": _int("Multi-host mode only: their busy slots"),
                                       "queued": _int("Slots wanted by queued jobs"),
                                       "waiting": _int("Slots wanted by jobs waiting in this process"),
                                       "peak_busy": _int("Most slots held at once since start"),
                                       "used": {"type": "number", "minimum": 0, "maximum": 1}})},
                     "remote_workers": {"type": "array", "description": "Multi-host mode only: each remote "
                                        "worker's tools, slots, busy slots and last heartbeat (unix seconds)",
                                        "items": _obj({"name": _str(), "tools": {"type": "array", "items": _str()},
                                                       "slots": {"type": "object"}, "busy": {"type": "object"},
                                                       "running_jobs": _int(), "last_heartbeat": {"type": "number"},
                                                       "live": {"type": "boolean"}})}},
                    ("used_system_capacity",)),
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


IC_JOB = "job_1f06dd345a4c8b86296883ec"
IC_STEPS = ("open", "decode", "resize", "encode")
PIPE_JOB = "job_5b0e3c2a9d7f4e61a8c2d913"


def _step_example(job_id: str, n: int, name: str, started: str | None, finished: str | None,
                  weight: int | None = None, status: str = "succeeded", progress: int = 100) -> dict[str, Any]:
    return {"id": f"{job_id}.{n}", "n": n, "name": name, "weight": weight, "status": status,
            "progress": progress, "started_at": started, "finished_at": finished, "error": None}


def _sub_jobs_example(job_id: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {"total": len(names), "completed": len(names), "failed": 0,
            "details": [{"id": f"{job_id}.{i}", "job_type": n, "status": "succeeded"}
                        for i, n in enumerate(names, start=1)]}


JOB_ROW: dict[str, Any] = {
    "tool": "qr", "job_id": JOB, "status": "succeeded", "progress": 100,
    "created_at": "2026-05-25T15:04:05.933385Z", "started_at": "2026-05-25T15:04:05.935247Z",
    "finished_at": "2026-05-25T15:04:05.947190Z",
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.998"},
    "steps": [_step_example(JOB, 1, "render", "2026-05-25T15:04:05.936012Z", "2026-05-25T15:04:05.944377Z")],
    "jobs": _sub_jobs_example(JOB, ("render",)),
    "sub_jobs": _sub_jobs_example(JOB, ("render",)),
    "output": {"filename": "qr.png", "mime_type": "image/png", "size_bytes": 478,
               "url": f"/api/v1/files/{JOB}/qr.png?expires=1779721445&sig=c80cbdd856e1fa2a…"},
    "outputs": [{"name": "primary", "filename": "qr.png", "mime_type": "image/png", "size_bytes": 478,
                 "url": f"/api/v1/files/{JOB}/qr.png?expires=1779721445&sig=c80cbdd856e1fa2a…"}],
    "result": {"width": 330, "height": 330, "version": 2, "error_correction": "M", "modules": 25},
}
QR_RUN = _envelope({**JOB_ROW, "output": {**JOB_ROW["output"],
                                          "content_base64": "iVBORw0KGgoAAAANSUhEUgAAAUoAAAFKAQMAAABB…"}})
IMAGE_CONVERT_RUN = _envelope({
    **JOB_ROW, "tool": "image-convert", "job_id": "job_1f06dd345a4c8b86296883ec",
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.996"},
    "steps": [_step_example(IC_JOB, i, n, "2026-05-25T15:04:06.101223Z", "2026-05-25T15:04:06.120470Z")
              for i, n in enumerate(IC_STEPS, start=1)],
    "jobs": _sub_jobs_example(IC_JOB, IC_STEPS),
    "sub_jobs": _sub_jobs_example(IC_JOB, IC_STEPS),
    "outputs": [{"name": "primary", "filename": "mi-imagen.webp", "mime_type": "image/webp", "size_bytes": 72,
                 "url": f"/api/v1/files/{IC_JOB}/mi-imagen.webp?expires=1779721445&sig=b2ae…"}],
    "output": {"filename": "mi-imagen.webp", "mime_type": "image/webp", "size_bytes": 72,
               "url": "/api/v1/files/job_1f06dd345a4c8b86296883ec/mi-imagen.webp?expires=1779721445&sig=b2ae…",
               "content_base64": "UklGRkAAAABXRUJQVlA4IDQAAADwAQCdASoIAAgA…"},
    "result": {"width": 8, "height": 8, "format": "webp", "frames": 1, "input_format": "png",
               "input_width": 8, "input_height": 8}})
AS_JOB = "job_7c2e9a41d0b35f86e1a4c2d7"
AS_OUT = {"filename": "clip-subtitled.mp4", "mime_type": "video/mp4", "size_bytes": 182344,
          "url": f"/api/v1/files/{AS_JOB}/clip-subtitled.mp4?expires=1779721445&sig=9a1f…"}
AUTO_SUBTITLES_RUN = _envelope({
    **JOB_ROW, "tool": "auto-subtitles", "job_id": AS_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002", "balance_after_usd": "9.994"},
    "steps": [_step_example(AS_JOB, i, n, "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:09.120470Z")
              for i, n in enumerate(("probe", "extract_audio", "transcribe", "segment", "render"), start=1)],
    "jobs": _sub_jobs_example(AS_JOB, ("probe", "extract_audio", "transcribe", "segment", "render")),
    "sub_jobs": _sub_jobs_example(AS_JOB, ("probe", "extract_audio", "transcribe", "segment", "render")),
    "output": AS_OUT,
    "outputs": [{"name": "video", **AS_OUT},
                *({"name": ext, "filename": f"clip.{ext}", "mime_type": mime, "size_bytes": 120,
                   "url": f"/api/v1/files/{AS_JOB}/clip.{ext}?expires=1779721445&sig=9a1f…"}
                  for ext, mime in (("srt", "application/x-subrip"), ("vtt", "text/vtt"), ("ass", "text/x-ssa"),
                                    ("json", "application/json")))],
    "result": {"transcript": "Hola a todos.", "language": "es", "language_probability": 0.98, "duration": 4.0,
               "style": {"name": "yellow_punch"},
               "segments": [{"id": 0, "start": 0.4, "end": 1.6, "text": "Hola a todos.", "lines": ["Hola a todos."],
                             "words": [{"word": "Hola", "start": 0.4, "end": 0.7, "probability": 0.97}]}]}})

IA_JOB = "job_3a7d1c9e5b2f4a6c8e0d2b4f"
IA_HASH = {"phash": "8f871c43078f8f71", "algorithm": "dct-32x32-8x8", "bits": 64}


def _analysis_run(tool: str, result: dict[str, Any]) -> dict[str, Any]:
    """An image-analysis tool's one-shot answer: a JSON report as the primary output."""
    url = f"/api/v1/files/{IA_JOB}/analysis.json?expires=1779721445&sig=4e1b…"
    return _envelope({
        **JOB_ROW, "tool": tool, "job_id": IA_JOB,
        "billing": {"currency": "USD", "estimated_usd": "0.001", "charged_usd": "0.001",
                    "balance_after_usd": "9.995", "unit": "image", "estimated_units": 1, "units": 1},
        "steps": [_step_example(IA_JOB, 1, "analyze", "2026-05-25T15:04:07.101223Z", "2026-05-25T15:04:07.120470Z")],
        "jobs": _sub_jobs_example(IA_JOB, ("analyze",)), "sub_jobs": _sub_jobs_example(IA_JOB, ("analyze",)),
        "output": {"filename": "analysis.json", "mime_type": "application/json", "size_bytes": 83, "url": url},
        "outputs": [{"name": "analysis", "filename": "analysis.json", "mime_type": "application/json",
                     "size_bytes": 83, "url": url}],
        "result": result})


IMAGE_ANALYZE_RUN = _analysis_run("image-analyze", {"analysis": {"hash": IA_HASH}})
IMAGE_ANALYZE_BATCH_RUN = _analysis_run("image-analyze-batch", {
    "items": [{"id": "a", "status": "finished", "result": {"hash": IA_HASH}}], "total": 1, "succeeded": 1,
    "failed": 0})

JOB_ID_PARAM = {"name": "job_id", "in": "path", "required": True, "description": "A job id from a tool run",
                "schema": _str(), "example": JOB}

PIPELINE_RUNNING = _envelope({
    "tool": "pipeline", "job_id": PIPE_JOB, "status": "running", "progress": 40,
    "created_at": "2026-05-25T15:05:00.101223Z", "started_at": "2026-05-25T15:05:00.104470Z", "finished_at": None,
    "billing": {"currency": "USD", "estimated_usd": "0.001", "charged_usd": "0"},
    "steps": [_step_example(PIPE_JOB, 1, "prepare", "2026-05-25T15:05:00.104601Z", "2026-05-25T15:05:00.305112Z", 1),
              _step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z", None, 6, "running", 50),
              _step_example(PIPE_JOB, 3, "package", None, None, 3, "pending", 0)],
    "jobs": {"total": 3, "completed": 1, "failed": 0, "details": [
        {"id": f"{PIPE_JOB}.1", "job_type": "prepare", "status": "succeeded"},
        {"id": f"{PIPE_JOB}.2", "job_type": "work", "status": "running"},
        {"id": f"{PIPE_JOB}.3", "job_type": "package", "status": "pending"}]},
    "webhooks": []})
PIPELINE_RUNNING["sub_jobs"] = PIPELINE_RUNNING["jobs"]
STEP_RUNNING = _envelope({**_step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z", None, 6,
                                          "running", 50),
                          "job_id": PIPE_JOB, "job_status": "running", "job_progress": 40, "tool": "pipeline"})
STEP_FAILED = _envelope({**_step_example(PIPE_JOB, 2, "work", "2026-05-25T15:05:00.305120Z",
                                         "2026-05-25T15:05:01.507733Z", 6, "failed", 100),
                         "error": {"code": "internal_error",
                                   "message": "fallo solicitado en el paso work / requested failure in step work"},
                         "job_id": PIPE_JOB, "job_status": "failed", "job_progress": 70, "tool": "pipeline"})
STEP_ID_PARAM = {"name": "n", "in": "path", "required": True, "description": "The step's 1-based position",
                 "schema": _str(pattern=r"^\d+$"), "example": "2"}

OPERATIONS: dict[tuple[str, str], Op] = {
    ("get", "/api/v1/tools"): Op(
        "listTools", "Tools", "List the tool catalog",
        "Every active tool: slug, Spanish aliases, inputs (type, required, default, allowed values), "
        "pricing (`fixed` with `price_usd`, or `dynamic` with `unit`, `unit_usd` and `starting_usd`), "
        "per-tier limits, and whether it is "
        "available on this server (with the reason when not).", "ToolList"),
    ("get", "/api/v1/tools/{name}"): Op(
        "getTool", "Tools", "Describe one tool",
        "The catalog entry of one tool, by slug or alias.", "ToolDetail",
        errors=(*AUTH_ERRORS[:-1], "tool_not_found", "internal_error")),
    ("post", "/api/v1/tools/{name}"): Op(
        "runTool", "Tools", "Run a tool",
        "Authenticate → check scope and tool → check limits → estimate → check the balance (402) → "
        "hold → process → charge the actual amount on success (never more than the hold), release "
        "on failure.\n\nSend `multipart/form-data` (files as parts, other fields as text) or "
        "`application/json` (files as `content_base64` for the tool's first file input, or "
        "`<field>_base64`, plus `filename`; a `data:` URI prefix is tolerated). Any file input may instead "
        "be `<field>_asset_id` (an asset of this account) or `<field>_url` (downloaded by the server behind "
        "the SSRF guard, within the upload limit, the `[assets]` deadline and minimum rate; past "
        "`[assets] fetch_slots` downloads at once, 503 `server_busy`). The request returns "
        "when the job ends; with `Prefer: respond-async`, or when the job outlasts the server's "
        "sync wait, it returns 202 and the job's `Location`. Add `webhook: {url, secret}` (JSON) or "
        "`webhook_url` / `webhook_secret` (form) to be called when the job ends. "
        "`return_base64=false` leaves `content_base64` out of the output.\n\nA one-shot call "
        "still running when the server stops answers 503 `shutting_down` with `Retry-After` and "
        "`details.job_id`: the job is kept queued and runs after the restart; poll it. A request "
        "body that stalls for `[server] body_timeout_seconds` answers 408 `request_timeout`; past "
        "`[server] max_concurrent_uploads` bodies in flight, 503 `server_busy` with `Retry-After`. "
        "While the server's disk is below `[storage] min_free_mb`, or when it fills up during the job, "
        "507 `insufficient_storage`: the job ends `failed`, charged 0, and is never run again.",
        "ToolRun",
        {"qr": QR_RUN, "image-convert": IMAGE_CONVERT_RUN, "auto-subtitles": AUTO_SUBTITLES_RUN,
         "image-analyze": IMAGE_ANALYZE_RUN, "image-analyze-batch": IMAGE_ANALYZE_BATCH_RUN},
        errors=("validation_error", "invalid_media", "missing_api_key", "invalid_api_key", "revoked_api_key",
                "insufficient_api_balance", "key_budget_exceeded",
                "scope_denied", "tool_not_allowed", "account_suspended",
                "asset_forbidden", "tool_not_found", "asset_not_found", "idempotency_conflict", "limit_exceeded",
                "unsupported_media_type",
                "rate_limit_exceeded", "concurrency_limit_exceeded", "internal_error", "tool_unavailable",
                "processing_timeout", "shutting_down", "request_timeout", "server_busy", "insufficient_storage"),
        parameters=(_ref("IdempotencyKey", "parameters"), _ref("Prefer", "parameters"),
                    _ref("MaxProcessingTime", "parameters")),
        extra={202: ("ToolAccepted", {"accepted": _envelope({
            "tool": "qr", "job_id": "job_418fdbb66bf685af7b4b926d", "status": "queued",
            "location": "/api/v1/jobs/job_418fdbb66bf685af7b4b926d"})})}),
    ("get", "/api/v1/jobs"): Op(
        "listJobs", "Jobs", "List jobs",
        "The key's account's jobs in this environment, newest first.", "JobList",
        {"ok": _envelope({"jobs": [JOB_ROW], "pagination": {"limit": 20, "offset": 0, "total": 1,
                                                            "has_more": False}})},
        errors=("validation_error", *AUTH_ERRORS[:-1], "tool_not_found", "internal_error"),
        parameters=(
            {"name": "tool", "in": "query", "required": False, "description": "Tool slug or alias",
             "schema": _str(), "example": "qr"},
            {"name": "status", "in": "query", "required": False, "schema": _str(enum=JOB_STATUSES)},
            {"name": "since", "in": "query", "required": False,
             "description": "Jobs created at or after: ISO 8601 (RFC 3339) or unix seconds",
             "schema": {"anyOf": [_str(format="date-time"), _str(pattern=r"^[0-9]{1,11}(\.[0-9]{1,6})?$")]},
             "example": "2026-05-25T00:00:00Z"},
            {"name": "limit", "in": "query", "required": False,
             "schema": _int(default=20, minimum=1, maximum=MAX_LIMIT)},
            {"name": "offset", "in": "query", "required": False,
             "schema": _int(default=0, minimum=0, maximum=MAX_OFFSET)})),
    ("get", "/api/v1/jobs/{job_id}"): Op(
        "getJob", "Jobs", "Get a job",
        "Status (`queued`, `running`, `succeeded`, `failed`, `cancelled`), progress 0-100 (the weighted sum "
        "of the tool's steps), `steps`, seed 003's `jobs` (alias `sub_jobs`), billing, `output` (the primary "
        "file) and `outputs` (every file, each with a fresh signed URL), result or error, and webhook "
        "deliveries. A step id from `jobs.details[].id` (`job_….2`) answers with that step's body, as "
        "`GET /api/v1/jobs/{job_id}/steps/{n}` does.", "JobOrStep",
        {"ok": _envelope({**JOB_ROW, "webhooks": []}), "multi-step, running": PIPELINE_RUNNING,
         "a step id": STEP_RUNNING},
        errors=(*AUTH_ERRORS[:-1], "job_not_found", "internal_error"), parameters=(JOB_ID_PARAM,)),
    ("get", "/api/v1/jobs/{job_id}/steps/{n}"): Op(
        "getJobStep", "Jobs", "Get one step of a job",
        "One step of a multi-step job: its id, name, weight, status (`pending`, `running`, `succeeded`, "
        "`failed`, `cancelled`, `skipped`), progress within the step, start and end times and the error "
        "when it failed, with the parent's `job_id`, `job_status` and `job_progress`. Money is held and "
        "settled on the parent job only. Another account's job, or a step the job does not have → 404.",
        "StepDetail", {"running": STEP_RUNNING, "failed": STEP_FAILED},
        errors=(*AUTH_ERRORS[:-1], "job_not_found", "internal_error"), parameters=(JOB_ID_PARAM, STEP_ID_PARAM)),
    ("delete", "/api/v1/jobs/{job_id}"): Op(
        "cancelJob", "Jobs", "Cancel a job",
        "Cancels a queued or running job: its hold is released and it is charged 0. A job that already "
        "ended is returned as it is with `cancelled: false`.", "JobCancel",
        {"already ended": _envelope({"cancelled": False, **JOB_ROW})},
        errors=(*AUTH_ERRORS[:-1], "job_not_found", "internal_error"), parameters=(JOB_ID_PARAM,)),
    ("get", "/api/v1/files/{job_id}/{filename}"): Op(
        "getFile", "Files", "Download a job's output",
        "The `output.url`, or any `outputs[].url`, of a job: signed and expiring, so it works without the "
        "API key (e.g. in an <img> tag). Only the job's listed outputs are served; 404 once the signature "
        "expires, for a tampered one, or after retention removed the file.", None,
        auth=False, errors=("validation_error", "not_found", "internal_error"),
        parameters=(JOB_ID_PARAM,
                    {"name": "filename", "in": "path", "required": True, "schema": _str(), "example": "qr.png"},
                    *_signed_url_params(sig_description="HMAC-SHA256 signature (hex)")),
        content={"*/*": {"schema": {"type": "string", "format": "binary"}}}),
    ("get", "/api/v1/status/latency"): Op(
        "getLatency", "Status", "Observed latency per media unit",
        "Processing time per image, or per second of video, over real jobs that succeeded in the last "
        "hour (seed 001).", "Latency",
        {"ok": _envelope({"media_type": "image", "unit": "image", "latency_ms_per_unit": 21, "sample_jobs": 2,
                          "window_seconds": 3600})},
        errors=("validation_error", *AUTH_ERRORS),
        parameters=({"name": "media_type", "in": "query", "required": True,
                     "schema": _str(enum=["image", "video"])},)),
    ("get", "/api/v1/status/capacity"): Op(
        "getCapacity", "Status", "Capacity in use",
        "Busy compute slots plus the slots queued jobs want, over the pool's slots, capped at 1, for the "
        "fullest resource (seed 001's `used_system_capacity`); `resources` gives each one.",
        "Capacity",
        {"ok": _envelope({"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "workers": 2,
                          "resources": {"cpu": {"slots": 2, "busy": 1, "queued": 0, "waiting": 0,
                                                "peak_busy": 2, "used": 0.5},
                                        "gpu": {"slots": 0, "busy": 0, "queued": 0, "waiting": 0,
                                                "peak_busy": 0, "used": 0.0}}})}),
    # hidden from Litestar's schema by its route; documented here when the app serves it
    ("get", "/metrics"): Op(
        "metrics", "System", "Prometheus metrics",
        "Requests and their durations by route template, jobs by tool and outcome, queue depth, running "
        "jobs and money charged, in the Prometheus text format 0.0.4. No key: keep it off public networks.",
        None, auth=False, errors=("internal_error",),
        content={"text/plain": {"schema": _str(), "example":
                 '# TYPE noxus_http_requests_total counter\n'
                 'noxus_http_requests_total{route="/api/v1/ping",method="POST",status="200"} 12\n'}}),
}

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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["video-analyze"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["text-to-speech"] = TTS_RUN
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["script-to-video"] = S2V_RUN
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["chat"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["auto-clip"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["video-ad"] = VAD_RUN

# --- instant-ad (tools/instant_ad.py) ---
IAD_JOB = "job_4e6a8c0b2d4f6a8c0e2b4d6f"
IAD_STEPS = ("page", "copy", "product", "render", "video")
IAD_FILES = (("ad-1", "ad-1.png", "image/png", 812345), ("ad-2", "ad-2.png", "image/png", 790112),
             ("page", "page.json", "application/json", 1210))
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["instant-ad"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["image-generate"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["product-photoshoot"] = _envelope({
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
OPERATIONS[("post", "/api/v1/tools/{name}")].examples["dub-video"] = _envelope({
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
