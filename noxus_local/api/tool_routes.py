"""Tool routes: the catalog, and POST /api/v1/tools/{slug-or-alias}.

The POST handler is the contract's pipeline in order (CONTRACT.md §3): the
one submit path (api/submit.py: authenticate → scope/tool → read → validate →
plan → price → idempotency, limits, hold and job row in one transaction) →
run (one-shot or queued) → settle → respond.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/qr \\
      -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\
      -d '{"text":"https://noxus.lat","output_format":"png"}'
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath

from noxus_local.accounts.keys import Principal
from noxus_local.api.deps import ServicesDep, authenticated
from noxus_local.api.envelope import add_headers, encode, error_body, json_response, raw_response, request_id_of
from noxus_local.api.inputs import ParsedInput
from noxus_local.api.submit import Options, remember, remember_if_room, replayed, submit, wants_base64
from noxus_local.billing.limits import job_window
from noxus_local.errors import ERRORS_BY_CODE, InsufficientStorage, NoxusError, ShuttingDown, Text
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import job_body
from noxus_local.node.services import Services
from noxus_local.tools.base import InputSpec, Tool

RETURN_BASE64 = InputSpec("return_base64", "boolean", default=True)
WEBHOOK_SHAPE = Text("objeto JSON {url, secret}", "a JSON object {url, secret}")


@get("/api/v1/tools", guards=[authenticated])
async def list_tools(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[bytes]:
    tools = [_describe(svc, t) for t in svc.catalog.tools.values()]
    return json_response(request, {"tools": tools})


@get("/api/v1/tools/{name:str}", guards=[authenticated])
async def show_tool(request: Request[Any, Any, Any], svc: ServicesDep, name: FromPath[str]) -> Response[bytes]:
    return json_response(request, {"tool": _describe(svc, svc.catalog.resolve(name))})


def _describe(svc: Services, tool: Tool) -> dict[str, Any]:
    body = tool.describe(svc.cfg.price(tool.slug))
    tier_names = list(svc.cfg.tiers)
    body["limits"] = {name: {"max_upload_mb": svc.cfg.tiers[name].max_upload_mb,
                             "max_image_pixels": svc.cfg.tiers[name].max_image_pixels}
                      for name in tier_names}
    return body


@post("/api/v1/tools/{name:str}", status_code=200)
async def run_tool(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    done = await submit(request, name)
    if done.replay is not None:
        _adopt_request_id(request, done.replay.body)
        return replayed(done.svc, done.job.id, done.replay)
    return await _run_and_respond(request, done.svc, done.job, done.options, done.parsed)


async def _run_and_respond(request: Request[Any, Any, Any], svc: Services, job: jobs.NewJob,
                           options: Options, parsed: ParsedInput) -> Response[bytes]:
    finished = False
    if options.respond_async:
        svc.dispatcher.enqueue(job.id)
    else:
        try:
            finished = await svc.dispatcher.run_inline(job.id, svc.cfg.jobs.sync_wait_seconds)
        except InsufficientStorage as exc:  # not even the failure could be written yet: name the job anyway
            exc.details, exc.extra = {"job_id": job.id, **(exc.details or {})}, {"job_id": job.id}
            if job.idempotency_key:  # a retry replays this 507, once the store has room to keep it
                raw = encode(error_body(request_id_of(request), exc, svc.locale))
                with contextlib.suppress(InsufficientStorage):
                    await to_thread.run_sync(remember_if_room, svc, job, raw)
            raise
        except ShuttingDown:
            if job.idempotency_key:  # a retry after the restart gets 202 + Location, not 409 for a day
                row = await to_thread.run_sync(jobs.get, svc.db, job.id)
                accepted = encode(_accepted_body(request, row))
                location = {"Location": f"/api/v1/jobs/{job.id}"}
                await to_thread.run_sync(remember, svc, job, 202, accepted, location)
            raise
    row = await to_thread.run_sync(jobs.get, svc.db, job.id)
    if not finished:
        status, body, headers = 202, _accepted_body(request, row), {"Location": f"/api/v1/jobs/{job.id}"}
    else:
        include = wants_base64(parsed.fields)
        status, body, headers = await to_thread.run_sync(_final_body, svc, request, row, include)
        if status == 200:  # the window now holds this job: X-RateLimit-Remaining counts it
            await to_thread.run_sync(_refresh_window, svc, request, job.principal)
    raw = encode(body)
    if job.idempotency_key:
        await to_thread.run_sync(remember, svc, job, status, raw, headers)
    return raw_response(raw, status, headers)


def _refresh_window(svc: Services, request: Request[Any, Any, Any], principal: Principal) -> None:
    tier = svc.cfg.tiers[principal.tier]
    if tier.jobs_per_hour > 0:
        add_headers(request, job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour).headers())


def _accepted_body(request: Request[Any, Any, Any], row: Any) -> dict[str, Any]:
    return {"success": True, "tool": row["tool"], "job_id": row["id"], "status": row["status"],
            "request_id": request_id_of(request), "location": f"/api/v1/jobs/{row['id']}"}


def _final_body(svc: Services, request: Request[Any, Any, Any], row: Any,
                include_base64: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
    rid = request_id_of(request)
    if row["status"] == "succeeded":
        body = job_body(svc, row, include_base64)
        return 200, {"success": True, **body, "request_id": rid}, {}
    exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
    stored = job_body(svc, row)
    details = {"job_id": row["id"], **(_json(row["result"]).get("details") or {})}
    exc = exc_cls(row["error_message"], details=details)
    body = error_body(rid, exc, svc.locale)
    body["job_id"], body["billing"] = row["id"], stored["billing"]
    return exc.status, body, {}


def _adopt_request_id(request: Request[Any, Any, Any], body: bytes) -> None:
    """A replay is the original response: its X-Request-Id is the original one too."""
    original = _json(body.decode()).get("request_id")
    if original:
        request.scope["state"]["request_id"] = original  # type: ignore[index]


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


