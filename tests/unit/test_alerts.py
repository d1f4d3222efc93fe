"""Operator alerts (issue 25 item 2): detection on the real store and delivery to a real local receiver."""

import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from noxus_local.admin import alerts
from noxus_local.admin.alert_delivery import AlertService
from noxus_local.config import AdminSettings, WebhookSettings


@pytest.fixture
def receiver():
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(({k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ops", got
    httpd.shutdown()


def test_queue_wait_fires_past_the_threshold_and_re_arms_when_the_queue_drains(db):
    now = time.time()
    with db.write() as conn:
        conn.execute("INSERT INTO jobs (id, account_id, environment, key_id, tool, status, params, files, limits,"
                     " estimate_micros, hold_micros, request_id, created_at) VALUES"
                     " ('job_old', 'acme', 'test', 'key_x', 'qr', 'queued', '{}', '[]', '{}', 0, 0, 'r', ?)",
                     (now - 400,))
    assert alerts.check_queue(db, 300, now=now)
    assert alerts.check_queue(db, 300, now=now + 5) is None  # still waiting: no second alert
    [alert] = alerts.recent(db)
    assert alert["details"]["oldest_job_id"] == "job_old" and alert["details"]["waited_seconds"] == 400
    with db.write() as conn:
        conn.execute("UPDATE jobs SET status = 'running' WHERE id = 'job_old'")
    assert alerts.check_queue(db, 300, now=now + 10) is None
    assert db.one("SELECT active FROM alert_state WHERE name = 'queue_wait'")["active"] == 0


def test_a_lost_worker_and_missing_models_fire_once_each(db):
    gone = {"name": "gpu-1", "live": False, "last_heartbeat": time.time() - 90, "running_jobs": 2}
    assert len(alerts.check_workers(db, [gone, {**gone, "name": "cpu-1", "live": True}])) == 1
    assert alerts.check_workers(db, [gone]) == []
    assert alerts.check_workers(db, [{**gone, "live": True}]) == []  # back: re-armed
    assert len(alerts.check_workers(db, [gone])) == 1
    needed = {"whisper-base": ["auto-subtitles"], "silero-vad": ["auto-subtitles"]}
    states = {"whisper-base": "missing", "silero-vad": "installed"}
    assert len(alerts.check_models(db, states, needed)) == 1
    assert alerts.check_models(db, states, needed) == []  # the next start: still missing, no second alert
    missing = next(a for a in alerts.recent(db) if a["event"] == "alert.model_missing")
    assert missing["details"] == {"model": "whisper-base", "state": "missing", "tools": ["auto-subtitles"]}


def test_without_alert_url_alerts_are_only_logged(db, caplog):
    alerts.check(db, "queue_wait", True, "alert.queue_wait", "queue", {"waited_seconds": 999})
    service = AlertService(db, AdminSettings(), WebhookSettings())
    with caplog.at_level(logging.WARNING, logger="noxus_local.alerts"):
        assert service.dispatch() == 1
    assert "alert.queue_wait" in caplog.text and "999" in caplog.text
    assert service.dispatch() == 0  # dispatched once
    assert db.one("SELECT COUNT(*) FROM alert_deliveries")[0] == 0


def test_alerts_are_signed_and_delivered_like_job_webhooks(db, receiver):
    url, got = receiver
    admin = AdminSettings(alert_url=url, alert_secret="op-secret")
    service = AlertService(db, admin, WebhookSettings())  # 127.0.0.1 is not in allow_hosts: the URL is trusted
    alerts.check(db, "worker_lost:w9", True, "alert.worker_lost", "w9", {"worker": "w9"})
    assert service.dispatch() == 1 and service.deliver_due() == 1
    [(headers, body)] = got
    expected = hmac.new(b"op-secret", f"{headers['x-webhook-timestamp']}.".encode() + body, hashlib.sha256)
    assert headers["x-webhook-signature"] == "sha256=" + expected.hexdigest()
    assert headers["x-webhook-event"] == "alert.worker_lost"
    assert json.loads(body)["subject"] == "w9"
    [delivery] = service.deliveries()
    assert (delivery["status"], delivery["attempts"], delivery["signed"]) == ("delivered", 1, True)
