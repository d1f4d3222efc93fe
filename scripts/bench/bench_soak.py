"""Soak: does the server's memory stay flat over thousands of jobs? (issue 8 item 3)

Why: a server that grows ~27 KB per job reaches hundreds of MB in a day and
never gives it back. This starts the real server (``_server.running_server``),
sends 100 warm-up qr jobs (imports, Pillow plugins and SQLite caches fill
once), then N one-shot qr jobs (PNG, defaults, ``return_base64: false``) from
a few keep-alive connections, sampling the server's RSS from ``/proc`` every
500 jobs, then waits idle and prints:

- RSS cold (just started), warm (after the warm-up), after the N jobs, after
  the idle period, and the growth warm → idle against the target (≤ 20 MB);
- the baseline, measured in the same run: the same N ``QrTool.run`` renders in
  a fresh Python process (no HTTP, no SQLite, no queue), its RSS growth over
  the same phases, and the ratio of the server's growth per job to it.

Example::

    .venv/bin/python scripts/bench/bench_soak.py                 # 5,000 jobs, 30 s idle
    .venv/bin/python scripts/bench/bench_soak.py --jobs 1000 --idle 5
    .venv/bin/python scripts/bench/bench_soak.py --jobs 3000 --pause 11   # quiet spells between bursts
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import BenchServer, running_server  # noqa: E402

TARGET_MB = 20.0
WARMUP = 100
SAMPLE_EVERY = 500
BODY = json.dumps({"text": "https://noxus.lat/soak", "output_format": "png", "return_base64": False})

# The baseline child: the same renders with no server around them, RSS from /proc.
DIRECT = """
import json, sys, tempfile
from pathlib import Path
from noxus_local.tools.base import Limits, ToolContext
from noxus_local.tools.qr import QrTool

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

def render(tool, n, workdir):
    for _ in range(n):
        params = tool.validate(json.loads(sys.argv[3]), {}, Limits())
        tool.call(ToolContext(params=params, files={}, limits=Limits(), workdir=workdir))

tool, cold = QrTool(), rss()
with tempfile.TemporaryDirectory() as tmp:
    render(tool, int(sys.argv[1]), Path(tmp))
    warm = rss()
    render(tool, int(sys.argv[2]), Path(tmp))
print(json.dumps({"cold": cold, "warm": warm, "after": rss()}))
"""


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def mb(n: float) -> str:
    return f"{n / 1e6:7.1f} MB"


def send_jobs(server: BenchServer, n: int, connections: int, samples: list[tuple[int, int]] | None = None,
              offset: int = 0) -> tuple[float, dict[int, int]]:
    """n one-shot qr calls over ``connections`` keep-alive connections; (seconds, statuses).

    Appends (jobs done, server RSS) to ``samples`` every SAMPLE_EVERY jobs,
    counting from ``offset``.
    """
    headers = {**server.auth(), "Content-Type": "application/json"}
    statuses: dict[int, int] = {}
    lock, done = threading.Lock(), [offset]

    def worker(count: int) -> None:
        conn = server.connection()
        for _ in range(count):
            conn.request("POST", "/api/v1/tools/qr", body=BODY, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                done[0] += 1
                if samples is not None and done[0] % SAMPLE_EVERY == 0:
                    samples.append((done[0], rss_bytes(server.proc.pid)))

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n // connections + (i < n % connections),))
               for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, statuses


def direct_baseline(n: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", DIRECT, str(WARMUP), str(n), BODY], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--jobs", type=int, default=5000)
    p.add_argument("--idle", type=float, default=30.0, help="Seconds idle after the jobs.")
    p.add_argument("-c", "--connections", type=int, default=4)
    p.add_argument("--pause", type=float, default=0.0,
                   help=f"Seconds idle after every {SAMPLE_EVERY} jobs (11+ lets idle request threads end).")
    args = p.parse_args(argv)
    pauses = f", {args.pause:g} s pause every {SAMPLE_EVERY}" if args.pause > 0 else ""
    print(f"bench_soak: {args.jobs} one-shot qr jobs over {args.connections} connections{pauses}, "
          f"then {args.idle:g} s idle", flush=True)
    with running_server(workers=2) as server:
        pid = server.proc.pid
        cold = rss_bytes(pid)
        send_jobs(server, WARMUP, args.connections)
        warm = rss_bytes(pid)
        samples: list[tuple[int, int]] = []
        seconds, statuses = 0.0, {}
        burst = args.jobs if args.pause <= 0 else SAMPLE_EVERY
        for sent in range(0, args.jobs, burst):
            if sent and args.pause > 0:
                time.sleep(args.pause)  # a quiet spell: idle request threads end and are replaced
            took, got = send_jobs(server, min(burst, args.jobs - sent), args.connections, samples=samples,
                                  offset=sent)
            seconds += took
            for status, n in got.items():
                statuses[status] = statuses.get(status, 0) + n
        after = rss_bytes(pid)
        time.sleep(args.idle)
        idle = rss_bytes(pid)
    direct = direct_baseline(args.jobs)
    report(args, cold, warm, after, idle, samples, seconds, statuses, direct)
    return 0


def report(args: argparse.Namespace, cold: int, warm: int, after: int, idle: int,
           samples: list[tuple[int, int]], seconds: float, statuses: dict[int, int],
           direct: dict[str, int]) -> None:
    print(f"  jobs: {args.jobs} in {seconds:.1f} s of sending ({args.jobs / seconds:.1f} jobs/s), statuses {statuses}")
    print("  RSS every 500 jobs: " + ", ".join(f"{n}: {r / 1e6:.1f}" for n, r in samples) + " (MB)")
    print(f"  server RSS: cold {mb(cold)}  warm (after {WARMUP}) {mb(warm)}  after jobs {mb(after)}  "
          f"after {args.idle:g} s idle {mb(idle)}")
    growth = idle - warm
    print(f"  server growth warm -> idle: {mb(growth)} ({growth / args.jobs / 1e3:.2f} KB/job)  "
          f"target <= {TARGET_MB:g} MB  {'PASS' if growth / 1e6 <= TARGET_MB else 'FAIL'}")
    d_growth = direct["after"] - direct["warm"]
    print(f"  baseline (QrTool.run direct, fresh process): cold {mb(direct['cold'])}  "
          f"warm {mb(direct['warm'])}  after {args.jobs} {mb(direct['after'])}  growth {mb(d_growth)}")
    # a flat baseline (0 MB) would give no finite ratio: floor it at 1 MB and say so
    floor = max(d_growth, 1_000_000)
    print(f"  ratio server growth / direct growth = {growth / floor:.2f}"
          + (" (direct growth floored at 1 MB)" if d_growth < floor else ""))
    if sum(n for s, n in statuses.items() if s != 200):
        print(f"  WARNING: non-200 answers {statuses}")


if __name__ == "__main__":
    sys.exit(main())
