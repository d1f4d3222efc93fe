"""Closed-loop HTTP/1.1 keep-alive load generator: asyncio Protocols over plain TCP.

Why not httpx or aiohttp: the client must cost far less per request than the
server, or the benchmark measures the client. Each connection here writes one
pre-built request, waits for the answer, parses only the status line and the
body framing (Content-Length or chunked), and sends the next one: a few
microseconds of Python per request, so one client core can drive tens of
thousands of requests per second against a server that serves thousands.

Example::

    .venv/bin/python scripts/bench/loadgen.py http://127.0.0.1:8080/api/v1/health -c 32 -d 10
    .venv/bin/python scripts/bench/loadgen.py http://127.0.0.1:8080/api/v1/ping -X POST \\
        -H "Authorization: Bearer $KEY" --json
    .venv/bin/python scripts/bench/loadgen.py http://127.0.0.1:8080 --mix mix.json -c 100 -d 60 --json

A mix file lists requests and their weights; each connection sends them in
turn (``[{"name": "ping", "method": "POST", "path": "/api/v1/ping",
"headers": ["Authorization: Bearer ..."], "weight": 3}, {"name": "qr", ...,
"body": "{...}", "weight": 1}]`` is exactly 25 % qr), each connection
starting at a different place so the heavy ones do not arrive in lockstep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

HEADER_END = b"\r\n\r\n"


@dataclass
class LoadResult:
    """What one run measured; only responses completed inside the window count."""

    connections: int
    duration_s: float
    requests: int
    rps: float
    non_2xx: int
    errors: int
    statuses: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float
    # per request name of a mix: requests, non_2xx, p50_ms, p99_ms, max_ms
    per_request: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{self.rps:9.1f} req/s  {self.requests} req in {self.duration_s:.1f} s, "
                f"{self.connections} conn  p50 {self.p50_ms:.2f} ms  p90 {self.p90_ms:.2f} ms  "
                f"p99 {self.p99_ms:.2f} ms  non-2xx {self.non_2xx}  errors {self.errors}")


@dataclass
class _Stats:
    latencies_ns: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    open: bool = True  # False once the window closes: later responses are not counted
    by_name: dict[str, list[int]] = field(default_factory=dict)
    non_2xx_by_name: dict[str, int] = field(default_factory=dict)
    per_name: bool = False  # only for a mix: the single-request path stays as cheap as before

    def record(self, name: str, status: int, latency_ns: int) -> None:
        self.latencies_ns.append(latency_ns)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if not self.per_name:
            return
        self.by_name.setdefault(name, []).append(latency_ns)
        if not 200 <= status < 300:
            self.non_2xx_by_name[name] = self.non_2xx_by_name.get(name, 0) + 1


Schedule = Sequence[tuple[str, bytes]]


def build_request(method: str, host: str, port: int, path: str, headers: list[tuple[str, str]],
                  body: bytes = b"") -> bytes:
    """The exact bytes sent for every request: built once, so sending is one write().

    Example: ``build_request("GET", "127.0.0.1", 8080, "/api/v1/health", [])``.
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: noxus-loadgen"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def response_end(buf: bytes | bytearray) -> tuple[int, int] | None:
    """(status, bytes used) of the first complete response in ``buf``, or None if incomplete."""
    head_end = buf.find(HEADER_END)
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).lower()
    status = int(head[9:12])
    body_start = head_end + 4
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17:stop if stop >= 0 else len(head)])
        end = body_start + length
        return (status, end) if len(buf) >= end else None
    if b"\r\ntransfer-encoding: chunked" in head:
        end = _chunked_end(buf, body_start)
        return (status, end) if end is not None else None
    return status, body_start  # 204/304 and friends: no body


def _chunked_end(buf: bytes | bytearray, pos: int) -> int | None:
    """Index just past the last chunk (and its empty trailer), or None if not all here."""
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            return trailer_end + 2 if trailer_end >= 0 else None
        pos += size + 2
        if pos > len(buf):
            return None


class _Connection(asyncio.Protocol):
    """One keep-alive connection with exactly one request in flight at a time."""

    def __init__(self, schedule: Schedule, stats: _Stats, position: int = 0) -> None:
        self.schedule = schedule
        self.position = position
        self.stats = stats
        self.buf = bytearray()
        self.sent_at = 0
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self) -> None:
        assert self.transport is not None
        self.sent_at = time.perf_counter_ns()
        self.transport.write(self.schedule[self.position % len(self.schedule)][1])

    def data_received(self, data: bytes) -> None:
        self.buf += data
        found = response_end(self.buf)
        if found is None:
            return
        status, used = found
        del self.buf[:used]
        if not self.stats.open:
            return
        name = self.schedule[self.position % len(self.schedule)][0]
        self.stats.record(name, status, time.perf_counter_ns() - self.sent_at)
        self.position += 1
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def _worker(host: str, port: int, schedule: Schedule, stats: _Stats, start: asyncio.Event,
                  position: int = 0) -> None:
    """Keep one connection busy until the window closes, reconnecting if the server hangs up."""
    loop = asyncio.get_running_loop()
    first = True
    while stats.open:
        try:
            transport, conn = await loop.create_connection(
                lambda: _Connection(schedule, stats, position), host, port)
        except OSError:
            stats.errors += 1
            await asyncio.sleep(0.05)
            continue
        if first:
            await start.wait()
            first = False
        if stats.open:
            conn.send()
        try:
            await conn.closed
        except asyncio.CancelledError:
            transport.abort()
            raise
        if stats.open:
            stats.errors += 1  # the server closed a keep-alive connection mid-run


