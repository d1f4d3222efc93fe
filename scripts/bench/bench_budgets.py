"""What per-key budgets and alerts add to a job's money path (issue 25 items 1-2), in-process.

The job path's SQLite work is ``jobs.store.submit`` (limits, balance hold, job row, in one BEGIN
IMMEDIATE) and ``jobs.store.finish`` (settle), then the runner's end-of-job hooks. Budgets add one
primary-key read of ``key_budgets`` to each transaction (plus an UPDATE for a key that has a budget), and
alerts add ``alerts.after_job`` as a hook (one joined read: the job, its balance, its alert state, its budget).
Three cases on one real store, interleaved in batches so drift hits all of them:

- ``baseline``: a key without a budget, submit + finish (the budget lookup misses)
- ``+ alert hook``: the same plus ``alerts.after_job`` as the runner calls it
- ``capped key``: a key with a (never reached) budget, submit + finish + hook
- ``baseline again``: the baseline once more: its ratio shows this machine's noise (an A/A test)

Ratios are against ``baseline`` measured in the same run; the share of a QR API call (~10 ms through
HTTP, bench_tools) is what the user would notice.

Example::

    .venv/bin/python scripts/bench/bench_budgets.py            # 3000 jobs per case
    .venv/bin/python scripts/bench/bench_budgets.py --quick    # 1000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.accounts.keys import authenticate, create_key  # noqa: E402
from noxus_local.accounts.store import create_account, credit_account  # noqa: E402
from noxus_local.admin import alerts  # noqa: E402
from noxus_local.billing import budgets  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.jobs import store as jobs  # noqa: E402
from noxus_local.store.db import Database  # noqa: E402

BATCH = 50


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=3000, help="jobs per case")
    p.add_argument("--quick", action="store_true", help="1000 jobs per case")
    args = p.parse_args()
    n = 1000 if args.quick else args.jobs
    with tempfile.TemporaryDirectory(prefix="noxus-bench-budgets-") as tmp:
        db = Database(Path(tmp) / "noxus.db")
        db.migrate()
        create_account(db, "bench", tier="free")
        credit_account(db, "bench", "test", 10**12)
        tier = load_config(None, {}).tiers["enterprise"]
        plain_free, _ = create_key(db, account_id="bench", name="free", environment="test")
        plain_capped, capped_id = create_key(db, account_id="bench", name="capped", environment="test")
        budgets.set_budget(db, capped_id, "100000000", "month", "90000000")
        free, capped = authenticate(db, plain_free), authenticate(db, plain_capped)
        counter = iter(range(10**9))

        def job(principal, hook: bool) -> Callable[[], None]:
            def run() -> None:
                job_id = f"job_{next(counter)}"
                jobs.submit(db, jobs.NewJob(id=job_id, principal=principal, tool="qr", params={}, files=[],
                                            limits={}, estimate_micros=2000, request_id="req_b"), tier, 24)
                jobs.finish(db, job_id, status="succeeded", charge_micros=2000)
                if hook:
                    alerts.after_job(db, job_id, 1_000_000)
            return run

        cases = {"baseline": job(free, False), "baseline again": job(free, False), "+ alert hook": job(free, True),
                 "capped key": job(capped, True)}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for fn in cases.values():  # warm-up
            for _ in range(BATCH):
                fn()
        names = list(cases)
        for round_ in range(max(1, n // BATCH)):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:  # order rotates
                fn = cases[name]
                started = time.thread_time()  # CPU time: waiting for a core on a shared machine is not counted
                for _ in range(BATCH):
                    fn()
                times[name].append((time.thread_time() - started) / BATCH * 1e6)
        with db.write() as conn:  # what every job now pays without a budget: two primary-key misses
            started = time.thread_time()
            for _ in range(n):
                budgets.reserve(conn, free.key_id, 2000)
                budgets.settle(conn, free.key_id, 2000, 2000)
            misses = (time.thread_time() - started) / n * 1e6
        db.close()

    print(f"bench_budgets: {n} jobs per case in batches of {BATCH}, order rotating; CPU us per job"
          " (submit + finish [+ hook]) on a real SQLite file; fastest batch and median batch")
    print(f"  budget lookups of a key without a budget (reserve + settle, both misses): {misses:.1f} us per job"
          f" = {100 * misses / 10_000:.2f} % of a 10 ms QR API call")
    for stat in (min, statistics.median):
        base = stat(times["baseline"])
        for name, series in times.items():
            value = stat(series)
            print(f"  {stat.__name__:<6} {name:<14} {value:8.1f} us   ratio {value / base:5.3f}"
                  f"   {value - base:+7.1f} us = {100 * (value - base) / 10_000:+5.2f} % of a 10 ms QR API call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
