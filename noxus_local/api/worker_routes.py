"""The internal API remote workers speak to (issue 12), under ``/internal/v1``.

Served only in multi-host mode (``[jobs] queue_backend = "redis"`` and
``[workers] tokens``). Every call carries ``Authorization: Bearer <worker
token>``, one of ``[workers] tokens`` (the token itself or its sha256 hex):
not an API key, and a wrong one is a logged 401 ``invalid_worker_token``.
Every job call carries the attempt token of the spec it runs; one from an
attempt the API node gave up on is a logged 409 ``stale_attempt``. The work
happens in ``queue.remote``; these handlers parse and stream.

Example::

    curl -X POST http://api-node:8080/internal/v1/workers/heartbeat -H "Authorization: Bearer $WORKER_TOKEN" \\
      -d '{"name": "gpu-1", "tools": ["wait"], "slots": {"cpu": 8, "gpu": 1}, "busy": {}, "running": {}}'
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import FromPath, HeaderParameter, KwargDefinition, QueryParameter
from litestar.response import File

from noxus_local.api import worker_schemas as shapes
from noxus_local.api.bodies import read_struct
from noxus_local.api.deps import ServicesDep, services_of
from noxus_local.api.docs import envelope, operation, text_param
from noxus_local.api.openapi_spec import WORKER_SECURITY
from noxus_local.api.schemas import ok
from noxus_local.api.worker_schemas import (
    AttemptClaimed,
    AttemptProgressed,
    AttemptProgressIn,
    AttemptReported,
    ClaimIn,
    HeartbeatIn,
    OutcomeIn,
    OutputStored,
    StreamIn,
    StreamRelayed,
    WorkerCancel,
    WorkerList,
)
from noxus_local.errors import InvalidWorkerToken, LimitExceeded, ValidationError
from noxus_local.jobs.remote import RemoteQueue, WorkerInfo
from noxus_local.tools.chat_stream import ChatStreams, Relayed

log = logging.getLogger("noxus_local.api.workers")
RemoteDep = NamedDependency[RemoteQueue]  # remote: RemoteDep (checks the worker token)
TAG = "Internal"
WORKER_ERRORS = ("validation_error", "invalid_worker_token", "internal_error")
ATTEMPT_ERRORS = ("validation_error", "invalid_worker_token", "stale_attempt", "internal_error")
Binary = Annotated[bytes, KwargDefinition(format=OpenAPIFormat.BINARY)]
AttemptQuery = Annotated[str | None, text_param("The attempt token of the job spec (a body's `attempt` wins)")]
# where there is no body the query carries it; documented required, checked after the worker token (``_attempt``)
AttemptParam = Annotated[str | None, QueryParameter(required=True, description="The attempt token of the job spec",
                                                     schema_extra={"one_of": None, "type": "string"})]


def worker_remote(request: Request[Any, Any, Any]) -> RemoteQueue:
    """The ``remote`` dependency: the remote queue, once the worker token is checked (constant-time, against
    each configured one). Resolved before the handler reads a byte of the body: a wrong token is a 401."""
    svc = services_of(request)
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    digest = hashlib.sha256(given.encode()).hexdigest()
    valid = bool(given) and any(hmac.compare_digest(digest, t.lower()) or
                                hmac.compare_digest(digest, hashlib.sha256(t.encode()).hexdigest())
                                for t in svc.cfg.workers.tokens)
    if not valid or svc.remote is None:
        log.warning("internal API: wrong or missing worker token from %s on %s",
                    request.client.host if request.client else "?", request.url.path)
        raise InvalidWorkerToken()
    return svc.remote


def internal(operation_id: str, summary: str, description: str, success: tuple[Any, dict[str, Any]] | None,
             **kw: Any) -> dict[str, Any]:
    """An internal route's decorator keywords: the worker token (not an API key), the Internal tag.
    ``success=None``: a file download (any Content-Type, raw bytes)."""
    out = operation(operation_id, TAG, summary, description, ok=success or (bytes, {}), security=WORKER_SECURITY,
                    **{"errors": ATTEMPT_ERRORS, **kw})
    if success is None:
        out["responses"][200] = ResponseSpec(data_container=Binary, media_type="*/*", generate_examples=False,
                                             description="The file's bytes, in its own Content-Type")
    return {"dependencies": {"remote": Provide(worker_remote, sync_to_thread=False)}, **out}


def _attempt(body_value: str | None, query: str | None) -> str:
    token = body_value or query
    if not token:
        raise ValidationError.fields({"attempt": ["required"]})
    return token


@post("/internal/v1/workers/heartbeat", status_code=200, **internal(
    "workerHeartbeat", "A worker's heartbeat", "Every 0.5 s: the worker's tools, slots, busy slots and running "
    "attempts (job id → attempt token). Answers the jobs it must stop: cancelled, timed out or given to another "
    "attempt on the API node.", success=(WorkerCancel, {"ok": envelope({"cancel": []})}),
    body=(HeartbeatIn, shapes.HEARTBEAT), errors=WORKER_ERRORS))
async def worker_heartbeat(request: Request[Any, Any, Any], remote: RemoteDep) -> WorkerCancel:
    body = read_struct(await request.body(), HeartbeatIn)
    info = WorkerInfo(name=body.name, tools=body.tools or [], slots=body.slots or {}, busy=body.busy or {})
    cancel = await to_thread.run_sync(remote.heartbeat, info, body.running or {})
    return WorkerCancel(**ok(request), cancel=cancel)


@get("/internal/v1/workers", **internal(
    "listWorkers", "List remote workers", "What `noxus-local workers list` prints.",
    success=(WorkerList, shapes.WORKERS), errors=("invalid_worker_token", "internal_error")))
async def list_workers(request: Request[Any, Any, Any], remote: RemoteDep) -> WorkerList:
    return WorkerList(**ok(request), workers=msgspec.convert(remote.workers(), list[shapes.WorkerInfo]))


@post("/internal/v1/jobs/{job_id:str}/claim", status_code=200, **internal(
    "claimAttempt", "Claim a job spec's attempt", "queued → running for the attempt that holds the token; 409 "
    "`stale_attempt` when it is not the job's current one (cancelled, timed out, published again).",
    success=(AttemptClaimed, {"ok": envelope({"job_id": shapes.JOB, "status": "running"})}),
    body=(ClaimIn, {"claim": {"attempt": shapes.ATTEMPT, "worker": "gpu-1"}})))
async def claim_job(request: Request[Any, Any, Any], remote: RemoteDep, job_id: FromPath[str],
                    attempt: AttemptQuery = None) -> AttemptClaimed:
    body = read_struct(await request.body(), ClaimIn)
    answer = await to_thread.run_sync(remote.claim, job_id, _attempt(body.attempt, attempt), body.worker)
    return AttemptClaimed(**ok(request), job_id=answer["job_id"], status=answer["status"])


@get("/internal/v1/jobs/{job_id:str}/inputs/{field:str}", **internal(
    "getAttemptInput", "Download an input", "One input file of the job, as the spec names it (its own "
    "Content-Type); the worker checks its size and SHA-256 against the spec.", success=None))
async def job_input(remote: RemoteDep, job_id: FromPath[str], field: FromPath[str],
                    attempt: AttemptParam = None) -> File:
    path, filename, mime = await to_thread.run_sync(remote.input_path, job_id, _attempt(None, attempt), field)
    return File(path=path, filename=filename, media_type=mime or "application/octet-stream")


@put("/internal/v1/jobs/{job_id:str}/outputs/{filename:str}", **internal(
    "putAttemptOutput", "Upload an output", "The raw bytes of one output, streamed to the job's staging folder, "
    "at most `[server] max_body_mb`; kept when their SHA-256 is `X-Sha256`.",
    success=(OutputStored, {"ok": envelope({"filename": "out.png", "size_bytes": 3120, "sha256": "9f2c4e0b" * 8})}),
    body_schema={"type": "string", "format": "binary"}, body_media="application/octet-stream",
    errors=("validation_error", "invalid_worker_token", "stale_attempt", "limit_exceeded", "internal_error")))
async def job_output(request: Request[Any, Any, Any], remote: RemoteDep, job_id: FromPath[str],
                     filename: FromPath[str],
                     sha256: Annotated[str | None, HeaderParameter(
                         name="X-Sha256", required=True,
                         schema_extra={"one_of": None, "type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                         description="The bytes' SHA-256 (hex); the upload is kept only when it matches")] = None,
                     attempt: AttemptParam = None) -> OutputStored:
    """Streamed to the job's staging folder, capped at ``[server] max_body_mb``, checked by ``X-Sha256``."""
    tmp, final = await to_thread.run_sync(remote.upload_target, job_id, _attempt(None, attempt), filename)
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > remote.upload_cap:
                    raise LimitExceeded(details={"limit": "max_body_mb", "max": remote.cfg.server.max_body_mb})
                digest.update(chunk)
                fh.write(chunk)
        await to_thread.run_sync(remote.accept_upload, tmp, final, digest.hexdigest(), sha256 or "")
    finally:
        tmp.unlink(missing_ok=True)
    return OutputStored(**ok(request), filename=filename, size_bytes=size, sha256=digest.hexdigest())


