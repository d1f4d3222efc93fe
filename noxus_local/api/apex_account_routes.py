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
from typing import Any
from urllib.parse import urlsplit

from anyio import to_thread
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from noxus_local.accounts.keys import Principal, create_key, list_keys, revoke_key
from noxus_local.api.apex_routes import data, fail, guard, read_body, renamed, text_field
from noxus_local.api.deps import services_of
from noxus_local.billing import ledger
from noxus_local.errors import NotFound, ScopeDenied, Text, ValidationError
from noxus_local.jobs import apex
from noxus_local.jobs import store as jobs
from noxus_local.net.ssrf import check_url
from noxus_local.node.services import Services


@get("/api/jobs")
async def list_apex_jobs(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``?id=job_…`` → that job; without it the latest 50 jobs of the account (every contract's)."""
    svc = services_of(request)
    principal = await guard(request, "read")
    base = str(request.base_url).rstrip("/")
    job_id = request.query_params.get("id")
    if job_id is not None:
        row = await to_thread.run_sync(jobs.get, svc.db, job_id, principal.account_id, principal.environment)
        return data(await to_thread.run_sync(apex.apex_job, svc, row, base))
    rows, _ = await to_thread.run_sync(lambda: jobs.list_jobs(svc.db, principal.account_id,
                                                              principal.environment, limit=50))
    return data(await to_thread.run_sync(lambda: [apex.apex_job(svc, r, base) for r in rows]))


@get("/api/usage")
async def apex_usage(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``{"data": {"credits": 9920, "used": {"voices": 1, ...}, "plan": "free"}}`` (credits: the balance)."""
    svc = services_of(request)
    principal = await guard(request, "read")

    def read() -> dict[str, Any]:
        view = ledger.read_balance(svc.db.conn(), principal.account_id, principal.environment)
        return apex.usage(svc, principal.account_id, principal.environment, view.available_micros,
                          principal.tier)

    return data(await to_thread.run_sync(read))


def _key_tier(svc: Services, principal: Principal) -> None:
    if principal.tier not in svc.cfg.apex.key_tiers:
        raise ScopeDenied(Text("API keys are managed on the plans: " + ", ".join(svc.cfg.apex.key_tiers),
                               "API keys are managed on the plans: " + ", ".join(svc.cfg.apex.key_tiers)))


def _key_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "prefix": row["key_hint"], "environment": row["environment"],
            "createdAt": apex.iso(row["created_at"]), "revokedAt": apex.iso(row["revoked_at"])}


@get("/api/keys")
async def list_apex_keys(request: Request[Any, Any, Any]) -> Response[bytes]:
    svc = services_of(request)
    principal = await guard(request, "read")
    _key_tier(svc, principal)
    rows = await to_thread.run_sync(list_keys, svc.db, principal.account_id)
    return data([_key_view(r) for r in rows])


@post("/api/keys", status_code=200)
async def create_apex_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``{"name": "ci"}`` → ``{"data": {"id", "key", "name"}}``: the key is shown this once."""
    svc = services_of(request)
    principal = await guard(request, "read")
    _key_tier(svc, principal)
    name = text_field(await read_body(request), "name", 1, 100, required=True)

    def make() -> tuple[str | None, str]:
        try:
            return create_key(svc.db, account_id=principal.account_id, name=name or "",
                              environment=principal.environment, app_id=principal.app_id,
                              scopes=sorted(principal.scopes), source="api")
        except sqlite3.IntegrityError:
            raise fail("name", "already used by another key of this account") from None

    plain, key_id = await to_thread.run_sync(make)
    return data({"id": key_id, "key": plain, "name": name})


@delete("/api/keys/{key_id:str}", status_code=200)
async def revoke_apex_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[bytes]:
    """Revoke one of the account's keys (the seed's "revoke at any time")."""
    svc = services_of(request)
    principal = await guard(request, "delete")
    _key_tier(svc, principal)
    owned = any(r["id"] == key_id for r in await to_thread.run_sync(list_keys, svc.db, principal.account_id))
    if not owned or not await to_thread.run_sync(revoke_key, svc.db, key_id):
        raise NotFound()
    return data({"id": key_id, "revoked": True})


@patch("/api/settings", status_code=200)
async def update_settings(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``{"webhookUrl": "https://…"}`` (HTTPS unless ``[webhooks] allow_hosts`` names the host; SSRF-checked);
    ``null`` removes it. The answer shows the secret that signs its deliveries (``X-Webhook-Signature``)."""
    svc = services_of(request)
    principal = await guard(request, "read")
    body = await read_body(request)
    if "webhookUrl" not in body:
        raise fail("webhookUrl", "required: an HTTPS URL, or null to remove it")
    url = body["webhookUrl"]
    if url is not None:
        url = text_field(body, "webhookUrl", 8, 2048)
        await to_thread.run_sync(_check_webhook, svc, url or "")
    secret = await to_thread.run_sync(apex.store_webhook, svc.db, principal.account_id, url)
    return data({"webhookUrl": url, "webhookSecret": secret})


def _check_webhook(svc: Services, url: str) -> None:
    allow = svc.cfg.webhooks.allow_hosts
    if not url.lower().startswith("https://") and not _allowed_plain(url, allow):
        raise fail("webhookUrl", "must be an https:// URL")
    try:
        check_url(url, allow)
    except ValidationError as exc:
        raise renamed(exc, {"webhookUrl": "webhook.url"}) from None


def _allowed_plain(url: str, allow: list[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return url.lower().startswith("http://") and host in allow


HANDLERS = [list_apex_jobs, apex_usage, list_apex_keys, create_apex_key, revoke_apex_key, update_settings]
