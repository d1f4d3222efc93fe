"""Example bodies for the admin API's published operations (api/admin_routes.py): real shapes, made-up values.

Kept apart from the routes so each handler's decorator stays readable; every
example is a valid instance of its Struct (``tests/unit/test_admin_schemas.py``
converts each one), so the document never shows a body the server cannot send.

Example::

    envelope({"account": ACCOUNT})   # the 200 example of GET /api/v1/admin/accounts/{account_id}
"""

from __future__ import annotations

from typing import Any

from noxus_local.admin.export import MOVEMENT_COLUMNS
from noxus_local.api.docs import RID

ACCOUNT_ID = "acme"
KEY_ID = "key_5d1f0c2b9a8e7d6c5b4a3f2e"
NEW_KEY_ID = "key_0a9b8c7d6e5f4a3b2c1d0e9f"
ADMIN_JOB = "job_4e2a7c9d1b3f5a6c8e0d2b4a"
BAL = {"currency": "USD", "balance_usd": "25", "available_usd": "25", "lifetime_spent_usd": "0"}
ACCOUNT: dict[str, Any] = {
    "id": ACCOUNT_ID, "name": "ACME", "tier": "free", "status": "active", "source": "admin",
    "created_at": "2026-12-06T17:49:01.000000Z", "active_keys": 1,
    "balances": {"test": {**BAL, "held_usd": "0"}, "live": {**BAL, "held_usd": "0"}}}
KEY: dict[str, Any] = {
    "id": KEY_ID, "account_id": ACCOUNT_ID, "app_id": None, "name": "ci", "environment": "test",
    "key_hint": "noxus_test_AbCd", "scopes": ["tools:run"], "tools": None, "expires_at": None, "revoked_at": None,
    "source": "admin", "created_at": "2026-12-06T17:49:01.000000Z", "last_used_at": "2026-12-06T18:02:11.500000Z",
    "status": "active", "spent_usd": "0.004", "jobs": 2,
    "budget": {"max_spend_usd": "5", "budget_period": "month", "soft_limit_usd": "4", "spent_usd": "0.002",
               "held_usd": "0", "window_start": "2026-12-01T00:00:00Z", "resets_at": "2027-01-01T00:00:00Z"}}
JOB_LINE: dict[str, Any] = {
    "job_id": ADMIN_JOB, "account_id": ACCOUNT_ID, "environment": "test", "key_id": KEY_ID, "tool": "qr",
    "status": "succeeded", "progress": 100, "held_usd": "0.002", "charged_usd": "0.002", "error_code": None,
    "worker": "box:4121", "created_at": "2026-12-06T18:02:11.500000Z", "started_at": "2026-12-06T18:02:11.510000Z",
    "finished_at": "2026-12-06T18:02:11.540000Z"}
CREDIT = {"account_id": ACCOUNT_ID, "environment": "live", "credited_usd": "25", "balance": BAL, "suspended": False}
RESOURCES = {"cpu": {"slots": 2, "busy": 1, "queued": 0, "waiting": 0, "peak_busy": 2, "used": 0.5}}
OVERVIEW: dict[str, Any] = {
    "generated_at": "2026-12-06T18:00:00.000000Z",
    "balances": {"test": {"accounts": 2, "balance_usd": "35", "held_usd": "0", "available_usd": "35"},
                 "live": {"accounts": 1, "balance_usd": "25", "held_usd": "0.002", "available_usd": "24.998"}},
    "spend": {"today_usd": "0.004", "month_usd": "1.25", "today_since": "2026-12-06T00:00:00.000000Z",
              "month_since": "2026-12-01T00:00:00.000000Z"},
    "jobs": {"queued": 0, "running": 1, "succeeded": 120, "failed": 3, "cancelled": 1},
    "accounts": {"active": 2, "suspended": 0},
    "capacity": {"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "resources": RESOURCES}}
USAGE: dict[str, Any] = {
    "since": "2026-11-06T18:00:00.000000Z", "until": "2026-12-06T18:00:01.000000Z", "group_by": ["day", "tool"],
    "rows": [{"day": "2026-12-06", "tool": "qr", "jobs": 2, "succeeded": 2, "failed": 0, "spent_usd": "0.004"}],
    "total_jobs": 2, "total_spent_usd": "0.004"}
MODEL = {"id": "silero-vad", "task": "vad", "default": True, "state": "installed", "size_bytes": 2313101,
         "problems": []}
WORKERS: dict[str, Any] = {
    "local": {"workers": 2, "queue": "sqlite",
              "slots": {"cpu": {"capacity": 2, "busy": 1, "waiting": 0, "peak_busy": 2}}},
    "running": [{"worker": "box:4121", "running_jobs": 1, "last_heartbeat": "2026-12-06T18:02:11.500000Z",
                 "seconds_since_heartbeat": 0.4}], "remote": None}
CAPACITY = {"used_system_capacity": 0.5, "running_jobs": 1, "queued_jobs": 0, "workers": 2, "resources": RESOURCES}
AUDIT_ENTRY: dict[str, Any] = {
    "id": 7, "at": 1796579341.2, "actor": "admin", "via": "api", "ip": "10.0.0.7", "action": "account.credit",
    "target": ACCOUNT_ID, "details": {"amount_usd": "25", "environment": "live", "note": "invoice 118",
                                      "suspended": False}, "request_id": RID}
CSV_EXAMPLE = (",".join(MOVEMENT_COLUMNS) + "\r\n1,2026-12-06T17:49:01.000000Z,acme,test,credit,25,25,25,,,,"
               "admin credit\r\n")
