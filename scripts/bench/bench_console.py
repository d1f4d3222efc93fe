"""Does the console's overview stay fast on a busy store? GET /admin with 100,000 jobs vs GET /api/v1/health.

The overview counts jobs per status, sums today's and this month's spend, draws
30 days of spend per day and per tool and reads balances and capacity, all
from SQLite on every request. The store gets ``--jobs`` rows (default
100,000) spread over 60 days, 8 tools and the three final statuses, written straight
into the server's SQLite file while it runs; then one signed-in session asks
for the overview and, alternating, for the health route (the baseline: same
server, same stack, no SQL), sequentially on one keep-alive connection.
The first view is printed apart: it reads the past days' spend, which later
views take from the console's SpendHistory (kept 5 minutes; today is always
read live). Target: overview median ≤ 200 ms (issue 25).

Example::

    .venv/bin/python scripts/bench/bench_console.py             # 100,000 jobs, 40 rounds
    .venv/bin/python scripts/bench/bench_console.py --jobs 10000 --rounds 10
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import time
import urllib.parse

from _server import BenchServer, running_server

TOKEN = "bench-console-token-0123456789"
TARGET_MS = 200.0
TOOLS = ("qr", "image-convert", "auto-subtitles", "text-to-speech", "image-analyze", "video-analyze", "chat", "wait")
# finished jobs only: queued or running rows written behind the server's back would be taken up by its
# recovery and runners, and the benchmark would time a server busy running 20,000 jobs
STATUSES = ("succeeded",) * 8 + ("failed", "cancelled")


def fill_jobs(server: BenchServer, count: int) -> float:
    """``count`` job rows for the first-start account, written in one transaction; returns seconds taken."""
    db = sqlite3.connect(server.root / "data" / "noxus.db", timeout=30)
    key_id = db.execute("SELECT id FROM api_keys LIMIT 1").fetchone()[0]
    rng, now, started = random.Random(25), time.time(), time.perf_counter()
    rows = []
    for n in range(count):
        status = rng.choice(STATUSES)
        created = now - rng.random() * 60 * 86400
        done = status in ("succeeded", "failed", "cancelled")
        charged = rng.randint(1000, 50_000) if status == "succeeded" else 0
        rows.append((f"job_bench{n:08d}", "default", "test", key_id, rng.choice(TOOLS), status,
                     100 if done else rng.randint(0, 99), "{}", "[]", "{}", charged or 2000, charged or 2000,
                     charged, 1 if done else 0, f"req_{n}", 0, 0, created, created + 1 if done else None,
                     # past retention (24 h) a real store has swept the outputs: else the first sweep would
                     # delete 100,000 folders and update every row while the benchmark runs
                     1 if created < now - 86400 else 0))
    with db:
        db.executemany(
            "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, progress, params, files, limits,"
            " estimate_micros, hold_micros, charged_micros, settled, request_id, max_processing_seconds, attempts,"
            " created_at, finished_at, output_expired) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as a store that grew over weeks would be: rows in the main file
    db.close()
    return time.perf_counter() - started


def sign_in(server: BenchServer) -> str:
    """The console's session cookie, through the real sign-in form (CSRF field included)."""
    conn = server.connection()
    conn.request("GET", "/admin/login")
    answer = conn.getresponse()
    page, nonce = answer.read().decode(), answer.getheader("set-cookie", "").split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode({"token": TOKEN, "csrf": csrf})
    conn.request("POST", "/admin/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": nonce})
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 303, answer.status
    session = next(c for c in answer.headers.get_all("set-cookie") if c.startswith("noxus_console="))
    return session.split(";")[0]


def timed(conn: object, path: str, cookie: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})  # type: ignore[attr-defined]
    answer = conn.getresponse()  # type: ignore[attr-defined]
    size = len(answer.read())
    return (time.perf_counter() - started) * 1000, answer.status, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with running_server(extra_config=f'\n[admin]\ntoken = "{TOKEN}"\n') as server:
        seconds = fill_jobs(server, args.jobs)
        print(f"store: {args.jobs:,} job rows written in {seconds:.1f} s")
        cookie, conn = sign_in(server), server.connection()
        # the compute pool's first look probes the GPU (ONNX Runtime's import, seconds, once per process):
        # done here through the API's capacity route so the first view below times the console alone
        conn.request("GET", "/api/v1/status/capacity", headers=server.auth())
        probe = conn.getresponse()
        probe.read()
        assert probe.status == 200, probe.status
        cold, status, _ = timed(conn, "/admin", cookie)  # the first view reads the past 30 days (SpendHistory)
        assert status == 200, status
        print(f"GET /admin first view (past days read): {cold:7.2f} ms")
        timed(conn, "/api/v1/health", cookie)
        times: dict[str, list[float]] = {"/admin": [], "/api/v1/health": []}
        size = 0
        for n in range(args.rounds):
            order = ("/admin", "/api/v1/health") if n % 2 == 0 else ("/api/v1/health", "/admin")
            for path in order:
                ms, status, length = timed(conn, path, cookie)
                assert status == 200, (path, status)
                times[path].append(ms)
                size = length if path == "/admin" else size
        overview, health = statistics.median(times["/admin"]), statistics.median(times["/api/v1/health"])
        p90 = statistics.quantiles(times["/admin"], n=10)[-1]
        print(f"GET /admin (overview, {size:,} B)  median {overview:7.2f} ms  p90 {p90:7.2f} ms  "
              f"max {max(times['/admin']):7.2f} ms")
        print(f"GET /api/v1/health (baseline)   median {health:7.2f} ms  "
              f"p90 {statistics.quantiles(times['/api/v1/health'], n=10)[-1]:7.2f} ms")
        print(f"ratio overview/health: {overview / health:.1f}x; overview minus baseline {overview - health:.2f} ms")
        verdict = "PASS" if overview <= TARGET_MS else "FAIL"
        print(f"{verdict}: overview median {overview:.1f} ms with {args.jobs:,} jobs (target <= {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
