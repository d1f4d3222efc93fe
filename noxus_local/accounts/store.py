"""Accounts and apps, plus the start-up sync of what the config declares.

``sync_config`` is idempotent: running it twice with the same config changes
nothing the second time (initial balances are credited only when an account
is first created; keys are matched by hash, never duplicated).

Example::

    create_account(db, "acme", name="ACME", tier="pro")
    credit_account(db, "acme", "test", 5_000_000, note="welcome")
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from sqlite_utils.db import NotFoundError

from noxus_local.accounts.keys import create_key, hash_key
from noxus_local.billing import budgets, ledger
from noxus_local.config import AccountDecl, Config, KeyDecl
from noxus_local.errors import ConfigError, ValidationError, say
from noxus_local.money import parse_usd
from noxus_local.store.db import Database


def create_account(db: Database, account_id: str, *, name: str = "", tier: str = "free",
                   status: str = "active", source: str = "cli") -> bool:
    """Create the account and its two balances; False if it already existed."""
    with db.write() as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO accounts (id, name, tier, status, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", (account_id, name or account_id, tier, status, source,
                                           time.time()))
        for env in ("test", "live"):
            ledger.ensure_balance(conn, account_id, env)
    return cur.rowcount == 1


def credit_account(db: Database, account_id: str, env: str, micros: int,
                   note: str | None = None) -> ledger.BalanceView:
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone() is None:
            raise KeyError(account_id)
        return ledger.credit(conn, account_id, env, micros, note)


def update_account(db: Database, account_id: str, *, tier: str | None = None,
                   status: str | None = None) -> bool:
    """Change tier and/or status; the key cache sees it at once (a trigger bumps keys_version)."""
    with db.write() as conn:
        cur = conn.execute("UPDATE accounts SET tier = COALESCE(?, tier), status = COALESCE(?, status)"
                           " WHERE id = ?", (tier, status, account_id))
    return cur.rowcount == 1


def show_account(db: Database, account_id: str) -> dict[str, Any] | None:
    try:
        out = db.table("accounts").get(account_id)
    except NotFoundError:
        return None
    out["balances"] = {env: ledger.read_balance(db.conn(), account_id, env).as_api() for env in ("test", "live")}
    out["apps"] = list(db.table("apps").rows_where("account_id = ?", [account_id], select="id, name, webhook_url"))
    return out


def list_accounts(db: Database) -> list[dict[str, Any]]:
    return list(db.table("accounts").rows_where(order_by="created_at"))


def ensure_app(db: Database, app_id: str, account_id: str, name: str = "",
               webhook_url: str = "", webhook_secret: str = "", source: str = "cli") -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT INTO apps (id, account_id, name, webhook_url, webhook_secret, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
            " webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret",
            (app_id, account_id, name or app_id, webhook_url or None, webhook_secret or None, source,
             time.time()))


def sync_config(db: Database, cfg: Config, environ: dict[str, str] | None = None) -> list[str]:
    """Bring accounts, apps and keys declared in the config into SQLite."""
    env = os.environ if environ is None else environ
    notes: list[str] = []
    for decl in cfg.accounts:
        notes += _sync_account(db, decl, env)
    return notes


def _sync_account(db: Database, decl: AccountDecl, environ: Any) -> list[str]:
    notes: list[str] = []
    created = create_account(db, decl.id, name=decl.name, tier=decl.tier, status=decl.status,
                             source="config")
    with db.write():  # IMMEDIATE: sqlite-utils' own BEGIN would be deferred (house rule 4)
        db.table("accounts").update(decl.id, {"tier": decl.tier, "status": decl.status, "name": decl.name or decl.id})
    if created:
        notes.append(f"account {decl.id} created")
        for env_name, amount in (("test", decl.initial_test_balance_usd),
                                 ("live", decl.initial_live_balance_usd)):
            if parse_usd(amount):
                credit_account(db, decl.id, env_name, parse_usd(amount), note="initial balance (config)")
    for app in decl.apps:
        ensure_app(db, app.id, decl.id, app.name, app.webhook_url, app.webhook_secret, source="config")
        for key in app.keys:
            digest = key.sha256.lower() if key.sha256 else _hash_from_env(key.env, environ)
            found = db.one("SELECT id FROM api_keys WHERE key_hash = ?", (digest,))
            if found is None:
                _, key_id = create_key(db, account_id=decl.id, app_id=app.id, name=key.name,
                                       environment=key.environment, scopes=key.scopes, tools=key.tools or None,
                                       expires_at=_parse_time(key.expires_at), key_hash=digest, source="config")
                notes.append(f"key {key.name} added to {decl.id}/{app.id}")
            notes += _sync_budget(db, found["id"] if found is not None else key_id, key)
    return notes


def _sync_budget(db: Database, key_id: str, key: KeyDecl) -> list[str]:
    """A declared budget (``max_spend_usd``, ``budget_period``, ``soft_limit_usd``) onto the key; a start with
    the same budget changes nothing (its window counters and alerts stay), a key declared without one keeps
    what the CLI or the admin API gave it."""
    if not key.max_spend_usd:
        return []
    try:
        wanted = budgets.parse_budget(key.max_spend_usd, key.budget_period, key.soft_limit_usd or None)
    except ValidationError as exc:
        fields = (exc.details or {}).get("field_errors", {})
        said = "; ".join(f"{k}: {', '.join(say(m, 'en') for m in v)}" for k, v in fields.items())
        raise ConfigError(f"key {key.name!r}: {said}") from None
    current = budgets.budget_of(db, key_id)
    if current is not None and (current.max_spend_micros, current.period, current.soft_limit_micros) == wanted:
        return []
    budgets.set_budget(db, key_id, key.max_spend_usd, key.budget_period, key.soft_limit_usd or None)
    return [f"key {key.name}: budget {key.max_spend_usd} USD per {key.budget_period}"]


def _hash_from_env(name: str, environ: Any) -> str:
    plain = environ.get(name)
    if not plain:
        raise ConfigError(f"environment variable {name} (named by a key in the config) is not set")
    return hash_key(plain)


def _parse_time(text: str) -> float | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"expires_at: not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def bootstrap_default(db: Database, cfg: Config) -> str | None:
    """First start with no keys at all: default account + test key, printed once."""
    if not cfg.bootstrap.create_default_account:
        return None
    if db.one("SELECT 1 FROM api_keys LIMIT 1") is not None:
        return None
    create_account(db, "default", name="Default account", tier=cfg.bootstrap.default_tier)
    ensure_app(db, "default", "default", "Default app")
    amount = parse_usd(cfg.bootstrap.starting_test_balance_usd)
    if amount:
        credit_account(db, "default", "test", amount, note="starting test balance")
    plain, _ = create_key(db, account_id="default", app_id="default", name="default",
                          environment="test")
    return plain