@post("/internal/v1/jobs/{job_id:str}/progress", status_code=200, **internal(
    "reportAttemptProgress", "Report progress and steps", "Best effort; the outcome is what counts.",
    success=(AttemptProgressed, {"ok": envelope({"job_id": shapes.JOB})}),
    body=(AttemptProgressIn, {"progress": {"attempt": shapes.ATTEMPT, "progress": 40}})))
async def job_progress(request: Request[Any, Any, Any], remote: RemoteDep, job_id: FromPath[str],
                       attempt: AttemptQuery = None) -> AttemptProgressed:
    body = read_struct(await request.body(), AttemptProgressIn)
    await to_thread.run_sync(remote.progress, job_id, _attempt(body.attempt, attempt), body.progress, body.steps)
    return AttemptProgressed(**ok(request), job_id=job_id)


@post("/internal/v1/jobs/{job_id:str}/stream", status_code=200, **internal(
    "relayAttemptStream", "Relay a streamed chat's pieces", "A chat job with `stream: true` running on the "
    "worker posts its pieces of text as they are decoded; the API node hands them to the request streaming "
    "them. `stop`: the client hung up, stop generating (charged for what was generated); `listening` false: "
    "nobody streams this job here (an Idempotency-Key call is answered whole), stop posting.",
    success=(StreamRelayed, {"ok": envelope({"job_id": shapes.JOB, "listening": True, "stop": False})}),
    body=(StreamIn, {"pieces": {"attempt": shapes.ATTEMPT, "pieces": ["Hola", ", mundo"]}})))
