"""What the console reads and changes, behind one small interface (issue 25 item 5).

The console's pages call only these functions. Today they read the existing
stores directly (accounts, keys, ledger, jobs, the model registry, doctor);
their names follow the admin service's (``noxus_local/admin/service.py``,
built alongside), so pointing the console at it later changes this module
only. Every function takes the services bundle and returns plain dicts and
lists, ready for a template: no HTTP, no Litestar here.

Example::

    view = overview(svc)            # balances, spend today/month, jobs per status, capacity
    plain, key_id = create_key(svc, account_id="default", name="ci", environment="test")
    set_key_budget(svc, key_id, max_spend_micros=1_000_000, period="day")  # billing/budgets.py
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import asdict
from typing import Any

from noxus_local.accounts import keys as key_store
from noxus_local.accounts import store as account_store
from noxus_local.billing import budgets as budget_store
from noxus_local.jobs import backlog
from noxus_local.money import format_usd
from noxus_local.node.services import Services

log = logging.getLogger("noxus_local.console.audit")
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
PERIODS = ("day", "week", "month", "total")
AUDIT_TABLES = ("admin_audit", "audit_log")  # the admin branch's audit table, whichever name it takes


class UnknownTarget(Exception):
    """The key or account named by a form does not exist (or the key is already revoked)."""


def _day_start(now: float) -> float:
    day = dt.datetime.fromtimestamp(now, dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def _month_start(now: float) -> float:
    day = dt.datetime.fromtimestamp(now, dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def iso(moment: float | None) -> str:
    """A stored epoch as ``2026-12-06 17:49:01Z``; empty for none."""
    if not moment:
        return ""
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class SpendHistory:
    """Spend per UTC day and tool for the days before today, read once and kept for ``keep_seconds``.

    Why: the jobs table has no index on ``created_at`` (none is added here), so a
    30-day GROUP BY scans and sorts every row: 100-200 ms at 100,000 jobs. Past
    days hardly change, so they are read at most every ``keep_seconds`` (and
    again when the day turns); today is read live on every view (one scan, no
    sort of old rows). A job created on an earlier day and settled since shows
    within ``keep_seconds``. One per app (ConsoleState), never module-wide.

    Example: ``rows = SpendHistory().past(svc, since=day_start - 29 * 86400, today=day_start)``
    """

    def __init__(self, keep_seconds: float = 300.0) -> None:
        self.keep_seconds = keep_seconds
        self._key: tuple[float, float] | None = None
        self._read_at = 0.0
        self._rows: list[tuple[str, str, int, int]] = []
        self._lock = threading.Lock()

    def past(self, svc: Services, since: float, today: float) -> list[tuple[str, str, int, int]]:
        with self._lock:
            if self._key != (since, today) or time.monotonic() - self._read_at > self.keep_seconds:
                self._rows = spend_rows(svc, since, today)
                self._key, self._read_at = (since, today), time.monotonic()
            return self._rows


def spend_rows(svc: Services, since: float, until: float | None = None) -> list[tuple[str, str, int, int]]:
    """(UTC day, tool, micro-USD charged, jobs) of settled jobs created in [since, until)."""
    upper, args = ("AND created_at < ?", (since, until)) if until is not None else ("", (since,))
    rows = svc.db.all("SELECT date(created_at, 'unixepoch') AS day, tool, SUM(charged_micros), COUNT(*) FROM jobs"
                      f" WHERE created_at >= ? {upper} AND settled = 1 GROUP BY day, tool", args)
    return [(r[0], r[1], int(r[2] or 0), int(r[3])) for r in rows]


def _spend(svc: Services, now: float, history: SpendHistory | None) -> tuple[list[tuple[str, str, int, int]], float]:
    """Every (day, tool) row since the earlier of the month's first day and 29 days ago, and that start."""
    today = _day_start(now)
    since = min(_month_start(now), today - 29 * 86400)
    past = history.past(svc, since, today) if history is not None else spend_rows(svc, since, today)
    return [*past, *spend_rows(svc, today)], since


