"""The money ledger: integer micro-USD, append-only rows, atomic holds.

Balances live in ``balances`` (balance, held); every movement appends one
``ledger`` row with ``balance_after`` and ``available_after``. All functions
taking ``conn`` must run inside ``Database.write()`` (BEGIN IMMEDIATE) so the
balance row and its ledger row change together or not at all.

Example::

    with db.write() as conn:
        credit(conn, "acct_1", "test", 10_000_000, note="top-up")
        if not hold(conn, "acct_1", "test", 2000, job_id="job_x"):
            raise InsufficientBalance()
    with db.write() as conn:
        settle(conn, "acct_1", "test", hold_micros=2000, charge_micros=2000, job_id="job_x")
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from noxus_local.money import format_usd


@dataclass(frozen=True)
class BalanceView:
    balance_micros: int
    held_micros: int
    lifetime_spent_micros: int

    @property
    def available_micros(self) -> int:
        return self.balance_micros - self.held_micros

    def as_api(self) -> dict[str, str]:
        return {"currency": "USD", "balance_usd": format_usd(self.balance_micros),
                "available_usd": format_usd(self.available_micros),
                "lifetime_spent_usd": format_usd(self.lifetime_spent_micros)}


def ensure_balance(conn: sqlite3.Connection, account_id: str, env: str) -> None:
    conn.execute("INSERT OR IGNORE INTO balances (account_id, environment) VALUES (?, ?)",
                 (account_id, env))


def read_balance(conn: sqlite3.Connection, account_id: str, env: str) -> BalanceView:
    row = conn.execute(
        "SELECT balance_micros, held_micros, lifetime_spent_micros FROM balances"
        " WHERE account_id = ? AND environment = ?", (account_id, env)).fetchone()
    if row is None:
        return BalanceView(0, 0, 0)
    return BalanceView(row[0], row[1], row[2])


def credit(conn: sqlite3.Connection, account_id: str, env: str, micros: int,
           note: str | None = None) -> BalanceView:
    """Add money (top-up or correction). Amount must be positive."""
    if micros <= 0:
        raise ValueError("credit must be positive")
    ensure_balance(conn, account_id, env)
    conn.execute("UPDATE balances SET balance_micros = balance_micros + ?"
                 " WHERE account_id = ? AND environment = ?", (micros, account_id, env))
    return _append(conn, account_id, env, "credit", micros, None, note)


def hold(conn: sqlite3.Connection, account_id: str, env: str, micros: int,
         job_id: str) -> BalanceView | None:
    """Reserve ``micros`` if available; None when the available balance is short.

    The conditional UPDATE is the guard: two concurrent holds can never both
    pass on the same money, because the WHERE clause re-reads inside the lock.
    """
    ensure_balance(conn, account_id, env)
    cur = conn.execute(
        "UPDATE balances SET held_micros = held_micros + ?"
        " WHERE account_id = ? AND environment = ? AND balance_micros - held_micros >= ?",
        (micros, account_id, env, micros))
    if cur.rowcount != 1:
        return None
    return _append(conn, account_id, env, "hold", micros, job_id, None)


def settle(conn: sqlite3.Connection, account_id: str, env: str, hold_micros: int,
           charge_micros: int, job_id: str) -> BalanceView:
    """Charge ``charge_micros`` (≤ the hold) and release the rest of the hold."""
    if not 0 <= charge_micros <= hold_micros:
        raise ValueError("charge must be between 0 and the hold")
    view = read_balance(conn, account_id, env)
    if charge_micros:
        conn.execute(
            "UPDATE balances SET balance_micros = balance_micros - ?, held_micros = held_micros - ?,"
            " lifetime_spent_micros = lifetime_spent_micros + ?"
            " WHERE account_id = ? AND environment = ?",
            (charge_micros, charge_micros, charge_micros, account_id, env))
        view = _append(conn, account_id, env, "charge", charge_micros, job_id, None)
    rest = hold_micros - charge_micros
    if rest:
        conn.execute("UPDATE balances SET held_micros = held_micros - ?"
                     " WHERE account_id = ? AND environment = ?", (rest, account_id, env))
        view = _append(conn, account_id, env, "release", rest, job_id, None)
    return view


def _append(conn: sqlite3.Connection, account_id: str, env: str, kind: str, micros: int,
            job_id: str | None, note: str | None) -> BalanceView:
    view = read_balance(conn, account_id, env)
    conn.execute(
        "INSERT INTO ledger (account_id, environment, kind, amount_micros, balance_after_micros,"
        " available_after_micros, job_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, env, kind, micros, view.balance_micros, view.available_micros, job_id, note,
         time.time()))
    return view


def audit(conn: sqlite3.Connection, account_id: str, env: str) -> dict[str, int]:
    """Recompute balance and holds from the ledger alone; used by tests and doctor."""
    sums = dict(conn.execute(
        "SELECT kind, COALESCE(SUM(amount_micros), 0) FROM ledger"
        " WHERE account_id = ? AND environment = ? GROUP BY kind", (account_id, env)).fetchall())
    balance = sums.get("credit", 0) - sums.get("charge", 0)
    held = sums.get("hold", 0) - sums.get("charge", 0) - sums.get("release", 0)
    return {"balance_micros": balance, "held_micros": held, "spent_micros": sums.get("charge", 0)}
