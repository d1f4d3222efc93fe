"""What GET /v1/models costs, before and after its listing was cached (issue 18 item 2), against ping.

``GET /v1/models`` used to list the model store from disk on every call (parse the manifest, stat
every declared file: ~8 ms of CPU); it now keeps the listing until the store changes
(``inference/registry/installed.cached_list``). Two real servers run in ONE run on the same machine
load: the code of ``--base`` (default ea27c8d, before the cache; its ``noxus_local`` and manifest
exported with ``git archive`` into a temp dir) and this checkout's. Each is loaded with
``GET /v1/models`` and ``POST /api/v1/ping`` alternately (loadgen.py, its own process), and the
server's CPU per request is read from /proc: CPU is barely moved by other load, unlike req/s.
Printed: µs of server CPU per request of each route, the ratio models/ping per server, and the
before/after ratio of /v1/models.

Example::

    .venv/bin/python scripts/bench/bench_models_list.py            # 4 connections, 3 s per run
    .venv/bin/python scripts/bench/bench_models_list.py --base HEAD~3 -d 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from _server import REPO_ROOT, BenchServer, running_server

HERE = Path(__file__).resolve().parent
ROUTES = {"models": ("GET", "/v1/models"), "ping": ("POST", "/api/v1/ping")}


def cpu_per_request(server: BenchServer, name: str, connections: int, duration: float) -> tuple[float, int]:
    """Server CPU µs per request over one loadgen run of a route, and the non-2xx answers."""
    method, path = ROUTES[name]
    cpu0 = server.cpu_seconds()
    out = subprocess.run([sys.executable, str(HERE / "loadgen.py"), server.base + path, "-X", method,
                          "-H", f"Authorization: Bearer {server.key}", "-c", str(connections),
                          "-d", str(duration), "--json"], check=True, capture_output=True, text=True).stdout
    cpu1 = server.cpu_seconds()
    r = json.loads(out)
    assert cpu0 is not None and cpu1 is not None, "no /proc CPU figures for the server"
    return (cpu1 - cpu0) / r["requests"] * 1e6, r["non_2xx"] + r["errors"]


def measure(label: str, repo: Path, connections: int, duration: float, rounds: int) -> dict[str, float]:
    totals = {name: 0.0 for name in ROUTES}
    with running_server(repo_root=repo) as server:
        for name in ROUTES:
            cpu_per_request(server, name, connections, 1.0)  # warm-up, not counted
        for _ in range(rounds):
            for name in ROUTES:
                us, bad = cpu_per_request(server, name, connections, duration)
                totals[name] += us / rounds
                print(f"  {label:<6} {ROUTES[name][1]:<14} {us:8.0f} us CPU/request" +
                      (f"  WARNING {bad} non-2xx/errors" if bad else ""), flush=True)
    return totals


def export(base: str, dest: Path) -> Path:
    """``noxus_local`` and ``models/manifest.toml`` of ``base``, as files in ``dest``."""
    tar = dest / "base.tar"
    subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "-o", str(tar), base, "noxus_local",
                    "models/manifest.toml"], check=True)
    with tarfile.open(tar) as archive:
        archive.extractall(dest, filter="data")
    tar.unlink()
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--base", default="ea27c8d", help="The commit measured as 'before'.")
    p.add_argument("-c", "--connections", type=int, default=4)
    p.add_argument("-d", "--duration", type=float, default=3.0, help="Seconds per run.")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    print(f"bench_models_list: {args.connections} connections, {args.duration:g} s per run, {args.rounds} rounds; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="noxus-bench-base-") as tmp:
        before = measure("before", export(args.base, Path(tmp)), args.connections, args.duration, args.rounds)
    after = measure("after", REPO_ROOT, args.connections, args.duration, args.rounds)
    for label, t in (("before", before), ("after", after)):
        print(f"{label} ({args.base if label == 'before' else 'this checkout'}): GET /v1/models {t['models']:.0f} us, "
              f"POST /api/v1/ping {t['ping']:.0f} us -> models/ping = {t['models'] / t['ping']:.2f}")
    print(f"GET /v1/models CPU per request after/before = {after['models'] / before['models']:.3f} "
          f"(models/ping: {before['models'] / before['ping']:.2f} -> {after['models'] / after['ping']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
