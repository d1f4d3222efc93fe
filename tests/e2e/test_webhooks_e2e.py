"""Webhooks end to end: a real receiver on 127.0.0.1 checks signatures with its own HMAC code.

One server serves the module, each test with its own account (its balance stays its own); the
restart test starts its own.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import SharedServer

CONFIG = """
[jobs]
diagnostic_tools = true
[tiers.free]
jobs_per_hour = 0
requests_per_minute = 0
[webhooks]
allow_hosts = ["127.0.0.1"]
retry_backoff_seconds = [1, 1, 1]
timeout_seconds = 2
"""


class Receiver:
    """Answers with the queued status codes (then 200) and keeps every request."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= n, f"got {len(self.requests)} of {n} webhook requests"


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(secret.encode(), f"{headers['x-webhook-timestamp']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-webhook-signature"], f"sha256={expected}")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from SharedServer.started(tmp_path_factory, "hooks", CONFIG, 12)


@pytest.fixture
def srv(shared):
    return shared.view()


@pytest.fixture
def receiver():
    r = Receiver([])
    yield r
    r.httpd.shutdown()


def test_signed_webhook_on_completion(srv, receiver):
    r = srv.post("/api/v1/tools/qr", key=srv.key,
                 json={"text": "hola", "webhook": {"url": receiver.url, "secret": "s3cret"}})
    assert r.status_code == 200
    receiver.wait_for(1)
    headers, body = receiver.requests[0]
    assert verify("s3cret", headers, body)
    payload = json.loads(body)
    assert (payload["event"], payload["job_id"], payload["status"]) == ("job.completed", r.json()["job_id"],
                                                                         "succeeded")
    assert payload["billing"]["charged_usd"] == "0.002" and "content_base64" not in payload["output"]
    time.sleep(0.3)
    job = srv.get(f"/api/v1/jobs/{payload['job_id']}", key=srv.key).json()
    assert job["webhooks"][0]["status"] == "delivered" and job["webhooks"][0]["signed"] is True


def test_failed_job_sends_job_failed(srv, receiver):
    r = srv.post("/api/v1/tools/wait", key=srv.key,
                 json={"seconds": 0, "fail": True, "webhook": {"url": receiver.url}})
    assert r.status_code == 500
    receiver.wait_for(1)
    headers, body = receiver.requests[0]
    assert json.loads(body)["event"] == "job.failed" and "x-webhook-signature" not in headers


def test_retries_survive_a_restart(make_server):
    receiver = Receiver([500, 500])
    srv = make_server(CONFIG)
    srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "x", "webhook": {"url": receiver.url, "secret": "k"}})
    receiver.wait_for(1)
    srv.stop()
    srv.start()
    receiver.wait_for(3)
    ids = {h["x-webhook-id"] for h, _ in receiver.requests}
    assert len(ids) == 1 and all(verify("k", h, b) for h, b in receiver.requests)
    assert len({b for _, b in receiver.requests}) == 1  # identical bytes on every attempt
    receiver.httpd.shutdown()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://10.0.0.1/x", "http://169.254.169.254/latest",
                                 "http://[::1]:80/x", "http://0.0.0.0/x", "https://example.com/" + "a" * 2100])
def test_refused_webhook_targets(srv, url):
    r = srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "x", "webhook": {"url": url}})
    assert r.status_code == 400
    assert "webhook.url" in r.json()["details"]["field_errors"]
    assert srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"] == "10"


def test_a_form_secret_is_read_as_declared_even_without_a_url(srv):
    """The form's ``webhook_secret`` is documented as at most 512 characters: one over is a 400 naming it,
    charged 0, even when no ``webhook_url`` comes with it (it was silently ignored; the fuzzer found it)."""
    form = {"text": "x", "webhook_secret": "s" * 513}
    r = srv.post("/api/v1/tools/qr", key=srv.key, data=form, files={"unused": ("u.txt", b"")})
    assert r.status_code == 400, r.text
    assert "webhook.secret" in r.json()["details"]["field_errors"]
    assert srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"] == "10"
    ok = srv.post("/api/v1/tools/qr", key=srv.key, data={**form, "webhook_secret": "s" * 512},
                  files={"unused": ("u.txt", b"")})
    assert ok.status_code == 200, ok.text  # 512 and no url: accepted, and no webhook is sent
