"""Job engine throughput: 1,000 trivial async jobs through the real server and queue.

Why: every heavy tool runs on this engine, so its own cost must be small next
to the work. In one run this prints

1. submission rate, completion throughput (jobs/s), and p50/p99 *queue wait*
   (job row created → a worker starts it) for N ``wait seconds=0`` jobs sent
   with ``Prefer: respond-async`` by 8 client threads, with the worker count;
2. the runner's overhead per job: ``JobRunner.execute`` (start, progress,
   output file, settlement, hooks) vs calling the same tool's ``run()``
   directly, in-process on a real SQLite file, same N.

Example::

    .venv/bin/python scripts/bench/bench_jobs.py            # 1,000 jobs
    .venv/bin/python scripts/bench/bench_jobs.py --quick    # 200 jobs
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import BenchServer, running_server  # noqa: E402

CLIENT_THREADS = 8


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def submit_all(server: BenchServer, n: int) -> float:
    """POST n async wait jobs from CLIENT_THREADS keep-alive connections; returns seconds."""
    body = json.dumps({"seconds": 0, "return_base64": False})
    headers = {**server.auth(), "Content-Type": "application/json", "Prefer": "respond-async"}
    errors: list[int] = []

    def worker(count: int) -> None:
        conn = server.connection()
        for _ in range(count):
            conn.request("POST", "/api/v1/tools/wait", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 202:
                errors.append(response.status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n // CLIENT_THREADS + (i < n % CLIENT_THREADS),))
               for i in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} submissions failed, e.g. HTTP {errors[0]}")
    return time.perf_counter() - started


def wait_done(db_path: Path, n: int, timeout: float = 600) -> list[sqlite3.Row]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = db.execute("SELECT COUNT(*) FROM jobs WHERE settled = 1").fetchone()[0]
        if done >= n:
            break
        time.sleep(0.2)
    return db.execute("SELECT created_at, started_at, finished_at, status FROM jobs").fetchall()


def engine_run(n: int) -> dict[str, float]:
    with running_server(concurrent_jobs=n + 10, workers=2, diagnostics=True) as server:
        submit_s = submit_all(server, n)
        rows = wait_done(server.root / "data" / "noxus.db", n)
        idle = idle_pickup(server, rounds=5)
    ok = sum(r["status"] == "succeeded" for r in rows)
    waits = [(r["started_at"] - r["created_at"]) * 1000 for r in rows if r["started_at"]]
    span = max(r["finished_at"] for r in rows) - min(r["created_at"] for r in rows)
    return {"jobs": len(rows), "succeeded": ok, "submit_per_s": n / submit_s, "throughput": len(rows) / span,
            "wait_p50": pct(waits, 0.5), "wait_p99": pct(waits, 0.99), "span": span,
            "idle_max": max(idle), "idle_median": statistics.median(idle)}


def idle_pickup(server: BenchServer, rounds: int) -> list[float]:
    """ms from row creation to worker start for one async job after 2 s of idle workers."""
    db = sqlite3.connect(server.root / "data" / "noxus.db")
    out = []
    for _ in range(rounds):
        time.sleep(2)  # let the workers back off to their longest poll interval
        conn = server.connection()
        conn.request("POST", "/api/v1/tools/wait", body=json.dumps({"seconds": 0}),
                     headers={**server.auth(), "Content-Type": "application/json", "Prefer": "respond-async"})
        job_id = json.loads(conn.getresponse().read())["job_id"]
        while True:
            row = db.execute("SELECT created_at, started_at FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row[1]:
                out.append((row[1] - row[0]) * 1000)
                break
            time.sleep(0.01)
    return out


def overhead_run(n: int) -> tuple[float, float]:
    """Mean µs per job: JobRunner.execute vs WaitTool.run, same jobs, real SQLite."""
    from noxus_local.accounts.keys import authenticate, create_key
    from noxus_local.accounts.store import create_account, credit_account
    from noxus_local.assets.files import FileStore
    from noxus_local.config import TierSettings, load_config
    from noxus_local.jobs import store as jobs
    from noxus_local.jobs.runner import JobRunner
    from noxus_local.store.db import Database
    from noxus_local.tools.base import Limits, ToolContext
    from noxus_local.tools.catalog import Catalog
    from noxus_local.tools.wait import WaitTool

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = load_config(None, {"NOXUS_DATA_DIR": tmp})
        db = Database(root / "noxus.db")
        db.migrate()
        create_account(db, "bench", tier="enterprise")
        credit_account(db, "bench", "test", 10**12)
        principal = authenticate(db, create_key(db, account_id="bench", name="b", environment="test")[0] or "")
        runner = JobRunner(db, Catalog.default(diagnostics=True), FileStore(root, b"k"), cfg)
        unlimited = TierSettings(concurrent_jobs=0, jobs_per_hour=0)
        params = {"seconds": 0.0, "fail": False, "engine": "sleep"}
        ids = []
        for i in range(n):
            job_id = f"job_{i:024d}"
            jobs.submit(db, jobs.NewJob(id=job_id, principal=principal, tool="wait", params=params, files=[],
                                        limits=Limits().__dict__, estimate_micros=1000, request_id="req_b"),
                        unlimited, 24)
            ids.append(job_id)
        started = time.perf_counter()
        for job_id in ids:
            runner.execute(job_id)
        runner_us = (time.perf_counter() - started) / n * 1e6
        tool = WaitTool()
        started = time.perf_counter()
        for _ in range(n):
            tool.call(ToolContext(params=params, files={}, limits=Limits(), workdir=root))
        direct_us = (time.perf_counter() - started) / n * 1e6
        db.close()
    return runner_us, direct_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 jobs")
    args = parser.parse_args()
    n = 200 if args.quick else args.jobs
    print(f"bench_jobs: {n} async `wait seconds=0` jobs, {CLIENT_THREADS} client threads, 2 queue workers;"
          " client and server share this machine's cores")
    r = engine_run(n)
    print(f"  submitted {n} in {n / r['submit_per_s']:.2f} s ({r['submit_per_s']:.0f} jobs/s accepted, 202)")
    print(f"  completed {r['succeeded']}/{r['jobs']} in {r['span']:.2f} s: throughput {r['throughput']:.0f} jobs/s")
    print(f"  queue wait (row created -> worker start): p50 {r['wait_p50']:.1f} ms  p99 {r['wait_p99']:.1f} ms"
          "  (includes the backlog: all jobs are submitted at once)")
    print(f"  idle pickup (one job after 2 s idle, 5 rounds): median {r['idle_median']:.0f} ms"
          f"  max {r['idle_max']:.0f} ms")
    runner_us, direct_us = overhead_run(n)
    print(f"runner overhead, in-process, {n} jobs: JobRunner.execute {runner_us:.0f} us/job vs tool.run "
          f"{direct_us:.0f} us/job -> overhead {runner_us - direct_us:.0f} us/job "
          f"(start + progress + output file + settlement, each its own SQLite transaction)")


if __name__ == "__main__":
    main()
