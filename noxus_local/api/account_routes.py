"""Account routes: ping, balance and usage (seed 000 "First API calls").

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/ping -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get, post

from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response
from noxus_local.api.inputs import ascii_int
from noxus_local.billing import ledger
from noxus_local.billing.limits import job_window
from noxus_local.billing.usage import jobs_by_day, jobs_by_tool, units_by_tool
from noxus_local.money import format_usd


@post("/api/v1/ping", status_code=200)
async def ping(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = await require_principal(request)
    return json_response(request, {
        "status": "ok",
        "api_key": {"key_hint": principal.key_hint, "environment": principal.environment},
        "account": {"tier": principal.tier, "status": principal.account_status}})


@get("/api/v1/balance")
async def balance(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = await require_principal(request)
    svc = services_of(request)
    view = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment)
    return json_response(request, {"balance": view.as_api(), "environment": principal.environment})


@get("/api/v1/usage")
async def usage(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = await require_principal(request)
    svc = services_of(request)
    days = ascii_int(request.query_params.get("days"), "days", 30, 1, 365)
    since = time.time() - days * 86400
    args = (principal.account_id, principal.environment, since)
    by_tool = jobs_by_tool(svc.db, *args)
    by_day = jobs_by_day(svc.db, *args)
    units = units_by_tool(svc.db, *args)
    tier = svc.cfg.tiers[principal.tier]
    window = job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour)
    return json_response(request, {
        "period_days": days, "environment": principal.environment,
        "by_tool": [{"tool": r["tool"], "jobs": r["jobs"], "succeeded": r["succeeded"],
                     "failed": r["failed"], "spent_usd": format_usd(r["spent"] or 0),
                     **({"units": units[r["tool"]]} if r["tool"] in units else {})} for r in by_tool],
        "by_day": [{"day": r["day"], "tool": r["tool"], "jobs": r["jobs"],
                    "spent_usd": format_usd(r["spent"] or 0)} for r in by_day],
        "current_window": {"successful_jobs": window.used, "limit": tier.jobs_per_hour,
                           "window_seconds": 3600, "reset_at": window.reset_at},
        "tier": {"name": principal.tier, "jobs_per_hour": tier.jobs_per_hour,
                 "requests_per_minute": tier.requests_per_minute,
                 "concurrent_jobs": tier.concurrent_jobs, "max_upload_mb": tier.max_upload_mb,
                 "max_image_pixels": tier.max_image_pixels,
                 "max_video_seconds": tier.max_video_seconds,
                 "max_batch_images": tier.max_batch_images, "max_audio_seconds": tier.max_audio_seconds,
                 "max_output_mb": tier.max_output_mb, "storage_quota_mb": tier.storage_quota_mb}})


@get("/api/v1/health")
async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    """No auth, no database: load balancers and the ping benchmark's baseline.

    Always 200 while the process serves (liveness); ``status`` is ``degraded`` and
    ``storage.ok`` false while the data dir's disk is below ``[storage] min_free_mb``,
    when new work gets 507. Example: ``{"status": "ok", "storage": {"free_mb": 48213,
    "min_free_mb": 256, "ok": true}}``.
    """
    storage = services_of(request).storage.report()
    return json_response(request, {"status": "ok" if storage["ok"] else "degraded", "storage": storage})
