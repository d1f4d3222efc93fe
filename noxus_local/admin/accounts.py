"""Accounts for the operator: list with balances, create, credit, suspend and unsuspend; each action audited.

Crediting a suspended account is allowed (and audited with ``"suspended": true``):
suspension stops spending (every API call answers 403 ``account_suspended``),
not paying; an operator topping up an account before lifting a suspension is
the normal order of things. Nothing can be spent until it is unsuspended.

Example::

    actor = Actor("admin", "api", "10.0.0.7")
    create_account(db, cfg, actor, "acme", name="ACME", tier="pro")
    credit(db, actor, "acme", "live", "25", note="invoice 118")
    set_suspended(db, actor, "acme", True)
"""

from __future__ import annotations

from typing import Any

from noxus_local.accounts import store as accounts
from noxus_local.admin import inputs
from noxus_local.admin.audit import Actor, record
from noxus_local.billing import ledger
from noxus_local.config import Config
from noxus_local.errors import AlreadyExists, NotFound
from noxus_local.money import format_usd
from noxus_local.store.db import Database


def _balances(db: Database) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {}
    for row in db.all("SELECT account_id, environment, balance_micros, held_micros, lifetime_spent_micros"
                      " FROM balances"):
        view = ledger.BalanceView(row[2], row[3], row[4])
        out.setdefault(row[0], {})[row[1]] = {**view.as_api(), "held_usd": format_usd(view.held_micros)}
    return out


def _empty() -> dict[str, str]:
    return {**ledger.BalanceView(0, 0, 0).as_api(), "held_usd": "0"}


def list_accounts(db: Database) -> list[dict[str, Any]]:
    """Every account, oldest first, with its test and live balances and its count of usable keys.

    Example: ``list_accounts(db)[0]["balances"]["live"]["available_usd"]`` → ``"12.5"``.
    """
    balances = _balances(db)
    keys = dict(db.all("SELECT account_id, COUNT(*) FROM api_keys WHERE revoked_at IS NULL GROUP BY account_id"))
    out = []
    for row in db.all("SELECT id, name, tier, status, source, created_at FROM accounts ORDER BY created_at, id"):
        mine = balances.get(row["id"], {})
        out.append({**dict(row), "created_at": inputs.iso(row["created_at"]), "active_keys": keys.get(row["id"], 0),
                    "balances": {env: mine.get(env, _empty()) for env in inputs.ENVIRONMENTS}})
    return out


def get_account(db: Database, account_id: str) -> dict[str, Any]:
    """One account as ``list_accounts`` shows it; 404 ``not_found`` when there is none."""
    found = [a for a in list_accounts(db) if a["id"] == account_id] if _exists(db, account_id) else []
    if not found:
        raise NotFound(details={"account_id": account_id})
    return found[0]


def _exists(db: Database, account_id: str) -> bool:
    return db.one("SELECT 1 FROM accounts WHERE id = ?", (account_id,)) is not None


def create_account(db: Database, cfg: Config, actor: Actor, account_id: Any, *, name: Any = "",
                   tier: Any = "free") -> dict[str, Any]:
    """A new account with empty balances; 409 ``already_exists`` when the id is taken, 400 for an unknown tier."""
    account_id = inputs.identifier(account_id, "account_id")
    name = inputs.text(name, "name", 100)
    tier = inputs.choice(tier, "tier", tuple(cfg.tiers))
    if not accounts.create_account(db, account_id, name=name, tier=tier, source="admin"):
        raise AlreadyExists(details={"account_id": account_id})
    record(db, actor, "account.create", account_id, {"name": name or account_id, "tier": tier})
    return get_account(db, account_id)


def credit(db: Database, actor: Actor, account_id: str, environment: Any, amount_usd: Any,
           note: Any = None) -> dict[str, Any]:
    """Add ``amount_usd`` (> 0) to one balance, in one transaction with its ledger row and its audit entry.

    Returns ``{"account_id", "environment", "credited_usd", "balance": {...}, "suspended"}``.
    """
    env = inputs.choice(environment, "environment", inputs.ENVIRONMENTS)
    micros = inputs.usd_amount(amount_usd, "amount_usd")
    note = inputs.text(note, "note") or None
    with db.write() as conn:
        row = conn.execute("SELECT status FROM accounts WHERE id = ?", (account_id,)).fetchone()
        if row is None:
            raise NotFound(details={"account_id": account_id})
        view = ledger.credit(conn, account_id, env, micros, note or "admin credit")
        suspended = row["status"] != "active"
        record(db, actor, "account.credit", account_id,
               {"environment": env, "amount_usd": format_usd(micros), "note": note, "suspended": suspended},
               conn=conn)
    return {"account_id": account_id, "environment": env, "credited_usd": format_usd(micros),
            "balance": view.as_api(), "suspended": suspended}


def set_suspended(db: Database, actor: Actor, account_id: str, suspended: bool) -> dict[str, Any]:
    """Suspend (every call of its keys answers 403 at once: the key cache sees the change) or reactivate."""
    status = "suspended" if suspended else "active"
    with db.write() as conn:
        before = conn.execute("SELECT status FROM accounts WHERE id = ?", (account_id,)).fetchone()
        if before is None:
            raise NotFound(details={"account_id": account_id})
        conn.execute("UPDATE accounts SET status = ? WHERE id = ?", (status, account_id))
        record(db, actor, "account.suspend" if suspended else "account.unsuspend", account_id,
               {"from": before["status"], "to": status}, conn=conn)
    return get_account(db, account_id)
