"""The admin service: plain typed functions, no HTTP, that the REST API, the /admin console and the CLI call.

One import for callers; each area lives in its own small module:

- accounts: ``list_accounts``, ``get_account``, ``create_account``, ``credit`` (= ``credit_account``), ``set_suspended``
- keys: ``list_keys``, ``get_key``, ``create_key`` (plain key returned once), ``revoke_key``, ``rotate_key``,
  ``set_key_budget`` (billing/budgets.py, enforced at the hold)
- jobs: ``list_jobs``, ``cancel_job``
- usage: ``usage`` (per account, key, tool, day), ``spend_per_day``, ``spend_per_tool`` (the console's charts),
  ``export_csv`` (streamed CSV, per movement or per job)
- system: ``models``, ``verify_models``, ``workers``, ``capacity``, ``overview``
- audit: ``Actor``, ``record``, ``list_entries``

Every function that changes something takes an ``Actor`` and writes one audit entry.

Example::

    from noxus_local.admin import service as admin
    actor = admin.Actor("admin", via="console", ip="10.0.0.7")
    plain, key = admin.create_key(svc.db, actor, "acme", name="ci", environment="live")
    admin.overview(svc)["jobs"]["queued"]
"""

from __future__ import annotations

from typing import Any

from noxus_local.admin.accounts import create_account, credit, get_account, list_accounts, set_suspended
from noxus_local.admin.audit import Actor, list_entries, record
from noxus_local.admin.export import JOB_COLUMNS, MOVEMENT_COLUMNS, export_csv
from noxus_local.admin.jobs import STATUSES, cancel_job, list_jobs
from noxus_local.admin.keys import create_key, get_key, list_keys, revoke_key, rotate_key, set_key_budget
from noxus_local.admin.system import capacity, models, overview, verify_models, workers
from noxus_local.admin.usage import parse_group_by, usage
from noxus_local.store.db import Database

credit_account = credit  # the console's name for it (noxus_local/console/data.py)


def spend_per_day(db: Database, since: float | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
    """The console's spend chart by UTC day: ``[{"day": "2026-12-06", "jobs": 3, ..., "spent_usd": "0.006"}]``."""
    return list(usage(db, group_by=("day",), since=since, account_id=account_id)["rows"])


def spend_per_tool(db: Database, since: float | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
    """The console's spend chart by tool: ``[{"tool": "qr", "jobs": 3, ..., "spent_usd": "0.006"}]``."""
    return list(usage(db, group_by=("tool",), since=since, account_id=account_id)["rows"])


__all__ = ["JOB_COLUMNS", "MOVEMENT_COLUMNS", "STATUSES", "Actor", "cancel_job", "capacity", "create_account",
           "create_key", "credit", "credit_account", "export_csv", "get_account", "get_key", "list_accounts",
           "list_entries", "list_jobs", "list_keys", "models", "overview", "parse_group_by", "record", "revoke_key",
           "rotate_key", "set_key_budget", "set_suspended", "spend_per_day", "spend_per_tool", "usage",
           "verify_models", "workers"]
