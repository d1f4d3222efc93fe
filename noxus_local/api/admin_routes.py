"""The operator's REST API under ``/api/v1/admin/*`` (issue 25 item 3), guarded by the admin token.

The token is ``[admin] token`` (or ``NOXUS_ADMIN_TOKEN``), sent as
``Authorization: Bearer <token>`` or ``X-Admin-Token: <token>``, compared in
constant time; an API key is never accepted. No token configured: every admin
route is ``503 admin_disabled`` (refused, never open). No token sent: ``401
missing_admin_token``; a wrong one: ``401 invalid_admin_token``, and after 10
wrong ones in a minute from one address, ``429`` for every attempt from it
(``admin.lockout``) until the minute has passed. A token in the
query string (``?token=``, ``?admin_token=``, ``?access_token=``) is ``400``
before anything else: query strings end up in proxies' and browsers' logs.
Routes only parse and shape: the work is ``admin.service``'s, which writes the
audit log.

Example::

    curl -H "Authorization: Bearer $NOXUS_ADMIN_TOKEN" http://127.0.0.1:8080/api/v1/admin/overview
    curl -H "X-Admin-Token: $NOXUS_ADMIN_TOKEN" "http://127.0.0.1:8080/api/v1/admin/usage.csv?per=job" -o usage.csv
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post, put
from litestar.params import FromPath
from litestar.response import Stream

from noxus_local.admin import service as admin
from noxus_local.admin.inputs import choice, moment
from noxus_local.admin.lockout import Lockout
from noxus_local.admin.token import admin_enabled, token_matches
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response, request_id_of
from noxus_local.api.inputs import ascii_int, json_object
from noxus_local.errors import AdminDisabled, InvalidAdminToken, MissingAdminToken, Text, ValidationError

log = logging.getLogger("noxus_local.api.admin")
PREFIX = "/api/v1/admin"
QUERY_TOKEN_NAMES = frozenset({"token", "admin_token", "access_token", "x-admin-token", "api_key", "key"})
MAX_OFFSET = 1_000_000_000
MAX_VERIFY = 20


def _presented(request: Request[Any, Any, Any]) -> str | None:
    """The token from ``X-Admin-Token`` or ``Authorization: Bearer``; None when neither is sent."""
    direct = request.headers.get("x-admin-token")
    if direct:
        return direct.strip()
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_admin(request: Request[Any, Any, Any]) -> admin.Actor:
    """The guard every admin route calls first; returns who acts, for the audit log."""
    if any(name.lower() in QUERY_TOKEN_NAMES for name in request.query_params):
        raise ValidationError(Text("El token va en una cabecera, nunca en la URL.",
                                   "The token goes in a header, never in the URL."),
                              details={"reason": "token_in_query_string"})
    svc = services_of(request)
    if not admin_enabled(svc.cfg):
        raise AdminDisabled()
    presented = _presented(request)
    if presented is None:
        raise MissingAdminToken()
    client = request.client.host if request.client else None
    lockout: Lockout = request.app.state.setdefault("admin_lockout", Lockout())
    lockout.check(client)  # 429 after 10 wrong tokens a minute from this address, right or wrong now
    if not token_matches(svc.cfg, presented):
        lockout.failed(client)
        log.warning("admin: wrong token from %s on %s", client, request.url.path)
        raise InvalidAdminToken()
    return admin.Actor("admin", "api", client, request_id_of(request))


async def _run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """SQLite work off the event loop."""
    return await to_thread.run_sync(functools.partial(fn, *args, **kw))


def _page(request: Request[Any, Any, Any], default: int = 50, high: int = 200) -> tuple[int, int]:
    q = request.query_params
    return ascii_int(q.get("limit"), "limit", default, 1, high), ascii_int(q.get("offset"), "offset", 0, 0, MAX_OFFSET)


def _pagination(limit: int, offset: int, shown: int, total: int) -> dict[str, Any]:
    return {"limit": limit, "offset": offset, "total": total, "has_more": offset + shown < total}


# --- overview, accounts ------------------------------------------------------------------------------------
@get(f"{PREFIX}/overview")
async def overview(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"overview": await _run(admin.overview, services_of(request))})


@get(f"{PREFIX}/accounts")
async def list_accounts(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"accounts": await _run(admin.list_accounts, services_of(request).db)})


@post(f"{PREFIX}/accounts", status_code=201)
async def create_account(request: Request[Any, Any, Any]) -> Response[bytes]:
    actor = require_admin(request)
    svc = services_of(request)
    body = json_object(await request.body())
    account = await _run(admin.create_account, svc.db, svc.cfg, actor, body.get("account_id"),
                         name=body.get("name", ""), tier=body.get("tier", "free"))
    return json_response(request, {"account": account}, status=201)


@get(PREFIX + "/accounts/{account_id:str}")
async def show_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"account": await _run(admin.get_account, services_of(request).db, account_id)})


@post(PREFIX + "/accounts/{account_id:str}/credit", status_code=200)
async def credit_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    body = json_object(await request.body())
    done = await _run(admin.credit, services_of(request).db, actor, account_id, body.get("environment", "test"),
                      body.get("amount_usd"), body.get("note"))
    return json_response(request, {"credit": done})


@post(PREFIX + "/accounts/{account_id:str}/suspend", status_code=200)
async def suspend_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    account = await _run(admin.set_suspended, services_of(request).db, actor, account_id, True)
    return json_response(request, {"account": account})


@post(PREFIX + "/accounts/{account_id:str}/unsuspend", status_code=200)
async def unsuspend_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    account = await _run(admin.set_suspended, services_of(request).db, actor, account_id, False)
    return json_response(request, {"account": account})


# --- keys --------------------------------------------------------------------------------------------------
@get(f"{PREFIX}/keys")
async def list_keys(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    account = request.query_params.get("account_id") or None
    return json_response(request, {"keys": await _run(admin.list_keys, services_of(request).db, account)})


@post(f"{PREFIX}/keys", status_code=201)
async def create_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    """201 with ``key`` (the plain key: shown this once, stored only as its hash) and ``api_key`` (its view)."""
    actor = require_admin(request)
    body = json_object(await request.body())
    account = body.get("account_id")
    if not isinstance(account, str):
        raise ValidationError.fields({"account_id": [Text("obligatorio", "required")]})
    plain, key = await _run(admin.create_key, services_of(request).db, actor, account, name=body.get("name", "admin"),
                            environment=body.get("environment", "test"), tools=body.get("tools"),
                            expires_at=body.get("expires_at"))
    return json_response(request, {"key": plain, "api_key": key}, status=201)


@get(PREFIX + "/keys/{key_id:str}")
async def show_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"api_key": await _run(admin.get_key, services_of(request).db, key_id)})


@post(PREFIX + "/keys/{key_id:str}/revoke", status_code=200)
async def revoke_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    return json_response(request, {"api_key": await _run(admin.revoke_key, services_of(request).db, actor, key_id)})


@post(PREFIX + "/keys/{key_id:str}/rotate", status_code=200)
async def rotate_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    plain, key = await _run(admin.rotate_key, services_of(request).db, actor, key_id)
    return json_response(request, {"key": plain, "api_key": key, "revoked_key_id": key_id})


@put(PREFIX + "/keys/{key_id:str}/budget", status_code=200)
async def set_budget(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    body = json_object(await request.body())
    if "max_spend_usd" not in body:
        raise ValidationError.fields({"max_spend_usd": [Text("obligatorio (null lo quita)", "required (null clears)")]})
    key = await _run(admin.set_key_budget, services_of(request).db, actor, key_id,
                     max_spend_usd=body.get("max_spend_usd"), budget_period=body.get("budget_period", "month"),
                     soft_limit_usd=body.get("soft_limit_usd"))
    return json_response(request, {"api_key": key})


# --- jobs --------------------------------------------------------------------------------------------------
@get(f"{PREFIX}/jobs")
async def list_jobs(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    svc = services_of(request)
    q = request.query_params
    limit, offset = _page(request)
    status = q.get("status")
    if status is not None:
        choice(status, "status", admin.STATUSES)
    tool = q.get("tool") or None
    if tool:
        tool = svc.catalog.resolve(tool).slug  # 404 tool_not_found
    rows, total = await _run(admin.list_jobs, svc.db, status=status, tool=tool,
                             account_id=q.get("account_id") or None, since=moment(q.get("since"), "since"),
                             limit=limit, offset=offset)
    return json_response(request, {"jobs": rows, "pagination": _pagination(limit, offset, len(rows), total)})


@post(PREFIX + "/jobs/{job_id:str}/cancel", status_code=200)
async def cancel_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[bytes]:
    actor = require_admin(request)
    return json_response(request, {"job": await _run(admin.cancel_job, services_of(request), actor, job_id)})


# --- usage -------------------------------------------------------------------------------------------------
@get(f"{PREFIX}/usage")
async def usage(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    q = request.query_params
    env = q.get("environment")
    if env is not None:
        choice(env, "environment", ("test", "live"))
    body = await _run(admin.usage, services_of(request).db, group_by=admin.parse_group_by(q.get("group_by")),
                      since=moment(q.get("since"), "since"), until=moment(q.get("until"), "until"),
                      account_id=q.get("account_id") or None, environment=env)
    return json_response(request, {"usage": body})


@get(f"{PREFIX}/usage.csv")
async def usage_csv(request: Request[Any, Any, Any]) -> Stream:
    """The CSV streamed in batches: a million rows download in constant memory (``admin.export``)."""
    require_admin(request)
    q = request.query_params
    per = choice(q.get("per", "movement"), "per", ("movement", "job"))
    rows = admin.export_csv(services_of(request).db, per=per, since=moment(q.get("since"), "since"),
                            until=moment(q.get("until"), "until"), account_id=q.get("account_id") or None)
    name = f"noxus-usage-{per}.csv"
    return Stream((chunk.encode() for chunk in rows), status_code=200, media_type="text/csv",
                  headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- models, workers, capacity, audit -----------------------------------------------------------------------
@get(f"{PREFIX}/models")
async def list_models(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"models": await _run(admin.models, services_of(request).cfg)})


@post(f"{PREFIX}/models/verify", status_code=200)
async def verify_models(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Hashes the named models' files (1 to 20 ids: hashing every model can take minutes)."""
    actor = require_admin(request)
    svc = services_of(request)
    ids = json_object(await request.body()).get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_VERIFY or not all(isinstance(i, str) for i in ids):
        raise ValidationError.fields({"ids": [Text(f"una lista de 1 a {MAX_VERIFY} ids de modelo",
                                                   f"a list of 1 to {MAX_VERIFY} model ids")]})
    return json_response(request, {"models": await _run(admin.verify_models, svc.cfg, actor, svc.db, ids)})


@get(f"{PREFIX}/workers")
async def workers(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"workers": await _run(admin.workers, services_of(request))})


@get(f"{PREFIX}/capacity")
async def capacity(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    return json_response(request, {"capacity": await _run(admin.capacity, services_of(request))})


@get(f"{PREFIX}/audit")
async def audit(request: Request[Any, Any, Any]) -> Response[bytes]:
    require_admin(request)
    q = request.query_params
    limit, offset = _page(request)
    rows, total = await _run(admin.list_entries, services_of(request).db, action=q.get("action") or None,
                             target=q.get("target") or None, since=moment(q.get("since"), "since"),
                             limit=limit, offset=offset)
    return json_response(request, {"entries": rows, "pagination": _pagination(limit, offset, len(rows), total)})


HANDLERS = [overview, list_accounts, create_account, show_account, credit_account, suspend_account,
            unsuspend_account, list_keys, create_key, show_key, revoke_key, rotate_key, set_budget, list_jobs,
            cancel_job, usage, usage_csv, list_models, verify_models, workers, capacity, audit]
