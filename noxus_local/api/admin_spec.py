"""The OpenAPI table of the admin API (api/admin_routes.py): tag ``admin``, security scheme ``adminTokenAuth``.

Added to ``openapi_spec``'s table when this module is imported (api/openapi.py does), as
``apex_spec`` adds seed 002's. The USD patterns are ``admin.inputs``' own, so the document
and the server refuse exactly the same amounts.

Example::

    from noxus_local.api import admin_spec  # noqa: F401 - registers the operations
    spec.OPERATIONS[("get", "/api/v1/admin/overview")].tag   # 'admin'
"""

from __future__ import annotations

from typing import Any

from noxus_local.admin.export import JOB_COLUMNS, MOVEMENT_COLUMNS
from noxus_local.admin.inputs import PERIODS, POSITIVE_USD_PATTERN, USD_PATTERN
from noxus_local.admin.usage import DIMENSIONS, GROUP_BY_PATTERN
from noxus_local.api.openapi_spec import (
    JOB_STATUSES,
    NULLABLE_TIME,
    OPERATIONS,
    RID,
    SCHEMAS,
    SECURITY_SCHEMES,
    TAGS,
    Op,
    _envelope,
    _int,
    _obj,
    _ok,
    _ref,
    _str,
)

TAG = "admin"
SECURITY = "adminTokenAuth"
P = "/api/v1/admin"
TAGS.append({"name": TAG, "description": "The operator's API (issue 25): accounts, keys, budgets, jobs, usage and "
                                         "its CSV export, models, workers, capacity, the audit log. The admin token "
                                         "only (`[admin] token` / `NOXUS_ADMIN_TOKEN`), never an API key."})
SECURITY_SCHEMES[SECURITY] = {
    "type": "http", "scheme": "bearer", "bearerFormat": "the [admin] token",
    "description": "The admin token from `[admin] token` or `NOXUS_ADMIN_TOKEN`: `Authorization: Bearer <token>` "
                   "or `X-Admin-Token: <token>`, compared in constant time. Never an API key; never in the query "
                   "string (400). After 10 wrong tokens in a minute from one address, every attempt from it is 429 "
                   "until the minute has passed. None configured: every admin route is 503 `admin_disabled`."}

AUTH = ("validation_error", "missing_admin_token", "invalid_admin_token", "rate_limit_exceeded", "admin_disabled",
        "internal_error")
USD = _str("USD as a decimal string", examples=["25"])
NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
NULLABLE_USD = {"type": ["string", "null"], "examples": ["5"]}
ANY_OBJ: dict[str, Any] = {"type": "object"}
TIME = _str(format="date-time")
ACCOUNT_ID = "acme"
KEY_ID = "key_5d1f0c2b9a8e7d6c5b4a3f2e"
NEW_KEY_ID = "key_0a9b8c7d6e5f4a3b2c1d0e9f"
ADMIN_JOB = "job_4e2a7c9d1b3f5a6c8e0d2b4a"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SINCE = {"anyOf": [_str(format="date-time"), _str(pattern=r"^[0-9]{1,11}(\.[0-9]{1,6})?$")]}


