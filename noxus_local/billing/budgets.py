"""Per-key budgets (issue 25 item 1): a cap on what one API key may spend per day, week, month or in total.

Why a counter row: the check runs inside the submit transaction (``BEGIN IMMEDIATE``, beside the balance
hold), so it must cost one primary-key read, not a sum over the key's jobs. ``key_budgets`` keeps, per key,
the cap, the period, an optional soft limit (alerts only), the start of the current window, what was
charged in that window (``spent_micros``) and what its unsettled jobs hold (``held_micros``). A hold
passes only when ``spent + held + hold <= cap``; settling moves the job's charge into ``spent`` (in the
window the charge happens in, as its ledger row) and drops its hold. Both run in the transactions that move
the money, so under any concurrency a key never spends past its cap.

Windows are calendar windows in UTC: a day starts at 00:00 UTC, a week on Monday 00:00 UTC (ISO weeks), a
month on the 1st at 00:00 UTC; ``total`` never resets. The counter rolls over lazily: the first hold or
settlement after the window ended starts the new one at 0 spent (holds of jobs still running carry over).

Example::

    set_budget(db, "key_abc", "5", "month", soft_limit_usd="4")
    budget_of(db, "key_abc").as_api()   # {"max_spend_usd": "5", "period": "month", "spent_usd": "0", ...}
    with db.write() as conn:
        reserve(conn, "key_abc", 2000)   # raises KeyBudgetExceeded (402) past the cap
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from noxus_local.errors import KeyBudgetExceeded, ValidationError, one_of
from noxus_local.locale import t
from noxus_local.money import format_usd, parse_usd

PERIODS = ("day", "week", "month", "total")
MAX_USD = 1_000_000_000  # a cap above a billion USD is a typo; it also keeps micros inside SQLite's INTEGER


@dataclass(frozen=True)
class Budget:
    """A key's budget with its window counters, as of ``now`` (a window that ended reads as a fresh one)."""

    key_id: str
    max_spend_micros: int
    period: str
    soft_limit_micros: int | None
    window_start: float
    spent_micros: int
    held_micros: int

    @property
    def resets_at(self) -> float | None:
        """When the window ends (unix seconds); None for ``total``."""
        return window_end(self.period, self.window_start)

    @property
    def at_cap(self) -> bool:
        return self.spent_micros >= self.max_spend_micros

    @property
    def at_soft_limit(self) -> bool:
        return self.soft_limit_micros is not None and self.spent_micros >= self.soft_limit_micros

    def as_api(self) -> dict[str, Any]:
        """The JSON form the CLI and the admin API show: amounts as USD strings, times as ISO 8601 UTC."""
        return {"key_id": self.key_id, "max_spend_usd": format_usd(self.max_spend_micros), "period": self.period,
                "soft_limit_usd": None if self.soft_limit_micros is None else format_usd(self.soft_limit_micros),
                "spent_usd": format_usd(self.spent_micros), "held_usd": format_usd(self.held_micros),
                "window_start": iso(self.window_start) if self.period != "total" else None,
                "resets_at": iso(self.resets_at)}


def iso(moment: float | None) -> str | None:
    """Unix seconds → ``2026-12-07T00:00:00Z``; None stays None."""
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_LAST: dict[str, tuple[float, float]] = {}  # period → the last window computed: a memo, not state


def window_start(period: str, now: float) -> float:
    """Start of the calendar window (UTC) that holds ``now``; 0 for ``total``.

    Example: ``window_start("week", <Wed 2026-12-09 15:00 UTC>)`` → Mon 2026-12-07 00:00 UTC.
    The last window per period is remembered, so the request path does no date arithmetic.
    """
    last = _LAST.get(period)
    if last is not None and last[0] <= now < last[1]:
        return last[0]
    start = _window_start(period, now)
    end = window_end(period, start)
    if end is not None:
        _LAST[period] = (start, end)
    return start


def _window_start(period: str, now: float) -> float:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day.timestamp()
    if period == "week":
        return (day - dt.timedelta(days=day.weekday())).timestamp()
    if period == "month":
        return day.replace(day=1).timestamp()
    if period == "total":
        return 0.0
    raise ValueError(f"unknown budget period {period!r}")


def window_end(period: str, start: float) -> float | None:
    """End of the window that starts at ``start`` (the next one's start); None for ``total``."""
    if period == "total":
        return None
    begin = dt.datetime.fromtimestamp(start, dt.UTC)
    if period == "day":
        return (begin + dt.timedelta(days=1)).timestamp()
    if period == "week":
        return (begin + dt.timedelta(days=7)).timestamp()
    if period == "month":
        year, month = (begin.year + 1, 1) if begin.month == 12 else (begin.year, begin.month + 1)
        return begin.replace(year=year, month=month, day=1).timestamp()
    raise ValueError(f"unknown budget period {period!r}")


