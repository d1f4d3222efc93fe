"""Per-key budgets (issue 25 item 1) and the alert state behind them (item 2), on the real SQLite store.

The atomic check is tested where it runs: ``jobs.store.submit`` / ``finish`` from racing threads, the same
transactions the API uses; the counters are compared with the ledger, the truth they mirror.
"""

import datetime as dt
import threading

import pytest

from noxus_local.accounts.keys import authenticate, create_key, rotate_key
from noxus_local.accounts.store import create_account, credit_account, sync_config
from noxus_local.admin import alerts
from noxus_local.billing import budgets, ledger
from noxus_local.config import load_config
from noxus_local.errors import ConfigError, KeyBudgetExceeded, ValidationError, say
from noxus_local.jobs import store as jobs


def utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


TIER = load_config(None, {}).tiers["enterprise"]


@pytest.fixture
def key(db):
    plain, key_id = create_key(db, account_id="acme", name="capped", environment="test")
    credit_account(db, "acme", "test", 10_000_000)
    return key_id, authenticate(db, plain)


def submit(db, principal, micros: int, job_id: str) -> None:
    new = jobs.NewJob(id=job_id, principal=principal, tool="qr", params={}, files=[], limits={},
                      estimate_micros=micros, request_id="req_t")
    assert jobs.submit(db, new, TIER, 24) is None


# --- window math -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "now", "start", "end"), [
    ("day", utc(2026, 12, 9, 15, 30), utc(2026, 12, 9), utc(2026, 12, 10)),
    ("day", utc(2026, 12, 31, 23, 59, 59), utc(2026, 12, 31), utc(2027, 1, 1)),
    ("week", utc(2026, 12, 9, 15), utc(2026, 12, 7), utc(2026, 12, 14)),  # a Wednesday → Monday
    ("week", utc(2026, 12, 7, 0, 0, 0), utc(2026, 12, 7), utc(2026, 12, 14)),  # Monday 00:00 is its own week
    ("week", utc(2027, 1, 2, 12), utc(2026, 12, 28), utc(2027, 1, 4)),  # across the year
    ("month", utc(2026, 12, 6, 18), utc(2026, 12, 1), utc(2027, 1, 1)),  # December → January
    ("month", utc(2028, 2, 29, 23), utc(2028, 2, 1), utc(2028, 3, 1)),  # a leap February
    ("total", utc(2026, 12, 6), 0.0, None),
])
def test_windows_are_calendar_windows_in_utc(period, now, start, end):
    assert budgets.window_start(period, now) == start
    assert budgets.window_end(period, start) == end


@pytest.mark.parametrize(("cap", "period", "soft", "field"), [
    ("-1", "month", None, "max_spend_usd"), ("abc", "month", None, "max_spend_usd"),
    (-1, "day", None, "max_spend_usd"), ("1e999", "day", None, "max_spend_usd"),
    ("0.0000001", "day", None, "max_spend_usd"), (True, "day", None, "max_spend_usd"),
    ("5", "year", None, "budget_period"), ("5", "month", "6", "soft_limit_usd"),
    ("5", "month", "-2", "soft_limit_usd"),
])
def test_bad_budgets_are_a_clear_400(db, key, cap, period, soft, field):
    with pytest.raises(ValidationError) as caught:
        budgets.set_budget(db, key[0], cap, period, soft)
    assert caught.value.status == 400
    assert list(caught.value.details["field_errors"]) == [field]
    assert say(caught.value.details["field_errors"][field][0], "en")
    assert budgets.budget_of(db, key[0]) is None


def test_a_budget_for_an_unknown_key_is_a_key_error(db):
    with pytest.raises(KeyError):
        budgets.set_budget(db, "key_nope", "5")


# --- the check inside the submit transaction -------------------------------------------------------

def test_the_third_job_past_the_cap_is_refused_with_details_and_holds_nothing(db, key):
    key_id, principal = key
    budgets.set_budget(db, key_id, "0.005", "day")
    for n in (1, 2):
        submit(db, principal, 2000, f"job_{n}")
        assert jobs.finish(db, f"job_{n}", status="succeeded", charge_micros=2000)
    before = ledger.read_balance(db.conn(), "acme", "test")
    with pytest.raises(KeyBudgetExceeded) as caught:
        submit(db, principal, 2000, "job_3")
    assert caught.value.status == 402
    details = caught.value.details
    assert (details["cap_usd"], details["spent_usd"], details["period"]) == ("0.005", "0.004", "day")
    resets = dt.datetime.fromisoformat(details["resets_at"].replace("Z", "+00:00"))
    assert (resets.hour, resets.minute) == (0, 0) and resets.timestamp() > dt.datetime.now(dt.UTC).timestamp()
    after = ledger.read_balance(db.conn(), "acme", "test")
    assert after == before  # the balance hold rolled back with the budget's refusal
    assert db.one("SELECT 1 FROM jobs WHERE id = 'job_3'") is None
    submit(db, principal, 1000, "job_4")  # what is left of the cap still passes


