"""Webhook delivery against a real HTTP receiver on 127.0.0.1 and a real SQLite file.

The clock is a fake one the tests move forward, so retries after 10/60/300 s
happen without sleeping; only the timeout test waits (about half a second).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from noxus_local.config import WebhookSettings
from noxus_local.jobs.webhooks import PinnedHTTPSConnection, WebhookService, sign
from noxus_local.net.ssrf import vet
from noxus_local.store.db import Database

SECRET = "s3cret"
PAYLOAD = {"job_id": "job_1", "status": "finished", "result": {"labels": ["cat"]}}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next (status, delay) of ``plan``, then 200; records every request."""

    url: str = ""
    plan: list[tuple[int, float]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers["Content-Length"]))
        self.requests.append(Received(request.path, dict(request.headers.items()), body))
        status, delay = self.plan.pop(0) if self.plan else (200, 0.0)
        time.sleep(delay)
        request.send_response(status)
        if 300 <= status < 400:
            request.send_header("Location", self.url.replace("/hook", "/elsewhere"))
        request.send_header("Content-Length", "0")
        request.end_headers()


def serve(receiver: Receiver, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            receiver.answer(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    server = serve(rec)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield rec
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "noxus.db")
    database.migrate()
    yield database
    database.close()


def settings(timeout: float = 5.0, backoff: list[int] | None = None) -> WebhookSettings:
    return WebhookSettings(timeout_seconds=timeout, retry_backoff_seconds=backoff or [10, 60, 300],
                           allow_hosts=["127.0.0.1"])


def resolver(ip: str) -> Any:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]
    return resolve


def history(hooks: WebhookService, job_id: str = "job_1") -> list[tuple[int | None, str | None]]:
    [delivery] = hooks.attempts_for(job_id)
    return [(h["status_code"], h["error"]) for h in delivery["history"]]


def test_a_signed_delivery_carries_the_contract_headers(db: Database, receiver: Receiver, clock: Clock) -> None:
    hooks = WebhookService(db, settings(), clock=clock)
    delivery_id = hooks.schedule("job_1", "job.completed", receiver.url, SECRET, PAYLOAD)
    assert hooks.deliver_due() == 1
    [got] = receiver.requests
    timestamp = got.headers["X-Webhook-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Webhook-Signature"], "sha256=" + expected)
    assert json.loads(got.body) == PAYLOAD
    assert (got.path, timestamp, got.headers["X-Webhook-Id"], got.headers["X-Webhook-Event"]) == (
        "/hook", str(int(clock.now)), delivery_id, "job.completed")
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "NOXUS-Local-Webhooks/1"


def test_without_a_secret_the_delivery_is_unsigned(db: Database, receiver: Receiver, clock: Clock) -> None:
    hooks = WebhookService(db, settings(), clock=clock)
    hooks.schedule("job_1", "job.failed", receiver.url, None, PAYLOAD)
    hooks.deliver_due()
    assert "X-Webhook-Signature" not in receiver.requests[0].headers
    assert hooks.attempts_for("job_1")[0]["signed"] is False


def test_sign_matches_the_contract_formula() -> None:
    body = b'{"a":1}'
    digest = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == "sha256=" + digest