def _query(name: str, description: str, schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    return {**out, "example": example} if example is not None else out


def _path(name: str, description: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": _str(),
            "example": example}


ACCOUNT_PARAM = _path("account_id", "An account id", ACCOUNT_ID)
KEY_PARAM = _path("key_id", "A key id (`key_...`, from the key list)", KEY_ID)
JOB_PARAM = _path("job_id", "A job id", ADMIN_JOB)
PAGE = (_query("limit", "Rows per page", _int(default=50, minimum=1, maximum=200)),
        _query("offset", "Rows to skip", _int(default=0, minimum=0, maximum=1_000_000_000)))
SINCE_PARAM = _query("since", "At or after: ISO 8601 or unix seconds", SINCE, "2026-12-01T00:00:00Z")
UNTIL_PARAM = _query("until", "Before: ISO 8601 or unix seconds (default: now)", SINCE)
ACCOUNT_QUERY = _query("account_id", "Only this account", _str(), ACCOUNT_ID)


def _json_body(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}


BALANCE = _obj({"currency": _str(), "balance_usd": USD, "available_usd": USD, "lifetime_spent_usd": USD})
SCHEMAS.update({
    "AdminAccount": _obj({
        "id": _str(), "name": _str(), "tier": _str(), "status": _str(enum=["active", "suspended"]),
        "source": _str(), "created_at": TIME, "active_keys": _int(),
        "balances": _obj({"test": BALANCE, "live": BALANCE}, ("test", "live"))},
        ("id", "name", "tier", "status", "balances")),
    "AdminKey": _obj({
        "id": _str(), "account_id": _str(), "app_id": NULLABLE_STR, "name": _str(),
        "environment": _str(enum=["test", "live"]), "key_hint": _str(), "status": _str(enum=["active", "revoked"]),
        "scopes": {"type": "array", "items": _str()}, "tools": {"type": ["array", "null"], "items": _str()},
        "created_at": TIME, "last_used_at": NULLABLE_TIME, "revoked_at": NULLABLE_TIME, "expires_at": NULLABLE_TIME,
        "spent_usd": USD, "jobs": _int(),
        "budget": {"type": ["object", "null"], "properties": {
            "max_spend_usd": NULLABLE_USD, "budget_period": _str(enum=list(PERIODS)), "soft_limit_usd": NULLABLE_USD,
            "spent_usd": USD, "held_usd": USD, "window_start": NULLABLE_TIME,
            "resets_at": {**NULLABLE_TIME, "description": "End of the UTC calendar window; null for total"}}}},
        ("id", "account_id", "key_hint", "status", "spent_usd", "last_used_at")),
    "AdminJob": _obj({
        "job_id": _str(), "account_id": _str(), "environment": _str(), "key_id": _str(), "tool": _str(),
        "status": _str(enum=JOB_STATUSES), "progress": _int(), "held_usd": USD, "charged_usd": USD,
        "error_code": NULLABLE_STR, "worker": NULLABLE_STR, "created_at": TIME, "started_at": NULLABLE_TIME,
        "finished_at": NULLABLE_TIME}, ("job_id", "account_id", "tool", "status", "charged_usd")),
    "AdminPagination": _obj({"limit": _int(), "offset": _int(), "total": _int(), "has_more": {"type": "boolean"}},
                            ("limit", "offset", "total", "has_more")),
    "AdminOverviewBody": _ok({"overview": _obj({
        "generated_at": TIME, "balances": ANY_OBJ,
        "spend": _obj({"today_usd": USD, "month_usd": USD}, ("today_usd", "month_usd")),
        "jobs": _obj({s: _int() for s in JOB_STATUSES}, tuple(JOB_STATUSES)),
        "accounts": _obj({"active": _int(), "suspended": _int()}), "capacity": ANY_OBJ},
        ("balances", "spend", "jobs", "capacity"))}, ("overview",)),
    "AdminAccountList": _ok({"accounts": {"type": "array", "items": _ref("AdminAccount")}}, ("accounts",)),
    "AdminAccountBody": _ok({"account": _ref("AdminAccount")}, ("account",)),
    "AdminCreditBody": _ok({"credit": _obj({"account_id": _str(), "environment": _str(), "credited_usd": USD,
                                            "balance": BALANCE, "suspended": {"type": "boolean"}},
                                           ("account_id", "credited_usd", "balance", "suspended"))}, ("credit",)),
    "AdminKeyList": _ok({"keys": {"type": "array", "items": _ref("AdminKey")}}, ("keys",)),
    "AdminKeyBody": _ok({"api_key": _ref("AdminKey")}, ("api_key",)),
    "AdminKeyCreated": _ok({"key": _str("The plain key: shown this once, stored only as its hash"),
                            "api_key": _ref("AdminKey"), "revoked_key_id": _str("rotate only: the key it replaced")},
                           ("key", "api_key")),
    "AdminJobList": _ok({"jobs": {"type": "array", "items": _ref("AdminJob")},
                         "pagination": _ref("AdminPagination")}, ("jobs", "pagination")),
    "AdminJobBody": _ok({"job": _ref("AdminJob")}, ("job",)),
    "AdminUsageBody": _ok({"usage": _obj({
        "since": TIME, "until": TIME, "group_by": {"type": "array", "items": _str(enum=list(DIMENSIONS))},
        "rows": {"type": "array", "items": _obj({"jobs": _int(), "succeeded": _int(), "failed": _int(),
                                                 "spent_usd": USD}, ("jobs", "spent_usd"))},
        "total_jobs": _int(), "total_spent_usd": USD}, ("rows", "total_spent_usd"))}, ("usage",)),
    "AdminModels": _ok({"models": {"type": "array", "items": _obj({
        "id": _str(), "task": _str(), "default": {"type": "boolean"},
        "state": _str(enum=["installed", "missing", "partial", "corrupt"]), "size_bytes": _int(),
        "problems": {"type": "array", "items": _str()}}, ("id", "state"))}}, ("models",)),
    "AdminWorkers": _ok({"workers": _obj({"local": ANY_OBJ, "running": {"type": "array", "items": ANY_OBJ},
                                          "remote": {"type": ["array", "null"]}}, ("local", "running"))},
                        ("workers",)),
    "AdminCapacity": _ok({"capacity": _obj({"used_system_capacity": {"type": "number"}, "running_jobs": _int(),
                                            "queued_jobs": _int(), "resources": ANY_OBJ},
                                           ("used_system_capacity", "resources"))}, ("capacity",)),
    "AdminAuditBody": _ok({"entries": {"type": "array", "items": _obj({
        "id": _int(), "at": {"type": "number", "description": "unix seconds"}, "actor": _str(),
        "via": _str(enum=["api", "console", "cli"]), "ip": NULLABLE_STR, "action": _str(), "target": NULLABLE_STR,
        "details": ANY_OBJ, "request_id": NULLABLE_STR}, ("id", "at", "actor", "via", "action"))},
        "pagination": _ref("AdminPagination")}, ("entries", "pagination")),
})

BAL = {"currency": "USD", "balance_usd": "25", "available_usd": "25", "lifetime_spent_usd": "0"}
ACCOUNT = {"id": ACCOUNT_ID, "name": "ACME", "tier": "free", "status": "active", "source": "admin",
           "created_at": "2026-12-06T17:49:01.000000Z", "active_keys": 1,
           "balances": {"test": {**BAL, "held_usd": "0"}, "live": {**BAL, "held_usd": "0"}}}
KEY = {"id": KEY_ID, "account_id": ACCOUNT_ID, "app_id": None, "name": "ci", "environment": "test",
       "key_hint": "noxus_test_AbCd", "scopes": ["tools:run"], "tools": None, "expires_at": None, "revoked_at": None,
       "source": "admin", "created_at": "2026-12-06T17:49:01.000000Z", "last_used_at": "2026-12-06T18:02:11.500000Z",
       "status": "active", "spent_usd": "0.004", "jobs": 2,
       "budget": {"max_spend_usd": "5", "budget_period": "month", "soft_limit_usd": "4", "spent_usd": "0.002",
                  "held_usd": "0", "window_start": "2026-12-01T00:00:00Z", "resets_at": "2027-01-01T00:00:00Z"}}
JOB_LINE = {"job_id": ADMIN_JOB, "account_id": ACCOUNT_ID, "environment": "test", "key_id": KEY_ID, "tool": "qr",
            "status": "succeeded", "progress": 100, "held_usd": "0.002", "charged_usd": "0.002", "error_code": None,
            "worker": "box:4121", "created_at": "2026-12-06T18:02:11.500000Z",
            "started_at": "2026-12-06T18:02:11.510000Z", "finished_at": "2026-12-06T18:02:11.540000Z"}
CSV_EXAMPLE = (",".join(MOVEMENT_COLUMNS) + "\r\n1,2026-12-06T17:49:01.000000Z,acme,test,credit,25,25,25,,,,"
               "admin credit\r\n")


def _op(method: str, path: str, operation_id: str, summary: str, description: str, schema: str | None,
        example: dict[str, Any] | None, errors: tuple[str, ...] = (), **kw: Any) -> None:
    OPERATIONS[(method, P + path)] = Op(
        operation_id, TAG, summary, description, schema, {"ok": _envelope(example)} if example is not None else {},
        errors=(*AUTH, *errors), security=SECURITY, **kw)


_op("get", "/overview", "adminOverview", "Overview",
    "Balances (totals per environment), spend today and this month (UTC, from the ledger's charges), jobs per "
    "status, accounts, capacity: the console's first screen, a few indexed aggregates (≤ 200 ms with 100,000 jobs).",
    "AdminOverviewBody", {"overview": {
        "generated_at": "2026-12-06T18:00:00.000000Z",
        "balances": {"test": {"accounts": 2, "balance_usd": "35", "held_usd": "0", "available_usd": "35"}},
        "spend": {"today_usd": "0.004", "month_usd": "1.25", "today_since": "2026-12-06T00:00:00.000000Z",
                  "month_since": "2026-12-01T00:00:00.000000Z"},
        "jobs": {"queued": 0, "running": 1, "succeeded": 120, "failed": 3, "cancelled": 1},
        "accounts": {"active": 2, "suspended": 0},
        "capacity": {"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "resources": {}}}})
_op("get", "/accounts", "adminListAccounts", "List accounts", "Every account with its test and live balances.",
    "AdminAccountList", {"accounts": [ACCOUNT]})
_op("post", "/accounts", "adminCreateAccount", "Create an account",
    "An account with empty balances. 409 `already_exists` when the id is taken; an unknown tier is a 400.",
    "AdminAccountBody", {"account": ACCOUNT}, ("already_exists",), status=201,
    request_body=_json_body(_obj({"account_id": _str(pattern=ID_PATTERN), "name": _str(maxLength=100),
                                  "tier": _str(pattern=ID_PATTERN)}, ("account_id",)),
                            {"account_id": ACCOUNT_ID, "name": "ACME", "tier": "free"}))
_op("get", "/accounts/{account_id}", "adminShowAccount", "Show an account", "One account and its balances.",
    "AdminAccountBody", {"account": ACCOUNT}, ("not_found",), parameters=(ACCOUNT_PARAM,))
_op("post", "/accounts/{account_id}/credit", "adminCreditAccount", "Credit an account",
    "Adds `amount_usd` (a decimal string > 0, at most 6 decimals) to one balance: its ledger row and audit entry "
    "in one transaction. A suspended account may be credited (`suspended: true` in the answer and the audit "
    "entry): suspension stops spending, not paying.", "AdminCreditBody",
    {"credit": {"account_id": ACCOUNT_ID, "environment": "live", "credited_usd": "25", "balance": BAL,
                "suspended": False}}, ("not_found",), parameters=(ACCOUNT_PARAM,),
    request_body=_json_body(_obj({"amount_usd": _str(pattern=POSITIVE_USD_PATTERN),
                                  "environment": _str(enum=["test", "live"], default="test"),
                                  "note": _str(maxLength=200)}, ("amount_usd",)),
                            {"amount_usd": "25", "environment": "live", "note": "invoice 118"}))
for _action, _word in (("suspend", "Suspend"), ("unsuspend", "Unsuspend")):
    _op("post", f"/accounts/{{account_id}}/{_action}", f"admin{_word}Account", f"{_word} an account",
        "Suspended: every call of its keys answers 403 `account_suspended` at once. An account declared in the "
        "config gets the config's status back at the next start.", "AdminAccountBody",
        {"account": {**ACCOUNT, "status": "suspended" if _action == "suspend" else "active"}}, ("not_found",),
        parameters=(ACCOUNT_PARAM,))
_op("get", "/keys", "adminListKeys", "List keys",
    "Every key (revoked too) with its last use, lifetime spend, job count and budget; never the key itself.",
    "AdminKeyList", {"keys": [KEY]}, parameters=(ACCOUNT_QUERY,))
_op("post", "/keys", "adminCreateKey", "Create a key",
    "A new API key for an account. `key` is the plain key: shown in this answer only, stored as its hash.",
    "AdminKeyCreated", {"key": "noxus_test_" + "AbCd" * 11, "api_key": {**KEY, "budget": None, "jobs": 0}},
    ("not_found",), status=201,
    request_body=_json_body(_obj({"account_id": _str(), "name": _str(pattern=ID_PATTERN),
                                  "environment": _str(enum=["test", "live"], default="test"),
                                  "tools": {"type": "array", "maxItems": 100, "items": _str(pattern=ID_PATTERN)},
                                  "expires_at": SINCE}, ("account_id",)),
                            {"account_id": ACCOUNT_ID, "name": "ci", "environment": "test"}))
_op("get", "/keys/{key_id}", "adminShowKey", "Show a key", "One key as the list shows it.", "AdminKeyBody",
    {"api_key": KEY}, ("not_found",), parameters=(KEY_PARAM,))
_op("post", "/keys/{key_id}/revoke", "adminRevokeKey", "Revoke a key",
    "Refused at once by the API (within 50 ms). 409 `state_conflict` when already revoked.", "AdminKeyBody",
    {"api_key": {**KEY, "status": "revoked", "revoked_at": "2026-12-06T18:10:00.000000Z"}},
    ("not_found", "state_conflict"), parameters=(KEY_PARAM,))
_op("post", "/keys/{key_id}/rotate", "adminRotateKey", "Rotate a key",
    "Revokes the key and makes its twin (same account, app, scopes, tools, expiry, budget); `key` is the new plain "
    "key, shown once.", "AdminKeyCreated",
    {"key": "noxus_test_" + "EfGh" * 11, "api_key": {**KEY, "id": NEW_KEY_ID, "jobs": 0, "spent_usd": "0",
                                                     "last_used_at": None}, "revoked_key_id": KEY_ID},
    ("not_found", "state_conflict"), parameters=(KEY_PARAM,))
_op("put", "/keys/{key_id}/budget", "adminSetKeyBudget", "Set a key's budget",
    "A spending cap per `budget_period` (day, week, month, total; UTC calendar windows) and a soft limit, as "
    "decimal strings ≥ 0 (`null` clears; the soft limit may not exceed the cap). `-1`, `\"abc\"` or a number "
    "are a 400 naming the field. It is enforced inside the hold, with the balance: a job past the cap is 402 "
    "`key_budget_exceeded`.",
    "AdminKeyBody", {"api_key": KEY}, ("not_found",), parameters=(KEY_PARAM,),
    request_body=_json_body(_obj({"max_spend_usd": {"anyOf": [_str(pattern=USD_PATTERN), {"type": "null"}]},
                                  "budget_period": _str(enum=list(PERIODS), default="month"),
                                  "soft_limit_usd": {"anyOf": [_str(pattern=USD_PATTERN), {"type": "null"}]}},
                                 ("max_spend_usd",)),
                            {"max_spend_usd": "5", "budget_period": "month", "soft_limit_usd": "4"}))
_op("get", "/jobs", "adminListJobs", "List jobs",
    "Every account's jobs, newest first, filtered by status, tool, account and creation time, paged.",
    "AdminJobList", {"jobs": [JOB_LINE], "pagination": {"limit": 50, "offset": 0, "total": 1, "has_more": False}},
    ("tool_not_found",),
    parameters=(_query("status", "Only this status", _str(enum=JOB_STATUSES)),
                _query("tool", "Only this tool (slug or alias)", _str(), "qr"), ACCOUNT_QUERY, SINCE_PARAM, *PAGE))
_op("post", "/jobs/{job_id}/cancel", "adminCancelJob", "Cancel a job",
    "Stops a queued or running job (settled now, charged 0). 409 `state_conflict` when it had already ended.",
    "AdminJobBody", {"job": {**JOB_LINE, "status": "cancelled", "charged_usd": "0", "error_code": "job_cancelled"}},
    ("job_not_found", "state_conflict"), parameters=(JOB_PARAM,))
_op("get", "/usage", "adminUsage", "Usage",
    "Jobs, successes, failures and spend grouped by 1 to 3 of account, key, tool, day (UTC), environment, between "
    "`since` (default 30 days ago) and `until`. Spend is what the ledger charged those jobs.", "AdminUsageBody",
    {"usage": {"since": "2026-11-06T18:00:00.000000Z", "until": "2026-12-06T18:00:01.000000Z",
               "group_by": ["day", "tool"],
               "rows": [{"day": "2026-12-06", "tool": "qr", "jobs": 2, "succeeded": 2, "failed": 0,
                         "spent_usd": "0.004"}], "total_jobs": 2, "total_spent_usd": "0.004"}},
    parameters=(_query("group_by", "1 to 3, comma-separated: " + ", ".join(DIMENSIONS),
                       _str(pattern=GROUP_BY_PATTERN, default="account"), "day,tool"),
                SINCE_PARAM, UNTIL_PARAM, ACCOUNT_QUERY,
                _query("environment", "Only this environment", _str(enum=["test", "live"]))))
_op("get", "/usage.csv", "adminUsageCsv", "Usage export (CSV)",
    "One row per ledger movement (`per=movement`, the default) or per job (`per=job`), streamed in batches (a "
    "million rows in constant memory), with a header of stable column names, ISO 8601 UTC times and exact decimal "
    "USD; opens in a spreadsheet as is (a text cell starting with `=`, `+`, `-` or `@` is prefixed with `'`). "
    f"Movement columns: {', '.join(MOVEMENT_COLUMNS)}. Job columns: {', '.join(JOB_COLUMNS)}.", None, None,
    parameters=(_query("per", "One row per ledger movement or per job", _str(enum=["movement", "job"],
                                                                             default="movement")),
                SINCE_PARAM, UNTIL_PARAM, ACCOUNT_QUERY),
    content={"text/csv": {"schema": _str(), "example": CSV_EXAMPLE}})
_op("get", "/models", "adminListModels", "Models",
    "Every model the manifest declares and its state (files present, sizes right; not hashed).", "AdminModels",
    {"models": [{"id": "silero-vad", "task": "vad", "default": True, "state": "installed", "size_bytes": 2313101,
                 "problems": []}]})
_op("post", "/models/verify", "adminVerifyModels", "Verify models",
    "Hashes the named models' files against the manifest (1 to 20 ids); an unknown id is a 404.", "AdminModels",
    {"models": [{"id": "silero-vad", "task": "vad", "default": True, "state": "installed", "size_bytes": 2313101,
                 "problems": []}]}, ("not_found",),
    request_body=_json_body(_obj({"ids": {"type": "array", "minItems": 1, "maxItems": 20, "items": _str()}},
                                 ("ids",)), {"ids": ["silero-vad"]}))
_op("get", "/workers", "adminWorkers", "Workers",
    "This node's queue workers and compute slots, the processes running jobs now with their last heartbeat and, "
    "in multi-host mode, every remote worker.", "AdminWorkers",
    {"workers": {"local": {"workers": 2, "queue": "sqlite", "slots": {}},
                 "running": [{"worker": "box:4121", "running_jobs": 1, "last_heartbeat": "2026-12-06T18:02:11.5Z",
                              "seconds_since_heartbeat": 0.4}], "remote": None}})
_op("get", "/capacity", "adminCapacity", "Capacity",
    "What `GET /api/v1/status/capacity` answers: per resource, busy plus queued over slots.", "AdminCapacity",
    {"capacity": {"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "workers": 2,
                  "resources": {"cpu": {"slots": 2, "busy": 1, "queued": 0, "waiting": 0, "peak_busy": 2,
                                        "used": 0.5}}}})
_op("get", "/audit", "adminAudit", "Audit log",
    "Every admin action (who, through what, from where, when, on what, with what), newest first. `action` is "
    "exact (`account.credit`) or a prefix ending in `.` (`key.`).", "AdminAuditBody",
    {"entries": [{"id": 7, "at": 1796579341.2, "actor": "admin", "via": "api", "ip": "10.0.0.7",
                  "action": "account.credit", "target": ACCOUNT_ID,
                  "details": {"amount_usd": "25", "environment": "live", "note": "invoice 118", "suspended": False},
                  "request_id": RID}], "pagination": {"limit": 50, "offset": 0, "total": 1, "has_more": False}},
    parameters=(_query("action", "Exact, or a prefix ending in `.`", _str(), "account.credit"),
                _query("target", "The account, key or job acted on", _str()), SINCE_PARAM, *PAGE))
