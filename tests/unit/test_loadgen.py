"""The benchmark load generator's mix: weights, order and per-request counts (scripts/bench/loadgen.py)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "bench"))

import loadgen  # noqa: E402


def test_mix_interleaves_by_weight(tmp_path):
    mix = tmp_path / "mix.json"
    mix.write_text(json.dumps([{"name": "ping", "method": "POST", "path": "/p", "weight": 3},
                               {"name": "qr", "method": "POST", "path": "/q", "body": "{}", "weight": 1,
                                "headers": ["Content-Type: application/json"]}]))
    schedule = loadgen.load_mix(str(mix), "127.0.0.1", 9)
    assert [name for name, _ in schedule] == ["ping", "qr", "ping", "ping"]  # exactly 25 % qr
    assert schedule[1][1].startswith(b"POST /q HTTP/1.1\r\n")
    assert b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" in schedule[1][1]


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive HTTP/1.1: 200 for /ok, 503 for anything else."""
    while head := await reader.readuntil(b"\r\n\r\n"):
        status = b"200 OK" if head.split(b" ")[1] == b"/ok" else b"503 Busy"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()


async def _run_mix() -> loadgen.LoadResult:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    schedule = [("ok", loadgen.build_request("GET", "127.0.0.1", port, "/ok", [])),
                ("bad", loadgen.build_request("GET", "127.0.0.1", port, "/bad", []))]
    try:
        return await loadgen.run_mix("127.0.0.1", port, schedule, connections=3, duration=0.3)
    finally:
        server.close()


def test_run_mix_counts_each_request_and_its_failures():
    result = asyncio.run(_run_mix())
    per = result.per_request
    assert set(per) == {"ok", "bad"}
    assert abs(per["ok"]["requests"] - per["bad"]["requests"]) <= 3  # alternating, per connection
    assert (per["ok"]["non_2xx"], per["bad"]["non_2xx"]) == (0, per["bad"]["requests"])
    assert result.statuses == {"200": per["ok"]["requests"], "503": per["bad"]["requests"]}
    assert result.errors == 0
