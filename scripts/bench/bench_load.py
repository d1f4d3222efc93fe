"""Load: 100 concurrent clients for 60 s, ping plus 25 % qr, and /api/v1/health throughout.

Why: under a burst of clients the server must stay correct (no 5xx, no
dropped connections) and keep answering its health check, or a load
balancer or systemd watchdog would take it out. In one run this prints:

1. the baseline: a bare Litestar + uvicorn app in its own process with the
   same two routes and no auth, SQLite, limits, billing or job rows — ping
   answers ``{"success": true}``, qr calls ``QrTool`` in a thread — under the
   same mix and clients;
2. the real server (``_server.running_server``, a tier with no limits) under
   the mix: req/s, p50/p99 overall and per request, the count of 5xx and of
   connection errors (both must be 0);
3. for both, a prober in this process that opens a new connection to
   ``GET /api/v1/health`` every 0.5 s: probes, failures, max latency;
4. the ratio of the real server's req/s to the baseline's.

The load generator (``loadgen.py --mix``) runs in its own process so it does
not share a GIL with the prober or the server.

Example::

    .venv/bin/python scripts/bench/bench_load.py                 # 100 clients, 60 s per phase
    .venv/bin/python scripts/bench/bench_load.py --duration 20   # on a busy machine
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import free_port, running_server  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
QR_BODY = json.dumps({"text": "https://noxus.lat/load", "output_format": "png"})
PROBE_EVERY = 0.5

# The baseline: the same two routes with nothing around them.
BARE = """
import sys
import anyio
import uvicorn
from litestar import Litestar, get, post
from noxus_local.tools.base import Limits, ToolContext
from noxus_local.tools.qr import QrTool
import base64, pathlib, tempfile

TOOL, WORK = QrTool(), pathlib.Path(tempfile.mkdtemp())

def render(raw: dict) -> dict:
    params = TOOL.validate(raw, {}, Limits())
    out = TOOL.call(ToolContext(params=params, files={}, limits=Limits(), workdir=WORK))
    return {"success": True, "output": {"filename": out.filename, "mime_type": out.mime_type,
            "size_bytes": len(out.data), "content_base64": base64.b64encode(out.data).decode()}}

@post("/api/v1/ping", status_code=200)
async def ping() -> dict:
    return {"success": True}

@post("/api/v1/tools/qr", status_code=200)
async def qr(data: dict) -> dict:
    return await anyio.to_thread.run_sync(render, data)

@get("/api/v1/health")
async def health() -> dict:
    return {"success": True, "status": "ok"}

app = Litestar([ping, qr, health], debug=False, logging_config=None)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@dataclass
class Probes:
    """What the health prober saw: one new connection per probe."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        worst = max(self.latencies_ms, default=0.0)
        return (f"health prober: {len(self.latencies_ms) + len(self.failures)} probes every {PROBE_EVERY:g} s, "
                f"{len(self.failures)} failed, max {worst:.1f} ms"
                + (f"  failures: {self.failures[:3]}" if self.failures else ""))


def probe_health(host: str, port: int, stop: threading.Event, probes: Probes) -> None:
    while not stop.wait(PROBE_EVERY):
        started = time.perf_counter()
        conn = http.client.HTTPConnection(host, port, timeout=5)
        try:
            conn.request("GET", "/api/v1/health")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                probes.failures.append(f"HTTP {response.status}")
            else:
                probes.latencies_ms.append((time.perf_counter() - started) * 1e3)
        except OSError as exc:
            probes.failures.append(type(exc).__name__)
        finally:
            conn.close()


def mix_file(folder: Path, key: str | None) -> Path:
    auth = [f"Authorization: Bearer {key}"] if key else []
    mix = [{"name": "ping", "method": "POST", "path": "/api/v1/ping", "headers": auth, "weight": 3},
           {"name": "qr", "method": "POST", "path": "/api/v1/tools/qr", "weight": 1, "body": QR_BODY,
            "headers": [*auth, "Content-Type: application/json"]}]
    path = folder / f"mix-{'noxus' if key else 'bare'}.json"
    path.write_text(json.dumps(mix))
    return path


def load(host: str, port: int, mix: Path, connections: int, duration: float) -> tuple[dict, Probes]:
    """loadgen.py --mix in a child process, the health prober in a thread here."""
    probes, stop = Probes(), threading.Event()
    prober = threading.Thread(target=probe_health, args=(host, port, stop, probes), daemon=True)
    prober.start()
    try:
        out = subprocess.run([sys.executable, str(HERE / "loadgen.py"), f"http://{host}:{port}", "--mix", str(mix),
                              "-c", str(connections), "-d", str(duration), "--json"],
                             check=True, capture_output=True, text=True).stdout
    finally:
        stop.set()
        prober.join()
    return json.loads(out), probes


@contextmanager
def bare_server() -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOXUS_")}
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(port)], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_health(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(15)


def _wait_health(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"baseline server exited: {proc.stderr.read() if proc.stderr else ''}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise RuntimeError("baseline server did not start")


def describe(name: str, r: dict, probes: Probes) -> None:
    fivexx = sum(n for status, n in r["statuses"].items() if status.startswith("5"))
    print(f"{name}: {r['rps']:8.1f} req/s  {r['requests']} req in {r['duration_s']:.1f} s, "
          f"{r['connections']} clients  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
          f"max {r['max_ms']:.1f} ms  statuses {r['statuses']}  5xx {fivexx}  connection errors {r['errors']}")
    for req, s in r.get("per_request", {}).items():
        print(f"    {req:<5} {s['requests']:7d} req ({s['requests'] / max(1, r['requests']):.0%})  "
              f"p50 {s['p50_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms  max {s['max_ms']:.1f} ms  "
              f"non-2xx {s['non_2xx']}")
    print(f"    {probes.line()}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-c", "--connections", type=int, default=100)
    p.add_argument("-d", "--duration", type=float, default=60.0, help="Seconds per phase.")
    args = p.parse_args(argv)
    print(f"bench_load: {args.connections} clients, {args.duration:g} s per phase, 75 % POST /api/v1/ping + "
          f"25 % POST /api/v1/tools/qr; machine has {os.cpu_count()} CPU(s) shared by server, loadgen and "
          f"prober", flush=True)
    with tempfile.TemporaryDirectory(prefix="noxus-load-") as tmp:
        with bare_server() as port:
            bare, bare_probes = load("127.0.0.1", port, mix_file(Path(tmp), None), args.connections, args.duration)
        describe("baseline (bare Litestar, same routes)", bare, bare_probes)
        with running_server(concurrent_jobs=0) as server:
            noxus, probes = load(server.host, server.port, mix_file(Path(tmp), server.key),
                                 args.connections, args.duration)
        describe("NOXUS Local (auth, limits, billing, job rows)", noxus, probes)
    return verdict(noxus, probes, bare)


def verdict(r: dict, probes: Probes, bare: dict) -> int:
    fivexx = sum(n for status, n in r["statuses"].items() if status.startswith("5"))
    ok = fivexx == 0 and r["errors"] == 0 and not probes.failures and r["non_2xx"] == 0
    print(f"ratio NOXUS/baseline req/s = {r['rps'] / bare['rps']:.3f}  "
          f"(p99 {r['p99_ms']:.1f} vs {bare['p99_ms']:.1f} ms)")
    print(f"5xx {fivexx}, connection errors {r['errors']}, other non-2xx {r['non_2xx'] - fivexx}, "
          f"health failures {len(probes.failures)}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
