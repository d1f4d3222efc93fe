"""What the typed media routes cost, against ping and against the same routes before the conversion.

Issue 18 item 4 moved these routes to typed handlers: the principal by dependency injection, a
msgspec Struct answer, a handler-level exception handler for seed 003's error shape, typed query
parameters. Measured in one run, alternating, so other load on the machine hits every side alike:

- ``ping`` (POST /api/v1/ping): what every authenticated route pays (key lookup, limits, envelope);
- ``cta`` (GET /api/v1/cta-designs): eight designs in seed 003's shape, no envelope;
- ``preview-404``: a signed music preview with a well-formed wrong signature: no key, the typed query
  parameters, the HMAC check and a 404 through the error handler.

With ``--baseline-repo /path/to/checkout`` (e.g. the main branch before the conversion) a second
server runs that checkout's code on the same venv, and each route is also reported as this tree's
server CPU per request over the baseline's (below 1.0: cheaper; req/s is printed too, but on a shared
machine CPU per request moves far less with other load).

Example::

    .venv/bin/python scripts/bench/bench_media_routes.py --quick --baseline-repo ../main
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import _server
from _server import BenchServer, running_server

HERE = Path(__file__).resolve().parent
ROUTES = {"ping": ("POST", "/api/v1/ping", True),
          "cta": ("GET", "/api/v1/cta-designs", True),
          "preview-404": ("GET", "/api/v1/music/calm_acoustic_1/preview?expires=99&sig=" + "0" * 64, False)}


def load(server: BenchServer, name: str, connections: int, duration: float) -> tuple[int, float, float, int]:
    """One loadgen.py run (its own process) against one route: requests, seconds, server CPU s, bad answers."""
    method, path, auth = ROUTES[name]
    headers = ["-H", f"Authorization: Bearer {server.key}"] if auth else []
    cpu0 = server.cpu_seconds() or 0.0
    out = subprocess.run([sys.executable, str(HERE / "loadgen.py"), server.base + path, "-X", method, *headers,
                          "-c", str(connections), "-d", str(duration), "--json"],
                         check=True, capture_output=True, text=True).stdout
    cpu = (server.cpu_seconds() or 0.0) - cpu0
    r = json.loads(out)
    expected_non_2xx = r["requests"] if name == "preview-404" else 0
    return r["requests"], r["duration_s"], cpu, abs(r["non_2xx"] - expected_non_2xx) + r["errors"]


def start(stack: ExitStack, repo: Path | None) -> BenchServer:
    """A server of this tree, or of ``repo`` (its ``noxus_local`` first on the path: ``-m`` runs from cwd)."""
    if repo is None:
        return stack.enter_context(running_server())
    own, _server.REPO_ROOT = _server.REPO_ROOT, repo.resolve()
    try:
        return stack.enter_context(running_server())
    finally:
        _server.REPO_ROOT = own


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-c", "--connections", type=int, default=16)
    p.add_argument("-d", "--duration", type=float, default=4.0, help="Seconds per run.")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="2 s runs")
    p.add_argument("--baseline-repo", type=Path, help="Another checkout to compare with (same venv)")
    args = p.parse_args(argv)
    duration = 2.0 if args.quick else args.duration
    print(f"bench_media_routes: {args.connections} connections, {duration:g} s per run, {args.rounds} rounds; "
          f"{os.cpu_count()} CPU(s) shared by client and servers")
    sides = ["this"] + (["baseline"] if args.baseline_repo else [])
    totals = {(side, name): [0, 0.0, 0.0, 0] for side in sides for name in ROUTES}
    with ExitStack() as stack:
        servers = {"this": start(stack, None)}
        if args.baseline_repo:
            servers["baseline"] = start(stack, args.baseline_repo)
        for side in sides:
            for name in ROUTES:
                load(servers[side], name, args.connections, 0.5)  # warm-up, not counted
        for _ in range(args.rounds):
            for name in ROUTES:
                for side in sides:
                    for i, value in enumerate(load(servers[side], name, args.connections, duration)):
                        totals[(side, name)][i] += value
    for (side, name), (requests, seconds, cpu, bad) in totals.items():
        print(f"  {side:<8} {name:<12} {requests / seconds:8.1f} req/s  server CPU {cpu / requests * 1e6:6.0f} us/req"
              + (f"  (WARNING: {bad} unexpected statuses)" if bad else ""))
    this = {name: totals[("this", name)] for name in ROUTES}
    print(f"ratio cta/ping req/s = {this['cta'][0] / this['cta'][1] / (this['ping'][0] / this['ping'][1]):.3f}")
    if args.baseline_repo:
        for name in ROUTES:
            mine, base = totals[("this", name)], totals[("baseline", name)]
            print(f"{name:<12} this/baseline: CPU per request {mine[2] / mine[0] / (base[2] / base[0]):.3f}, "
                  f"req/s {mine[0] / mine[1] / (base[0] / base[1]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
