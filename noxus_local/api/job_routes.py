"""Job routes: list, show, cancel, and a job's steps. A key sees only its own account's jobs.

A step's id (``job_x.2``, as listed in ``jobs.details[].id``) resolves both at
``/api/v1/jobs/job_x/steps/2`` and at ``/api/v1/jobs/job_x.2``.

Example::

    curl http://127.0.0.1:8080/api/v1/jobs?tool=qr&limit=5 -H "Authorization: Bearer $KEY"
    curl http://127.0.0.1:8080/api/v1/jobs/job_x/steps/2 -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anyio import to_thread
from litestar import Request, Response, delete, get
from litestar.params import FromPath

from noxus_local.api.auth import require_principal
from noxus_local.api.deps import PrincipalDep, ServicesDep, services_of
from noxus_local.api.envelope import json_response
from noxus_local.api.inputs import ascii_int
from noxus_local.errors import JobNotFound, Text, ValidationError, one_of
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import iso, job_body, parse_step_id, step_body
from noxus_local.node.services import Services

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000  # documented in openapi_spec (the same constant)
_UNIX = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,6})?")


@get("/api/v1/jobs")
async def list_jobs(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Response[bytes]:
    q = request.query_params
    limit = ascii_int(q.get("limit"), "limit", 20, 1, MAX_LIMIT)
    offset = ascii_int(q.get("offset"), "offset", 0, 0, MAX_OFFSET)
    status = q.get("status")
    if status is not None and status not in STATUSES:
        raise ValidationError.fields({"status": [one_of(STATUSES)]})
    tool = q.get("tool")
    if tool:
        tool = svc.catalog.resolve(tool).slug
    rows, total = jobs.list_jobs(svc.db, principal.account_id, principal.environment, tool=tool,
                                 status=status, since=_since(q.get("since")), limit=limit, offset=offset)
    return json_response(request, {"jobs": [job_body(svc, r) for r in rows],
                                   "pagination": {"limit": limit, "offset": offset, "total": total,
                                                  "has_more": offset + len(rows) < total}})


@get("/api/v1/jobs/{job_id:str}")
async def show_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[bytes]:
    from noxus_local.api import ad_routes

    if ad_routes.is_version_id(job_id):  # a version of POST /api/v1/generate: seed 003's shape (CONTRACT §10)
        return await ad_routes.show_version(request, job_id)
    principal = await require_principal(request)
    svc = services_of(request)
    step = parse_step_id(job_id)
    if step is not None:  # a step id from jobs.details[].id
        return await _step_response(request, svc, principal, *step)
    row = jobs.get(svc.db, job_id, principal.account_id, principal.environment)
    return json_response(request, {**job_body(svc, row), "webhooks": webhook_view(svc, job_id)})


@get("/api/v1/jobs/{job_id:str}/steps/{n:str}")
async def show_step(request: Request[Any, Any, Any],
                    svc: ServicesDep, principal: PrincipalDep, job_id: FromPath[str],
                    n: FromPath[str]) -> Response[bytes]:
    if not (n.isascii() and n.isdigit()) or len(n) > 6:
        raise JobNotFound(details={"reason": "step_not_found"})
    return await _step_response(request, svc, principal, job_id, int(n))


async def _step_response(request: Request[Any, Any, Any], svc: Services, principal: Any, job_id: str,
                         n: int) -> Response[bytes]:
    """The step's body; 404 job_not_found for another account's job or a step it does not have."""
    row = jobs.get(svc.db, job_id, principal.account_id, principal.environment)
    body = step_body(row, n)
    if body is None:
        raise JobNotFound(details={"reason": "step_not_found"})
    return json_response(request, body)


def webhook_view(svc: Services, job_id: str) -> list[dict[str, Any]]:
    deliveries = svc.hooks.attempts_for(job_id)
    for d in deliveries:
        for name in ("next_attempt_at", "created_at", "delivered_at"):
            d[name] = iso(d[name]) if d["status"] == "pending" or name != "next_attempt_at" else None
        for h in d["history"]:
            h["at"] = iso(h["at"])
    return deliveries


@delete("/api/v1/jobs/{job_id:str}", status_code=200)
async def cancel_job(request: Request[Any, Any, Any],
                     svc: ServicesDep, principal: PrincipalDep, job_id: FromPath[str]) -> Response[bytes]:
    jobs.get(svc.db, job_id, principal.account_id, principal.environment)
    cancelled = await to_thread.run_sync(svc.runner.cancel, job_id, "cancelled")
    row = jobs.get(svc.db, job_id)
    return json_response(request, {"cancelled": cancelled, **job_body(svc, row)})


def _since(raw: str | None) -> float | None:
    """``since`` as unix seconds (``1767225600``, ``1767225600.5``) or ISO 8601 with an
    optional zone; ASCII only and bounded, so ``"²"`` or 5,000 digits are a 400."""
    if raw is None:
        return None
    if _UNIX.fullmatch(raw):
        return float(raw)
    try:
        if not raw.isascii() or len(raw) > 40:
            raise ValueError(raw)
        moment = dt.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))  # RFC 3339 allows t, z
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    except (ValueError, OverflowError, OSError):  # year 1 in a far zone overflows timestamp()
        raise ValidationError.fields({"since": [Text("ISO 8601 o segundos unix",
                                                     "ISO 8601 or unix seconds")]}) from None