def overview(svc: Services, history: SpendHistory | None = None, now: float | None = None) -> dict[str, Any]:
    """Balances per account, spend today and this month, jobs per status, capacity, and the two charts' data.

    Spend is what settled jobs were charged (``jobs.charged_micros``), the same
    figure GET /api/v1/usage reports. Jobs per status come from the
    ``jobs_status`` index; spend from ``history`` plus today's rows
    (bench_console.py: 100,000 jobs).
    """
    now = time.time() if now is None else now
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in svc.db.all("SELECT status, COUNT(*) FROM jobs GROUP BY status"):
        counts[status] = count
    rows, _ = _spend(svc, now, history)
    today = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d")
    month = today[:8]
    return {"balances": balances(svc),
            "spent_today": format_usd(sum(r[2] for r in rows if r[0] == today)),
            "spent_month": format_usd(sum(r[2] for r in rows if r[0].startswith(month))),
            "jobs": counts, "capacity": capacity(svc, counts),
            "per_day": _per_day(rows, now), "per_tool": _per_tool(rows, now)}


def balances(svc: Services) -> list[dict[str, Any]]:
    """One row per account and environment: balance, held, available, lifetime spent (USD strings)."""
    rows = svc.db.all("SELECT a.id, a.name, a.status, a.tier, b.environment, b.balance_micros, b.held_micros,"
                      " b.lifetime_spent_micros FROM accounts a JOIN balances b ON b.account_id = a.id"
                      " ORDER BY a.id, b.environment")
    return [{"account_id": r["id"], "name": r["name"], "status": r["status"], "tier": r["tier"],
             "environment": r["environment"], "balance": format_usd(r["balance_micros"]),
             "held": format_usd(r["held_micros"]),
             "available": format_usd(r["balance_micros"] - r["held_micros"]),
             "spent": format_usd(r["lifetime_spent_micros"])} for r in rows]


