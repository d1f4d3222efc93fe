"""Usage read from the jobs table: the units per-unit tools were charged for.

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
