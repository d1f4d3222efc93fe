"""Operator alerts (issue 25 item 2): each condition fires once per crossing, kept in SQLite.

Why state in SQLite: the facts arrive on many threads and processes (a job settling, a refused hold, the
upkeep loop, a start), and an operator wants one message when a key reaches its cap, not one per refused
request. ``alert_state`` has one row per condition name; a conditional upsert flips it inactive → active
and, in the same transaction, writes the ``alerts`` row, so two racing threads raise it once. The alert
is re-armed when the condition clears (``check(..., False)``); budget alerts carry their window in the name
(``key_cap:<key>:<resets_at>``), so the next window re-arms them, and changing a budget clears them.

Nothing here sends anything: ``admin/alert_delivery.py``'s thread logs each new alert and queues its signed
webhook to ``[admin] alert_url``, off the request path.

Conditions and their events:

========================  ========================  ============================================
name                      event                     raised
========================  ========================  ============================================
balance_low:<acct>:<env>  alert.balance_low         after a job settles, balance < threshold
key_soft_limit:<key>:<w>  alert.key_soft_limit      after a job settles, spent ≥ soft limit
key_cap:<key>:<w>         alert.key_cap             spent ≥ cap after a settle, or a hold refused
model_missing:<id>        alert.model_missing       at start, a model a tool needs is not installed
queue_wait                alert.queue_wait          upkeep: the oldest queued job waited too long
worker_lost:<name>        alert.worker_lost         upkeep: a remote worker's heartbeats stopped
========================  ========================  ============================================

Example::

    alerts.check(db, "queue_wait", waited > 300, "alert.queue_wait", "queue", {"waited_seconds": waited})
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from typing import Any

from noxus_local.accounts.keys import new_id
from noxus_local.billing import budgets
from noxus_local.billing.budgets import iso
from noxus_local.money import format_usd


def fire(conn: sqlite3.Connection, name: str, event: str, subject: str, details: Mapping[str, Any],
         now: float | None = None) -> str | None:
    """Raise ``name`` in the caller's write transaction; the new alert's id, or None when already active."""
    moment = time.time() if now is None else now
    flipped = conn.execute(
        "INSERT INTO alert_state (name, active, changed_at, fired_at, fired) VALUES (?, 1, ?, ?, 1)"
        " ON CONFLICT (name) DO UPDATE SET active = 1, changed_at = excluded.changed_at,"
        " fired_at = excluded.fired_at, fired = fired + 1 WHERE active = 0 RETURNING name",
        (name, moment, moment)).fetchone()
    if flipped is None:
        return None
    alert_id = new_id("alr")
    payload = {"id": alert_id, "event": event, "subject": subject, "created_at": iso(moment),
               "details": dict(details)}
    conn.execute("INSERT INTO alerts (id, name, event, subject, payload, created_at) VALUES (?,?,?,?,?,?)",
                 (alert_id, name, event, subject,
                  json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), moment))
    return alert_id


def clear(conn: sqlite3.Connection, name: str, now: float | None = None) -> bool:
    """Re-arm ``name`` (its condition cleared); False when it was not active."""
    cur = conn.execute("UPDATE alert_state SET active = 0, changed_at = ? WHERE name = ? AND active = 1",
                       (time.time() if now is None else now, name))
    return cur.rowcount == 1


def check(db: Any, name: str, condition: bool, event: str, subject: str,
          details: Mapping[str, Any]) -> str | None:
    """Fire when ``condition`` holds and the alert is not active; re-arm it when it no longer holds.

    Reads first, so the usual case (nothing changed) writes nothing. Returns the new alert's id or None.
    """
    row = db.one("SELECT active FROM alert_state WHERE name = ?", (name,))
    if condition == bool(row and row["active"]):
        return None
    with db.write() as conn:
        if condition:
            return fire(conn, name, event, subject, details)
        clear(conn, name)
    return None


def key_refused(db: Any, key_id: str, account_id: str, details: Mapping[str, Any]) -> str | None:
    """A hold was refused by the key's cap (402 key_budget_exceeded): the key is at its cap this window."""
    window = details.get("resets_at") or "total"
    return check(db, f"key_cap:{key_id}:{window}", True, "alert.key_cap", key_id,
                 {"key_id": key_id, "account_id": account_id, "refused": True, **details})