def test_two_failures_then_success_is_delivered_on_the_third_attempt(
        db: Database, receiver: Receiver, clock: Clock) -> None:
    receiver.plan = [(500, 0.0), (503, 0.0)]
    hooks = WebhookService(db, settings(), clock=clock)
    hooks.schedule("job_1", "job.completed", receiver.url, SECRET, PAYLOAD)
    assert hooks.deliver_due() == 1
    clock.advance(9)
    assert hooks.deliver_due() == 0  # the first retry waits 10 s
    clock.advance(1)
    assert hooks.deliver_due() == 1
    clock.advance(60)
    assert hooks.deliver_due() == 1
    assert history(hooks) == [(500, "HTTP 500"), (503, "HTTP 503"), (200, None)]
    [delivery] = hooks.attempts_for("job_1")
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == ("delivered", 3, None)
    assert delivery["delivered_at"] == clock.now
    assert len({r.headers["X-Webhook-Id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1  # identical bytes on every attempt


def test_after_the_initial_attempt_and_every_retry_the_delivery_fails(
        db: Database, receiver: Receiver, clock: Clock) -> None:
    receiver.plan = [(500, 0.0)] * 10
    hooks = WebhookService(db, settings(), clock=clock)
    hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD)
    for wait in (0, 10, 60, 300, 10_000):
        clock.advance(wait)
        hooks.deliver_due()
    [delivery] = hooks.attempts_for("job_1")
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("failed", 4, 500)
    assert len(receiver.requests) == 4


def test_a_slow_receiver_counts_as_a_failure(db: Database, receiver: Receiver, clock: Clock) -> None:
    receiver.plan = [(200, 1.0)]
    hooks = WebhookService(db, settings(timeout=0.5), clock=clock)
    hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD)
    started = time.monotonic()
    hooks.deliver_due()
    assert time.monotonic() - started < 1.0
    assert history(hooks) == [(None, "TimeoutError: timed out")]
    assert hooks.attempts_for("job_1")[0]["status"] == "pending"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
        db: Database, receiver: Receiver, clock: Clock) -> None:
    receiver.plan = [(302, 0.0)]
    hooks = WebhookService(db, settings(), clock=clock)
    hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD)
    hooks.deliver_due()
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert history(hooks) == [(302, "HTTP 302 (redirects are not followed)")]


def test_a_connection_refused_is_a_failed_attempt(db: Database, clock: Clock) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hooks = WebhookService(db, settings(), clock=clock)
    hooks.schedule("job_1", "job.completed", f"http://127.0.0.1:{port}/hook", None, PAYLOAD)
    hooks.deliver_due()
    [(code, error)] = history(hooks)
    assert code is None and error is not None and error.startswith("ConnectionRefusedError")


def test_pending_retries_survive_a_restart(tmp_path: Path, receiver: Receiver, clock: Clock) -> None:
    receiver.plan = [(500, 0.0)]
    first = Database(tmp_path / "noxus.db")
    first.migrate()
    WebhookService(first, settings(), clock=clock).schedule("job_1", "job.completed", receiver.url, SECRET, PAYLOAD)
    WebhookService(first, settings(), clock=clock).deliver_due()
    first.close()
    second = Database(tmp_path / "noxus.db")
    second.migrate()
    clock.advance(10)
    hooks = WebhookService(second, settings(), clock=clock)
    assert hooks.deliver_due() == 1
    assert history(hooks) == [(500, "HTTP 500"), (200, None)]
    assert receiver.requests[0].body == receiver.requests[1].body
    second.close()


def test_two_workers_never_send_the_same_attempt(tmp_path: Path, receiver: Receiver, clock: Clock) -> None:
    path = tmp_path / "noxus.db"
    Database(path).migrate()
    workers = [WebhookService(Database(path), settings(), clock=clock) for _ in range(2)]
    ids = {workers[0].schedule(f"job_{i}", "job.completed", receiver.url, None, PAYLOAD) for i in range(12)}
    counts: list[int] = []
    threads = [threading.Thread(target=lambda w=w: counts.append(w.deliver_due(limit=5) + w.deliver_due()))
               for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 12
    assert sorted(r.headers["X-Webhook-Id"] for r in receiver.requests) == sorted(ids)


def test_scheduling_the_same_job_and_url_twice_keeps_one_delivery(db: Database, receiver: Receiver) -> None:
    hooks = WebhookService(db, settings())
    first = hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD)
    assert hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD) == first
    assert len(hooks.attempts_for("job_1")) == 1
    with pytest.raises(ValueError):
        hooks.schedule("job_2", "job.started", receiver.url, None, PAYLOAD)


def test_the_ssrf_check_runs_again_at_delivery_time(db: Database, receiver: Receiver, clock: Clock) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    hooks = WebhookService(db, WebhookSettings(allow_hosts=[]), resolve=resolver("127.0.0.1"), clock=clock)
    hooks.schedule("job_1", "job.completed", f"http://rebind.example:{port}/hook", None, PAYLOAD)
    hooks.deliver_due()
    assert receiver.requests == []
    [(code, error)] = history(hooks)
    assert code is None and error is not None and error.startswith("refused by the SSRF guard: ")


