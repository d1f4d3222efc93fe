"""Usage for the operator: jobs and spend grouped by account, key, tool and/or day, over any accounts.

Read from the jobs table (a job's ``charged_micros`` is what the ledger charged
for it), so the sums here equal the ledger's ``charge`` rows of those jobs.
Times are the jobs' creation times, days are UTC.

Example::

    usage(db, group_by=("day", "tool"), since=time.time() - 30 * 86400)
    # [{"day": "2026-12-01", "tool": "qr", "jobs": 3, "succeeded": 3, "failed": 0, "spent_usd": "0.006"}, ...]
"""

from __future__ import annotations

import re
import time
from typing import Any

from noxus_local.admin import inputs
from noxus_local.locale import t
from noxus_local.money import format_usd
from noxus_local.store.db import Database

# dimension → (SQL expression, output name); the names are stable API fields
DIMENSIONS = {"account": ("account_id", "account_id"), "key": ("key_id", "key_id"), "tool": ("tool", "tool"),
              "day": ("date(created_at, 'unixepoch')", "day"), "environment": ("environment", "environment")}
DEFAULT_DAYS = 30
_DIMENSION = "(?:" + "|".join(DIMENSIONS) + ")"
GROUP_BY_PATTERN = f"^{_DIMENSION}(?:,{_DIMENSION}){{0,2}}$"  # published as is in the OpenAPI document
_GROUP_BY = re.compile(GROUP_BY_PATTERN)


def parse_group_by(raw: str | None) -> tuple[str, ...]:
    """``"day,tool"`` → ``("day", "tool")``: 1 to 3 known dimensions, comma-separated, no spaces (a repeat
    counts once); absent is ``("account",)``; anything else is a 400 naming ``group_by``."""
    if raw is None:
        return ("account",)
    if not isinstance(raw, str) or not _GROUP_BY.fullmatch(raw):
        raise inputs.bad("group_by", t("admin_usage.group_by", dimensions=", ".join(DIMENSIONS)))
    return tuple(dict.fromkeys(raw.split(",")))


def usage(db: Database, *, group_by: tuple[str, ...] = ("account",), since: float | None = None,
          until: float | None = None, account_id: str | None = None,
          environment: str | None = None) -> dict[str, Any]:
    """Jobs, successes, failures and spend per group between ``since`` (default 30 days ago) and ``until``.

    Returns ``{"since", "until", "group_by", "rows": [...], "total_spent_usd", "total_jobs"}``.
    """
    since = time.time() - DEFAULT_DAYS * 86400 if since is None else since
    until = time.time() + 1 if until is None else until
    columns = [f"{DIMENSIONS[d][0]} AS {DIMENSIONS[d][1]}" for d in group_by]
    where, args = ["created_at >= ?", "created_at < ?"], [since, until]
    for column, value in (("account_id", account_id), ("environment", environment)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    names = ", ".join(DIMENSIONS[d][1] for d in group_by)
    rows = db.all(f"SELECT {', '.join(columns)}, COUNT(*) AS jobs, SUM(status = 'succeeded') AS succeeded,"
                  f" SUM(status = 'failed') AS failed, COALESCE(SUM(charged_micros), 0) AS spent FROM jobs"
                  f" WHERE {' AND '.join(where)} GROUP BY {names} ORDER BY {names}", tuple(args))
    out = [{**{DIMENSIONS[d][1]: r[DIMENSIONS[d][1]] for d in group_by}, "jobs": r["jobs"],
            "succeeded": r["succeeded"] or 0, "failed": r["failed"] or 0, "spent_usd": format_usd(r["spent"])}
           for r in rows]
    return {"since": inputs.iso(since), "until": inputs.iso(until), "group_by": list(group_by), "rows": out,
            "total_jobs": sum(r["jobs"] for r in rows), "total_spent_usd": format_usd(sum(r["spent"] for r in rows))}
