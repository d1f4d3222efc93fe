"""The console's adapter over the admin service: what only a web page needs, nothing the service already does.

Every read and every change goes through ``noxus_local/admin/service.py`` (the
functions the REST API and the CLI call), with an audit ``Actor`` whose door
is ``console``: a key created from the console lands in the same audit log,
under the same dotted action (``key.create``, ``key.revoke``, ``key.budget``,
``account.credit``), as one created through ``/api/v1/admin/keys``. What stays
here is the page shape only: the live jobs list (unfinished jobs first), the
overview's two charts (spend per UTC day and per tool, from ``admin.usage``
with the past days kept a while, see ``SpendHistory``) and per-account
balances flattened for a table.

Example::

    actor = console_actor("10.0.0.7")                 # Actor("admin", "console", "10.0.0.7")
    view = overview(svc)                              # admin.overview + the charts + balances per account
    plain, key = admin.create_key(svc.db, actor, "default", name="ci", environment="test")
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from noxus_local.admin import service as admin
from noxus_local.admin.alert_delivery import recent_alerts
from noxus_local.admin.inputs import iso
from noxus_local.money import parse_usd
from noxus_local.node.services import Services

PERIODS = ("day", "week", "month", "total")
CHART_DAYS = 30
LIVE_JOBS = 50


def console_actor(address: str | None) -> admin.Actor:
    """Who acts from the console: the one admin token's holder, through the console, from ``address``."""
    return admin.Actor("admin", "console", address)


def _day_start(now: float) -> float:
    day = dt.datetime.fromtimestamp(now, dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


Row = tuple[str, str, int, int]  # (UTC day, tool, micro-USD spent, jobs)


def spend_rows(svc: Services, since: float, until: float | None = None) -> list[Row]:
    """Spend per (day, tool) in [since, until), read through ``admin.usage`` (the jobs' charges)."""
    view = admin.usage(svc.db, group_by=("day", "tool"), since=since, until=until)
    return [(r["day"], r["tool"], parse_usd(r["spent_usd"]), int(r["jobs"])) for r in view["rows"]]


class SpendHistory:
    """The chart rows of the days before today, read once and kept for ``keep_seconds``.

    Why: the jobs table has no index on ``created_at``, so 30 days grouped by day
    and tool scans every row (100-200 ms at 100,000 jobs). Past days hardly
    change, so they are read at most every ``keep_seconds`` (and again when the
    day turns); today is read live on every view. One per app (ConsoleState).

    Example: ``rows = SpendHistory().past(svc, since=today - 29 * 86400, today=today)``
    """

    def __init__(self, keep_seconds: float = 300.0) -> None:
        self.keep_seconds = keep_seconds
        self._key: tuple[float, float] | None = None
        self._read_at = 0.0
        self._rows: list[Row] = []
        self._lock = threading.Lock()

    def past(self, svc: Services, since: float, today: float) -> list[Row]:
        with self._lock:
            if self._key != (since, today) or time.monotonic() - self._read_at > self.keep_seconds:
                self._rows = spend_rows(svc, since, today)
                self._key, self._read_at = (since, today), time.monotonic()
            return self._rows


def _chart_rows(svc: Services, now: float, history: SpendHistory | None) -> list[Row]:
    today = _day_start(now)
    since = today - (CHART_DAYS - 1) * 86400
    past = history.past(svc, since, today) if history is not None else spend_rows(svc, since, today)
    return [*past, *spend_rows(svc, today)]


def _per_day(rows: list[Row], now: float) -> list[dict[str, Any]]:
    spent: dict[str, int] = {}
    for day, _tool, micros, _jobs in rows:
        spent[day] = spent.get(day, 0) + micros
    first = _day_start(now) - (CHART_DAYS - 1) * 86400
    labels = [dt.datetime.fromtimestamp(first + n * 86400, dt.UTC).strftime("%Y-%m-%d") for n in range(CHART_DAYS)]
    return [{"label": day, "micros": spent.get(day, 0)} for day in labels]


def _per_tool(rows: list[Row]) -> list[dict[str, Any]]:
    spent: dict[str, list[int]] = {}
    for _day, tool, micros, jobs in rows:
        entry = spent.setdefault(tool, [0, 0])
        entry[0] += micros
        entry[1] += jobs
    ranked = sorted(spent.items(), key=lambda item: (-item[1][0], item[0]))
    return [{"label": tool, "micros": micros, "jobs": jobs} for tool, (micros, jobs) in ranked]


def balances(svc: Services) -> list[dict[str, Any]]:
    """``admin.list_accounts`` as one table row per account and environment."""
    return [{"account_id": a["id"], "status": a["status"], "environment": env, **view}
            for a in admin.list_accounts(svc.db) for env, view in a["balances"].items()]


def overview(svc: Services, history: SpendHistory | None = None, now: float | None = None) -> dict[str, Any]:
    """``admin.overview`` (jobs per status from trigger-kept counts, spend today/this month from the
    ledger's index, capacity) plus balances per account and the two charts' data (last 30 UTC days).

    Example: ``overview(svc)["spend"]["today_usd"]`` → ``"0.006"``; ``overview(svc)["per_day"][-1]["micros"]``.
    """
    now = time.time() if now is None else now
    rows = _chart_rows(svc, now, history)
    return {**admin.overview(svc, now), "accounts_balances": balances(svc),
            "per_day": _per_day(rows, now), "per_tool": _per_tool(rows)}


def list_jobs(svc: Services, *, status: str | None = None, limit: int = LIVE_JOBS) -> list[dict[str, Any]]:
    """The live list: running and queued jobs first (newest first), then the newest others, ``limit`` in all."""
    if status:
        return admin.list_jobs(svc.db, status=status, limit=limit)[0]
    unfinished = sorted([*admin.list_jobs(svc.db, status="running", limit=limit)[0],
                         *admin.list_jobs(svc.db, status="queued", limit=limit)[0]],
                        key=lambda j: j["created_at"] or "", reverse=True)[:limit]
    seen = {j["job_id"] for j in unfinished}
    newest = [j for j in admin.list_jobs(svc.db, limit=limit)[0] if j["job_id"] not in seen]
    return [*unfinished, *newest][:limit]


def audit(svc: Services, limit: int = 200) -> list[dict[str, Any]]:
    """The audit log, newest first (the same rows as ``GET /api/v1/admin/audit``)."""
    return [{**e, "at": iso(e["at"])} for e in admin.list_entries(svc.db, limit=limit)[0]]


def alerts(svc: Services, limit: int = 100) -> list[dict[str, Any]]:
    """Recent operator alerts with their webhook's delivery state (admin/alert_delivery.py)."""
    return recent_alerts(svc.db, limit)


__all__ = ["PERIODS", "SpendHistory", "alerts", "audit", "balances", "console_actor", "list_jobs",
           "overview", "spend_rows"]