def test_a_failed_job_spends_nothing_of_the_budget(db, key):
    key_id, principal = key
    budgets.set_budget(db, key_id, "0.002", "total")
    submit(db, principal, 2000, "job_f")
    assert budgets.budget_of(db, key_id).held_micros == 2000
    jobs.finish(db, "job_f", status="failed", error_code="internal_error")
    b = budgets.budget_of(db, key_id)
    assert (b.spent_micros, b.held_micros) == (0, 0)
    submit(db, principal, 2000, "job_g")


def test_racing_holds_never_pass_the_cap(db, key):
    """8 threads × 15 submits of 1000 against a cap of 0.05 with settlements in between: the counter's
    spent + held never passes the cap, exactly 50 jobs get in, and the ledger agrees with the counter."""
    key_id, principal = key
    budgets.set_budget(db, key_id, "0.05", "month")
    accepted, refused, seen = [], [], []

    def worker(n: int) -> None:
        for i in range(15):
            job_id = f"job_{n}_{i}"
            try:
                submit(db, principal, 1000, job_id)
            except KeyBudgetExceeded:
                refused.append(job_id)
                continue
            accepted.append(job_id)
            with db.write() as conn:  # a reader inside the lock sees a consistent counter
                row = conn.execute("SELECT spent_micros + held_micros FROM key_budgets WHERE key_id = ?",
                                   (key_id,)).fetchone()
                seen.append(row[0])
            if i % 2:
                jobs.finish(db, job_id, status="succeeded", charge_micros=1000)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 50 and len(refused) == 70
    assert max(seen) <= 50_000
    for job_id in accepted:
        jobs.finish(db, job_id, status="succeeded", charge_micros=1000)
    b = budgets.budget_of(db, key_id)
    assert (b.spent_micros, b.held_micros) == (50_000, 0)
    start = budgets.window_start("month", dt.datetime.now(dt.UTC).timestamp())
    assert budgets.spent_in_window(db, key_id, start) == 50_000 == ledger.audit(db.conn(), "acme", "test")[
        "spent_micros"]


def test_the_window_resets_on_time_and_running_holds_carry_over(db, key):
    key_id, _ = key
    monday = utc(2026, 12, 7, 10)
    budgets.set_budget(db, key_id, "0.003", "day", now=monday)
    with db.write() as conn:
        budgets.reserve(conn, key_id, 2000, now=monday)
        budgets.settle(conn, key_id, 2000, 2000, now=monday)
        budgets.reserve(conn, key_id, 1000, now=monday)  # still running at midnight
        with pytest.raises(KeyBudgetExceeded):
            budgets.reserve(conn, key_id, 1000, now=monday + 3600)
    tuesday = utc(2026, 12, 8, 0, 0, 1)
    assert budgets.budget_of(db, key_id, now=tuesday).spent_micros == 0
    with db.write() as conn:
        budgets.reserve(conn, key_id, 2000, now=tuesday)  # 0 spent + 1000 held + 2000 = the cap
        with pytest.raises(KeyBudgetExceeded) as caught:
            budgets.reserve(conn, key_id, 1, now=tuesday)
        budgets.settle(conn, key_id, 1000, 1000, now=tuesday)  # yesterday's job is charged today
    assert caught.value.details["resets_at"] == "2026-12-09T00:00:00Z"
    b = budgets.budget_of(db, key_id, now=tuesday)
    assert (b.spent_micros, b.held_micros, b.window_start) == (1000, 2000, utc(2026, 12, 8))


def test_setting_a_budget_counts_what_the_key_already_spent_and_holds(db, key):
    key_id, principal = key
    submit(db, principal, 3000, "job_a")
    jobs.finish(db, "job_a", status="succeeded", charge_micros=2500)
    submit(db, principal, 1000, "job_b")
    b = budgets.set_budget(db, key_id, "0.004", "week", "0.003")
    assert (b.spent_micros, b.held_micros, b.soft_limit_micros) == (2500, 1000, 3000)
    with pytest.raises(KeyBudgetExceeded):
        submit(db, principal, 600, "job_c")
    assert budgets.clear_budget(db, key_id) and budgets.budget_of(db, key_id) is None
    submit(db, principal, 600, "job_c")  # no cap any more


def test_a_rotated_key_keeps_its_budget(db, key):
    key_id, _ = key
    budgets.set_budget(db, key_id, "7", "week", "6")
    _, new_id = rotate_key(db, key_id)
    b = budgets.budget_of(db, new_id)
    assert (b.max_spend_micros, b.period, b.soft_limit_micros) == (7_000_000, "week", 6_000_000)


