"""What the slow-client guard (api/body_guard.py) costs per request: guarded vs bare, in one run.

The same ASGI app (reads the whole body, answers 204) is called in-process,
alternately bare and wrapped in ``body_guard``, with two bodies: a 200-byte
JSON call (one ``receive()``, like a qr request) and a 3 MB upload in 64 KB
chunks (48 reads, each through the guard's timed wait). No HTTP, no sockets:
the ratio is the guard's own overhead, the upper bound of what it adds to a
real request, whose server and tool time come on top.

Example::

    .venv/bin/python scripts/bench/bench_body_guard.py            # ~20 s
    .venv/bin/python scripts/bench/bench_body_guard.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from noxus_local.api.body_guard import BodyRules, body_guard

Message = dict[str, Any]


async def reading_app(scope: dict[str, Any], receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def request(size: int, chunk: int) -> tuple[dict[str, Any], list[Message]]:
    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", str(size).encode())],
             "state": {"request_id": "req_bench"}}
    pieces = [b"x" * min(chunk, size - at) for at in range(0, size, chunk)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                for i, p in enumerate(pieces)]
    return scope, messages


def feeder(feed: Any) -> Callable[[], Awaitable[Message]]:
    async def receive() -> Message:
        await asyncio.sleep(0)  # a real server's receive() yields to the loop too
        return next(feed)

    return receive


async def timed(app: Any, size: int, chunk: int, n: int) -> float:
    """Seconds per request over ``n`` requests."""
    scope, messages = request(size, chunk)

    async def send(message: Message) -> None:
        return None

    started = time.perf_counter()
    for _ in range(n):
        await app(scope, feeder(iter(messages)), send)
    return (time.perf_counter() - started) / n


async def measure(n: int, rounds: int) -> None:
    guarded = body_guard(reading_app, BodyRules(30.0, 16, "en"), threading.Event())
    for name, size, chunk, count in (("200 B JSON", 200, 65536, n), ("3 MB upload", 3_000_000, 65536, n // 20)):
        bare_runs, guard_runs = [], []
        for _ in range(rounds):  # alternate so drift hits both
            bare_runs.append(await timed(reading_app, size, chunk, count))
            guard_runs.append(await timed(guarded, size, chunk, count))
        bare, guard = statistics.median(bare_runs), statistics.median(guard_runs)
        print(f"{name:12} bare {bare * 1e6:8.1f} us  guarded {guard * 1e6:8.1f} us  "
              f"added {(guard - bare) * 1e6:7.1f} us/request  ratio {guard / bare:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    asyncio.run(measure(n=2000 if args.quick else 10000, rounds=3 if args.quick else 5))


if __name__ == "__main__":
    main()