async def run_load(host: str, port: int, request: bytes, connections: int, duration: float) -> LoadResult:
    """Open ``connections`` connections, then load them for ``duration`` seconds."""
    return await run_mix(host, port, [("request", request)], connections, duration)


async def run_mix(host: str, port: int, schedule: Schedule, connections: int, duration: float) -> LoadResult:
    """Like ``run_load``, each connection sending the schedule's requests in turn from its own offset."""
    stats, start = _Stats(per_name=len({name for name, _ in schedule}) > 1), asyncio.Event()
    tasks = [asyncio.create_task(_worker(host, port, schedule, stats, start, i % len(schedule)))
             for i in range(connections)]
    await asyncio.sleep(0.2)  # let the connections open before the clock starts
    cpu0, t0 = time.process_time(), time.perf_counter()
    start.set()
    await asyncio.sleep(duration)
    stats.open = False
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return _result(stats, connections, elapsed, cpu)


def _result(stats: _Stats, connections: int, elapsed: float, cpu: float) -> LoadResult:
    lat = sorted(stats.latencies_ns)
    non_2xx = sum(n for status, n in stats.statuses.items() if not 200 <= status < 300)
    return LoadResult(connections=connections, duration_s=round(elapsed, 3), requests=len(lat),
                      rps=len(lat) / elapsed, non_2xx=non_2xx, errors=stats.errors,
                      statuses={str(k): v for k, v in sorted(stats.statuses.items())},
                      p50_ms=pct(lat, 0.50), p90_ms=pct(lat, 0.90), p99_ms=pct(lat, 0.99),
                      max_ms=lat[-1] / 1e6 if lat else 0.0, client_cpu_s=round(cpu, 3),
                      per_request=_per_request(stats) if stats.per_name else {})


def pct(ordered: list[int], p: float) -> float:
    """The p-quantile of sorted nanosecond latencies, in ms (0 when there are none)."""
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1e6 if ordered else 0.0


def _per_request(stats: _Stats) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, values in stats.by_name.items():
        lat = sorted(values)
        out[name] = {"requests": len(lat), "non_2xx": stats.non_2xx_by_name.get(name, 0),
                     "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99), "max_ms": lat[-1] / 1e6}
    return out


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="HTTP/1.1 keep-alive load generator (closed loop).")
    p.add_argument("url", help="http://host:port/path")
    p.add_argument("-X", "--method", default="GET")
    p.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeat)")
    p.add_argument("--data", default="", help="Request body (sent as-is).")
    p.add_argument("-c", "--connections", type=int, default=32)
    p.add_argument("-d", "--duration", type=float, default=10.0, help="Seconds.")
    p.add_argument("--json", action="store_true", help="Print the result as one JSON object.")
    p.add_argument("--mix", help="JSON file of weighted requests; the url then gives only host:port.")
    return p.parse_args(argv)


def _header(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip(), value.strip()


def load_mix(path: str, host: str, port: int) -> list[tuple[str, bytes]]:
    """A mix file as a schedule: each request ``weight`` times, interleaved (3 ping + 1 qr → p, p, q, p)."""
    with open(path) as f:
        entries = json.load(f)
    built = [(e["name"], build_request(e.get("method", "GET").upper(), host, port, e["path"],
                                       [_header(h) for h in e.get("headers", [])], e.get("body", "").encode()),
              int(e.get("weight", 1))) for e in entries]
    schedule: list[tuple[str, bytes]] = []
    for round_ in range(max(w for _, _, w in built)):
        schedule += [(name, request) for name, request, weight in built if round_ < weight]
    return schedule


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    url = urlsplit(args.url)
    if url.scheme != "http" or not url.hostname:
        print("error: only http://host:port/path URLs", file=sys.stderr)
        return 2
    port = url.port or 80
    if args.mix:
        schedule = load_mix(args.mix, url.hostname, port)
    else:
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        schedule = [("request", build_request(args.method.upper(), url.hostname, port, path,
                                              [_header(h) for h in args.header], args.data.encode()))]
    result = asyncio.run(run_mix(url.hostname, port, schedule, args.connections, args.duration))
    print(json.dumps(asdict(result)) if args.json else result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
