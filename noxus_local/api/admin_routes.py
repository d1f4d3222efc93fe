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

Why a guard on one Router: every route under the prefix is checked by
``api.admin_guard.admin_guard`` before its parameters are read (a bad token never
reaches a body parser), and no handler can forget it; the guard leaves who acted
(``admin.Actor``) on the request, and ``actor: AdminDep`` hands it to the handlers
that write the audit log. Routes only parse and shape: the work is ``admin.service``'s.
Bodies and answers are ``api.admin_schemas``' Structs; Litestar generates the
OpenAPI operations from them and from ``docs.operation`` on each decorator.

Example::

    curl -H "Authorization: Bearer $NOXUS_ADMIN_TOKEN" http://127.0.0.1:8080/api/v1/admin/overview
    curl -H "X-Admin-Token: $NOXUS_ADMIN_TOKEN" "http://127.0.0.1:8080/api/v1/admin/usage.csv?per=job" -o usage.csv
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Router, get, post, put
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIFormat, OpenAPIType, Schema
from litestar.params import PathParameter
from litestar.response import Stream

from noxus_local.admin import service as admin
from noxus_local.admin.export import JOB_COLUMNS, MOVEMENT_COLUMNS
from noxus_local.admin.inputs import choice, moment
from noxus_local.admin.usage import DIMENSIONS, GROUP_BY_PATTERN
from noxus_local.api import admin_examples as ex
from noxus_local.api.admin_guard import AdminDep, actor_of, admin_guard, options_routes
from noxus_local.api.admin_schemas import (
    SECURITY,
    TAG,
    UNIX_PATTERN,
    AccountIn,
    AdminAccount,
    AdminAccountBody,
    AdminAccountList,
    AdminAuditBody,
    AdminAuditEntry,
    AdminCapacity,
    AdminCapacityView,
    AdminCredit,
    AdminCreditBody,
    AdminJob,
    AdminJobBody,
    AdminJobList,
    AdminKey,
    AdminKeyBody,
    AdminKeyCreated,
    AdminKeyList,
    AdminModel,
    AdminModels,
    AdminOverview,
    AdminOverviewBody,
    AdminPagination,
    AdminUsage,
    AdminUsageBody,
    AdminWorkers,
    AdminWorkersView,
    BudgetIn,
    CreditIn,
    KeyIn,
    VerifyIn,
    view,
)
from noxus_local.api.bodies import read_struct
from noxus_local.api.deps import ServicesDep
from noxus_local.api.docs import envelope, operation, text_param
from noxus_local.api.inputs import ascii_int
from noxus_local.api.schemas import ok

PREFIX = "/api/v1/admin"
MAX_OFFSET = 1_000_000_000
# what any admin route may answer before its own work (errors.py gives each code's status)
AUTH = ("validation_error", "missing_admin_token", "invalid_admin_token", "rate_limit_exceeded", "admin_disabled",
        "internal_error")


