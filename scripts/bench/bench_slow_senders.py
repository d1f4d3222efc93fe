"""Do slow URL inputs slow down other calls? qr latency alone vs beside 45 downloads dripping 1 byte/s.

Issue 17: each ``<field>_url`` download used to hold one of the server's 40
default worker threads for as long as its sender dripped, so 45 slow senders
left a qr call no thread (every call timed out). Now downloads wait on the
event loop under fetch slots of their own. This starts the real server
(``[assets] fetch_slots = 64``, a 60 s deadline, no minimum rate, so all 45
drip for the whole measurement), a dripping HTTP server on loopback, and
times sequential one-shot qr calls on one keep-alive connection: alone, then
beside 45 image-convert calls whose ``image_url`` drips (half into the body,
half into the headers), alternated ``--rounds`` times so outside load hits
both. The target is loaded p99 / unloaded p99 close to 1 (< 2).

Example::

    .venv/bin/python scripts/bench/bench_slow_senders.py             # 2 x 150 qr calls per phase, ~20 s
    .venv/bin/python scripts/bench/bench_slow_senders.py --calls 300 --rounds 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import select
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _server import BenchServer, running_server

SLOW = 45
TARGET = 2.0
EXTRA = """
[assets]
fetch_allow_hosts = ["127.0.0.1"]
fetch_timeout_seconds = 60.0
fetch_min_bytes_per_second = 0
fetch_slots = 64
"""
PNG_HEAD = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"


class Drip(BaseHTTPRequestHandler):
    """One byte a second until the client hangs up or the bench ends; ``/headers`` drips its headers too."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n"
        if not self.path.startswith("/headers"):
            self.wfile.write(head)
            head = b""
        with self.server.lock:
            self.server.active += 1
        try:
            for byte in head + PNG_HEAD + b"\0" * 1000:
                self.wfile.write(bytes([byte]))
                readable, _, _ = select.select([self.connection], [], [], 1.0)
                if readable or self.server.stop.is_set():
                    break
        except OSError:
            pass
        finally:
            with self.server.lock:
                self.server.active -= 1


class DripServer(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Drip)
        self.stop, self.lock, self.active = threading.Event(), threading.Lock(), 0


def qr_phase(server: BenchServer, calls: int) -> list[float]:
    """Sequential one-shot qr calls on one keep-alive connection: seconds each."""
    conn, latencies = server.connection(timeout=30), []
    headers = {**server.auth(), "Content-Type": "application/json"}
    for n in range(calls):
        started = time.perf_counter()
        conn.request("POST", "/api/v1/tools/qr", body=json.dumps({"text": f"bench {n}"}), headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies


def slow_call(server: BenchServer, url: str, statuses: list[int]) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        conn.request("POST", "/api/v1/tools/image-convert", body=json.dumps({"image_url": url}),
                     headers={**server.auth(), "Content-Type": "application/json"})
        statuses.append(conn.getresponse().status)
    except OSError:
        statuses.append(0)
    finally:
        conn.close()


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.99 * len(values)) - 1)]


def line(name: str, values: list[float]) -> str:
    return (f"  {name:<28} p50 {statistics.median(values) * 1000:7.1f} ms   p99 {p99(values) * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms")


def loaded_phase(server: BenchServer, drip: DripServer, calls: int) -> tuple[list[float], int, list[int]]:
    """qr calls while SLOW downloads drip; returns the latencies, the drips seen throughout, their answers."""
    base = f"http://127.0.0.1:{drip.server_address[1]}"
    statuses: list[int] = []
    threads = [threading.Thread(target=slow_call, args=(server, f"{base}/{('body', 'headers')[n % 2]}/{n}",
                                                         statuses), daemon=True) for n in range(SLOW)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while drip.active < SLOW and time.monotonic() < deadline:
        time.sleep(0.05)
    dripping = drip.active
    loaded = qr_phase(server, calls)
    dripping = min(dripping, drip.active)
    drip.stop.set()
    for t in threads:
        t.join(30)
    drip.stop.clear()
    return loaded, dripping, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=150, help="qr calls per phase")
    parser.add_argument("--rounds", type=int, default=2, help="alone, then loaded, this many times")
    args = parser.parse_args()
    drip = DripServer()
    threading.Thread(target=drip.serve_forever, daemon=True).start()
    alone: list[float] = []
    loaded: list[float] = []
    dripping, statuses = SLOW, set()
    with running_server(extra_config=EXTRA) as server:
        qr_phase(server, 20)  # warm-up: first render, first connection
        for _ in range(args.rounds):  # alternated, so drift from outside load hits both
            alone += qr_phase(server, args.calls)
            more, seen, answers = loaded_phase(server, drip, args.calls)
            loaded += more
            dripping, statuses = min(dripping, seen), statuses | set(answers)
    drip.shutdown()
    ratio = p99(loaded) / p99(alone)
    print(f"qr, {args.rounds} x {args.calls} sequential one-shot calls per phase; {os.cpu_count()} CPU(s) "
          "shared by server, client and drip server")
    print(line("alone", alone))
    print(line(f"beside {dripping}/{SLOW} slow downloads", loaded))
    print(f"loaded p99 / unloaded p99 = {ratio:.2f} (target < {TARGET}); slow downloads answered "
          f"{sorted(statuses)} once their senders stopped")
    print("PASS" if ratio < TARGET and dripping == SLOW else "FAIL")


if __name__ == "__main__":
    main()
