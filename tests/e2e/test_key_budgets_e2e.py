"""Per-key budgets and operator alerts through HTTP and the CLI (issue 25 items 1-2).

The real server, a key given a budget by ``noxus-local keys create --max-spend``: two QR jobs pass, the
third is 402 ``key_budget_exceeded`` with its details and charges nothing, and an alert receiver on
127.0.0.1 (its own HMAC code checks the signature) gets exactly one signed ``alert.key_cap``.
"""

import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import Server

QR = "/api/v1/tools/qr"
SECRET = "alert-s3cret"
CONFIG = """
[server]
locale = "en"
[tiers.free]
jobs_per_hour = 0
requests_per_minute = 0
concurrent_jobs = 20
[webhooks]
retry_backoff_seconds = [1, 1]
timeout_seconds = 2
[admin]
alert_url = "{url}"
alert_secret = "{secret}"
alert_balance_under_usd = "0"
"""


class Receiver:
    """An operator's alert endpoint: answers 500 to the first request (the retry must come), then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failures_left = 1
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = 500 if receiver.failures_left > 0 else 200
                receiver.failures_left -= 1
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alerts"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def bodies(self, event: str) -> list[dict]:
        return [json.loads(body) for headers, body in self.requests if headers["x-webhook-event"] == event]

    def wait_for(self, event: str, n: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.bodies(event)) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.bodies(event)) >= n, [h["x-webhook-event"] for h, _ in self.requests]


def verify(headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(SECRET.encode(), f"{headers['x-webhook-timestamp']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-webhook-signature"], f"sha256={expected}")


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, receiver):
    server = Server(tmp_path_factory.mktemp("budgets") / "data",
                    CONFIG.format(url=receiver.url, secret=SECRET)).start()
    yield server
    server.stop()


def key_id_of(srv: Server, plain: str) -> str:
    hint = plain[:len("noxus_test_") + 4]
    line = next(line for line in srv.cli("keys", "list").stdout.splitlines() if hint in line)
    return line.split()[0]


def balance(srv: Server, key: str) -> dict:
    return srv.get("/api/v1/balance", key=key).json()["balance"]


def test_two_jobs_pass_the_third_is_402_and_one_signed_key_at_cap_alert_comes(srv, receiver):
    created = srv.cli("keys", "create", "--account", "default", "--name", "capped", "--max-spend", "0.004",
                      "--period", "day", "--soft-limit", "0.002", "--json")
    assert created.returncode == 0, created.stderr
    made = json.loads(created.stdout)
    key, key_id = made["key"], made["id"]
    assert made["budget"]["max_spend_usd"] == "0.004" and made["budget"]["period"] == "day"
    for text in ("one", "two"):
        r = srv.post(QR, key=key, json={"text": text})
        assert r.status_code == 200, r.text
        assert r.json()["billing"]["charged_usd"] == "0.002"
    before = balance(srv, key)
    refused = srv.post(QR, key=key, json={"text": "three"})
    assert refused.status_code == 402, refused.text
    body = refused.json()
    assert body["error_code"] == "key_budget_exceeded" and body["billing"] == {"charged_usd": "0"}
    assert body["error"].startswith("The API key reached its spending cap")
    details = body["details"]
    assert (details["cap_usd"], details["spent_usd"], details["period"]) == ("0.004", "0.004", "day")
    assert details["resets_at"].endswith("T00:00:00Z")
    assert srv.post(QR, key=key, json={"text": "four"}).status_code == 402
    assert balance(srv, key) == before  # nothing charged, nothing held

    receiver.wait_for("alert.key_cap", 1)
    receiver.wait_for("alert.key_soft_limit", 1)
    time.sleep(3)  # time for a retry (the receiver failed the first attempt) or a wrong second alert
    caps = [(h, b) for h, b in receiver.requests if h["x-webhook-event"] == "alert.key_cap"]
    deliveries = {h["x-webhook-id"] for h, _ in caps}
    assert len(deliveries) == 1, caps  # one alert; a retry re-sends the same id and bytes
    assert all(verify(h, b) for h, b in caps)
    assert len({b for _, b in caps}) == 1
    alert = json.loads(caps[-1][1])
    assert alert["event"] == "alert.key_cap" and alert["subject"] == key_id
    assert alert["details"]["max_spend_usd"] == "0.004" and alert["details"]["account_id"] == "default"
    assert len({h["x-webhook-id"] for h, _ in receiver.requests
                if h["x-webhook-event"] == "alert.key_soft_limit"}) == 1

    raised = srv.cli("keys", "update", key_id, "--max-spend", "0.006")  # the CLI lifts the cap
    assert raised.returncode == 0, raised.stderr
    assert "0.004 spent (+0 held) of 0.006 USD per day" in raised.stdout
    assert srv.post(QR, key=key, json={"text": "five"}).status_code == 200
    assert srv.post(QR, key=key, json={"text": "six"}).status_code == 402
    receiver.wait_for("alert.key_cap", 2)  # a changed budget re-arms its alert: one more, not one per call
    listed = srv.cli("keys", "list").stdout
    assert "0.006 spent (+0 held) of 0.006 USD per day, soft limit 0.002" in listed


@pytest.mark.parametrize("value", ["-1", "abc", "1e999"])
def test_a_bad_budget_from_the_cli_is_refused_clearly(srv, value):
    plain = srv.new_key("default")
    key_id = key_id_of(srv, plain)
    r = srv.cli("keys", "update", key_id, "--max-spend", value)
    assert r.returncode == 2 and "max_spend_usd: must be a USD amount" in r.stderr, r.stderr
    r = srv.cli("keys", "create", "--account", "default", "--max-spend", value)
    assert r.returncode == 2 and "key (shown only once)" not in r.stdout
    r = srv.cli("keys", "update", key_id, "--max-spend", "5", "--soft-limit", "6")
    assert r.returncode == 2 and "soft_limit_usd" in r.stderr
    assert "budget=none" in next(line for line in srv.cli("keys", "list").stdout.splitlines() if key_id in line)
    assert srv.post(QR, key=plain, json={"text": "still free"}).status_code == 200


def test_removing_a_budget_lifts_the_cap(srv):
    made = json.loads(srv.cli("keys", "create", "--max-spend", "0", "--period", "total", "--json").stdout)
    assert srv.post(QR, key=made["key"], json={"text": "x"}).json()["error_code"] == "key_budget_exceeded"
    assert srv.cli("keys", "update", made["id"], "--no-budget").returncode == 0
    assert srv.post(QR, key=made["key"], json={"text": "x"}).status_code == 200


def test_concurrent_calls_never_spend_past_the_cap(srv):
    """12 QR calls at once against a cap of 5 runs: exactly 5 pass, the rest are 402, spent = the cap."""
    made = json.loads(srv.cli("keys", "create", "--max-spend", "0.01", "--period", "week", "--json").stdout)
    before = Decimal(balance(srv, made["key"])["balance_usd"])
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda i: srv.post(QR, key=made["key"], json={"text": f"q{i}"}), range(12)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 5 + [402] * 7, [r.text[:200] for r in answers]
    assert {r.json()["error_code"] for r in answers if r.status_code == 402} == {"key_budget_exceeded"}
    charged = sum(Decimal(r.json()["billing"]["charged_usd"]) for r in answers)
    assert charged == Decimal("0.01") == before - Decimal(balance(srv, made["key"])["balance_usd"])
    listed = next(line for line in srv.cli("keys", "list").stdout.splitlines() if made["id"] in line)
    assert "0.01 spent (+0 held) of 0.01 USD per week" in listed