# --- shared documentation ----------------------------------------------------------------------------------
def doc(operation_id: str, summary: str, description: str, ok_: tuple[Any, dict[str, Any]],
        errors: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    """``docs.operation`` for the admin API: its tag, its security scheme, its auth errors."""
    return operation(operation_id, TAG, summary, description, ok=ok_, errors=(*AUTH, *errors),
                     security=SECURITY, **kw)


AccountId = Annotated[str, PathParameter(description="An account id", examples=[Example(value=ex.ACCOUNT_ID)])]
KeyId = Annotated[str, PathParameter(description="A key id (`key_...`, from the key list)",
                                     examples=[Example(value=ex.KEY_ID)])]
JobId = Annotated[str, PathParameter(description="A job id", examples=[Example(value=ex.ADMIN_JOB)])]
Limit = Annotated[str | None, text_param("Rows per page, 1-200", type="integer", minimum=1, maximum=200,
                                         default=50)]
Offset = Annotated[str | None, text_param("Rows to skip", type="integer", minimum=0, maximum=MAX_OFFSET,
                                          default=0)]
TIME_TEXT = "ISO 8601 (a date alone is its UTC midnight) or unix seconds"
# the forms ``admin.inputs.moment`` reads, published so a generated value is one the server takes
MOMENT = [Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
          Schema(type=OpenAPIType.STRING, pattern=UNIX_PATTERN)]
Since = Annotated[str | None, text_param(f"At or after: {TIME_TEXT}", any_of=MOMENT,
                                         examples=["2026-12-01T00:00:00Z"])]
Until = Annotated[str | None, text_param(f"Before: {TIME_TEXT} (default: now)", any_of=MOMENT,
                                         examples=["1796579341"])]
AccountQuery = Annotated[str | None, text_param("Only this account", examples=[ex.ACCOUNT_ID])]


def _page(limit: str | None, offset: str | None) -> tuple[int, int]:
    return ascii_int(limit, "limit", 50, 1, 200), ascii_int(offset, "offset", 0, 0, MAX_OFFSET)


def _pagination(limit: int, offset: int, shown: int, total: int) -> AdminPagination:
    return AdminPagination(limit=limit, offset=offset, total=total, has_more=offset + shown < total)


# --- overview, accounts ------------------------------------------------------------------------------------
@get("/overview", sync_to_thread=True, **doc(
    "adminOverview", "Overview",
    "Balances (totals per environment), spend today and this month (UTC, from the ledger's charges), jobs per "
    "status, accounts, capacity: the console's first screen, a few indexed aggregates (≤ 200 ms with 100,000 jobs).",
    (AdminOverviewBody, {"ok": envelope({"overview": ex.OVERVIEW})})))
def overview(request: Request[Any, Any, Any], svc: ServicesDep) -> AdminOverviewBody:
    return AdminOverviewBody(**ok(request), overview=view(admin.overview(svc), AdminOverview))


@get("/accounts", sync_to_thread=True, **doc(
    "adminListAccounts", "List accounts", "Every account with its test and live balances.",
    (AdminAccountList, {"ok": envelope({"accounts": [ex.ACCOUNT]})})))
def list_accounts(request: Request[Any, Any, Any], svc: ServicesDep) -> AdminAccountList:
    return AdminAccountList(**ok(request), accounts=view(admin.list_accounts(svc.db), list[AdminAccount]))


@post("/accounts", status_code=201, **doc(
    "adminCreateAccount", "Create an account",
    "An account with empty balances. 409 `already_exists` when the id is taken; an unknown tier is a 400.",
    (AdminAccountBody, {"created": envelope({"account": ex.ACCOUNT})}), ("already_exists",), status=201,
    body=(AccountIn, {"account": {"account_id": ex.ACCOUNT_ID, "name": "ACME", "tier": "free"}})))
async def create_account(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep) -> AdminAccountBody:
    body = read_struct(await request.body(), AccountIn)
    account = await to_thread.run_sync(lambda: admin.create_account(svc.db, svc.cfg, actor, body.account_id,
                                                                    name=body.name, tier=body.tier))
    return AdminAccountBody(**ok(request), account=view(account, AdminAccount))


@get("/accounts/{account_id:str}", sync_to_thread=True, **doc(
    "adminShowAccount", "Show an account", "One account and its balances.",
    (AdminAccountBody, {"ok": envelope({"account": ex.ACCOUNT})}), ("not_found",)))
def show_account(request: Request[Any, Any, Any], svc: ServicesDep, account_id: AccountId) -> AdminAccountBody:
    return AdminAccountBody(**ok(request), account=view(admin.get_account(svc.db, account_id), AdminAccount))


@post("/accounts/{account_id:str}/credit", status_code=200, **doc(
    "adminCreditAccount", "Credit an account",
    "Adds `amount_usd` (a decimal string > 0, at most 6 decimals) to one balance: its ledger row and audit entry "
    "in one transaction. A suspended account may be credited (`suspended: true` in the answer and the audit "
    "entry): suspension stops spending, not paying.",
    (AdminCreditBody, {"ok": envelope({"credit": ex.CREDIT})}), ("not_found",),
    body=(CreditIn, {"credit": {"amount_usd": "25", "environment": "live", "note": "invoice 118"}})))
async def credit_account(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep,
                         account_id: AccountId) -> AdminCreditBody:
    body = read_struct(await request.body(), CreditIn)
    done = await to_thread.run_sync(lambda: admin.credit(svc.db, actor, account_id, body.environment,
                                                         body.amount_usd, body.note))
    return AdminCreditBody(**ok(request), credit=view(done, AdminCredit))


SUSPEND_TEXT = ("Suspended: every call of its keys answers 403 `account_suspended` at once. An account declared in "
                "the config gets the config's status back at the next start.")


@post("/accounts/{account_id:str}/suspend", status_code=200, sync_to_thread=True, **doc(
    "adminSuspendAccount", "Suspend an account", SUSPEND_TEXT,
    (AdminAccountBody, {"ok": envelope({"account": {**ex.ACCOUNT, "status": "suspended"}})}), ("not_found",)))
def suspend_account(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep,
                    account_id: AccountId) -> AdminAccountBody:
    account = admin.set_suspended(svc.db, actor, account_id, True)
    return AdminAccountBody(**ok(request), account=view(account, AdminAccount))


@post("/accounts/{account_id:str}/unsuspend", status_code=200, sync_to_thread=True, **doc(
    "adminUnsuspendAccount", "Unsuspend an account", SUSPEND_TEXT,
    (AdminAccountBody, {"ok": envelope({"account": ex.ACCOUNT})}), ("not_found",)))
def unsuspend_account(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep,
                      account_id: AccountId) -> AdminAccountBody:
    account = admin.set_suspended(svc.db, actor, account_id, False)
    return AdminAccountBody(**ok(request), account=view(account, AdminAccount))


# --- keys --------------------------------------------------------------------------------------------------
@get("/keys", sync_to_thread=True, **doc(
    "adminListKeys", "List keys",
    "Every key (revoked too) with its last use, lifetime spend, job count and budget; never the key itself.",
    (AdminKeyList, {"ok": envelope({"keys": [ex.KEY]})})))
def list_keys(request: Request[Any, Any, Any], svc: ServicesDep, account_id: AccountQuery = None) -> AdminKeyList:
    return AdminKeyList(**ok(request), keys=view(admin.list_keys(svc.db, account_id or None), list[AdminKey]))


@post("/keys", status_code=201, **doc(
    "adminCreateKey", "Create a key",
    "A new API key for an account. `key` is the plain key: shown in this answer only, stored as its hash.",
    (AdminKeyCreated, {"created": envelope({"key": "noxus_test_" + "AbCd" * 11,
                                            "api_key": {**ex.KEY, "budget": None, "jobs": 0}})}),
    ("not_found",), status=201,
    body=(KeyIn, {"key": {"account_id": ex.ACCOUNT_ID, "name": "ci", "environment": "test"}})))
async def create_key(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep) -> AdminKeyCreated:
    """201 with ``key`` (the plain key: shown this once, stored only as its hash) and ``api_key`` (its view)."""
    body = read_struct(await request.body(), KeyIn)
    plain, key = await to_thread.run_sync(lambda: admin.create_key(
        svc.db, actor, body.account_id, name=body.name, environment=body.environment, tools=body.tools,
        expires_at=body.expires_at))
    return AdminKeyCreated(**ok(request), key=plain, api_key=view(key, AdminKey))


@get("/keys/{key_id:str}", sync_to_thread=True, **doc(
    "adminShowKey", "Show a key", "One key as the list shows it.",
    (AdminKeyBody, {"ok": envelope({"api_key": ex.KEY})}), ("not_found",)))
def show_key(request: Request[Any, Any, Any], svc: ServicesDep, key_id: KeyId) -> AdminKeyBody:
    return AdminKeyBody(**ok(request), api_key=view(admin.get_key(svc.db, key_id), AdminKey))


@post("/keys/{key_id:str}/revoke", status_code=200, sync_to_thread=True, **doc(
    "adminRevokeKey", "Revoke a key",
    "Refused at once by the API (within 50 ms). 409 `state_conflict` when already revoked.",
    (AdminKeyBody, {"ok": envelope({"api_key": {**ex.KEY, "status": "revoked",
                                                "revoked_at": "2026-12-06T18:10:00.000000Z"}})}),
    ("not_found", "state_conflict")))
def revoke_key(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep, key_id: KeyId) -> AdminKeyBody:
    return AdminKeyBody(**ok(request), api_key=view(admin.revoke_key(svc.db, actor, key_id), AdminKey))


@post("/keys/{key_id:str}/rotate", status_code=200, sync_to_thread=True, **doc(
    "adminRotateKey", "Rotate a key",
    "Revokes the key and makes its twin (same account, app, scopes, tools, expiry, budget); `key` is the new plain "
    "key, shown once.",
    (AdminKeyCreated, {"ok": envelope({"key": "noxus_test_" + "EfGh" * 11,
                                       "api_key": {**ex.KEY, "id": ex.NEW_KEY_ID, "jobs": 0, "spent_usd": "0",
                                                   "last_used_at": None}, "revoked_key_id": ex.KEY_ID})}),
    ("not_found", "state_conflict")))
def rotate_key(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep,
               key_id: KeyId) -> AdminKeyCreated:
    plain, key = admin.rotate_key(svc.db, actor, key_id)
    return AdminKeyCreated(**ok(request), key=plain, api_key=view(key, AdminKey), revoked_key_id=key_id)


@put("/keys/{key_id:str}/budget", status_code=200, **doc(
    "adminSetKeyBudget", "Set a key's budget",
    "A spending cap per `budget_period` (day, week, month, total; UTC calendar windows) and a soft limit, as "
    "decimal strings ≥ 0 (`null` clears; the soft limit may not exceed the cap). `-1`, `\"abc\"` or a number "
    "are a 400 naming the field. It is enforced inside the hold, with the balance: a job past the cap is 402 "
    "`key_budget_exceeded`.",
    (AdminKeyBody, {"ok": envelope({"api_key": ex.KEY})}), ("not_found",),
    body=(BudgetIn, {"budget": {"max_spend_usd": "5", "budget_period": "month", "soft_limit_usd": "4"},
                     "clear": {"max_spend_usd": None}})))
async def set_budget(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep,
                     key_id: KeyId) -> AdminKeyBody:
    body = read_struct(await request.body(), BudgetIn)
    key = await to_thread.run_sync(lambda: admin.set_key_budget(
        svc.db, actor, key_id, max_spend_usd=body.max_spend_usd, budget_period=body.budget_period,
        soft_limit_usd=body.soft_limit_usd))
    return AdminKeyBody(**ok(request), api_key=view(key, AdminKey))


# --- jobs --------------------------------------------------------------------------------------------------
@get("/jobs", sync_to_thread=True, **doc(
    "adminListJobs", "List jobs",
    "Every account's jobs, newest first, filtered by status, tool, account and creation time, paged.",
    (AdminJobList, {"ok": envelope({"jobs": [ex.JOB_LINE],
                                    "pagination": {"limit": 50, "offset": 0, "total": 1, "has_more": False}})}),
    ("tool_not_found",)))
def list_jobs(request: Request[Any, Any, Any], svc: ServicesDep,
              status: Annotated[str | None, text_param("Only this status", enum=list(admin.STATUSES))] = None,
              tool: Annotated[str | None, text_param("Only this tool (slug or alias)", examples=["qr"])] = None,
              account_id: AccountQuery = None, since: Since = None, limit: Limit = None,
              offset: Offset = None) -> AdminJobList:
    rows_per_page, skip = _page(limit, offset)
    if status is not None:
        choice(status, "status", admin.STATUSES)
    slug = svc.catalog.resolve(tool).slug if tool else None  # 404 tool_not_found
    rows, total = admin.list_jobs(svc.db, status=status, tool=slug, account_id=account_id or None,
                                  since=moment(since, "since"), limit=rows_per_page, offset=skip)
    return AdminJobList(**ok(request), jobs=view(rows, list[AdminJob]),
                        pagination=_pagination(rows_per_page, skip, len(rows), total))


@post("/jobs/{job_id:str}/cancel", status_code=200, sync_to_thread=True, **doc(
    "adminCancelJob", "Cancel a job",
    "Stops a queued or running job (settled now, charged 0). 409 `state_conflict` when it had already ended.",
    (AdminJobBody, {"ok": envelope({"job": {**ex.JOB_LINE, "status": "cancelled", "charged_usd": "0",
                                            "error_code": "job_cancelled"}})}),
    ("job_not_found", "state_conflict")))
def cancel_job(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep, job_id: JobId) -> AdminJobBody:
    return AdminJobBody(**ok(request), job=view(admin.cancel_job(svc, actor, job_id), AdminJob))


# --- usage -------------------------------------------------------------------------------------------------
@get("/usage", sync_to_thread=True, **doc(
    "adminUsage", "Usage",
    "Jobs, successes, failures and spend grouped by 1 to 3 of account, key, tool, day (UTC), environment, between "
    "`since` (default 30 days ago) and `until`. Spend is what the ledger charged those jobs.",
    (AdminUsageBody, {"ok": envelope({"usage": ex.USAGE})})))
def usage(request: Request[Any, Any, Any], svc: ServicesDep,
          group_by: Annotated[str | None, text_param("1 to 3, comma-separated: " + ", ".join(DIMENSIONS),
                                                     pattern=GROUP_BY_PATTERN, default="account",
                                                     examples=["day,tool"])] = None,
          since: Since = None, until: Until = None, account_id: AccountQuery = None,
          environment: Annotated[str | None, text_param("Only this environment", enum=["test", "live"])] = None,
          ) -> AdminUsageBody:
    if environment is not None:
        choice(environment, "environment", ("test", "live"))
    body = admin.usage(svc.db, group_by=admin.parse_group_by(group_by), since=moment(since, "since"),
                       until=moment(until, "until"), account_id=account_id or None, environment=environment)
    return AdminUsageBody(**ok(request), usage=view(body, AdminUsage))


CSV_DOC = doc(
    "adminUsageCsv", "Usage export (CSV)",
    "One row per ledger movement (`per=movement`, the default) or per job (`per=job`), streamed in batches (a "
    "million rows in constant memory), with a header of stable column names, ISO 8601 UTC times and exact decimal "
    "USD; opens in a spreadsheet as is (a text cell starting with `=`, `+`, `-` or `@` is prefixed with `'`). "
    f"Movement columns: {', '.join(MOVEMENT_COLUMNS)}. Job columns: {', '.join(JOB_COLUMNS)}.",
    (str, {}))
CSV_DOC["responses"][200] = ResponseSpec(  # a text/csv body, not the JSON envelope
    data_container=str, media_type="text/csv", description="OK: the CSV, as an attachment",
    generate_examples=False, examples=[Example(id="movements", summary="per movement", value=ex.CSV_EXAMPLE)])


@get("/usage.csv", media_type="text/csv", **CSV_DOC)
async def usage_csv(svc: ServicesDep,
                    per: Annotated[str | None, text_param("One row per ledger movement or per job",
                                                          enum=["movement", "job"], default="movement")] = None,
                    since: Since = None, until: Until = None, account_id: AccountQuery = None) -> Stream:
    """The CSV streamed in batches: a million rows download in constant memory (``admin.export``)."""
    kind = choice("movement" if per is None else per, "per", ("movement", "job"))
    rows = admin.export_csv(svc.db, per=kind, since=moment(since, "since"), until=moment(until, "until"),
                            account_id=account_id or None)
    name = f"noxus-usage-{kind}.csv"
    return Stream((chunk.encode() for chunk in rows), status_code=200, media_type="text/csv",
                  headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- models, workers, capacity, audit -----------------------------------------------------------------------
@get("/models", sync_to_thread=True, **doc(
    "adminListModels", "Models",
    "Every model the manifest declares and its state (files present, sizes right; not hashed).",
    (AdminModels, {"ok": envelope({"models": [ex.MODEL]})})))
def list_models(request: Request[Any, Any, Any], svc: ServicesDep) -> AdminModels:
    return AdminModels(**ok(request), models=view(admin.models(svc.cfg), list[AdminModel]))


@post("/models/verify", status_code=200, **doc(
    "adminVerifyModels", "Verify models",
    "Hashes the named models' files against the manifest (1 to 20 ids); an unknown id is a 404.",
    (AdminModels, {"ok": envelope({"models": [ex.MODEL]})}), ("not_found",),
    body=(VerifyIn, {"verify": {"ids": ["silero-vad"]}})))
async def verify_models(request: Request[Any, Any, Any], svc: ServicesDep, actor: AdminDep) -> AdminModels:
    """Hashes the named models' files (1 to 20 ids: hashing every model can take minutes)."""
    body = read_struct(await request.body(), VerifyIn)
    checked = await to_thread.run_sync(admin.verify_models, svc.cfg, actor, svc.db, body.ids)
    return AdminModels(**ok(request), models=view(checked, list[AdminModel]))


@get("/workers", sync_to_thread=True, **doc(
    "adminWorkers", "Workers",
    "This node's queue workers and compute slots, the processes running jobs now with their last heartbeat and, "
    "in multi-host mode, every remote worker.", (AdminWorkers, {"ok": envelope({"workers": ex.WORKERS})})))
def workers(request: Request[Any, Any, Any], svc: ServicesDep) -> AdminWorkers:
    return AdminWorkers(**ok(request), workers=view(admin.workers(svc), AdminWorkersView))


@get("/capacity", sync_to_thread=True, **doc(
    "adminCapacity", "Capacity",
    "What `GET /api/v1/status/capacity` answers: per resource, busy plus queued over slots.",
    (AdminCapacity, {"ok": envelope({"capacity": ex.CAPACITY})})))
def capacity(request: Request[Any, Any, Any], svc: ServicesDep) -> AdminCapacity:
    return AdminCapacity(**ok(request), capacity=view(admin.capacity(svc), AdminCapacityView))


@get("/audit", sync_to_thread=True, **doc(
    "adminAudit", "Audit log",
    "Every admin action (who, through what, from where, when, on what, with what), newest first. `action` is "
    "exact (`account.credit`) or a prefix ending in `.` (`key.`).",
    (AdminAuditBody, {"ok": envelope({"entries": [ex.AUDIT_ENTRY],
                                      "pagination": {"limit": 50, "offset": 0, "total": 1, "has_more": False}})})))
def audit(request: Request[Any, Any, Any], svc: ServicesDep,
          action: Annotated[str | None, text_param("Exact, or a prefix ending in `.`",
                                                   examples=["account.credit"])] = None,
          target: Annotated[str | None, text_param("The account, key or job acted on")] = None,
          since: Since = None, limit: Limit = None, offset: Offset = None) -> AdminAuditBody:
    rows_per_page, skip = _page(limit, offset)
    rows, total = admin.list_entries(svc.db, action=action or None, target=target or None,
                                     since=moment(since, "since"), limit=rows_per_page, offset=skip)
    return AdminAuditBody(**ok(request), entries=view(rows, list[AdminAuditEntry]),
                          pagination=_pagination(rows_per_page, skip, len(rows), total))


ROUTES = [overview, list_accounts, create_account, show_account, credit_account, suspend_account,
          unsuspend_account, list_keys, create_key, show_key, revoke_key, rotate_key, set_budget, list_jobs,
          cancel_job, usage, usage_csv, list_models, verify_models, workers, capacity, audit]
router = Router(path=PREFIX, route_handlers=[*options_routes(ROUTES), *ROUTES], guards=[admin_guard],
                dependencies={"actor": Provide(actor_of, sync_to_thread=False)},
                signature_namespace={"Actor": admin.Actor})
HANDLERS = [router]
"""What ``app.create_app`` registers: the one Router, its guard and its ``actor`` dependency."""
