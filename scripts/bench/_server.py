"""The real ``python -m noxus_local serve`` in a subprocess, tuned so limits never bite.

Benchmarks must measure the request path, not 429s: the config gives the
first-start account a ``bench`` tier with no hourly or per-minute limits, 64
concurrent jobs, 100 MB uploads and a balance that thousands of runs cannot
spend. Everything lives in a temp dir that is removed on exit.

Example::

    with running_server() as server:
        conn = server.connection()
        conn.request("POST", "/api/v1/ping", headers=server.auth())
        assert conn.getresponse().status == 200
"""

from __future__ import annotations

import atexit
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r"noxus_test_[A-Za-z0-9_-]{40,}")
CONFIG = """\
[server]
data_dir = "{data_dir}"
locale = "en"

[jobs]
workers = {workers}
diagnostic_tools = {diagnostics}
{jobs_extra}

[bootstrap]
default_tier = "bench"
starting_test_balance_usd = "1000000"

[tiers.bench]
jobs_per_hour = 0
requests_per_minute = 0
concurrent_jobs = {concurrent_jobs}
max_upload_mb = 100.0
max_image_pixels = 100000000
"""


@dataclass
class BenchServer:
    """A started server: where it listens, its first-start key, and its process."""

    proc: subprocess.Popen[str]
    host: str
    port: int
    key: str
    root: Path
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def connection(self, timeout: float = 120) -> http.client.HTTPConnection:
        """A keep-alive connection for sequential requests (http.client reuses it)."""
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process, all threads (Linux /proc); None elsewhere."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scratch_dir(prefix: str) -> Path:
    """A temporary folder removed when the benchmark exits (a bench's data folder holds models and renders:
    gigabytes each run, which filled the disk when left behind). Example: ``root = scratch_dir("bench-dub-")``."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(startup_timeout: float = 60, concurrent_jobs: int = 64, workers: int = 2,
                   diagnostics: bool = False, extra_config: str = "",
                   jobs_extra: str = "", repo_root: Path = REPO_ROOT) -> Iterator[BenchServer]:
    """Start a server in a fresh temp dir; SIGTERM it (then SIGKILL) and clean up on exit.

    ``extra_config`` is TOML appended to the config, e.g. ``"[compute]\ncpu_slots = 2\n"``;
    ``jobs_extra`` lines go inside its ``[jobs]`` table, e.g. ``'queue_backend = "redis"'``;
    ``repo_root``: the checkout whose ``noxus_local`` runs (another commit's, for a before/after in one run).
    """
    with tempfile.TemporaryDirectory(prefix="noxus-bench-") as tmp:
        root = Path(tmp)
        server = _start(root, startup_timeout, {"concurrent_jobs": concurrent_jobs, "workers": workers,
                                                "diagnostics": "true" if diagnostics else "false",
                                                "jobs_extra": jobs_extra},
                        extra_config, repo_root)
        try:
            yield server
        finally:
            _stop(server.proc)


def _start(root: Path, timeout: float, settings: dict[str, object], extra_config: str = "",
           repo_root: Path = REPO_ROOT) -> BenchServer:
    data_dir, port = root / "data", free_port()
    config = root / "bench.toml"
    config.write_text(CONFIG.format(data_dir=data_dir.as_posix(), **settings) + extra_config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOXUS_")}  # no stray overrides
    env["PYTHONPATH"] = str(repo_root)  # that checkout's code, whatever the caller's PYTHONPATH
    with open(root / "server.log", "w") as log:  # the child keeps its own copy of the fd
        proc = subprocess.Popen([sys.executable, "-m", "noxus_local", "serve", "--config", str(config),
                                 "--port", str(port)], cwd=repo_root, env=env, stdout=subprocess.PIPE,
                                stderr=log, text=True)
    server = BenchServer(proc=proc, host="127.0.0.1", port=port, key="", root=root)
    try:
        _read_banner(server, time.monotonic() + timeout)
        _wait_ready(server, time.monotonic() + timeout)
    except BaseException:
        _stop(proc)
        raise
    return server


def _read_banner(server: BenchServer, deadline: float) -> None:
    """Read stdout up to "listening on", keeping the key; then drain it in a thread."""
    stdout = server.proc.stdout
    assert stdout is not None
    while time.monotonic() < deadline:
        line = stdout.readline()
        server.output.append(line)
        if (match := KEY_RE.search(line)) and not server.key:
            server.key = match.group(0)
        if "listening on" in line:
            break
        if not line and server.proc.poll() is not None:
            log = (server.root / "server.log").read_text()[-3000:]
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{''.join(server.output)}{log}")
    if not server.key:
        raise RuntimeError(f"no first-start key in the server output:\n{''.join(server.output)}")
    threading.Thread(target=_drain, args=(stdout,), daemon=True).start()


def _drain(stream: IO[str]) -> None:
    for _ in stream:  # a full pipe would block the server's next print
        pass


def _wait_ready(server: BenchServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        conn = server.connection(timeout=2)
        try:
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
        finally:
            conn.close()
    raise RuntimeError("server did not answer /api/v1/health in time")


def _stop(proc: subprocess.Popen[str], timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
