"""The audit log: every admin action, who did it, from where, when; append-only (triggers refuse edits).

Why a table of its own and not the JSON log: an operator asks "who credited
acme yesterday?" months later, after log rotation; the console, the REST API
and ``noxus-local admin audit`` read the same rows.

Example::

    actor = Actor("admin", via="api", ip="10.0.0.7")
    record(db, actor, "account.credit", "acme", {"environment": "live", "amount_usd": "25"})
    rows, total = list_entries(db, action="account.credit", limit=20)
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from noxus_local.store.db import Database

VIAS = ("api", "console", "cli")


@dataclass(frozen=True)
class Actor:
    """Who acted: a name (the admin token's holder is ``admin``; the CLI records the OS user), the door
    they came through (``api``, ``console``, ``cli``) and their address (None for the CLI)."""

    name: str
    via: str
    ip: str | None = None
    request_id: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        """The person at the terminal: ``Actor.cli().name`` is the login name, e.g. ``"ops"``."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (a container's uid)
            user = "unknown"
        return cls(f"cli:{user}", "cli")


def record(db: Database, actor: Actor, action: str, target: str | None = None,
           details: dict[str, Any] | None = None, conn: sqlite3.Connection | None = None) -> int:
    """Append one entry and return its id; inside ``db.write()`` pass ``conn`` so it commits with the action.

    ``details`` must never hold a secret: a created key is recorded by id and hint, not its plain text.
    """
    row = (time.time(), actor.name, actor.via, actor.ip, action, target,
           json.dumps(details or {}, ensure_ascii=False, sort_keys=True), actor.request_id)
    sql = ("INSERT INTO audit_log (at, actor, via, ip, action, target, details, request_id)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    if conn is not None:
        return int(conn.execute(sql, row).lastrowid or 0)
    with db.write() as own:
        return int(own.execute(sql, row).lastrowid or 0)


def list_entries(db: Database, *, action: str | None = None, target: str | None = None,
                 since: float | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest first, filtered by action (exact, or a prefix ending in ``.``: ``"key."``), target and time."""
    where, args = ["1 = 1"], []
    if action:
        if action.endswith("."):
            where.append("action >= ? AND action < ?")
            args += [action, action[:-1] + "/"]  # "/" sorts right after "."
        else:
            where.append("action = ?")
            args.append(action)
    if target:
        where.append("target = ?")
        args.append(target)
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    clause = " AND ".join(where)
    total = db.one(f"SELECT COUNT(*) FROM audit_log WHERE {clause}", tuple(args))[0]
    rows = db.all(f"SELECT * FROM audit_log WHERE {clause} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                  (*args, limit, offset))
    return [_entry(r) for r in rows], int(total)


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["details"] = json.loads(out["details"] or "{}")
    return out