def _amount(name: str, value: Any) -> int:
    """A USD amount from the CLI, config or admin API; a clear 400 for ``-1``, ``"abc"``, ``1e999``, a bool."""
    try:
        if isinstance(value, bool) or value is None:
            raise ValueError(value)
        micros = parse_usd(str(value))
        if micros > MAX_USD * 1_000_000:
            raise ValueError(value)
        return micros
    except ValueError:
        raise ValidationError.fields({name: [t("budgets.must_usd_amount_from", max_usd=MAX_USD)]}) from None


def parse_budget(max_spend_usd: Any, period: Any = "month",
                 soft_limit_usd: Any = None) -> tuple[int, str, int | None]:
    """Check a budget's three values; (cap micros, period, soft limit micros or None), else 400.

    Example: ``parse_budget("5", "month", "4")`` → ``(5_000_000, "month", 4_000_000)``;
    ``parse_budget("-1")`` raises ValidationError with ``field_errors.max_spend_usd``.
    """
    cap = _amount("max_spend_usd", max_spend_usd)
    if period not in PERIODS:
        raise ValidationError.fields({"budget_period": [one_of(PERIODS)]})
    soft = None if soft_limit_usd in (None, "") else _amount("soft_limit_usd", soft_limit_usd)
    if soft is not None and soft > cap:
        raise ValidationError.fields({"soft_limit_usd": [t("budgets.cannot_above_max_spend")]})
    return cap, str(period), soft


def spent_in_window(conn: Any, key_id: str, since: float) -> int:
    """What the ledger charged for the key's jobs since ``since``: the truth the counter row mirrors.

    An indexed sum (``jobs_key_finished`` then ``ledger_job``): used when a budget is set and by tests and
    doctor to check the counter, never on the request path. ``conn`` is a sqlite3 connection or a Database.
    """
    row = _one(conn, "SELECT COALESCE(SUM(l.amount_micros), 0) FROM jobs j JOIN ledger l ON l.job_id = j.id"
                     " WHERE j.key_id = ? AND l.kind = 'charge' AND l.created_at >= ?", (key_id, since))
    return int(row[0])


def _held_now(conn: sqlite3.Connection, key_id: str) -> int:
    row = conn.execute("SELECT COALESCE(SUM(hold_micros), 0) FROM jobs WHERE key_id = ? AND settled = 0",
                       (key_id,)).fetchone()
    return int(row[0])


def _one(conn: Any, sql: str, args: tuple[Any, ...]) -> Any:
    return conn.execute(sql, args).fetchone() if isinstance(conn, sqlite3.Connection) else conn.one(sql, args)


def set_budget(db: Any, key_id: str, max_spend_usd: Any, period: Any = "month",
               soft_limit_usd: Any = None, now: float | None = None) -> Budget:
    """Give ``key_id`` a budget (or change it); its counters start from the ledger and the running jobs.

    Raises ValidationError (400) for a bad amount or period and KeyError for an unknown key. Changing a
    budget re-arms the key's budget alerts. Example: ``set_budget(db, "key_1", "5", "week", "4")``.
    """
    cap, period, soft = parse_budget(max_spend_usd, period, soft_limit_usd)
    moment = time.time() if now is None else now
    start = window_start(period, moment)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)).fetchone() is None:
            raise KeyError(key_id)
        spent, held = spent_in_window(conn, key_id, start), _held_now(conn, key_id)
        conn.execute(
            "INSERT INTO key_budgets (key_id, max_spend_micros, period, soft_limit_micros, window_start,"
            " spent_micros, held_micros, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key_id) DO UPDATE SET"
            " max_spend_micros = excluded.max_spend_micros, period = excluded.period,"
            " soft_limit_micros = excluded.soft_limit_micros, window_start = excluded.window_start,"
            " spent_micros = excluded.spent_micros, held_micros = excluded.held_micros,"
            " updated_at = excluded.updated_at", (key_id, cap, period, soft, start, spent, held, moment))
        for prefix in (f"key_cap:{key_id}:", f"key_soft_limit:{key_id}:"):  # not LIKE: "_" is its wildcard
            conn.execute("DELETE FROM alert_state WHERE substr(name, 1, ?) = ?", (len(prefix), prefix))
    return Budget(key_id, cap, period, soft, start, spent, held)


