"""API keys: generated once, stored as SHA-256, resolved to a Principal.

A key looks like ``noxus_test_<43 url-safe chars>``. Only its hash and a
hint (``noxus_test_AbCd``) are stored, so a leaked database leaks no keys.

Example::

    plain, key_id = create_key(db, account_id="acct_1", name="ci", environment="test")
    principal = authenticate(db, plain)      # raises InvalidApiKey / RevokedApiKey
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from noxus_local.errors import InvalidApiKey, RevokedApiKey
from noxus_local.store.db import Database

KEY_RE = re.compile(r"^noxus_(test|live)_[A-Za-z0-9_-]{40,}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its account and what it may do."""

    key_id: str
    key_hint: str
    account_id: str
    app_id: str | None
    environment: str
    scopes: frozenset[str]
    tools: frozenset[str] | None
    tier: str
    account_status: str
    expires_at: float | None = None


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def key_hint(plain: str) -> str:
    env = "live" if plain.startswith("noxus_live_") else "test"
    prefix = f"noxus_{env}_"
    return prefix + plain[len(prefix):len(prefix) + 4]


def new_plain_key(environment: str) -> str:
    return f"noxus_{environment}_{secrets.token_urlsafe(32)}"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def create_key(db: Database, *, account_id: str, name: str, environment: str,
               app_id: str | None = None, scopes: list[str] | None = None,
               tools: list[str] | None = None, expires_at: float | None = None,
               plain: str | None = None, key_hash: str | None = None,
               source: str = "cli") -> tuple[str | None, str]:
    """Store a key; returns (plain key or None when only a hash was given, key id)."""
    if plain is None and key_hash is None:
        plain = new_plain_key(environment)
    digest = key_hash or hash_key(plain or "")
    hint = key_hint(plain) if plain else f"noxus_{environment}_…"
    key_id = new_id("key")
    with db.write() as conn:
        conn.execute(
            "INSERT INTO api_keys (id, account_id, app_id, name, environment, key_hash, key_hint,"
            " scopes, tools, expires_at, source, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (key_id, account_id, app_id, name, environment, digest, hint,
             json.dumps(scopes or ["tools:run"]), json.dumps(tools) if tools else None,
             expires_at, source, time.time()))
    return plain, key_id


class KeyCache:
    """Key hash → Principal, valid while ``meta.keys_version`` is unchanged.

    Triggers bump the version on any change to keys or accounts, from this
    process or the CLI. The version is re-read at most every
    ``recheck_seconds`` (50 ms), so a revoke takes effect within 50 ms while
    most requests touch no SQLite at all (bench_ping: auth was 86 us/request
    with a join per call).
    """

    def __init__(self, max_entries: int = 10_000, recheck_seconds: float = 0.05) -> None:
        self.max_entries = max_entries
        self.recheck_seconds = recheck_seconds
        self._entries: dict[str, tuple[int, Principal]] = {}
        self._version = -1
        self._checked_at = -1.0

    def _current_version(self, db: Database) -> int:
        now = time.monotonic()
        if now - self._checked_at >= self.recheck_seconds:
            row = db.conn().execute("SELECT value FROM meta WHERE name = 'keys_version'").fetchone()
            self._version, self._checked_at = row[0], now
        return self._version

    def authenticate(self, db: Database, plain: str) -> Principal:
        if not KEY_RE.match(plain):
            raise InvalidApiKey()
        digest = hash_key(plain)
        version = self._current_version(db)
        hit = self._entries.get(digest)
        if hit is not None and hit[0] == version:
            principal = hit[1]
            if principal.expires_at and principal.expires_at <= time.time():
                raise RevokedApiKey()
            return principal
        principal = _lookup(db, digest)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (version, principal)
        return principal


def authenticate(db: Database, plain: str) -> Principal:
    """Resolve a bearer token, or raise the matching 401 error."""
    if not KEY_RE.match(plain):
        raise InvalidApiKey()
    return _lookup(db, hash_key(plain))


def _lookup(db: Database, digest: str) -> Principal:
    row = db.one(
        "SELECT k.id, k.key_hint, k.account_id, k.app_id, k.environment, k.scopes, k.tools,"
        " k.expires_at, k.revoked_at, a.tier, a.status AS account_status FROM api_keys k"
        " JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?", (digest,))
    if row is None:
        raise InvalidApiKey()
    if row["revoked_at"] is not None or (row["expires_at"] and row["expires_at"] <= time.time()):
        raise RevokedApiKey()
    return Principal(
        key_id=row["id"], key_hint=row["key_hint"], account_id=row["account_id"],
        app_id=row["app_id"], environment=row["environment"],
        scopes=frozenset(json.loads(row["scopes"])),
        tools=frozenset(json.loads(row["tools"])) if row["tools"] else None,
        tier=row["tier"], account_status=row["account_status"], expires_at=row["expires_at"])


def list_keys(db: Database, account_id: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT id, account_id, app_id, name, environment, key_hint, scopes, tools, expires_at,"
           " revoked_at, source, created_at FROM api_keys")
    rows = db.all(sql + " WHERE account_id = ? ORDER BY created_at", (account_id,)) if account_id \
        else db.all(sql + " ORDER BY created_at")
    return [dict(r) for r in rows]


def revoke_key(db: Database, key_id: str) -> bool:
    with db.write() as conn:
        cur = conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           (time.time(), key_id))
    return cur.rowcount == 1


def rotate_key(db: Database, key_id: str) -> tuple[str, str]:
    """Revoke ``key_id`` and create a twin (same account, app, scopes, tools, budget)."""
    row = db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
    if row is None or row["revoked_at"] is not None:
        raise KeyError(key_id)
    revoke_key(db, key_id)
    plain, new_key_id = create_key(
        db, account_id=row["account_id"], name=row["name"], environment=row["environment"],
        app_id=row["app_id"], scopes=json.loads(row["scopes"]),
        tools=json.loads(row["tools"]) if row["tools"] else None, expires_at=row["expires_at"])
    assert plain is not None
    from noxus_local.billing.budgets import copy_budget  # billing imports nothing from accounts; kept local anyway

    copy_budget(db, key_id, new_key_id)
    return plain, new_key_id
