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
import json
import logging
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post, put
from litestar.params import FromPath
from litestar.response import File

from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response
from noxus_local.errors import InvalidWorkerToken, LimitExceeded, ValidationError
from noxus_local.jobs.remote import RemoteQueue, WorkerInfo

log = logging.getLogger("noxus_local.api.workers")


def _remote(request: Request[Any, Any, Any]) -> RemoteQueue:
    """The remote queue, after checking the worker token (constant-time, against each configured one)."""
    svc = services_of(request)
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    digest = hashlib.sha256(given.encode()).hexdigest()
    ok = bool(given) and any(hmac.compare_digest(digest, t.lower()) or
                             hmac.compare_digest(digest, hashlib.sha256(t.encode()).hexdigest())
                             for t in svc.cfg.workers.tokens)
    if not ok or svc.remote is None:
        log.warning("internal API: wrong or missing worker token from %s on %s",
                    request.client.host if request.client else "?", request.url.path)
        raise InvalidWorkerToken()
    return svc.remote


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ValidationError.fields({"body": ["not a JSON object"]}) from None
    if not isinstance(body, dict):
        raise ValidationError.fields({"body": ["not a JSON object"]})
    return body


def _attempt(request: Request[Any, Any, Any], body: dict[str, Any] | None = None) -> str:
    token = (body or {}).get("attempt") or request.query_params.get("attempt")
    if not isinstance(token, str) or not token:
        raise ValidationError.fields({"attempt": ["required"]})
    return token


@post("/internal/v1/workers/heartbeat", include_in_schema=False)
async def worker_heartbeat(request: Request[Any, Any, Any]) -> Response[bytes]:
    remote = _remote(request)
    body = await _json(request)
    try:
        info = WorkerInfo(name=str(body["name"]), tools=[str(t) for t in body.get("tools", [])],
                          slots={str(k): int(v) for k, v in (body.get("slots") or {}).items()},
                          busy={str(k): int(v) for k, v in (body.get("busy") or {}).items()})
        running = {str(k): str(v) for k, v in (body.get("running") or {}).items()}
    except (KeyError, TypeError, ValueError):
        raise ValidationError.fields({"body": ["name, tools, slots, busy, running"]}) from None
    cancel = await to_thread.run_sync(remote.heartbeat, info, running)
    return json_response(request, {"cancel": cancel})


@get("/internal/v1/workers", include_in_schema=False)
async def list_workers(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(request, {"workers": _remote(request).workers()})


@post("/internal/v1/jobs/{job_id:str}/claim", include_in_schema=False)
async def claim_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[bytes]:
    remote = _remote(request)
    body = await _json(request)
    answer = await to_thread.run_sync(remote.claim, job_id, _attempt(request, body), str(body.get("worker", "?")))
    return json_response(request, answer)


@get("/internal/v1/jobs/{job_id:str}/inputs/{field:str}", include_in_schema=False)
async def job_input(request: Request[Any, Any, Any], job_id: FromPath[str], field: FromPath[str]) -> File:
    remote = _remote(request)
    path, filename, mime = await to_thread.run_sync(remote.input_path, job_id, _attempt(request), field)
    return File(path=path, filename=filename, media_type=mime or "application/octet-stream")


@put("/internal/v1/jobs/{job_id:str}/outputs/{filename:str}", include_in_schema=False)
async def job_output(request: Request[Any, Any, Any], job_id: FromPath[str],
                     filename: FromPath[str]) -> Response[bytes]:
    """Streamed to the job's staging folder, capped at ``[server] max_body_mb``, checked by ``X-Sha256``."""
    remote = _remote(request)
    tmp, final = await to_thread.run_sync(remote.upload_target, job_id, _attempt(request), filename)
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > remote.upload_cap:
                    raise LimitExceeded(details={"limit": "max_body_mb", "max": remote.cfg.server.max_body_mb})
                digest.update(chunk)
                fh.write(chunk)
        await to_thread.run_sync(remote.accept_upload, tmp, final, digest.hexdigest(),
                                 request.headers.get("x-sha256", ""))
    finally:
        tmp.unlink(missing_ok=True)
    return json_response(request, {"filename": filename, "size_bytes": size, "sha256": digest.hexdigest()})


@post("/internal/v1/jobs/{job_id:str}/progress", include_in_schema=False)
async def job_progress(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[bytes]:
    remote = _remote(request)
    body = await _json(request)
    try:
        progress = int(body.get("progress", 0))
    except (TypeError, ValueError):
        raise ValidationError.fields({"progress": ["an integer"]}) from None
    steps = body.get("steps") if isinstance(body.get("steps"), list) else None
    await to_thread.run_sync(remote.progress, job_id, _attempt(request, body), progress, steps)
    return json_response(request, {"job_id": job_id})


@post("/internal/v1/jobs/{job_id:str}/outcome", include_in_schema=False)
async def job_outcome(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[bytes]:
    """The attempt's end; the API node settles (exactly once) and runs the job's hooks (webhook, metrics)."""
    svc = services_of(request)
    remote = _remote(request)
    body = await _json(request)
    token = _attempt(request, body)
    try:
        settled = await to_thread.run_sync(remote.outcome, job_id, token, body)
    except (KeyError, TypeError):
        raise ValidationError.fields({"outputs": ["each with name, filename, mime_type, sha256"]}) from None
    if settled:
        await to_thread.run_sync(svc.files.discard_work, job_id)
        await to_thread.run_sync(svc.runner.notify, job_id)
    return json_response(request, {"job_id": job_id, "settled": settled})


HANDLERS = [worker_heartbeat, list_workers, claim_job, job_input, job_output, job_progress, job_outcome]