async def job_stream(request: Request[Any, Any, Any], svc: ServicesDep, remote: RemoteDep, job_id: FromPath[str],
                     attempt: AttemptQuery = None) -> StreamRelayed:
    """The pieces into the job's open channel (``tools/chat_stream.py``); answers whether to go on."""
    body = read_struct(await request.body(), StreamIn)
    row = await to_thread.run_sync(remote.current, job_id, _attempt(body.attempt, attempt))
    streams = getattr(svc.catalog.resolve(row["tool"]), "streams", None)
    relayed = streams.relay(job_id, body.pieces) if isinstance(streams, ChatStreams) else Relayed(False, False)
    return StreamRelayed(**ok(request), job_id=job_id, listening=relayed.listening, stop=relayed.stop)


@post("/internal/v1/jobs/{job_id:str}/outcome", status_code=200, **internal(
    "reportAttemptOutcome", "Report the attempt's end", "succeeded (with its uploaded outputs), failed or "
    "cancelled. The API node settles the money, exactly once; a late report of an attempt it gave up on is 409 "
    "`stale_attempt` and changes nothing.",
    success=(AttemptReported, {"ok": envelope({"job_id": shapes.JOB, "settled": True})}),
    body=(OutcomeIn, shapes.OUTCOMES)))
async def job_outcome(request: Request[Any, Any, Any], svc: ServicesDep, remote: RemoteDep,
                      job_id: FromPath[str], attempt: AttemptQuery = None) -> AttemptReported:
    """The attempt's end; the API node settles (exactly once) and runs the job's hooks (webhook, metrics)."""
    body = read_struct(await request.body(), OutcomeIn)
    token = _attempt(body.attempt, attempt)
    settled = await to_thread.run_sync(remote.outcome, job_id, token, msgspec.to_builtins(body))
    if settled:
        await to_thread.run_sync(svc.files.discard_work, job_id)
        await to_thread.run_sync(svc.runner.notify, job_id)
    return AttemptReported(**ok(request), job_id=job_id, settled=settled)


HANDLERS = [worker_heartbeat, list_workers, claim_job, job_input, job_output, job_progress, job_stream,
            job_outcome]
