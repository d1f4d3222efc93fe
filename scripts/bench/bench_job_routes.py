"""What the typed job routes cost: GET /api/v1/jobs/{id} vs POST /api/v1/ping, and the body's own cost.

Issue 18 item 4 made the job routes return msgspec Structs (``api.job_schemas``):
the body built by ``jobs.view.job_body`` is converted to ``JobDetail`` (which also
checks it against the published schema) and msgspec encodes it. Two numbers:

1. HTTP, one server, one run: a finished multi-step job's ``GET /api/v1/jobs/{id}``
   against ``POST /api/v1/ping`` (the same auth, no job), alternated, each through
   ``loadgen.py`` in its own process. The ratio is what reading a job costs on top
   of an authenticated request.
2. In process: the typed body (``job_struct`` + ``msgspec.json.encode``) against the
   old one (``envelope.encode`` of the dict, as ``json_response`` built it), on the
   same realistic body; ratio new/old time (< 1: the typed path is cheaper).

The HTTP part alone (``--http-only``) runs on an older checkout too: copy this
file into its scripts/bench/ to measure the same ratio before the change.

Example::

    .venv/bin/python scripts/bench/bench_job_routes.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from _server import BenchServer, running_server  # noqa: E402


def load(server: BenchServer, method: str, path: str, connections: int, duration: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), server.base + path, "-X", method,
         "-H", f"Authorization: Bearer {server.key}", "-c", str(connections), "-d", str(duration), "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def a_job(server: BenchServer) -> str:
    """A real finished job with steps and outputs: a QR code."""
    conn = server.connection()
    body = json.dumps({"text": "https://noxus.lat", "return_base64": False})
    conn.request("POST", "/api/v1/tools/qr", body, {**server.auth(), "Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    assert answer["success"], answer
    return str(answer["job_id"])


def http_ratio(connections: int, duration: float, rounds: int) -> None:
    with running_server() as server:
        job_id = a_job(server)
        targets = {"ping": ("POST", "/api/v1/ping"), "job": ("GET", f"/api/v1/jobs/{job_id}")}
        for method, path in targets.values():
            load(server, method, path, connections, min(duration, 1.0))  # warm-up, not counted
        totals = {name: [0, 0.0, 0] for name in targets}
        for _ in range(rounds):
            for name, (method, path) in targets.items():
                r = load(server, method, path, connections, duration)
                totals[name][0] += r["requests"]
                totals[name][1] += r["duration_s"]
                totals[name][2] += r["non_2xx"] + r["errors"]
                print(f"  {name:<5} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms",
                      flush=True)
    rps = {name: n / s for name, (n, s, _) in totals.items()}
    bad = sum(t[2] for t in totals.values())
    print(f"POST /api/v1/ping          : {rps['ping']:8.1f} req/s")
    print(f"GET  /api/v1/jobs/{{id}}     : {rps['job']:8.1f} req/s")
    print(f"ratio job/ping = {rps['job'] / rps['ping']:.3f}" + (f"  (WARNING: {bad} non-2xx/errors)" if bad else ""))


def body_ratio(repeat: int) -> None:
    import msgspec

    from noxus_local.api.docs import RID
    from noxus_local.api.envelope import encode
    from noxus_local.api.job_examples import JOB_ROW, PIPELINE_RUNNING
    from noxus_local.api.job_schemas import JobDetail, job_struct

    body = {**JOB_ROW, "steps": PIPELINE_RUNNING["steps"], "jobs": PIPELINE_RUNNING["jobs"],
            "sub_jobs": PIPELINE_RUNNING["jobs"], "webhooks": []}

    def old() -> bytes:
        return encode({"success": True, **body, "request_id": RID})

    def new() -> bytes:
        return msgspec.json.encode(job_struct({"success": True, **body, "request_id": RID}, JobDetail))

    assert json.loads(old()) == json.loads(new())  # the same answer, member for member
    timings = {}
    for name, fn in (("old", old), ("new", new), ("old", old), ("new", new)):  # alternated, best of two
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        timings[name] = min(timings.get(name, 1e9), (time.perf_counter() - started) / repeat)
    print(f"job body, dict + json.dumps (old) : {timings['old'] * 1e6:7.1f} us")
    print(f"job body, Struct + msgspec  (new) : {timings['new'] * 1e6:7.1f} us")
    print(f"ratio new/old = {timings['new'] / timings['old']:.3f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-c", "--connections", type=int, default=16)
    p.add_argument("-d", "--duration", type=float, default=5.0, help="Seconds per HTTP run.")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="2 s HTTP runs.")
    p.add_argument("--http-only", action="store_true",
                   help="Only the HTTP ratio (runs on a checkout from before the typed routes, for comparison).")
    args = p.parse_args(argv)
    duration = 2.0 if args.quick else args.duration
    print(f"bench_job_routes: machine has {os.cpu_count()} CPU(s); client (separate process) and server share them")
    if not args.http_only:
        body_ratio(2000 if args.quick else 10000)
    http_ratio(args.connections, duration, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
