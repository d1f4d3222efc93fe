"""What the admin API's HTTP layer costs per request: admin routes vs GET /api/v1/health, in-process ASGI.

Why: issue 18 item 4 moved the admin API onto one guarded Router with typed
handlers (the token check as a guard, the actor by dependency injection, answers
converted into msgspec Structs). This measures the server's own CPU per request
(no sockets, no client process: the app is called as an ASGI callable) for

1. the baseline, ``GET /api/v1/health`` (no auth, no database), and
2. admin reads and one write: ``GET /api/v1/admin/keys`` (20 keys), ``GET /api/v1/admin/accounts``,
   ``GET /api/v1/admin/audit?limit=50`` and ``POST /api/v1/admin/accounts/acme/credit`` (a ledger write),

alternated in rounds, median per route, and prints each admin route's time as a multiple of
the health baseline. Run it in two checkouts (before and after a change) and compare the
ratios: the baseline absorbs the machine's load, the ratio does not.

Example::

    .venv/bin/python scripts/bench/bench_admin_api.py               # 5 rounds of 200 requests per route
    .venv/bin/python scripts/bench/bench_admin_api.py --rounds 3 --requests 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from litestar.testing import AsyncTestClient  # noqa: E402

from noxus_local.admin import service as admin  # noqa: E402
from noxus_local.app import create_app  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.node.services import prepare  # noqa: E402

TOKEN = "bench-admin-token-0123456789abcdef"
AUTH = [(b"authorization", f"Bearer {TOKEN}".encode())]
JSON = [(b"content-type", b"application/json")]
ROUTES: dict[str, tuple[str, str, str, list[tuple[bytes, bytes]], bytes]] = {
    # name: (method, path, query, headers, body)
    "health": ("GET", "/api/v1/health", "", [], b""),
    "keys": ("GET", "/api/v1/admin/keys", "", AUTH, b""),
    "accounts": ("GET", "/api/v1/admin/accounts", "", AUTH, b""),
    "audit": ("GET", "/api/v1/admin/audit", "limit=50", AUTH, b""),
    "credit": ("POST", "/api/v1/admin/accounts/acme/credit", "", AUTH + JSON,
               json.dumps({"amount_usd": "0.01", "environment": "test", "note": "bench"}).encode()),
}


async def call(app: Any, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]],
               body: bytes) -> int:
    """One request straight into the ASGI app; returns the status."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"bench"), *headers, (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("bench", 80), "state": {}}
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(app: Any, name: str, n: int) -> tuple[float, float]:
    """(wall, process CPU) microseconds per request over ``n`` requests of one route (each must answer 2xx).
    CPU counts the worker threads too and not the waits (a write's fsync), so other load on the machine
    moves it less than the wall time."""
    method, path, query, headers, body = ROUTES[name]
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        status = await call(app, method, path, query, headers, body)
        if not 200 <= status < 300:
            raise SystemExit(f"{name}: HTTP {status}")
    return (time.perf_counter() - start) / n * 1e6, (time.process_time() - cpu) / n * 1e6


async def run(rounds: int, requests: int) -> dict[str, list[tuple[float, float]]]:
    data = Path(tempfile.mkdtemp(prefix="bench-admin-")) / "data"
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data), "NOXUS_ADMIN_TOKEN": TOKEN,
                             "NOXUS_SERVER_LOCALE": "en"})
    prepare(cfg)
    app = create_app(cfg, start_workers=False)
    svc = app.state["services"]
    actor = admin.Actor("bench", "cli")
    admin.create_account(svc.db, cfg, actor, "acme", name="ACME")
    for i in range(20):
        admin.create_key(svc.db, actor, "acme", name=f"k{i}")
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ROUTES}
    async with AsyncTestClient(app):  # runs the app's startup and shutdown
        for name in ROUTES:  # warm-up, not counted
            await timed(app, name, max(10, requests // 10))
        for r in range(rounds):
            order = list(ROUTES) if r % 2 == 0 else list(reversed(ROUTES))
            for name in order:
                times[name].append(await timed(app, name, requests))
    svc.db.close()
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=200, help="Requests per route per round.")
    p.add_argument("--only", default="", help="Comma-separated admin routes to time (health always runs).")
    args = p.parse_args(argv)
    if args.only:
        for name in [n for n in ROUTES if n != "health" and n not in args.only.split(",")]:
            del ROUTES[name]
    print(f"bench_admin_api: {args.rounds} rounds x {args.requests} requests per route, in-process ASGI, "
          f"{os.cpu_count()} CPU(s)")
    times = asyncio.run(run(args.rounds, args.requests))
    base = statistics.median(t[0] for t in times["health"])
    base_cpu = statistics.median(t[1] for t in times["health"])
    print(f"  {'health':<9} {base:8.0f} us/req wall, {base_cpu:8.0f} us/req CPU  (baseline)")
    for name in ROUTES:
        if name == "health":
            continue
        wall = statistics.median(t[0] for t in times[name])
        cpu = statistics.median(t[1] for t in times[name])
        print(f"  {name:<9} {wall:8.0f} us/req wall, {cpu:8.0f} us/req CPU  "
              f"{wall / base:5.2f}x health wall, {cpu / base_cpu:5.2f}x health CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
