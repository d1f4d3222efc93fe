"""The operator's overview with 100,000 jobs in the store (issue 25: ≤ 200 ms).

Why: ``admin.overview()`` is the console's first screen and ``GET
/api/v1/admin/overview``; it must not slow down as the jobs table grows. The
store is filled in-process (real migrations, real SQLite file) with 100,000 jobs
over 60 days on 50 accounts and keys (90 % succeeded, 6 % failed, 3 % cancelled,
the rest queued or running), each with its ledger rows (hold, then charge or
release: ~200,000 movements), plus credits. Then, alternated, median of N runs:

1. the baseline: a bare ``SELECT count(*) FROM jobs`` (the cheapest look at the table);
2. ``overview(svc)`` as served;
3. ``overview(svc)`` with the v16 ledger indexes dropped (what the indexes buy).

It prints each median in ms, overview/baseline, and the verdict against 200 ms.

Then what the v16 triggers that keep jobs per status cost the tool path: real
``jobs.store.submit`` (hold + row) then ``start`` and ``finish`` (charge), the
transactions every job makes, per job, with the triggers vs with them dropped,
in rounds whose order flips each time, on a fresh store (``--trigger-jobs`` per round).

Example::

    .venv/bin/python scripts/bench/bench_admin_overview.py              # 100,000 jobs, ~30 s
    .venv/bin/python scripts/bench/bench_admin_overview.py --jobs 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.accounts.keys import authenticate, create_key  # noqa: E402
from noxus_local.accounts.store import create_account, credit_account  # noqa: E402
from noxus_local.admin.system import overview  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.jobs import store as jobs  # noqa: E402
from noxus_local.node.services import build_services  # noqa: E402
from noxus_local.store.migrations import JOB_STATUS_COUNTS  # noqa: E402

TARGET_MS = 200.0
ACCOUNTS = 50
DAYS = 60
STATUSES = ["succeeded"] * 90 + ["failed"] * 6 + ["cancelled"] * 3 + ["queued", "running"]


def fill(db: Any, jobs: int, seed: int = 25) -> None:
    """``jobs`` jobs and their ledger rows, written straight in one transaction (test data)."""
    rng = random.Random(seed)
    now = time.time()
    with db.write() as conn:
        for a in range(ACCOUNTS):
            conn.execute("INSERT INTO accounts (id, name, tier, status, source, created_at) VALUES (?,?,?,?,?,?)",
                         (f"acct{a}", f"acct{a}", "free", "active", "bench", now - DAYS * 86400))
            conn.execute("INSERT INTO balances (account_id, environment, balance_micros) VALUES (?, 'test', ?)",
                         (f"acct{a}", 10**12))
            conn.execute("INSERT INTO api_keys (id, account_id, name, environment, key_hash, key_hint, scopes,"
                         " created_at) VALUES (?,?,?,?,?,?,?,?)",
                         (f"key{a}", f"acct{a}", "k", "test", f"hash{a}", "noxus_test_xxxx", '["tools:run"]', now))
        job_rows, ledger_rows = [], []
        for i in range(jobs):
            a, status = i % ACCOUNTS, rng.choice(STATUSES)
            created = now - rng.random() * DAYS * 86400
            hold = rng.choice((2000, 5000, 20000))
            charged = hold if status == "succeeded" else 0
            settled = status not in ("queued", "running")
            job_rows.append((f"job_{i:08d}", f"acct{a}", "test", f"key{a}", "qr", status, 100 if settled else 0,
                             "{}", "[]", "{}", hold, hold, charged, int(settled), "req", created,
                             created + 0.1 if settled else None))
            job_id = f"job_{i:08d}"
            ledger_rows.append((f"acct{a}", "hold", hold, job_id, created))
            if settled:
                ledger_rows.append((f"acct{a}", "charge" if charged else "release", hold, job_id, created + 0.1))
        conn.executemany(
            "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, progress, params, files, limits,"
            " estimate_micros, hold_micros, charged_micros, settled, request_id, created_at, finished_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", job_rows)
        conn.executemany(
            "INSERT INTO ledger (account_id, environment, kind, amount_micros, balance_after_micros,"
            " available_after_micros, job_id, note, created_at) VALUES (?, 'test', ?, ?, 0, 0, ?, NULL, ?)",
            ledger_rows)
    db.conn().execute("ANALYZE")


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


TRIGGERS = ("job_status_counts_insert", "job_status_counts_update", "job_status_counts_delete")


def job_path_us(svc: Any, count: int, tier: Any) -> float:
    """Microseconds per job for submit (hold + row), start and finish (charge): what every job writes."""
    db = svc.db
    plain, _ = create_key(db, account_id="bench", name="k", environment="test")
    principal = authenticate(db, plain)
    started = time.perf_counter()
    for _ in range(count):
        job_id = f"job_{time.monotonic_ns()}"
        new = jobs.NewJob(id=job_id, principal=principal, tool="qr", params={}, files=[], limits={},
                          estimate_micros=2000, request_id="req_bench")
        jobs.submit(db, new, tier, 24)
        jobs.start(db, job_id)
        jobs.finish(db, job_id, status="succeeded", charge_micros=2000)
    return (time.perf_counter() - started) / count * 1e6


def _set_triggers(db: Any, present: bool) -> None:
    with db.write() as conn:
        for name in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        if present:
            for statement in JOB_STATUS_COUNTS:
                if statement.startswith("CREATE TRIGGER"):
                    conn.execute(statement)


def trigger_cost(count: int, rounds: int = 4) -> tuple[float, float]:
    """(median µs/job with the triggers, median without): rounds on one fresh store, the order flipped each
    round (with/without, then without/with) so a store that grows or a WAL checkpoint favours neither."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(Path(tmp) / "data")})
        svc = build_services(cfg)
        create_account(svc.db, "bench")
        credit_account(svc.db, "bench", "test", 10**12)
        tier = cfg.tiers["enterprise"]
        job_path_us(svc, 50, tier)  # warm-up
        timings: dict[bool, list[float]] = {True: [], False: []}
        for n in range(rounds):
            for present in ((True, False) if n % 2 == 0 else (False, True)):
                _set_triggers(svc.db, present)
                timings[present].append(job_path_us(svc, count, tier))
        _set_triggers(svc.db, True)
        svc.db.close()
    return statistics.median(timings[True]), statistics.median(timings[False])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--trigger-jobs", type=int, default=1000, help="jobs per round of the trigger cost")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(Path(tmp) / "data")})
        svc = build_services(cfg)
        started = time.perf_counter()
        fill(svc.db, args.jobs)
        ledger_rows = svc.db.one("SELECT COUNT(*) FROM ledger")[0]
        print(f"store: {args.jobs:,} jobs, {ledger_rows:,} ledger rows, {ACCOUNTS} accounts "
              f"(filled in {time.perf_counter() - started:.1f} s)")
        db = svc.db
        baseline = lambda: db.one("SELECT count(*) FROM jobs")  # noqa: E731
        served = lambda: overview(svc)  # noqa: E731
        overview(svc)  # warm the page cache as a running server has it
        base_ms, over_ms = [], []
        for _ in range(2):  # alternated, so load from other processes hits both alike
            base_ms.append(median_ms(baseline, args.rounds))
            over_ms.append(median_ms(served, args.rounds))
        base, over = min(base_ms), min(over_ms)
        with db.write() as conn:
            conn.execute("DROP INDEX ledger_kind_time")
            conn.execute("DROP INDEX ledger_time")
        no_index = median_ms(served, max(3, args.rounds // 3))
        svc.db.close()
    print(f"baseline  SELECT count(*) FROM jobs     {base:8.2f} ms (median of {args.rounds}, best of 2)")
    print(f"overview()                              {over:8.2f} ms")
    print(f"overview() without the v16 ledger index {no_index:8.2f} ms")
    print(f"ratio overview/baseline: {over / base:.2f}; target ≤ {TARGET_MS:.0f} ms: "
          f"{'OK' if over <= TARGET_MS else 'OVER'}")
    on, off = trigger_cost(args.trigger_jobs)
    print(f"job path (submit + start + finish), median of 4 x {args.trigger_jobs}: with the job_status_counts "
          f"triggers {on:.0f} us/job, without {off:.0f} us/job: ratio {on / off:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
