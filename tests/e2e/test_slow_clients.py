"""Issue 8 item 7: a stalled request body gets 408 and its work folder is removed; concurrent
uploads are capped (503 server_busy + Retry-After); real sockets that send headers and part of a
body, then stall."""

import json
import signal
import socket
import time

import pytest

from tests.e2e.conftest import png

CONFIG = """
[server]
body_timeout_seconds = 1.5
max_concurrent_uploads = 2
[tiers.free]
jobs_per_hour = 0
requests_per_minute = 0
"""
BOUNDARY = "noxusboundary"


class Stalled:
    """A client that sends the headers and the first bytes of a big multipart upload, then stops."""

    def __init__(self, srv, total: int = 300_000, sent: int = 1000, path: str = "/api/v1/tools/image-convert",
                 content_type: str = f"multipart/form-data; boundary={BOUNDARY}") -> None:
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {srv.key}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {total}\r\n\r\n").encode()
        part = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                "Content-Type: image/png\r\n\r\n").encode()
        self.sock.sendall(head + (part + b"\x89PNG" + b"\0" * sent)[:sent])

    def answer(self) -> tuple[int, dict[str, str], dict]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed without an answer"
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(headers["content-length"]):
            body += self.sock.recv(65536)
        self.sock.close()
        return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.fixture
def srv(make_server):
    return make_server(CONFIG)


def work_folders(srv) -> list[str]:
    work = srv.data_dir / "work"
    return sorted(p.name for p in work.iterdir()) if work.exists() else []


def test_a_stalled_upload_gets_408_and_leaves_no_work_folder(srv):
    before = srv.get("/api/v1/balance", key=srv.key).json()["balance"]
    client = Stalled(srv)
    deadline = time.monotonic() + 5
    while len(work_folders(srv)) < 1:  # the request is inside the route, its folder made
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    status, headers, body = client.answer()
    assert time.monotonic() - started < 4  # the 1.5 s timeout, not the client's patience
    assert (status, body["error_code"], body["success"]) == (408, "request_timeout", False)
    assert body["details"] == {"limit": "body_timeout_seconds", "max": 1.5}
    assert headers["x-request-id"] == body["request_id"] and body["billing"]["charged_usd"] == "0"
    assert work_folders(srv) == []
    assert srv.get("/api/v1/balance", key=srv.key).json()["balance"] == before
    assert srv.get("/api/v1/jobs", key=srv.key).json()["pagination"]["total"] == 0


def test_a_stalled_small_json_body_times_out_too(srv):
    client = Stalled(srv, total=200, sent=0, path="/api/v1/tools/qr", content_type="application/json")
    client.sock.sendall(b'{"text": "ho')
    status, _, body = client.answer()
    assert (status, body["error_code"]) == (408, "request_timeout")


def test_uploads_past_the_cap_get_503_with_retry_after_and_small_bodies_still_pass(srv):
    stalled = [Stalled(srv), Stalled(srv)]
    deadline = time.monotonic() + 5
    while len(work_folders(srv)) < 2:  # both are inside the route, holding their slots
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    status, headers, body = Stalled(srv).answer()  # the third upload at once
    assert time.monotonic() - started < 1
    assert (status, body["error_code"]) == (503, "server_busy")
    assert body["details"] == {"limit": "max_concurrent_uploads", "max": 2}
    assert int(headers["retry-after"]) > 0 and headers["x-request-id"] == body["request_id"]
    # a small JSON call is not an upload: it runs while both slots are taken
    assert srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "hola"}).status_code == 200
    assert [c.answer()[0] for c in stalled] == [408, 408]  # they time out and free their slots
    r = srv.post("/api/v1/tools/image-convert", key=srv.key, files={"image": ("a.png", png((400, 400)))},
                 data={"output_format": "webp", "filler": "x" * 70_000})
    assert r.status_code == 200, r.text


def test_a_body_still_uploading_at_sigterm_gets_shutting_down_and_the_exit_is_quick(make_server):
    srv = make_server(CONFIG.replace("body_timeout_seconds = 1.5", "body_timeout_seconds = 30"))
    client = Stalled(srv)
    time.sleep(0.5)
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    status, headers, body = client.answer()
    assert (status, body["error_code"]) == (503, "shutting_down") and int(headers["retry-after"]) > 0
    assert srv.stop() == 0 and time.monotonic() - started < 5
    assert work_folders(srv) == []
