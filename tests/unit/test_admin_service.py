"""The admin service (issue 25 items 3, 4, 6) on a real SQLite file: accounts, keys, budgets, jobs, usage,
the CSV export (its sums against the ledger's, parsed with Python's csv module), the audit log, and the
export's memory staying flat as the row count grows tenfold.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from noxus_local.accounts.keys import authenticate
from noxus_local.accounts.keys import create_key as store_key
from noxus_local.accounts.store import create_account
from noxus_local.admin import service as admin
from noxus_local.admin.inputs import iso as admin_iso
from noxus_local.admin.system import job_counts as system_job_counts
from noxus_local.billing import ledger
from noxus_local.config import load_config
from noxus_local.errors import (
    AlreadyExists,
    JobNotFound,
    NotFound,
    RevokedApiKey,
    StateConflict,
    ValidationError,
)
from noxus_local.jobs import store as jobs
from noxus_local.money import format_usd
from noxus_local.node.services import build_services
from noxus_local.store.db import Database
from noxus_local.store.migrations import MIGRATIONS, v15_admin_audit

ACTOR = admin.Actor("admin", "api", "10.0.0.7", "req_test")


@pytest.fixture
def cfg(tmp_path: Path):
    return load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})


def field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.details["field_errors"])


def run_job(db: Database, principal, cfg, charge: int, status: str = "succeeded", tool: str = "qr") -> str:
    """A real job through the real submit (hold) and finish (charge or release): the ledger moves as in serving."""
    job_id = f"job_{time.monotonic_ns()}"
    new = jobs.NewJob(id=job_id, principal=principal, tool=tool, params={}, files=[], limits={},
                      estimate_micros=max(charge, 1000), request_id="req_x")
    assert jobs.submit(db, new, cfg.tiers["enterprise"], 24) is None
    if status != "queued":
        assert jobs.finish(db, job_id, status=status, charge_micros=charge)
    return job_id


# --- accounts ------------------------------------------------------------------------------------------------
def test_accounts_create_credit_suspend_and_every_action_is_audited(db: Database, cfg) -> None:
    account = admin.create_account(db, cfg, ACTOR, "beta", name="Beta Co", tier="pro")
    assert (account["id"], account["tier"], account["status"]) == ("beta", "pro", "active")
    with pytest.raises(AlreadyExists):
        admin.create_account(db, cfg, ACTOR, "beta")
    done = admin.credit(db, ACTOR, "beta", "live", "25.5", note="invoice 118")
    assert done["balance"]["balance_usd"] == "25.5" and done["suspended"] is False
    assert ledger.read_balance(db.conn(), "beta", "live").balance_micros == 25_500_000
    assert admin.set_suspended(db, ACTOR, "beta", True)["status"] == "suspended"
    # crediting a suspended account is allowed (suspension stops spending, not paying) and says so
    assert admin.credit(db, ACTOR, "beta", "live", "1", note=None)["suspended"] is True
    assert admin.set_suspended(db, ACTOR, "beta", False)["status"] == "active"
    assert [a["id"] for a in admin.list_accounts(db)] == ["acme", "beta"]
    assert admin.get_account(db, "beta")["balances"]["live"]["balance_usd"] == "26.5"

    entries, total = admin.list_entries(db, target="beta")
    assert total == 5
    assert [e["action"] for e in entries] == ["account.unsuspend", "account.credit", "account.suspend",
                                              "account.credit", "account.create"]
    assert entries[1]["details"]["suspended"] is True and entries[3]["details"]["amount_usd"] == "25.5"
    assert all((e["actor"], e["via"], e["ip"], e["request_id"]) == ("admin", "api", "10.0.0.7", "req_test")
               for e in entries)
    assert admin.list_entries(db, action="account.")[1] == 5 and admin.list_entries(db, action="key.")[1] == 0


def test_the_audit_log_is_append_only(db: Database) -> None:
    admin.record(db, ACTOR, "account.credit", "acme", {"amount_usd": "1"})
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with db.write() as conn:
                conn.execute(statement)
    assert admin.list_entries(db)[0][0]["actor"] == "admin"


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "1e3", "01", " 5", "1.0000001", "NaN", -1, 5, 2.5, True, None])
def test_a_credit_that_is_not_a_positive_decimal_string_is_refused_and_moves_no_money(db: Database, amount) -> None:
    with pytest.raises(ValidationError) as exc:
        admin.credit(db, ACTOR, "acme", "test", amount)
    assert field_errors(exc) == {"amount_usd"}
    assert db.one("SELECT COUNT(*) FROM ledger")[0] == 0 and admin.list_entries(db)[1] == 0


def test_unknown_account_environment_and_tier_are_refused(db: Database, cfg) -> None:
    with pytest.raises(NotFound):
        admin.credit(db, ACTOR, "nobody", "test", "5")
    with pytest.raises(ValidationError) as exc:
        admin.credit(db, ACTOR, "acme", "staging", "5")
    assert field_errors(exc) == {"environment"}
    with pytest.raises(ValidationError) as exc:
        admin.create_account(db, cfg, ACTOR, "gamma", tier="platinum")
    assert field_errors(exc) == {"tier"}
    with pytest.raises(ValidationError):
        admin.create_account(db, cfg, ACTOR, "bad id with spaces")
    with pytest.raises(NotFound):
        admin.set_suspended(db, ACTOR, "nobody", True)


# --- keys and budgets ----------------------------------------------------------------------------------------
def test_keys_create_once_list_with_last_use_and_spend_revoke_and_rotate(db: Database, cfg) -> None:
    plain, key = admin.create_key(db, ACTOR, "acme", name="ci", environment="test")
    principal = authenticate(db, plain)
    assert principal.key_id == key["id"] and key["last_used_at"] is None and key["spent_usd"] == "0"
    audit = admin.list_entries(db, action="key.create")[0][0]
    assert plain not in str(audit) and audit["details"]["key_hint"] == key["key_hint"]  # never the plain key

    ledger_credit(db, "acme", 1_000_000)
    run_job(db, principal, cfg, 2000)
    run_job(db, principal, cfg, 3000)
    last = run_job(db, principal, cfg, 0, status="failed")
    listed = next(k for k in admin.list_keys(db, "acme") if k["id"] == key["id"])
    assert (listed["spent_usd"], listed["jobs"]) == ("0.005", 3)
    assert listed["last_used_at"] == admin_iso(jobs.get(db, last)["created_at"])  # its last job

    set_budget = admin.set_key_budget(db, ACTOR, key["id"], max_spend_usd="5", budget_period="week",
                                      soft_limit_usd="4")
    budget = set_budget["budget"]
    assert {k: budget[k] for k in ("max_spend_usd", "budget_period", "soft_limit_usd", "spent_usd", "held_usd")} \
        == {"max_spend_usd": "5", "budget_period": "week", "soft_limit_usd": "4", "spent_usd": "0.005",
            "held_usd": "0"}  # the window's counters start from the ledger: this week's two charges
    assert budget["resets_at"] > budget["window_start"]
    new_plain, new = admin.rotate_key(db, ACTOR, key["id"])
    assert authenticate(db, new_plain).key_id == new["id"] != key["id"]
    assert new["budget"]["max_spend_usd"] == "5"  # the twin keeps the budget
    with pytest.raises(RevokedApiKey):
        authenticate(db, plain)
    with pytest.raises(StateConflict):
        admin.rotate_key(db, ACTOR, key["id"])
    assert admin.revoke_key(db, ACTOR, new["id"])["status"] == "revoked"
    with pytest.raises(StateConflict):
        admin.revoke_key(db, ACTOR, new["id"])
    with pytest.raises(NotFound):
        admin.revoke_key(db, ACTOR, "key_nope")
    with pytest.raises(NotFound):
        admin.create_key(db, ACTOR, "nobody", name="x")
    actions = [e["action"] for e in admin.list_entries(db, action="key.")[0]]
    assert actions == ["key.revoke", "key.rotate", "key.budget", "key.create"]


def ledger_credit(db: Database, account: str, micros: int) -> None:
    with db.write() as conn:
        ledger.credit(conn, account, "test", micros, "test money")


@pytest.mark.parametrize(("body", "field"), [
    ({"max_spend_usd": "-1"}, "max_spend_usd"), ({"max_spend_usd": "abc"}, "max_spend_usd"),
    ({"max_spend_usd": -1}, "max_spend_usd"), ({"max_spend_usd": 5}, "max_spend_usd"),
    ({"max_spend_usd": "5", "budget_period": "year"}, "budget_period"),
    ({"max_spend_usd": "5", "soft_limit_usd": "6"}, "soft_limit_usd"),
    ({"max_spend_usd": "5", "soft_limit_usd": "x"}, "soft_limit_usd"),
])
def test_a_bad_budget_is_a_400_naming_its_field_and_stores_nothing(db: Database, body, field) -> None:
    _, key = admin.create_key(db, ACTOR, "acme", name="ci")
    with pytest.raises(ValidationError) as exc:
        admin.set_key_budget(db, ACTOR, key["id"], **body)
    assert field_errors(exc) == {field}
    assert admin.get_key(db, key["id"])["budget"] is None
    assert admin.list_entries(db, action="key.budget")[1] == 0


def test_a_budget_of_zero_is_allowed_and_null_clears_it(db: Database) -> None:
    _, key = admin.create_key(db, ACTOR, "acme", name="ci")
    assert admin.set_key_budget(db, ACTOR, key["id"], max_spend_usd="0")["budget"]["max_spend_usd"] == "0"
    assert admin.set_key_budget(db, ACTOR, key["id"], max_spend_usd=None)["budget"] is None


# --- jobs, usage, overview -----------------------------------------------------------------------------------
def test_jobs_list_filters_and_cancel_settles_a_queued_job_at_zero(tmp_path: Path, cfg) -> None:
    svc = build_services(cfg)
    try:
        admin.create_account(svc.db, cfg, ACTOR, "acme")
        admin.credit(svc.db, ACTOR, "acme", "test", "10")
        plain, _ = admin.create_key(svc.db, ACTOR, "acme", name="ci")
        principal = authenticate(svc.db, plain)
        done = run_job(svc.db, principal, cfg, 2000)
        waiting = run_job(svc.db, principal, cfg, 0, status="queued", tool="wait")
        rows, total = admin.list_jobs(svc.db, status="queued")
        assert (total, [r["job_id"] for r in rows]) == (1, [waiting])
        assert admin.list_jobs(svc.db, tool="qr")[0][0]["job_id"] == done
        assert admin.list_jobs(svc.db, account_id="nobody")[1] == 0
        assert admin.list_jobs(svc.db, since=time.time() + 60)[1] == 0

        before = ledger.read_balance(svc.db.conn(), "acme", "test")
        cancelled = admin.cancel_job(svc, ACTOR, waiting)
        assert (cancelled["status"], cancelled["charged_usd"]) == ("cancelled", "0")
        after = ledger.read_balance(svc.db.conn(), "acme", "test")
        assert after.balance_micros == before.balance_micros and after.held_micros == 0
        with pytest.raises(StateConflict):
            admin.cancel_job(svc, ACTOR, waiting)
        with pytest.raises(JobNotFound):
            admin.cancel_job(svc, ACTOR, "job_nope")

        view = admin.overview(svc)
        assert view["jobs"] == {"queued": 0, "running": 0, "succeeded": 1, "failed": 0, "cancelled": 1}
        assert view["spend"]["today_usd"] == view["spend"]["month_usd"] == "0.002"
        assert view["balances"]["test"]["balance_usd"] == format_usd(after.balance_micros) == "9.998"
        assert view["accounts"] == {"active": 1, "suspended": 0}
    finally:
        svc.db.close()


def test_usage_groups_by_account_key_tool_and_day(db: Database, cfg) -> None:
    plain, key = admin.create_key(db, ACTOR, "acme", name="ci")
    principal = authenticate(db, plain)
    ledger_credit(db, "acme", 1_000_000)
    run_job(db, principal, cfg, 2000, tool="qr")
    run_job(db, principal, cfg, 2000, tool="qr")
    run_job(db, principal, cfg, 7000, tool="wait")
    run_job(db, principal, cfg, 0, status="failed", tool="wait")
    by_tool = admin.usage(db, group_by=("tool",))
    assert by_tool["rows"] == [
        {"tool": "qr", "jobs": 2, "succeeded": 2, "failed": 0, "spent_usd": "0.004"},
        {"tool": "wait", "jobs": 2, "succeeded": 1, "failed": 1, "spent_usd": "0.007"}]
    assert by_tool["total_spent_usd"] == "0.011" and by_tool["total_jobs"] == 4
    day = time.strftime("%Y-%m-%d", time.gmtime())
    by_key_day = admin.usage(db, group_by=admin.parse_group_by("key,day"))["rows"]
    assert by_key_day == [{"key_id": key["id"], "day": day, "jobs": 4, "succeeded": 3, "failed": 1,
                           "spent_usd": "0.011"}]
    assert admin.usage(db, group_by=("account",), since=time.time() + 10)["rows"] == []
    assert [(r["tool"], r["spent_usd"]) for r in admin.spend_per_tool(db)] == [("qr", "0.004"), ("wait", "0.007")]
    assert [(r["day"], r["spent_usd"]) for r in admin.spend_per_day(db, account_id="acme")] == [(day, "0.011")]
    assert admin.parse_group_by("tool,tool") == ("tool",) and admin.parse_group_by(None) == ("account",)
    for bad in ("", "month", "tool, day", "day,tool,key,account", "tool,"):
        with pytest.raises(ValidationError):
            admin.parse_group_by(bad)


# --- CSV export ----------------------------------------------------------------------------------------------
def read_csv(chunks) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(chunks), newline="")))


def test_the_csv_parses_and_its_sums_equal_the_ledger(db: Database, cfg) -> None:
    plain, key = admin.create_key(db, ACTOR, "acme", name="ci")
    principal = authenticate(db, plain)
    admin.create_account(db, cfg, ACTOR, "beta")
    admin.credit(db, ACTOR, "acme", "test", "3.5", note="=HYPERLINK(\"http://evil\")")
    admin.credit(db, ACTOR, "beta", "test", "1")
    for charge in (2000, 1234, 999_999):
        run_job(db, principal, cfg, charge)
    run_job(db, principal, cfg, 0, status="failed")

    text = "".join(admin.export_csv(db, per="movement", batch=3))  # batches smaller than the rows: pages join up
    assert text.splitlines()[0] == ",".join(admin.MOVEMENT_COLUMNS) and "\r\n" in text
    rows = read_csv([text])
    # 2 credits, 4 holds, 3 charges of their whole hold and 1 release
    assert len(rows) == db.one("SELECT COUNT(*) FROM ledger")[0] == 2 + 4 + 4
    assert [int(r["movement_id"]) for r in rows] == sorted(int(r["movement_id"]) for r in rows)
    sums: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        group = (r["account_id"], r["kind"])
        sums[group] = sums.get(group, Decimal(0)) + Decimal(r["amount_usd"])
        assert r["time"].endswith("Z") and "T" in r["time"]
    for account in ("acme", "beta"):
        truth = ledger.audit(db.conn(), account, "test")
        assert sums.get((account, "charge"), 0) * 10**6 == truth["spent_micros"]
        assert (sums.get((account, "credit"), 0) - sums.get((account, "charge"), 0)) * 10**6 == truth["balance_micros"]
    charges = [r for r in rows if r["kind"] == "charge"]
    assert all(r["key_id"] == key["id"] and r["tool"] == "qr" for r in charges)
    assert next(r for r in rows if r["kind"] == "credit" and r["account_id"] == "acme")["note"].startswith("'=")

    per_job = read_csv(admin.export_csv(db, per="job", batch=2))
    assert list(per_job[0]) == list(admin.JOB_COLUMNS) and len(per_job) == 4
    spent = ledger.audit(db.conn(), "acme", "test")["spent_micros"]
    assert sum(Decimal(r["charged_usd"]) for r in per_job) * 10**6 == spent
    assert {r["status"] for r in per_job} == {"succeeded", "failed"}

    only_beta = read_csv(admin.export_csv(db, account_id="beta"))
    assert [(r["account_id"], r["kind"], r["amount_usd"]) for r in only_beta] == [("beta", "credit", "1")]
    assert read_csv(admin.export_csv(db, since=time.time() + 60)) == []
    assert read_csv(admin.export_csv(db, per="job", until=0)) == []
    with pytest.raises(ValidationError):
        list(admin.export_csv(db, per="day"))


def fill_ledger(db: Database, count: int) -> None:
    """``count`` ledger rows written straight (test data; the ledger only appends)."""
    now = time.time()
    with db.write() as conn:
        conn.executemany(
            "INSERT INTO ledger (account_id, environment, kind, amount_micros, balance_after_micros,"
            " available_after_micros, job_id, note, created_at) VALUES ('acme', 'test', 'charge', ?, 0, 0, NULL,"
            " 'bulk', ?)", ((1000 + i % 97, now) for i in range(count)))


def peak_while_exporting(db: Database) -> tuple[int, int]:
    """(rows read, tracemalloc's peak in bytes) while the whole export is consumed and thrown away."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    lines = 0
    for chunk in admin.export_csv(db, per="movement"):
        lines += chunk.count("\r\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return lines - 1, peak


def test_the_export_streams_in_constant_memory(tmp_path: Path) -> None:
    """Ten times the rows, about the same peak: memory follows the batch, not the export (a million rows
    then stream as a hundred thousand do; 20k and 200k keep the test short on a shared 2-core box)."""
    peaks = {}
    for count in (20_000, 200_000):
        db = Database(tmp_path / f"{count}.db")
        db.migrate()
        fill_ledger(db, count)
        rows, peaks[count] = peak_while_exporting(db)
        assert rows == count
        db.close()
    assert peaks[200_000] < 1.5 * peaks[20_000], peaks
    assert peaks[200_000] < 8 * 1024 * 1024, peaks  # a few batches' worth, not 200,000 rows' (~20 MB as text)


def test_job_counts_are_backfilled_and_follow_every_insert_status_change_and_delete(tmp_path: Path, cfg) -> None:
    """The overview's jobs per status come from trigger-kept counts: they must equal a full count, always."""
    db = Database(tmp_path / "old.db")
    with db.write() as conn:  # a store as the release before v16 left it, with jobs in it
        schema = db.utils()
        for number, migration in enumerate(MIGRATIONS[:MIGRATIONS.index(v15_admin_audit)], start=1):
            migration(schema)
            conn.execute(f"PRAGMA user_version={number}")
    create_account(db, "acme")
    plain, _ = store_key(db, account_id="acme", name="ci", environment="test")
    ledger_credit(db, "acme", 1_000_000)
    principal = authenticate(db, plain)
    run_job(db, principal, cfg, 2000)
    run_job(db, principal, cfg, 0, status="failed")
    db.migrate()

    def full_count() -> dict[str, int]:
        return {r[0]: r[1] for r in db.all("SELECT status, COUNT(*) FROM jobs GROUP BY status")}

    def kept() -> dict[str, int]:
        return {k: v for k, v in system_job_counts(db).items() if v}

    assert kept() == full_count() == {"succeeded": 1, "failed": 1}
    queued = run_job(db, principal, cfg, 0, status="queued")
    assert kept() == full_count() == {"succeeded": 1, "failed": 1, "queued": 1}
    jobs.start(db, queued)
    jobs.set_progress(db, queued, 50, None)  # an update that is not a status change counts nothing
    assert kept() == full_count() == {"succeeded": 1, "failed": 1, "running": 1}
    jobs.finish(db, queued, status="succeeded", charge_micros=500)
    with db.write() as conn:
        conn.execute("DELETE FROM jobs WHERE status = 'failed'")
    assert kept() == full_count() == {"succeeded": 2}
    db.close()
