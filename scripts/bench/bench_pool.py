"""Compute pool under a mixed load: 200 one-shot jobs through the real server on a 2-slot pool.

Why: the pool must keep a heavy job's slots exclusive (never oversubscribe)
while still keeping the machine busy. The mix is qr (1 CPU slot, a few ms)
and the diagnostic ``wait`` tool holding 2 CPU slots for 0.2 s (a stand-in
for a heavy model run), sent at once as one-shot calls from CLIENT_THREADS
client threads. It prints

1. throughput (jobs/s) and p50/p99 *queue wait* (job row created → slots
   taken and the job started) per tool;
2. the measured maximum concurrency: the most slots held at once, from the
   jobs' own start/end times weighted by their slots, and the pool's own
   high-water mark from ``/api/v1/status/capacity``; both must equal the pool
   size (2): more would be oversubscription, less an idle pool;
3. the ratio of the wall time to a baseline measured in the same run: the
   ideal time on 2 slots, Σ wait run time + Σ qr run time / 2 (each wait
   holds the whole pool, qr jobs can pair up). 1.0 = no slot ever idle.

Example::

    .venv/bin/python scripts/bench/bench_pool.py              # 200 jobs, 1 in 4 a wait
    .venv/bin/python scripts/bench/bench_pool.py --jobs 400
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import BenchServer, running_server  # noqa: E402

SLOTS = 2
CLIENT_THREADS = 16
WAIT_SECONDS = 0.2
NEED = {"qr": 1, "wait": 2}
EXTRA = f"[compute]\ncpu_slots = {SLOTS}\n"
BODIES = {"qr": {"text": "https://noxus.lat/pool", "return_base64": False},
          "wait": {"seconds": WAIT_SECONDS, "cpu": NEED["wait"], "return_base64": False}}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def plan(n: int) -> list[str]:
    """Every 4th job a wait, the rest qr, interleaved so waits arrive all along."""
    return ["wait" if i % 4 == 3 else "qr" for i in range(n)]


def send_all(server: BenchServer, tools: list[str]) -> tuple[float, list[int]]:
    """POST the jobs as one-shot calls from CLIENT_THREADS keep-alive connections."""
    todo, lock, statuses = list(enumerate(tools)), threading.Lock(), []

    def client() -> None:
        conn = server.connection(timeout=600)
        while True:
            with lock:
                if not todo:
                    return
                _, tool = todo.pop(0)
            conn.request("POST", f"/api/v1/tools/{tool}", body=json.dumps(BODIES[tool]),
                         headers={**server.auth(), "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, statuses


def most_slots_at_once(rows: Iterable[sqlite3.Row]) -> int:
    """Sweep the run intervals; a job's end sorts before another's start at the same instant."""
    edges = []
    for r in rows:
        edges += [(r["started_at"], NEED[r["tool"]]), (r["finished_at"], -NEED[r["tool"]])]
    busy = most = 0
    for _, delta in sorted(edges, key=lambda e: (e[0], e[1])):
        busy += delta
        most = max(most, busy)
    return most


def peak_from_api(server: BenchServer) -> int:
    conn = server.connection()
    conn.request("GET", "/api/v1/status/capacity", headers=server.auth())
    return int(json.loads(conn.getresponse().read())["resources"]["cpu"]["peak_busy"])


def run(n: int) -> None:
    tools = plan(n)
    with running_server(concurrent_jobs=n + 10, workers=2, diagnostics=True, extra_config=EXTRA) as server:
        wall, statuses = send_all(server, tools)
        peak = peak_from_api(server)
        db = sqlite3.connect(server.root / "data" / "noxus.db")
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT tool, status, created_at, started_at, finished_at FROM jobs").fetchall()
        db.close()
    report(n, wall, statuses, rows, peak)


def report(n: int, wall: float, statuses: list[int], rows: list[sqlite3.Row], peak: int) -> None:
    ok = [r for r in rows if r["status"] == "succeeded"]
    print(f"bench_pool: {n} one-shot jobs ({tools_line(rows)}), {CLIENT_THREADS} client threads, "
          f"[compute] cpu_slots = {SLOTS}; client and server share this machine's cores")
    print(f"  HTTP 200: {statuses.count(200)}/{n}; jobs succeeded {len(ok)}/{len(rows)}")
    print(f"  wall {wall:.2f} s -> throughput {n / wall:.1f} jobs/s")
    for tool in ("qr", "wait"):
        waits = [(r["started_at"] - r["created_at"]) * 1000 for r in ok if r["tool"] == tool]
        print(f"  queue wait {tool:>4} (created -> started, slots taken): p50 {pct(waits, 0.5):.0f} ms"
              f"  p99 {pct(waits, 0.99):.0f} ms")
    measured = most_slots_at_once(ok)
    verdict = "OK" if measured == peak == SLOTS else "MISMATCH"
    print(f"  max concurrency: {measured} slots held at once (job timestamps), pool high-water mark {peak}, "
          f"pool size {SLOTS} -> {verdict}")
    run_s = {tool: sum(r["finished_at"] - r["started_at"] for r in ok if r["tool"] == tool) for tool in NEED}
    ideal = run_s["wait"] + run_s["qr"] / SLOTS
    serial_waits = sum(1 for r in ok if r["tool"] == "wait") * WAIT_SECONDS
    print(f"  baseline (same run): ideal on {SLOTS} slots = sum wait runs {run_s['wait']:.2f} s + sum qr runs "
          f"{run_s['qr']:.2f} s / {SLOTS} = {ideal:.2f} s; wall/ideal = {wall / ideal:.2f} "
          f"(wall / ideal serial wait time {serial_waits:.1f} s = {wall / serial_waits:.2f})")


def tools_line(rows: list[sqlite3.Row]) -> str:
    counts = {tool: sum(r["tool"] == tool for r in rows) for tool in NEED}
    return f"{counts['qr']} qr at 1 slot + {counts['wait']} wait {WAIT_SECONDS} s at {NEED['wait']} slots"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    run(parser.parse_args().jobs)


if __name__ == "__main__":
    main()
