"""Usage read from the jobs table: jobs and spend per tool and per day, units, latency.

The queries behind GET /api/v1/usage and /api/v1/status/latency live here so
``api/`` runs no SQL of its own.

Example::

    units_by_tool(db, "acct_1", "test", since=time.time() - 30 * 86400)
    # {"wait": {"second": 12.5}}: only tools with per-unit jobs appear
"""

from __future__ import annotations

from typing import Any


def units_by_tool(db: Any, account_id: str, env: str, since: float) -> dict[str, dict[str, float]]:
    """Charged units per tool and unit since ``since``; failed and cancelled jobs count 0.

    Keyed by unit as well as tool because a price may change from per second
    to per minute within the period: each unit is summed on its own.
    """
    rows = db.all(
        "SELECT tool, price_unit, SUM(units) AS units FROM jobs WHERE account_id = ? AND environment = ?"
        " AND created_at >= ? AND price_unit IS NOT NULL AND settled = 1 GROUP BY tool, price_unit"
        " ORDER BY tool, price_unit", (account_id, env, since))
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        out.setdefault(row["tool"], {})[row["price_unit"]] = round(row["units"] or 0.0, 6)
    return out


def jobs_by_tool(db: Any, account_id: str, env: str, since: float) -> list[Any]:
    """Rows of (tool, jobs, succeeded, failed, spent micro-USD) since ``since``, by tool."""
    return list(db.all(
        "SELECT tool, COUNT(*) AS jobs, SUM(status = 'succeeded') AS succeeded,"
        " SUM(status = 'failed') AS failed, SUM(charged_micros) AS spent FROM jobs"
        " WHERE account_id = ? AND environment = ? AND created_at >= ? GROUP BY tool ORDER BY tool",
        (account_id, env, since)))


def jobs_by_day(db: Any, account_id: str, env: str, since: float) -> list[Any]:
    """Rows of (day, tool, jobs, spent micro-USD) since ``since``, by UTC day and tool."""
    return list(db.all(
        "SELECT date(created_at, 'unixepoch') AS day, tool, COUNT(*) AS jobs,"
        " SUM(charged_micros) AS spent FROM jobs WHERE account_id = ? AND environment = ?"
        " AND created_at >= ? GROUP BY day, tool ORDER BY day, tool", (account_id, env, since)))


def latency(db: Any, media_type: str, since: float) -> Any:
    """(jobs, seconds, units) of the succeeded jobs of one media type finished since ``since``.

    Example: ``latency(db, "image", time.time() - 3600)["units"]`` → images processed in the last hour.
    """
    return db.one(
        "SELECT COUNT(*) AS jobs, SUM(finished_at - started_at) AS seconds, SUM(media_units) AS units"
        " FROM jobs WHERE media_type = ? AND status = 'succeeded' AND finished_at > ?", (media_type, since))