def clear_budget(db: Any, key_id: str) -> bool:
    """Remove the key's budget (no cap any more); False when it had none."""
    with db.write() as conn:
        return conn.execute("DELETE FROM key_budgets WHERE key_id = ?", (key_id,)).rowcount == 1


def copy_budget(db: Any, from_key: str, to_key: str) -> Budget | None:
    """A rotated key keeps its budget: the new key gets the same cap, period and soft limit."""
    old = budget_of(db, from_key)
    if old is None:
        return None
    soft = None if old.soft_limit_micros is None else format_usd(old.soft_limit_micros)
    return set_budget(db, to_key, format_usd(old.max_spend_micros), old.period, soft)


def budget_of(db: Any, key_id: str, now: float | None = None) -> Budget | None:
    """The key's budget as of ``now`` (a window that ended shows 0 spent), or None without one."""
    row = _one(db, "SELECT * FROM key_budgets WHERE key_id = ?", (key_id,))
    return None if row is None else _view(row, time.time() if now is None else now)


def budgets_of(db: Any, key_ids: list[str], now: float | None = None) -> dict[str, Budget]:
    """Budgets of several keys in one query (a key listing); keys without one are left out."""
    if not key_ids:
        return {}
    moment = time.time() if now is None else now
    marks = ",".join("?" * len(key_ids))
    return {row["key_id"]: _view(row, moment)
            for row in db.all(f"SELECT * FROM key_budgets WHERE key_id IN ({marks})", tuple(key_ids))}


def from_row(row: Any, now: float | None = None) -> Budget:
    """A ``key_budgets`` row (any mapping with its columns) as of ``now``; for queries that join it."""
    return _view(row, time.time() if now is None else now)


def _view(row: Any, now: float) -> Budget:
    start = window_start(row["period"], now)
    spent = row["spent_micros"] if row["window_start"] >= start else 0
    return Budget(row["key_id"], row["max_spend_micros"], row["period"], row["soft_limit_micros"],
                  max(start, row["window_start"]), spent, row["held_micros"])


def _current(conn: sqlite3.Connection, key_id: str, now: float) -> Budget | None:
    """The key's row with its window rolled over when it ended (written, we hold the write lock)."""
    row = conn.execute("SELECT * FROM key_budgets WHERE key_id = ?", (key_id,)).fetchone()
    if row is None:
        return None
    budget = _view(row, now)
    if budget.window_start != row["window_start"]:
        conn.execute("UPDATE key_budgets SET window_start = ?, spent_micros = 0 WHERE key_id = ?",
                     (budget.window_start, key_id))
    return budget


def reserve(conn: sqlite3.Connection, key_id: str, micros: int, now: float | None = None) -> Budget | None:
    """Count a new hold against the key's cap, in the caller's write transaction; None without a budget.

    Raises KeyBudgetExceeded (402, details cap_usd, spent_usd, held_usd, period, resets_at) when
    ``spent + held + micros`` would pass the cap; the caller's transaction then rolls back the balance hold.
    """
    budget = _current(conn, key_id, time.time() if now is None else now)
    if budget is None:
        return None
    if budget.spent_micros + budget.held_micros + micros > budget.max_spend_micros:
        raise KeyBudgetExceeded(details={
            "cap_usd": format_usd(budget.max_spend_micros), "spent_usd": format_usd(budget.spent_micros),
            "held_usd": format_usd(budget.held_micros), "estimated_usd": format_usd(micros),
            "period": budget.period, "resets_at": iso(budget.resets_at)})
    conn.execute("UPDATE key_budgets SET held_micros = held_micros + ? WHERE key_id = ?", (micros, key_id))
    return Budget(key_id, budget.max_spend_micros, budget.period, budget.soft_limit_micros,
                  budget.window_start, budget.spent_micros, budget.held_micros + micros)


def settle(conn: sqlite3.Connection, key_id: str | None, hold_micros: int, charge_micros: int,
           now: float | None = None) -> Budget | None:
    """A job's hold ends: its charge joins the window's spend, its hold leaves; None without a budget."""
    if key_id is None:
        return None
    budget = _current(conn, key_id, time.time() if now is None else now)
    if budget is None:
        return None
    held = max(0, budget.held_micros - hold_micros)
    conn.execute("UPDATE key_budgets SET held_micros = ?, spent_micros = spent_micros + ? WHERE key_id = ?",
                 (held, charge_micros, key_id))
    return Budget(key_id, budget.max_spend_micros, budget.period, budget.soft_limit_micros,
                  budget.window_start, budget.spent_micros + charge_micros, held)
