"""Account routes: ping, balance and usage (seed 000 "First API calls").

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/ping -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Request, get, post

from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, envelope, operation, text_param
from noxus_local.api.inputs import ascii_int
from noxus_local.api.schemas import (
    AccountView,
    Balance,
    BalanceView,
    DayUsage,
    Health,
    KeyView,
    Ping,
    StorageView,
    TierView,
    ToolUsage,
    Usage,
    Window,
    ok,
)
from noxus_local.billing import ledger
from noxus_local.billing.limits import job_window
from noxus_local.billing.usage import jobs_by_day, jobs_by_tool, units_by_tool
from noxus_local.money import format_usd

TIER = {"name": "free", "jobs_per_hour": 60, "requests_per_minute": 120, "concurrent_jobs": 1,
        "max_upload_mb": 25.0, "max_image_pixels": 40000000, "max_video_seconds": 120,
        "max_batch_images": 10, "max_audio_seconds": 900, "max_output_mb": 200.0, "storage_quota_mb": 500.0}


@post("/api/v1/ping", status_code=200, **operation(
    "ping", "Account", "Check the API key",
    "Validates the key and answers 200 when the connection is ready (seed 000 \"First API calls\"). "
    "No job, no charge.",
    ok=(Ping, {"ok": envelope({"status": "ok", "api_key": {"key_hint": "noxus_test_Sgkr", "environment": "test"},
                               "account": {"tier": "free", "status": "active"}})})))
async def ping(request: Request[Any, Any, Any], principal: PrincipalDep) -> Ping:
    return Ping(**ok(request), status="ok",
                api_key=KeyView(principal.key_hint, principal.environment),  # type: ignore[arg-type]
                account=AccountView(principal.tier, principal.account_status))  # type: ignore[arg-type]


@get("/api/v1/balance", **operation(
    "getBalance", "Account", "Read the API USD balance",
    "The balance of the key's environment. `available_usd` is the balance minus holds of running jobs. "
    "Reading it moves no money.",
    ok=(Balance, {"ok": envelope({"balance": {"currency": "USD", "balance_usd": "10", "available_usd": "10",
                                              "lifetime_spent_usd": "0"}, "environment": "test"})})))
async def balance(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> Balance:
    view = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment)
    return Balance(**ok(request), balance=BalanceView(**view.as_api()),  # type: ignore[arg-type]
                   environment=principal.environment)  # type: ignore[arg-type]


@get("/api/v1/usage", **operation(
    "getUsage", "Account", "Spend and jobs per tool and per day",
    "Jobs and USD spent in the last `days` days for the key's account and environment, the current "
    "successful-jobs window and the tier's limits.",
    ok=(Usage, {"ok": envelope({
        "period_days": 30, "environment": "test",
        "by_tool": [{"tool": "qr", "jobs": 2, "succeeded": 1, "failed": 0, "spent_usd": "0.002"}],
        "by_day": [{"day": "2026-05-25", "tool": "qr", "jobs": 2, "spent_usd": "0.002"}],
        "current_window": {"successful_jobs": 1, "limit": 60, "window_seconds": 3600, "reset_at": 1779721445},
        "tier": TIER})}),
    errors=("validation_error", *AUTH_ERRORS)))
async def usage(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                days: Annotated[str | None, text_param("Days back from now, 1-365", type="integer", minimum=1,
                                                       maximum=365, default=30)] = None) -> Usage:
    # read as text and parsed by ascii_int: "²", "+5" or 5,000 digits are a 400 naming the field
    period = ascii_int(days, "days", 30, 1, 365)
    since = time.time() - period * 86400
    args = (principal.account_id, principal.environment, since)
    by_tool = jobs_by_tool(svc.db, *args)
    by_day = jobs_by_day(svc.db, *args)
    units = units_by_tool(svc.db, *args)
    tier = svc.cfg.tiers[principal.tier]
    window = job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour)
    return Usage(
        **ok(request), period_days=period,
        environment=principal.environment,  # type: ignore[arg-type]
        by_tool=[ToolUsage(tool=r["tool"], jobs=r["jobs"], succeeded=r["succeeded"], failed=r["failed"],
                           spent_usd=format_usd(r["spent"] or 0), **({"units": units[r["tool"]]}
                                                                      if r["tool"] in units else {}))
                 for r in by_tool],
        by_day=[DayUsage(r["day"], r["tool"], r["jobs"], format_usd(r["spent"] or 0)) for r in by_day],
        current_window=Window(window.used, tier.jobs_per_hour, 3600, window.reset_at),
        tier=TierView(name=principal.tier, jobs_per_hour=tier.jobs_per_hour,
                      requests_per_minute=tier.requests_per_minute, concurrent_jobs=tier.concurrent_jobs,
                      max_upload_mb=tier.max_upload_mb, max_image_pixels=tier.max_image_pixels,
                      max_video_seconds=tier.max_video_seconds, max_batch_images=tier.max_batch_images,
                      max_audio_seconds=tier.max_audio_seconds, max_output_mb=tier.max_output_mb,
                      storage_quota_mb=tier.storage_quota_mb))


@get("/api/v1/health", **operation(
    "health", "System", "Liveness",
    "No key and no database: for load balancers and monitors. Always 200 while the server runs; "
    "`status` is `degraded` while the data dir's disk has less free space than `[storage] min_free_mb`.",
    ok=(Health, {"ok": envelope({"status": "ok", "storage": {"free_mb": 48213, "min_free_mb": 256, "ok": True}}),
                 "disk low": envelope({"status": "degraded",
                                       "storage": {"free_mb": 7, "min_free_mb": 256, "ok": False}})}),
    auth=False, errors=("internal_error",)))
async def health(request: Request[Any, Any, Any], svc: ServicesDep) -> Health:
    """No auth, no database: load balancers and the ping benchmark's baseline.

    Always 200 while the process serves (liveness); ``status`` is ``degraded`` and
    ``storage.ok`` false while the data dir's disk is below ``[storage] min_free_mb``,
    when new work gets 507. Example: ``{"status": "ok", "storage": {"free_mb": 48213,
    "min_free_mb": 256, "ok": true}}``.
    """
    storage = svc.storage.report()
    return Health(**ok(request), status="ok" if storage["ok"] else "degraded",
                  storage=StorageView(**storage))
