"""API keys for the operator: list (last use, spend, budget), create (the plain key returned once), revoke,
rotate, set a budget; each action audited, never with the plain key in it.

Example::

    plain, key = create_key(db, actor, "acme", name="ci", environment="live")
    revoke_key(db, actor, key["id"])
    set_key_budget(db, actor, key["id"], max_spend_usd="5", budget_period="month", soft_limit_usd="4")
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from noxus_local.accounts import keys as store
from noxus_local.admin import inputs
from noxus_local.admin.audit import Actor, record
from noxus_local.billing import budgets as budget_store
from noxus_local.billing.budgets import Budget
from noxus_local.errors import NotFound, StateConflict
from noxus_local.locale import t
from noxus_local.money import format_usd
from noxus_local.store.db import Database

SCOPES = ("tools:run",)
MAX_TOOLS = 100


def _view(row: sqlite3.Row | dict[str, Any], spent: int, jobs: int, last_job: float | None,
          budget: Budget | None) -> dict[str, Any]:
    out = dict(row)
    out.pop("key_hash", None)
    # the API authenticates from a cache and writes nothing per request, so a key's last use is its last job
    # (or a stored last_used_at, when newer)
    out["last_used_at"] = max((t for t in (out.get("last_used_at"), last_job) if t is not None), default=None)
    out["scopes"] = json.loads(out["scopes"])
    out["tools"] = json.loads(out["tools"]) if out["tools"] else None
    for name in ("created_at", "last_used_at", "revoked_at", "expires_at"):
        out[name] = inputs.iso(out.get(name))
    out["status"] = "revoked" if out["revoked_at"] else "active"
    out["spent_usd"] = format_usd(spent)
    out["jobs"] = jobs
    out["budget"] = _budget_view(budget)
    return out


def _budget_view(budget: Budget | None) -> dict[str, Any] | None:
    """The key's budget as the admin API shows it: the settings and the current window's counters."""
    if budget is None:
        return None
    view = budget.as_api()
    view.pop("key_id", None)
    view["budget_period"] = view.pop("period")
    return view


def list_keys(db: Database, account_id: str | None = None) -> list[dict[str, Any]]:
    """Every key (revoked ones too), oldest first, with ``last_used_at`` (its last job), lifetime
    ``spent_usd``, ``jobs`` and ``budget``; ``account_id`` narrows to one account."""
    where, args = ("WHERE account_id = ?", (account_id,)) if account_id else ("", ())
    spend = {r[0]: (r[1], r[2], r[3]) for r in db.all(
        f"SELECT key_id, COALESCE(SUM(charged_micros), 0), COUNT(*), MAX(created_at) FROM jobs {where}"
        " GROUP BY key_id", args)}
    rows = db.all(f"SELECT * FROM api_keys {where} ORDER BY created_at, id", args)
    budgets = budget_store.budgets_of(db, [r["id"] for r in rows])
    return [_view(r, *spend.get(r["id"], (0, 0, None)), budgets.get(r["id"])) for r in rows]


def get_key(db: Database, key_id: str) -> dict[str, Any]:
    row = db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
    if row is None:
        raise NotFound(details={"key_id": key_id})
    spent = db.one("SELECT COALESCE(SUM(charged_micros), 0), COUNT(*), MAX(created_at) FROM jobs WHERE key_id = ?",
                   (key_id,))
    return _view(row, spent[0], spent[1], spent[2], budget_store.budget_of(db, key_id))


def create_key(db: Database, actor: Actor, account_id: str, *, name: Any = "admin", environment: Any = "test",
               tools: Any = None, expires_at: Any = None) -> tuple[str, dict[str, Any]]:
    """A new key for ``account_id``: (the plain key, shown this once and stored nowhere, the key's view)."""
    name = inputs.identifier(name, "name")
    env = inputs.choice(environment, "environment", inputs.ENVIRONMENTS)
    if tools is not None and (not isinstance(tools, list) or len(tools) > MAX_TOOLS
                              or not all(isinstance(t, str) and inputs.ID_RE.fullmatch(t) for t in tools)):
        raise inputs.bad("tools", t("admin_keys.list_tool_names"))
    expires = inputs.moment(expires_at, "expires_at")
    if db.one("SELECT 1 FROM accounts WHERE id = ?", (account_id,)) is None:
        raise NotFound(details={"account_id": account_id})
    plain, key_id = store.create_key(db, account_id=account_id, name=name, environment=env, tools=tools or None,
                                     expires_at=expires, source="admin")
    assert plain is not None
    key = get_key(db, key_id)
    record(db, actor, "key.create", key_id, {"account_id": account_id, "name": name, "environment": env,
                                             "key_hint": key["key_hint"], "tools": tools or None})
    return plain, key


def revoke_key(db: Database, actor: Actor, key_id: str) -> dict[str, Any]:
    """Revoked at once (the API's key cache sees it within 50 ms); 409 ``state_conflict`` if already revoked."""
    key = get_key(db, key_id)
    if not store.revoke_key(db, key_id):
        raise StateConflict(details={"key_id": key_id, "status": "revoked"})
    record(db, actor, "key.revoke", key_id, {"account_id": key["account_id"], "key_hint": key["key_hint"]})
    return get_key(db, key_id)


def rotate_key(db: Database, actor: Actor, key_id: str) -> tuple[str, dict[str, Any]]:
    """Revoke ``key_id`` and make its twin (same account, app, scopes, tools, expiry, budget): (plain, new view)."""
    old = get_key(db, key_id)
    if old["status"] == "revoked":
        raise StateConflict(details={"key_id": key_id, "status": "revoked"})
    plain, new_id = store.rotate_key(db, key_id)  # the new key keeps the budget (billing.budgets.copy_budget)
    new = get_key(db, new_id)
    record(db, actor, "key.rotate", key_id, {"account_id": old["account_id"], "new_key_id": new_id,
                                             "key_hint": new["key_hint"]})
    return plain, new


def set_key_budget(db: Database, actor: Actor, key_id: str, *, max_spend_usd: Any, budget_period: Any = "month",
                   soft_limit_usd: Any = None) -> dict[str, Any]:
    """A key's spending cap per period (day, week, month, total) and its soft limit; both None clears it.

    ``max_spend_usd`` ≥ 0 (0: the key may spend nothing), ``soft_limit_usd`` ≤ the cap. A budget of
    ``-1`` or ``"abc"`` is a 400 naming the field. Stored in billing/budgets.py's ``key_budgets`` row,
    which the hold checks in the same transaction as the balance (402 ``key_budget_exceeded`` past the cap).
    """
    cap = inputs.optional_usd(max_spend_usd, "max_spend_usd")
    soft = inputs.optional_usd(soft_limit_usd, "soft_limit_usd")
    period = inputs.choice(budget_period, "budget_period", inputs.PERIODS)
    if cap is not None and soft is not None and soft > cap:
        raise inputs.bad("soft_limit_usd", t("admin_keys.not_greater_than_max"))
    if cap is None and soft is not None:
        raise inputs.bad("max_spend_usd", t("admin_keys.required_with_soft_limit"))
    get_key(db, key_id)
    if cap is None:
        budget_store.clear_budget(db, key_id)
    else:
        budget_store.set_budget(db, key_id, format_usd(cap), period, None if soft is None else format_usd(soft))
    record(db, actor, "key.budget", key_id, {
        "max_spend_usd": None if cap is None else format_usd(cap), "budget_period": period,
        "soft_limit_usd": None if soft is None else format_usd(soft)})
    return get_key(db, key_id)