def test_config_declares_a_budget_and_a_restart_keeps_its_counters(db, monkeypatch):
    toml = """
    [[accounts]]
    id = "acme"
    [[accounts.apps]]
    id = "web"
    [[accounts.apps.keys]]
    name = "ci"
    env = "CI_KEY"
    max_spend_usd = "2.5"
    budget_period = "week"
    soft_limit_usd = "2"
    """
    import textwrap
    from pathlib import Path
    path = Path(db.path).parent / "c.toml"
    path.write_text(textwrap.dedent(toml))
    cfg = load_config(path, {})
    environ = {"CI_KEY": "noxus_test_" + "a" * 43}
    sync_config(db, cfg, environ)
    key_id = db.one("SELECT id FROM api_keys WHERE name = 'ci'")["id"]
    with db.write() as conn:
        conn.execute("UPDATE key_budgets SET spent_micros = 5 WHERE key_id = ?", (key_id,))
    assert sync_config(db, cfg, environ) == []  # the same budget: untouched
    b = budgets.budget_of(db, key_id)
    assert (b.max_spend_micros, b.period, b.soft_limit_micros, b.spent_micros) == (2_500_000, "week", 2_000_000, 5)
    path.write_text(textwrap.dedent(toml).replace('"2.5"', '"-1"'))
    with pytest.raises(ConfigError, match="max_spend_usd"):
        sync_config(db, load_config(path, {}), environ)


# --- alerts: once per crossing -------------------------------------------------------------------

def test_an_alert_fires_once_per_crossing_and_re_arms_when_cleared(db):
    fired = [alerts.check(db, "queue_wait", True, "alert.queue_wait", "queue", {"n": i}) for i in range(3)]
    assert fired[0] and fired[1:] == [None, None]
    assert alerts.check(db, "queue_wait", False, "alert.queue_wait", "queue", {}) is None
    again = alerts.check(db, "queue_wait", True, "alert.queue_wait", "queue", {})
    assert again and again != fired[0]
    assert [a["event"] for a in alerts.recent(db)] == ["alert.queue_wait"] * 2


def test_racing_threads_raise_an_alert_once(db):
    ids: list[str | None] = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        ids.append(alerts.check(db, "worker_lost:w1", True, "alert.worker_lost", "w1", {}))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([i for i in ids if i]) == 1
    assert db.one("SELECT COUNT(*) FROM alerts")[0] == 1


def test_key_cap_alert_once_per_window_after_settle_and_refusals(db, key):
    key_id, principal = key
    budgets.set_budget(db, key_id, "0.004", "month", "0.002")
    for n in (1, 2):
        submit(db, principal, 2000, f"job_{n}")
        jobs.finish(db, f"job_{n}", status="succeeded", charge_micros=2000)
        alerts.after_job(db, f"job_{n}", 0)
    for n in (3, 4):
        with pytest.raises(KeyBudgetExceeded):
            submit(db, principal, 2000, f"job_{n}")
    events = [a["event"] for a in alerts.recent(db)]
    assert sorted(events) == ["alert.key_cap", "alert.key_soft_limit"]
    cap = next(a for a in alerts.recent(db) if a["event"] == "alert.key_cap")
    assert cap["subject"] == key_id and cap["details"]["max_spend_usd"] == "0.004"
    budgets.set_budget(db, key_id, "0.004", "month")  # a changed budget re-arms its alerts
    with pytest.raises(KeyBudgetExceeded):
        submit(db, principal, 2000, "job_5")
    assert [a["event"] for a in alerts.recent(db)].count("alert.key_cap") == 2


def test_balance_low_fires_once_then_re_arms_after_a_credit(db):
    create_account(db, "low")
    plain, _ = create_key(db, account_id="low", name="k", environment="test")
    credit_account(db, "low", "test", 1_500_000)
    principal = authenticate(db, plain)
    for n in range(3):
        submit(db, principal, 400_000, f"job_{n}")
        jobs.finish(db, f"job_{n}", status="succeeded", charge_micros=400_000)
        alerts.after_job(db, f"job_{n}", 1_000_000)
    low = [a for a in alerts.recent(db) if a["event"] == "alert.balance_low"]
    assert len(low) == 1 and low[0]["details"]["balance_usd"] == "0.7"
    credit_account(db, "low", "test", 5_000_000)
    submit(db, principal, 1, "job_x")
    jobs.finish(db, "job_x", status="succeeded", charge_micros=1)
    alerts.after_job(db, "job_x", 1_000_000)
    assert db.one("SELECT active FROM alert_state WHERE name = 'balance_low:low:test'")["active"] == 0


def test_doctor_compares_the_counters_with_the_ledger(db, key):
    from noxus_local.ops import doctor

    key_id, principal = key
    budgets.set_budget(db, key_id, "1", "day")
    submit(db, principal, 2000, "job_d1")
    jobs.finish(db, "job_d1", status="succeeded", charge_micros=1500)
    submit(db, principal, 3000, "job_d2")  # still held
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(db.path.parent)})
    assert doctor.check_budgets(cfg) == [doctor.Check("key budgets", "OK", "1 budget(s) agree with the ledger")]
    with db.write() as conn:
        conn.execute("UPDATE key_budgets SET spent_micros = 0 WHERE key_id = ?", (key_id,))
    [check] = doctor.check_budgets(cfg)
    assert check.status == "FAIL" and key_id in check.detail
    budgets.set_budget(db, key_id, "1", "day")  # recounted from the ledger
    assert doctor.check_budgets(cfg)[0].status == "OK"