AFTER_JOB = (
    "SELECT j.account_id, j.environment, j.key_id, b.balance_micros,"
    " (SELECT active FROM alert_state WHERE name = 'balance_low:' || j.account_id || ':' || j.environment)"
    " AS low_active, k.key_id AS budget_key, k.max_spend_micros, k.period, k.soft_limit_micros, k.window_start,"
    " k.spent_micros, k.held_micros FROM jobs j"
    " LEFT JOIN balances b ON b.account_id = j.account_id AND b.environment = j.environment"
    " LEFT JOIN key_budgets k ON k.key_id = j.key_id WHERE j.id = ?")


def after_job(db: Any, job_id: str, balance_under_micros: int) -> list[str]:
    """After a job settled: the account's balance against the threshold, the key's spend against its limits.

    One read answers the usual case (balance above the threshold and not alerted, no budget or one not
    reached); a write happens only on a crossing. Example (a runner hook):
    ``after_job(db, "job_1", parse_usd(cfg.admin.alert_balance_under_usd))``.
    """
    row = db.one(AFTER_JOB, (job_id,))
    if row is None:
        return []
    raised: list[str | None] = []
    account, env = row["account_id"], row["environment"]
    if balance_under_micros and row["balance_micros"] is not None:
        low = row["balance_micros"] < balance_under_micros
        if low != bool(row["low_active"]):
            raised.append(check(db, f"balance_low:{account}:{env}", low, "alert.balance_low", account,
                                {"account_id": account, "environment": env,
                                 "balance_usd": format_usd(row["balance_micros"]),
                                 "threshold_usd": format_usd(balance_under_micros)}))
    if row["budget_key"] is not None:
        budget = budgets.from_row({**dict(row), "key_id": row["budget_key"]})
        if budget.at_soft_limit or budget.at_cap:
            window = iso(budget.resets_at) or "total"
            facts = {**budget.as_api(), "account_id": account}
            if budget.at_soft_limit:
                raised.append(check(db, f"key_soft_limit:{budget.key_id}:{window}", True, "alert.key_soft_limit",
                                    budget.key_id, facts))
            if budget.at_cap:
                raised.append(check(db, f"key_cap:{budget.key_id}:{window}", True, "alert.key_cap",
                                    budget.key_id, {**facts, "refused": False}))
    return [r for r in raised if r]


def check_queue(db: Any, wait_seconds: float, now: float | None = None) -> str | None:
    """The oldest queued job against ``[admin] alert_queue_wait_seconds`` (0 = off)."""
    if wait_seconds <= 0:
        return None
    moment = time.time() if now is None else now
    row = db.one("SELECT id, created_at FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1")
    waited = moment - row["created_at"] if row is not None else 0.0
    return check(db, "queue_wait", waited > wait_seconds, "alert.queue_wait", "queue",
                 {"oldest_job_id": row["id"] if row is not None else None, "waited_seconds": round(waited, 1),
                  "threshold_seconds": wait_seconds})


def check_workers(db: Any, workers: Iterable[Mapping[str, Any]]) -> list[str]:
    """Remote workers (``RemoteQueue.workers()``): one that stopped sending heartbeats is lost."""
    raised = [check(db, f"worker_lost:{w['name']}", not w["live"], "alert.worker_lost", str(w["name"]),
                    {"worker": w["name"], "last_heartbeat": iso(w["last_heartbeat"]) if w["last_heartbeat"] else None,
                     "running_jobs": w.get("running_jobs", 0)}) for w in workers]
    return [r for r in raised if r]


def check_models(db: Any, states: Mapping[str, str], needed_by: Mapping[str, list[str]]) -> list[str]:
    """At start: every model a tool needs, by id → state (installed, missing, partial, corrupt)."""
    raised = [check(db, f"model_missing:{model}", state != "installed", "alert.model_missing", model,
                    {"model": model, "state": state, "tools": sorted(needed_by.get(model, []))})
              for model, state in sorted(states.items())]
    return [r for r in raised if r]


def recent(db: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The latest alerts, newest first, as their webhook bodies (for the admin API and console)."""
    rows = db.all("SELECT payload FROM alerts ORDER BY created_at DESC, id LIMIT ?", (limit,))
    return [json.loads(bytes(r["payload"])) for r in rows]
