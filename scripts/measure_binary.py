"""Start a built binary like a user would and time it: start to first 200, idle RSS, SIGTERM exit.

Each run gets a fresh temp data dir (so it is a first start: migrations, the
default account and key) and a free port. A one-file binary unpacks itself on
every start, so every run pays that; the first run after a build may also read
the file from disk rather than the page cache.

Stdlib only, so any Python 3.11 runs it. Example::

    python3 scripts/measure_binary.py dist/cpu-onefile/noxus-local --runs 3
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """RSS of ``pid`` and all its descendants (a one-file binary is a bootloader plus a child)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    total = 0
    for p in pids:
        out = subprocess.run(["ps", "-o", "rss=", "-p", str(p)], capture_output=True, text=True).stdout
        total += int(out.strip() or 0)
    return total, len(pids)


def run_once(binary: Path, idle: float, timeout: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="noxus-measure-") as tmp:
        port = free_port()
        env = {**os.environ, "NOXUS_DATA_DIR": str(Path(tmp) / "data")}
        log = open(Path(tmp) / "server.log", "w")
        started = time.monotonic()
        proc = subprocess.Popen([str(binary), "serve", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        try:
            while not healthy(f"http://127.0.0.1:{port}/api/v1/health"):
                if proc.poll() is not None or time.monotonic() - started > timeout:
                    raise RuntimeError(f"no 200 from /api/v1/health:\n{(Path(tmp) / 'server.log').read_text()}")
                time.sleep(0.05)
            ready = time.monotonic() - started
            time.sleep(idle)
            rss_kb, processes = tree_rss_kb(proc.pid)
            stop_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
            return {"ready": ready, "rss_mb": rss_kb / 1024, "processes": processes,
                    "exit": code, "stop": time.monotonic() - stop_at}
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=2.0, help="Seconds idle before reading RSS.")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    results = [run_once(args.binary.resolve(), args.idle, args.timeout) for _ in range(args.runs)]
    readies = ", ".join(f"{r['ready']:.2f}" for r in results)
    print(f"start:   {results[0]['ready']:.2f} s to first 200 from /api/v1/health "
          f"(first run after build; all runs: {readies} s)")
    last = results[-1]
    print(f"rss:     {last['rss_mb']:.0f} MB idle {args.idle:g} s after start "
          f"({last['processes']} process{'es' if last['processes'] > 1 else ''})")
    exits = sorted({int(r["exit"]) for r in results})
    print(f"sigterm: exit {'/'.join(map(str, exits))}, stopped in {max(r['stop'] for r in results):.2f} s max")
    return 0 if exits == [0] else 1


if __name__ == "__main__":
    sys.exit(main())
