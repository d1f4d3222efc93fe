"""Seed 002's management routes (Apex Studio): ``GET /api/jobs``, ``GET /api/usage``, ``GET/POST /api/keys``,
``DELETE /api/keys/{id}`` and ``PATCH /api/settings``, in the seed's shapes (api/apex_routes.py has the
generation routes, the rate windows and the error body these share).

Example::

    curl "http://127.0.0.1:8080/api/jobs?id=job_…" -H "Authorization: Bearer $KEY"
    # {"data": {"jobId": "job_…", "type": "voice", "status": "completed", "outputUrl": "http://…", …}}
    curl -X PATCH http://127.0.0.1:8080/api/settings -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"webhookUrl": "https://example.com/hook"}'
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from anyio import to_thread
from litestar import Request, delete, get, patch, post
from litestar.params import FromPath

from noxus_local.accounts.keys import Principal, create_key, list_keys, revoke_key
from noxus_local.api.apex_body import read
from noxus_local.api.apex_docs import READ_ERRORS, apex_operation
from noxus_local.api.apex_routes import fail, renamed, window
from noxus_local.api.apex_schemas import (
    JOB,
    ApexJob,
    ApexJobs,
    ApexKey,
    ApexKeyIn,
    ApexKeys,
    ApexKeyView,
    ApexNewKey,
    ApexRevoked,
    ApexRevokedData,
    ApexSettings,
    ApexSettingsIn,
    ApexUsage,
    ApexUsageData,
    ApexWebhook,
)
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import text_param
from noxus_local.billing import ledger
from noxus_local.errors import NotFound, ScopeDenied, ValidationError
from noxus_local.jobs import apex
from noxus_local.jobs import store as jobs
from noxus_local.locale import t
from noxus_local.net.ssrf import check_url
from noxus_local.node.services import Services

ONE_JOB = {"jobId": JOB, "id": JOB, "type": "voice", "status": "completed", "tool": "text-to-speech",
           "createdAt": "2026-05-25T10:00:00Z",
           "outputUrl": f"http://127.0.0.1:8080/api/v1/files/{JOB}/speech.wav?expires=1779721445&sig=5d1f…",
           "outputType": "audio/wav", "metadata": {"model": "kokoro", "durationSeconds": 1.9, "language": "en",
                                                   "durationMs": 2310},
           "creditsCharged": 80, "completedAt": "2026-05-25T10:00:03Z"}
KEY_TIERS = "Only for the tiers of `[apex] key_tiers` (others: 403 `FORBIDDEN`)."


@get("/api/jobs", **apex_operation(
    "apexListJobs", "List jobs (or one: ?id=)",
    "The account's jobs (every contract's: one job store) with `status` queued|processing|completed|failed, "
    "`outputUrl` (signed, 24 h), `outputType` and `metadata` per the seed's table; `?id=` gives that one job "
    "(another account's or an unknown id: 404), without it the latest 50.",
    ok=(ApexJobs, {"one": {"data": ONE_JOB}, "list": {"data": [ONE_JOB]}}),
    errors=("validation_error", *READ_ERRORS, "job_not_found")))
async def list_apex_jobs(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                         id: Annotated[str | None, text_param("A job id: that job only")] = None) -> ApexJobs:
    """``?id=job_…`` → that job; without it the latest 50 jobs of the account (every contract's)."""
    window(request, svc, principal, "read")
    base = str(request.base_url).rstrip("/")
    if id is not None:
        row = await to_thread.run_sync(jobs.get, svc.db, id, principal.account_id, principal.environment)
        return ApexJobs(data=_job(await to_thread.run_sync(apex.apex_job, svc, row, base)))
    rows, _ = await to_thread.run_sync(lambda: jobs.list_jobs(svc.db, principal.account_id,
                                                              principal.environment, limit=50))
    views = await to_thread.run_sync(lambda: [apex.apex_job(svc, r, base) for r in rows])
    return ApexJobs(data=[_job(v) for v in views])


def _job(view: dict[str, Any]) -> ApexJob:
    return msgspec.convert(view, ApexJob)


@get("/api/usage", **apex_operation(
    "apexUsage", "Credits and usage",
    "The balance in credits (`[apex_credits] usd_per_credit`) and in USD, successful jobs by type (every "
    "contract's), and the account's tier as `plan`.",
    ok=(ApexUsage, {"usage": {"data": {"credits": 9920, "used": {"images": 0, "voices": 1}, "plan": "free",
                                       "balanceUsd": "9.92"}}}), errors=READ_ERRORS))
async def apex_usage(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexUsage:
    """``{"data": {"credits": 9920, "used": {"voices": 1, ...}, "plan": "free"}}`` (credits: the balance)."""
    window(request, svc, principal, "read")

    def read_usage() -> dict[str, Any]:
        view = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment)
        return apex.usage(svc, principal.account_id, principal.environment, view.available_micros,
                          principal.tier)

    return ApexUsage(data=msgspec.convert(await to_thread.run_sync(read_usage), ApexUsageData))


def _key_tier(svc: Services, principal: Principal) -> None:
    if principal.tier not in svc.cfg.apex.key_tiers:
        raise ScopeDenied(t("apex_account_routes.key_tiers", tiers=", ".join(svc.cfg.apex.key_tiers)))


def _key_view(row: dict[str, Any]) -> ApexKeyView:
    return ApexKeyView(id=row["id"], name=row["name"], prefix=row["key_hint"], environment=row["environment"],
                   created_at=apex.iso(row["created_at"]), revoked_at=apex.iso(row["revoked_at"]))


KEY = {"id": "key_3f9a0c1b7d2e4a58", "name": "ci", "prefix": "noxus_test_AbCd", "environment": "test",
       "createdAt": "2026-05-25T10:00:00Z", "revokedAt": None}


@get("/api/keys", **apex_operation(
    "apexListKeys", "List API keys", f"The account's keys, revoked ones too; never the key itself. {KEY_TIERS}",
    ok=(ApexKeys, {"keys": {"data": [KEY]}}), errors=READ_ERRORS))
async def list_apex_keys(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexKeys:
    window(request, svc, principal, "read")
    _key_tier(svc, principal)
    rows = await to_thread.run_sync(list_keys, svc.db, principal.account_id)
    return ApexKeys(data=[_key_view(r) for r in rows])


@post("/api/keys", status_code=200, **apex_operation(
    "apexCreateKey", "Create an API key",
    f"A key of the caller's environment, app and scopes; the key is shown this once. {KEY_TIERS} A name "
    "another key of the account has is 400.",
    ok=(ApexKey, {"key": {"data": {"id": KEY["id"], "key": "noxus_test_" + "x" * 43, "name": "ci"}}}),
    errors=("validation_error", *READ_ERRORS), body=(ApexKeyIn, {"ci": {"name": "ci"}})))
async def create_apex_key(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexKey:
    """``{"name": "ci"}`` → ``{"data": {"id", "key", "name"}}``: the key is shown this once."""
    window(request, svc, principal, "read")
    _key_tier(svc, principal)
    name = read(await request.body(), ApexKeyIn).name

    def make() -> tuple[str | None, str]:
        try:
            return create_key(svc.db, account_id=principal.account_id, name=name,
                              environment=principal.environment, app_id=principal.app_id,
                              scopes=sorted(principal.scopes), source="api")
        except sqlite3.IntegrityError:
            raise fail("name", t("apex_account_routes.already_used_by_another")) from None

    plain, key_id = await to_thread.run_sync(make)
    return ApexKey(data=ApexNewKey(id=key_id, key=plain or "", name=name))


@delete("/api/keys/{key_id:str}", status_code=200, **apex_operation(
    "apexRevokeKey", "Revoke an API key", f"One of the account's keys (another's, or unknown: 404). {KEY_TIERS}",
    ok=(ApexRevoked, {"revoked": {"data": {"id": KEY["id"], "revoked": True}}}), errors=(*READ_ERRORS, "not_found")))
async def revoke_apex_key(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                          key_id: FromPath[str]) -> ApexRevoked:
    """Revoke one of the account's keys (the seed's "revoke at any time")."""
    window(request, svc, principal, "delete")
    _key_tier(svc, principal)
    owned = any(r["id"] == key_id for r in await to_thread.run_sync(list_keys, svc.db, principal.account_id))
    if not owned or not await to_thread.run_sync(revoke_key, svc.db, key_id):
        raise NotFound()
    return ApexRevoked(data=ApexRevokedData(id=key_id, revoked=True))


@patch("/api/settings", status_code=200, **apex_operation(
    "apexSettings", "Set the webhook URL",
    "HTTPS (or a host of `[webhooks] allow_hosts`), SSRF-checked; `null` removes it. Deliveries are the "
    "seed's `job.completed` / `job.failed` payloads, signed with `webhookSecret`, retried 10 s, 60 s, 300 s.",
    ok=(ApexSettings, {"set": {"data": {"webhookUrl": "https://example.com/hook", "webhookSecret": "whsec_…"}},
                       "removed": {"data": {"webhookUrl": None, "webhookSecret": None}}}),
    errors=("validation_error", *READ_ERRORS),
    body=(ApexSettingsIn, {"set": {"webhookUrl": "https://example.com/hook"}, "remove": {"webhookUrl": None}})))
async def update_settings(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep) -> ApexSettings:
    """``{"webhookUrl": "https://…"}`` (HTTPS unless ``[webhooks] allow_hosts`` names the host; SSRF-checked);
    ``null`` removes it. The answer shows the secret that signs its deliveries (``X-ApexWebhook-Signature``)."""
    window(request, svc, principal, "read")
    url = read(await request.body(), ApexSettingsIn).webhook_url
    if url is not None:
        await to_thread.run_sync(_check_webhook, svc, url)
    secret = await to_thread.run_sync(apex.store_webhook, svc.db, principal.account_id, url)
    return ApexSettings(data=ApexWebhook(webhook_url=url, webhook_secret=secret))


def _check_webhook(svc: Services, url: str) -> None:
    allow = svc.cfg.webhooks.allow_hosts
    if not url.lower().startswith("https://") and not _allowed_plain(url, allow):
        raise fail("webhookUrl", t("apex_account_routes.must_https_url"))
    try:
        check_url(url, allow)
    except ValidationError as exc:
        raise renamed(exc, {"webhookUrl": "webhook.url"}) from None


def _allowed_plain(url: str, allow: list[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return url.lower().startswith("http://") and host in allow


HANDLERS = [list_apex_jobs, apex_usage, list_apex_keys, create_apex_key, revoke_apex_key, update_settings]