def capacity(svc: Services, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """Running and queued jobs and, per compute resource, slots and busy slots (the compute pool).

    ``counts`` (jobs per status, when the caller has them) saves a second look at the jobs table.
    """
    if counts is None:
        running, queued = backlog.job_counts(svc.db)
    else:
        running, queued = counts.get("running", 0), counts.get("queued", 0)
    resources = [{"name": name, "slots": r["capacity"], "busy": r["busy"], "waiting": r["waiting"]}
                 for name, r in svc.pool.snapshot().items()]
    return {"running": running, "queued": queued, "workers": svc.cfg.jobs.workers, "resources": resources}


def _per_day(rows: list[tuple[str, str, int, int]], now: float, days: int = 30) -> list[dict[str, Any]]:
    spent: dict[str, int] = {}
    for day, _tool, micros, _jobs in rows:
        spent[day] = spent.get(day, 0) + micros
    first = _day_start(now) - (days - 1) * 86400
    labels = [dt.datetime.fromtimestamp(first + n * 86400, dt.UTC).strftime("%Y-%m-%d") for n in range(days)]
    return [{"label": day, "micros": spent.get(day, 0)} for day in labels]


def _per_tool(rows: list[tuple[str, str, int, int]], now: float, days: int = 30) -> list[dict[str, Any]]:
    first = dt.datetime.fromtimestamp(_day_start(now) - (days - 1) * 86400, dt.UTC).strftime("%Y-%m-%d")
    spent: dict[str, list[int]] = {}
    for day, tool, micros, jobs in rows:
        if day >= first:
            entry = spent.setdefault(tool, [0, 0])
            entry[0] += micros
            entry[1] += jobs
    ranked = sorted(spent.items(), key=lambda item: (-item[1][0], item[0]))
    return [{"label": tool, "micros": micros, "jobs": jobs} for tool, (micros, jobs) in ranked]


def spend_per_day(svc: Services, days: int = 30, now: float | None = None) -> list[dict[str, Any]]:
    """The last ``days`` UTC days, oldest first, every day present (0 when nothing was spent)."""
    now = time.time() if now is None else now
    return _per_day(spend_rows(svc, _day_start(now) - (days - 1) * 86400), now, days)


def spend_per_tool(svc: Services, days: int = 30, now: float | None = None) -> list[dict[str, Any]]:
    """Spend and job count per tool over the last ``days`` days, biggest spender first."""
    now = time.time() if now is None else now
    return _per_tool(spend_rows(svc, _day_start(now) - (days - 1) * 86400), now, days)


JOB_COLUMNS = ("id, account_id, environment, key_id, tool, status, progress, charged_micros, error_code, created_at,"
               " finished_at")


def list_jobs(svc: Services, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Unfinished jobs first, then the newest others, ``limit`` in all, with progress 0..100 (the live list).

    Polled every two seconds, so no query sorts the whole table: unfinished jobs come from the
    ``jobs_status`` index, the newest by rowid (rows are inserted as jobs are submitted).
    """
    if status:
        rows = list(svc.db.all(f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY rowid DESC LIMIT ?",
                               (status, limit)))
    else:
        rows = list(svc.db.all(f"SELECT {JOB_COLUMNS} FROM jobs WHERE status IN ('running', 'queued')"
                               " ORDER BY rowid DESC LIMIT ?", (limit,)))
        seen = {r["id"] for r in rows}
        rows += [r for r in svc.db.all(f"SELECT {JOB_COLUMNS} FROM jobs ORDER BY rowid DESC LIMIT ?", (limit,))
                 if r["id"] not in seen][:limit - len(rows)]
    return [{"id": r["id"], "account_id": r["account_id"], "environment": r["environment"], "key_id": r["key_id"],
             "tool": r["tool"], "status": r["status"], "progress": r["progress"] or 0,
             "charged": format_usd(r["charged_micros"] or 0), "error_code": r["error_code"] or "",
             "created": iso(r["created_at"]), "finished": iso(r["finished_at"])} for r in rows]


def list_keys(svc: Services) -> list[dict[str, Any]]:
    """Every key with its account, hint, state, last use (its newest job) and total spend."""
    usage = {r["key_id"]: r for r in svc.db.all(
        "SELECT key_id, MAX(created_at) AS last_used, SUM(charged_micros) AS spent, COUNT(*) AS jobs"
        " FROM jobs GROUP BY key_id")}
    out = []
    keys = key_store.list_keys(svc.db)
    budgets = budget_store.budgets_of(svc.db, [k["id"] for k in keys])
    for key in keys:
        used = usage.get(key["id"])
        budget = budgets.get(key["id"])
        out.append({**key, "created": iso(key["created_at"]), "revoked": iso(key["revoked_at"]),
                    "active": key["revoked_at"] is None,
                    "last_used": iso(used["last_used"]) if used else "",
                    "spent": format_usd(int(used["spent"] or 0)) if used else "0",
                    "jobs": used["jobs"] if used else 0,
                    "budget": budget.as_api() if budget else None})
    return out


def list_accounts(svc: Services) -> list[dict[str, Any]]:
    """Accounts with both balances, for the accounts page and the key form's account list."""
    by_account: dict[str, dict[str, Any]] = {}
    for row in balances(svc):
        entry = by_account.setdefault(row["account_id"], {"id": row["account_id"], "name": row["name"],
                                                          "status": row["status"], "tier": row["tier"]})
        entry[row["environment"]] = row["balance"]
    return list(by_account.values())


def create_key(svc: Services, *, account_id: str, name: str, environment: str) -> tuple[str, str]:
    """A new key (plain text returned once, only its hash kept) → (plain, key_id)."""
    if svc.db.one("SELECT 1 FROM accounts WHERE id = ?", (account_id,)) is None:
        raise UnknownTarget(account_id)
    plain, key_id = key_store.create_key(svc.db, account_id=account_id, name=name, environment=environment,
                                         source="console")
    assert plain is not None
    return plain, key_id


def revoke_key(svc: Services, key_id: str) -> None:
    if not key_store.revoke_key(svc.db, key_id):
        raise UnknownTarget(key_id)


def credit_account(svc: Services, account_id: str, environment: str, micros: int, note: str = "") -> str:
    """Add ``micros`` to one balance (a suspended account may be credited: money in is never refused,
    its keys stay refused until it is active again); returns the new balance in USD."""
    try:
        view = account_store.credit_account(svc.db, account_id, environment, micros, note or "console credit")
    except KeyError:
        raise UnknownTarget(account_id) from None
    return format_usd(view.balance_micros)


def set_key_budget(svc: Services, key_id: str, *, max_spend_micros: int, period: str,
                   soft_limit_micros: int | None = None) -> None:
    """Give the key a budget through billing/budgets.py (enforced in the same hold as the balance).

    Raises UnknownTarget for an unknown key and ValidationError for a soft limit above the cap.
    """
    soft = None if soft_limit_micros is None else format_usd(soft_limit_micros)
    try:
        budget_store.set_budget(svc.db, key_id, format_usd(max_spend_micros), period, soft)
    except KeyError:
        raise UnknownTarget(key_id) from None


def models(svc: Services) -> list[dict[str, Any]]:
    """Every model in the manifest: installed or not, size, where (no hashing: that is ``models verify``)."""
    from noxus_local.inference.registry.installed import ModelRegistry

    out = []
    for status in ModelRegistry.from_config(svc.cfg).list_models():
        out.append({"id": status.spec.id, "state": status.state, "installed": status.installed,
                    "size_mb": round(status.size / 2**20, 1), "problems": "; ".join(status.problems)})
    return out


def doctor(svc: Services) -> list[dict[str, str]]:
    """``noxus-local doctor``'s checks, run now (seconds: it encodes a short clip with ffmpeg)."""
    from noxus_local.ops.doctor import run_checks

    return [asdict(check) for check in run_checks(svc.cfg, "the running server")]


def workers(svc: Services) -> dict[str, Any]:
    """The queue's worker threads, the processes running jobs now (host:pid) and, in multi-host mode,
    the remote workers with their heartbeats."""
    consumer = svc.dispatcher.consumer
    threads = [{"name": getattr(process, "name", "worker"), "alive": bool(process.is_alive())}
               for _worker, process in getattr(consumer, "worker_threads", None) or []]
    running = [{"worker": r["worker"] or "", "jobs": r["jobs"], "heartbeat": iso(r["beat"])}
               for r in svc.db.all("SELECT worker, COUNT(*) AS jobs, MAX(heartbeat_at) AS beat FROM jobs"
                                   " WHERE status = 'running' GROUP BY worker ORDER BY worker")]
    remote = svc.remote.workers() if svc.remote is not None else []
    return {"backend": svc.cfg.jobs.queue_backend, "configured": svc.cfg.jobs.workers, "threads": threads,
            "running": running, "remote": [_plain(w) for w in remote]}


def _plain(worker: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in worker.items()}


def audit_log(svc: Services, limit: int = 200) -> list[dict[str, Any]] | None:
    """The admin audit log's newest rows, or None when this server has no audit table yet."""
    for table in AUDIT_TABLES:
        if svc.db.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)) is not None:
            rows = svc.db.all(f"SELECT * FROM {table} ORDER BY rowid DESC LIMIT ?", (limit,))
            return [{k: (iso(r[k]) if k.endswith("_at") or k == "at" else r[k]) for k in r.keys()} for r in rows]
    return None


def record_action(svc: Services, actor: str, action: str, target: str) -> None:
    """Who did what, when: one JSON log line and a row of the admin audit log (``admin.audit``, via "console").

    ``actor`` is ``_actor``'s "console operator at <address>"; the row's actor is ``admin`` (the one
    admin token), its ``ip`` that address.
    """
    from noxus_local.admin.audit import Actor, record

    log.info("admin action by %s: %s %s", actor, action, target)
    address = actor.rsplit(" at ", 1)[1] if " at " in actor else None
    record(svc.db, Actor("admin", "console", address), action, target)
