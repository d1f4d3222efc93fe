"""What the typed OpenAI-compatible routes cost per request, against POST /api/v1/ping on the same server.

The /v1 routes now take their services and caller by dependency injection, return
msgspec Structs, read JSON bodies into a Struct (``ChatCompletionRequest``) and
answer errors through their own exception handler in OpenAI's shape. This measures
that machinery over HTTP, each endpoint against the cheapest authenticated route
(``POST /api/v1/ping``: the same key lookup, limits and request-id middleware):

- ``models``: ``GET /v1/models`` (DI principal, a ``ModelList`` Struct answered);
- ``voices``: ``GET /v1/audio/voices`` (every Kokoro voice, ~7 KB of JSON);
- ``chat-400``: ``POST /v1/chat/completions`` with a body the typed reader refuses
  (``temperature: "hot"``: the Struct's type), after authentication, scope and the tool's
  checks: the submit path up to the read, msgspec's strict conversion, and the route's
  OpenAI error handler. No job is written, nothing is held.

The measure is the server's CPU time per request (/proc), which other load on a
shared machine barely moves, unlike req/s (also printed). One server, one run,
endpoints alternated (ping, models, voices, chat-400, ping, ...)
so drift hits all equally; the load generator runs in its own process. With
``--against DIR`` (another checkout, e.g. a worktree of main before the change) a
second server runs from there, the same endpoints alternate over both, and each
endpoint's throughput is also given as this checkout's over that one's: the
conversion's own cost, measured in the same run.

Example::

    .venv/bin/python scripts/bench/bench_openai_routes.py            # 8 connections, 4 s per run
    .venv/bin/python scripts/bench/bench_openai_routes.py --quick    # 2 s per run
    git worktree add --detach /tmp/main-before main~1
    .venv/bin/python scripts/bench/bench_openai_routes.py --against /tmp/main-before
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import _server
from _server import BenchServer, running_server

HERE = Path(__file__).resolve().parent
# each /v1 route's capacity over ping's (server CPU per request); /v1/models lists the installed text
# models from disk on every call (generate/llm/models.py, unchanged by the typed route), so it has none:
# read its A/B ratio instead
TARGET = {"voices": 0.6, "chat-400": 0.2}
BAD_CHAT = json.dumps({"model": "qwen2.5-coder-0.5b-instruct", "temperature": "hot",
                       "messages": [{"role": "user", "content": "Hola"}]})
ENDPOINTS = {
    "ping": ("POST", "/api/v1/ping", ""),
    "models": ("GET", "/v1/models", ""),
    "voices": ("GET", "/v1/audio/voices", ""),
    "chat-400": ("POST", "/v1/chat/completions", BAD_CHAT),
}
EXPECTED = {"ping": 200, "models": 200, "voices": 200, "chat-400": 400}


def load(server: BenchServer, name: str, connections: int, duration: float) -> dict[str, float]:
    """One loadgen.py run (its own process) against one endpoint: its JSON result, plus the server's CPU
    seconds over the run (``server_cpu_s``; /proc, Linux)."""
    method, path, body = ENDPOINTS[name]
    cpu0 = server.cpu_seconds()
    headers = ["-H", f"Authorization: Bearer {server.key}", "-H", "Content-Type: application/json"]
    out = subprocess.run([sys.executable, str(HERE / "loadgen.py"), server.base + path, "-X", method, *headers,
                          "--data", body, "-c", str(connections), "-d", str(duration), "--json"],
                         check=True, capture_output=True, text=True).stdout
    cpu1 = server.cpu_seconds()
    return {**json.loads(out), "server_cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else 0.0}


def check(server: BenchServer) -> None:
    """Each endpoint answers what it should before it is timed (a 401 would be fast and meaningless)."""
    for name, (method, path, body) in ENDPOINTS.items():
        conn = server.connection()
        conn.request(method, path, body=body.encode() or None,
                     headers={**server.auth(), "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        assert response.status == EXPECTED[name], (name, response.status, data[:300])
        if name == "chat-400":
            assert json.loads(data)["error"]["param"] == "temperature", data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("-c", "--connections", type=int, default=8)
    p.add_argument("-d", "--duration", type=float, default=4.0, help="Seconds per run.")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="2 s runs, one round")
    p.add_argument("--against", type=Path, help="Another checkout to run the same endpoints on, alternated")
    args = p.parse_args(argv)
    duration, rounds = (2.0, 1) if args.quick else (args.duration, args.rounds)
    print(f"bench_openai_routes: {args.connections} connections, {duration:g} s per run, {rounds} round(s); "
          f"machine has {os.cpu_count()} CPU(s) shared by client and server")
    with contextlib.ExitStack() as stack:
        servers = {"this": stack.enter_context(running_server())}
        if args.against is not None:
            _server.REPO_ROOT = args.against.resolve()  # the next server starts from that checkout
            servers["against"] = stack.enter_context(running_server())
        totals = measure(servers, args.connections, duration, rounds)
    ok = verdict(totals, "this")
    if args.against is not None:
        verdict(totals, "against")
        for name in ENDPOINTS:
            mine, theirs = (cpu_us(totals[(side, name)][3], totals[(side, name)][0]) for side in ("this", "against"))
            print(f"ratio {name}: server CPU per request, {args.against} / this checkout = {theirs / mine:.3f} "
                  "(> 1: this checkout is cheaper)")
    print("PASS" if ok else "FAIL")
    return 0


def measure(servers: dict[str, BenchServer], connections: int, duration: float,
            rounds: int) -> dict[tuple[str, str], list[float]]:
    """(server, endpoint) → [requests, seconds, unexpected answers, server CPU seconds], the endpoints
    alternated over servers."""
    totals = {(side, name): [0.0, 0.0, 0.0, 0.0] for side in servers for name in ENDPOINTS}
    for server in servers.values():
        check(server)
        for name in ENDPOINTS:
            load(server, name, connections, 0.5)  # warm-up, not counted
    for _ in range(rounds):
        for name in ENDPOINTS:
            for side, server in servers.items():
                r = load(server, name, connections, duration)
                wrong = r["errors"] + (r["non_2xx"] if EXPECTED[name] < 300 else r["requests"] - r["non_2xx"])
                total = totals[(side, name)]
                total[0] += r["requests"]
                total[1] += r["duration_s"]
                total[2] += wrong
                total[3] += r["server_cpu_s"]
                print(f"  {side:<7} {name:<9} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                      f"p99 {r['p99_ms']:6.2f} ms  server CPU {cpu_us(r['server_cpu_s'], r['requests']):6.0f} "
                      "us/req", flush=True)
    return totals


def cpu_us(cpu_s: float, requests: float) -> float:
    return cpu_s / requests * 1e6 if requests else 0.0


def verdict(totals: dict[tuple[str, str], list[float]], side: str) -> bool:
    """Each /v1 endpoint's capacity over ping's on one server: ping's server CPU per request over the
    endpoint's (what req/s would be if the server had the cores to itself; barely moved by other load)."""
    base = cpu_us(totals[(side, "ping")][3], totals[(side, "ping")][0])
    print(f"[{side}] baseline POST /api/v1/ping: {base:.0f} us server CPU per request")
    ok = True
    for name in ("models", "voices", "chat-400"):
        requests, seconds, wrong, cpu = totals[(side, name)]
        ratio = base / cpu_us(cpu, requests)
        ok = ok and ratio >= TARGET.get(name, 0) and not wrong
        print(f"[{side}] ratio {name}/ping = {ratio:.3f}  ({cpu_us(cpu, requests):.0f} us/req, "
              f"{requests / seconds:.1f} req/s)"
              + (f"  target >= {TARGET[name]}" if name in TARGET else "  (no target: see above)")
              + (f"  WARNING: {int(wrong)} unexpected answers" if wrong else ""))
    return ok


if __name__ == "__main__":
    sys.exit(main())
