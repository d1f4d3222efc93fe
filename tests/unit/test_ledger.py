import sqlite3
import threading

import pytest

from noxus_local.billing import ledger


def test_credit_hold_settle_rows_carry_balance_after(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "test", 10_000_000)
        assert ledger.hold(conn, "acme", "test", 2000, "job_1") is not None
        ledger.settle(conn, "acme", "test", hold_micros=2000, charge_micros=1500, job_id="job_1")
    rows = [tuple(r) for r in db.all(
        "SELECT kind, amount_micros, balance_after_micros, available_after_micros FROM ledger ORDER BY id")]
    assert rows == [("credit", 10_000_000, 10_000_000, 10_000_000),
                    ("hold", 2000, 10_000_000, 9_998_000),
                    ("charge", 1500, 9_998_500, 9_998_000),
                    ("release", 500, 9_998_500, 9_998_500)]
    view = ledger.read_balance(db.conn(), "acme", "test")
    assert (view.balance_micros, view.held_micros, view.lifetime_spent_micros) == (9_998_500, 0, 1500)


def test_hold_refused_when_available_is_short(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "test", 3000)
        assert ledger.hold(conn, "acme", "test", 2000, "job_1") is not None
        assert ledger.hold(conn, "acme", "test", 2000, "job_2") is None
    assert ledger.read_balance(db.conn(), "acme", "test").available_micros == 1000


def test_environments_are_separate(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "live", 5000)
        assert ledger.hold(conn, "acme", "test", 1, "job_1") is None
    assert ledger.read_balance(db.conn(), "acme", "live").balance_micros == 5000


def test_charge_above_hold_is_refused(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "test", 5000)
        ledger.hold(conn, "acme", "test", 2000, "job_1")
        with pytest.raises(ValueError):
            ledger.settle(conn, "acme", "test", hold_micros=2000, charge_micros=2001, job_id="job_1")


def test_ledger_is_append_only(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "test", 5000)
    with pytest.raises(sqlite3.IntegrityError), db.write() as conn:
        conn.execute("UPDATE ledger SET amount_micros = 1")
    with pytest.raises(sqlite3.IntegrityError), db.write() as conn:
        conn.execute("DELETE FROM ledger")


def test_balance_can_never_go_negative_even_by_hand(db):
    with pytest.raises(sqlite3.IntegrityError), db.write() as conn:
        conn.execute("UPDATE balances SET balance_micros = -1 WHERE account_id = 'acme'")


def test_concurrent_holds_spend_exactly_the_balance(db):
    """8 threads x 40 holds of 1000 on a balance of 100_000: exactly 100 succeed."""
    with db.write() as conn:
        ledger.credit(conn, "acme", "test", 100_000)
    wins: list[int] = []

    def worker(n: int) -> None:
        for i in range(40):
            with db.write() as conn:
                if ledger.hold(conn, "acme", "test", 1000, f"job_{n}_{i}") is not None:
                    ledger.settle(conn, "acme", "test", 1000, 1000, f"job_{n}_{i}")
                    wins.append(1)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 100
    assert ledger.audit(db.conn(), "acme", "test") == {"balance_micros": 0, "held_micros": 0,
                                                        "spent_micros": 100_000}
    assert ledger.read_balance(db.conn(), "acme", "test").balance_micros == 0
