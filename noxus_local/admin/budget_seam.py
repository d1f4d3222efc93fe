"""The one place the admin API stores a key's budget: ``store_budget`` / ``budget_of``.

SEAM (issue 25 item 1 is built in parallel as ``billing/budgets.py``): until it
is merged these two functions keep ``max_spend_usd``, ``budget_period`` and
``soft_limit_usd`` in the ``key_budget_settings`` table, shown by the admin API
and the console but NOT enforced. At the merge, point both at
``billing.budgets.set_budget`` / ``budget_of`` and nothing else in the admin
API changes. The budgets branch (branch ``budget``, as of this writing) names them
``billing.budgets.set_budget(db, key_id, max_spend_usd, period, soft_limit_usd)``
(ValidationError / KeyError), ``clear_budget(db, key_id)``, ``copy_budget(db,
from_key, to_key)`` (what ``admin.keys.rotate_key`` does here by hand),
``budget_of`` / ``budgets_of`` returning ``Budget.as_api()`` with ``spent_usd``,
``held_usd`` and ``resets_at`` besides the three settings; then
``key_budget_settings`` (migration v16) can be dropped.

Example::

    store_budget(db, "key_ab12", 5_000_000, "month", 4_000_000)
    budget_of(db, "key_ab12")  # {"max_spend_micros": 5000000, "budget_period": "month", ...}
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from noxus_local.store.db import Database

ENFORCED = False  # True once billing/budgets.py enforces budgets inside the hold


def store_budget(conn: sqlite3.Connection, key_id: str, max_spend_micros: int | None, period: str,
                 soft_limit_micros: int | None) -> None:
    """Set (or, with both limits None, clear) a key's budget, inside the caller's ``db.write()``."""
    if max_spend_micros is None and soft_limit_micros is None:
        conn.execute("DELETE FROM key_budget_settings WHERE key_id = ?", (key_id,))
        return
    conn.execute(
        "INSERT INTO key_budget_settings (key_id, max_spend_micros, budget_period, soft_limit_micros, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET max_spend_micros = excluded.max_spend_micros,"
        " budget_period = excluded.budget_period, soft_limit_micros = excluded.soft_limit_micros,"
        " updated_at = excluded.updated_at", (key_id, max_spend_micros, period, soft_limit_micros, time.time()))


def budgets(db: Database) -> dict[str, dict[str, Any]]:
    """Every key's stored budget by key id."""
    return {row["key_id"]: dict(row) for row in db.all("SELECT * FROM key_budget_settings")}


def budget_of(db: Database, key_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM key_budget_settings WHERE key_id = ?", (key_id,))
    return dict(row) if row else None