def test_delivery_connects_to_the_vetted_address_with_the_original_host_header(
        db: Database, receiver: Receiver, clock: Clock) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    hooks = WebhookService(db, WebhookSettings(allow_hosts=["hooks.internal"]), resolve=resolver("127.0.0.1"),
                           clock=clock)
    hooks.schedule("job_1", "job.completed", f"http://hooks.internal:{port}/hook", None, PAYLOAD)
    hooks.deliver_due()
    assert receiver.requests[0].headers["Host"] == f"hooks.internal:{port}"
    assert history(hooks) == [(200, None)]


@pytest.fixture
def tls_pair(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) contexts for a throwaway certificate naming hooks.internal."""
    assert shutil.which("openssl"), "openssl makes the test certificate: `make setup` installs it"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=hooks.internal",
                    "-addext", "subjectAltName=DNS:hooks.internal"], check=True, capture_output=True)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def test_https_pins_the_address_and_sends_the_original_name_as_sni(
        tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_tls, client_tls = tls_pair
    names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    rec = Receiver()
    server = serve(rec, server_tls)
    try:
        target = vet(f"https://hooks.internal:{server.server_address[1]}/hook", ["hooks.internal"],
                     resolver("127.0.0.1"))
        conn = PinnedHTTPSConnection(target, 5.0, tls=client_tls)
        conn.request("POST", target.path, body=b"{}", headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
    assert names == ["hooks.internal"]
    assert rec.requests[0].headers["Host"] == f"hooks.internal:{server.server_address[1]}"


def test_https_verifies_the_certificate(db: Database, clock: Clock,
                                        tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    rec = Receiver()
    server = serve(rec, tls_pair[0])
    try:
        hooks = WebhookService(db, WebhookSettings(allow_hosts=["hooks.internal"]), resolve=resolver("127.0.0.1"),
                               clock=clock)
        hooks.schedule("job_1", "job.completed", f"https://hooks.internal:{server.server_address[1]}/hook",
                       None, PAYLOAD)
        hooks.deliver_due()
    finally:
        server.shutdown()
        server.server_close()
    [(code, error)] = history(hooks)
    assert code is None and error is not None and error.startswith("SSLCertVerificationError")


def insert_job(db: Database, job_id: str, status: str, webhook: dict[str, Any] | None,
               app_id: str | None = None) -> Any:
    with db.write() as conn:
        conn.execute(
            "INSERT INTO jobs (id, account_id, environment, key_id, app_id, tool, status, params, files,"
            " limits, estimate_micros, hold_micros, request_id, webhook, created_at)"
            " VALUES (?, 'acct_1', 'test', 'key_1', ?, 'analysis-video', ?, '{}', '[]', '{}', 0, 0, 'req_1', ?, 0)",
            (job_id, app_id, status, json.dumps(webhook) if webhook else None))
    return db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))


def test_schedule_job_uses_the_request_webhook_then_the_app_default(db: Database) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO accounts (id, name, tier, created_at) VALUES ('acct_1', 'A', 'free', 0)")
        conn.execute("INSERT INTO apps (id, account_id, name, webhook_url, webhook_secret, created_at)"
                     " VALUES ('app_1', 'acct_1', 'App', 'https://app.example/hook', 'app-secret', 0)")
    hooks = WebhookService(db, settings())
    own = insert_job(db, "job_own", "succeeded", {"url": "https://own.example/hook"}, "app_1")
    default = insert_job(db, "job_app", "cancelled", None, "app_1")
    assert hooks.schedule_job(own, PAYLOAD) is not None
    assert hooks.schedule_job(default, PAYLOAD) is not None
    assert hooks.schedule_job(insert_job(db, "job_none", "failed", None), PAYLOAD) is None
    assert hooks.schedule_job(insert_job(db, "job_run", "running", {"url": "https://own.example/hook"}),
                              PAYLOAD) is None
    rows = db.all("SELECT job_id, event, url, secret FROM webhook_deliveries ORDER BY job_id")
    assert [tuple(r) for r in rows] == [("job_app", "job.failed", "https://app.example/hook", "app-secret"),
                                        ("job_own", "job.completed", "https://own.example/hook", None)]


def test_run_delivers_in_the_background_until_stopped(db: Database, receiver: Receiver) -> None:
    hooks = WebhookService(db, settings())
    stop = threading.Event()
    thread = threading.Thread(target=hooks.run, args=(stop, 0.05), daemon=True)
    thread.start()
    hooks.schedule("job_1", "job.completed", receiver.url, None, PAYLOAD)
    deadline = time.monotonic() + 5
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(receiver.requests) == 1
