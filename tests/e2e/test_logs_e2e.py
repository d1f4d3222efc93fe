"""Issue 8 item 5: every line the server writes on stderr is one JSON object, uvicorn's own too."""

import json
import signal
import socket
import subprocess
import sys
import textwrap
import time

import httpx

from tests.e2e.conftest import free_port


def stderr_lines(server) -> list[str]:
    return (server.data_dir.parent / f"{server.data_dir.name}.log").read_text().splitlines()


def send_raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b""


def test_garbage_bytes_and_the_access_log_are_json_lines(make_server):
    srv = make_server("[server]\naccess_log = true\n")
    for garbage in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", b"\x00\xff" * 64 + b"\r\n\r\n"):
        assert send_raw(srv.port, garbage).startswith(b"HTTP/1.1 400")
    assert srv.get("/api/v1/health").status_code == 200
    srv.stop()
    lines = stderr_lines(srv)
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert all(isinstance(r, dict) and {"ts", "level", "logger", "message"} <= set(r) for r in records)
    invalid = [r for r in records if r["message"] == "Invalid HTTP request received."]
    assert len(invalid) == 3 and {r["logger"] for r in invalid} == {"uvicorn.error"}
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert any(r["path"] == "/api/v1/health" and r["status"] == 200 and r["method"] == "GET"
               for r in access)


APP = """
import sys
from noxus_local.config import load_config
from noxus_local.ops.logs import configure_logging
from noxus_local.ops.server import QuietServer, server_config

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    raise RuntimeError("boom in the app")

cfg = load_config(None, {})
cfg.server.port = int(sys.argv[1])
configure_logging()
print("ready", flush=True)
QuietServer(server_config(app, cfg)).run()
"""


def test_an_exception_in_the_asgi_app_is_one_json_line_with_its_traceback(tmp_path):
    port = free_port()
    script = tmp_path / "raising_app.py"
    script.write_text(textwrap.dedent(APP))
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        status, deadline = None, time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert status == 500
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    records = [json.loads(line) for line in err.splitlines()]
    boom = [r for r in records if r["message"].startswith("Exception in ASGI application")]
    assert len(boom) == 1 and boom[0]["logger"] == "uvicorn.error"
    assert "Traceback" in boom[0]["exception"] and "RuntimeError: boom in the app" in boom[0]["exception"]
