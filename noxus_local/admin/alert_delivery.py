"""Delivering operator alerts: logged, then a signed webhook to ``[admin] alert_url``, retried.

Why a thread of its own: alerts are raised on request and job paths (admin/alerts.py writes one row);
logging them and queueing their webhook happens here, off those paths. The webhook is the job webhook's
machinery (jobs/webhooks.py ``WebhookService``) on its own tables, ``alert_deliveries`` and
``alert_attempts``: the same body bytes on every attempt, ``X-Webhook-Id``, ``X-Webhook-Timestamp``,
``X-Webhook-Event`` (``alert.key_cap``…), ``X-Webhook-Signature: sha256=<HMAC(alert_secret,
"<timestamp>.<body>")>`` (left out when ``alert_secret`` is empty), the retries of
``[webhooks] retry_backoff_seconds``. The operator's URL is trusted configuration, so its host passes the
SSRF guard as if it were listed in ``[webhooks] allow_hosts``. Without ``alert_url`` alerts are only logged.

Example::

    service = AlertService(db, cfg.admin, cfg.webhooks)
    service.dispatch()      # log new alerts, queue their webhooks
    service.deliver_due()   # one attempt per due delivery
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from noxus_local.accounts.keys import new_id
from noxus_local.config import AdminSettings, WebhookSettings
from noxus_local.jobs.webhooks import WebhookService
from noxus_local.net.ssrf import Resolver

log = logging.getLogger("noxus_local.alerts")


class AlertService(WebhookService):
    """Logs new alerts and sends them to the operator, signed and retried like job webhooks."""

    DELIVERIES = "alert_deliveries"
    ATTEMPTS = "alert_attempts"

    def __init__(self, db: Any, admin: AdminSettings, webhooks: WebhookSettings,
                 resolve: Resolver = socket.getaddrinfo, clock: Callable[[], float] = time.time) -> None:
        host = urlsplit(admin.alert_url).hostname if admin.alert_url else None
        allowed = [*webhooks.allow_hosts, host] if host else list(webhooks.allow_hosts)
        super().__init__(db, dataclasses.replace(webhooks, allow_hosts=allowed), resolve, clock)
        self.admin = admin

    def dispatch(self, limit: int = 100) -> int:
        """Take new alerts (``dispatched`` 0 → 1 in one statement), log each, queue its webhook."""
        now = self.clock()
        with self.db.write() as conn:
            rows = conn.execute(
                "UPDATE alerts SET dispatched = 1 WHERE id IN (SELECT id FROM alerts WHERE dispatched = 0"
                " ORDER BY created_at LIMIT ?) RETURNING id, event, subject, payload", (limit,)).fetchall()
            if self.admin.alert_url:
                conn.executemany(
                    "INSERT INTO alert_deliveries (id, alert_id, event, url, secret, payload, next_attempt_at,"
                    " created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (alert_id, url) DO NOTHING",
                    [(new_id("ald"), r["id"], r["event"], self.admin.alert_url, self.admin.alert_secret or None,
                      bytes(r["payload"]), now, now) for r in rows])
        for row in rows:
            log.warning("alert %s (%s): %s", row["event"], row["subject"], bytes(row["payload"]).decode())
        return len(rows)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Dispatch and deliver until ``stop`` is set; one daemon thread started with the app."""
        while not stop.is_set():
            try:
                done = self.dispatch() + self.deliver_due()
            except Exception:  # a bad row must not kill the alert thread
                log.exception("alert delivery pass failed")
                done = 0
            if not done:
                stop.wait(interval)

    def deliveries(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest alert deliveries with their status (secrets and bodies left out), newest first."""
        keys = ("id", "alert_id", "event", "url", "status", "attempts", "last_status_code", "last_error",
                "created_at", "delivered_at")
        rows = self.db.all("SELECT * FROM alert_deliveries ORDER BY created_at DESC, id LIMIT ?", (limit,))
        return [{**{k: r[k] for k in keys}, "signed": r["secret"] is not None} for r in rows]
