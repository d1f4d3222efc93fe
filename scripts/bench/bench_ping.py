"""What authentication costs: POST /api/v1/ping (key lookup, limits) vs GET /api/v1/health.

Both endpoints go through the same uvicorn + Litestar stack and the same
request-id middleware; health skips the key hash, the SQLite key lookup, the
job-window count and the per-minute limiter. Their throughput ratio is the
share of capacity that auth keeps, and the target is >= 0.85.

Both run against ONE server in ONE run, alternating (health, ping, health,
ping) so thermal or background drift hits both equally. The load generator
runs in its own process so it does not share the server's GIL; on a 2-core
machine client and server still share the cores, which the output says.

Example::

    .venv/bin/python scripts/bench/bench_ping.py            # 32 connections, 10 s per run
    .venv/bin/python scripts/bench/bench_ping.py --quick    # 2 s per run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _server import BenchServer, running_server

HERE = Path(__file__).resolve().parent
TARGET = 0.85


@dataclass
class Run:
    """One load-generator run plus the server CPU it used."""

    name: str
    rps: float
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    client_cpu_s: float
    server_cpu_s: float | None

    def line(self) -> str:
        server = "n/a"
        if self.server_cpu_s is not None:
            server = f"{self.server_cpu_s / self.duration_s:.0%} ({self.server_cpu_s / self.requests * 1e6:.0f} us/req)"
        return (f"  {self.name:<7} {self.rps:8.1f} req/s  p50 {self.p50_ms:6.2f} ms  p90 {self.p90_ms:6.2f} ms  "
                f"p99 {self.p99_ms:6.2f} ms  non-2xx {self.non_2xx}  errors {self.errors}  "
                f"cpu: client {self.client_cpu_s / self.duration_s:.0%}, server {server}")


def load(server: BenchServer, name: str, connections: int, duration: float) -> Run:
    """Run loadgen.py in a child process against one endpoint; returns its measurements."""
    method, path, headers = ("GET", "/api/v1/health", []) if name == "health" else \
        ("POST", "/api/v1/ping", ["-H", f"Authorization: Bearer {server.key}"])
    cpu0 = server.cpu_seconds()
    out = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), server.base + path, "-X", method, *headers,
         "-c", str(connections), "-d", str(duration), "--json"],
        check=True, capture_output=True, text=True).stdout
    cpu1 = server.cpu_seconds()
    r = json.loads(out)
    server_cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Run(name=name, rps=r["rps"], requests=r["requests"], duration_s=r["duration_s"],
               p50_ms=r["p50_ms"], p90_ms=r["p90_ms"], p99_ms=r["p99_ms"], non_2xx=r["non_2xx"],
               errors=r["errors"], client_cpu_s=r["client_cpu_s"], server_cpu_s=server_cpu)


def aggregate(runs: list[Run], name: str) -> float:
    """Requests per second over every counted run of one endpoint (total / total time)."""
    mine = [r for r in runs if r.name == name]
    return sum(r.requests for r in mine) / sum(r.duration_s for r in mine)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-c", "--connections", type=int, default=32)
    p.add_argument("-d", "--duration", type=float, default=10.0, help="Seconds per run.")
    p.add_argument("--rounds", type=int, default=2, help="health+ping pairs, alternated.")
    p.add_argument("--quick", action="store_true", help="2 s runs (and a shorter warm-up).")
    args = p.parse_args(argv)
    duration = 2.0 if args.quick else args.duration
    print(f"bench_ping: {args.connections} connections, {duration:g} s per run, {args.rounds} rounds "
          f"alternating health/ping; machine has {os.cpu_count()} CPU(s): client (separate process) "
          f"and server share them")
    with running_server() as server:
        for name in ("health", "ping"):
            load(server, name, args.connections, 0.5 if args.quick else 2.0)  # warm-up, not counted
        runs: list[Run] = []
        for _ in range(args.rounds):
            for name in ("health", "ping"):
                runs.append(load(server, name, args.connections, duration))
                print(runs[-1].line(), flush=True)
    report(runs)
    return 0


def cpu_per_request(runs: list[Run], name: str) -> float | None:
    """Server CPU seconds per request: unlike req/s, barely moved by other load on the machine."""
    mine = [r for r in runs if r.name == name]
    if any(r.server_cpu_s is None for r in mine):
        return None
    return sum(r.server_cpu_s or 0.0 for r in mine) / sum(r.requests for r in mine)


def report(runs: list[Run]) -> None:
    health, ping = aggregate(runs, "health"), aggregate(runs, "ping")
    ratio = ping / health
    bad = sum(r.non_2xx + r.errors for r in runs)
    print(f"GET  /api/v1/health (no auth): {health:8.1f} req/s")
    print(f"POST /api/v1/ping   (auth)   : {ping:8.1f} req/s")
    print(f"ratio ping/health = {ratio:.3f}  target >= {TARGET}  "
          f"{'PASS' if ratio >= TARGET else 'FAIL'}" + (f"  (WARNING: {bad} non-2xx/errors)" if bad else ""))
    cpu_health, cpu_ping = cpu_per_request(runs, "health"), cpu_per_request(runs, "ping")
    if cpu_health and cpu_ping:
        print(f"server CPU per request: health {cpu_health * 1e6:.0f} us, ping {cpu_ping * 1e6:.0f} us "
              f"-> CPU-bound capacity ratio {cpu_health / cpu_ping:.3f} (less sensitive to other load)")


if __name__ == "__main__":
    sys.exit(main())
