"""Webhook delivery (CONTRACT.md §7): persisted, signed, retried, SSRF-checked.

When a job ends, ``schedule`` stores one delivery row whose body is fixed at
that moment, so every attempt sends identical bytes under the same
``X-Webhook-Id`` and a receiver can deduplicate. ``deliver_due`` claims due
rows by pushing their ``next_attempt_at`` forward (a lease) in one
IMMEDIATE transaction, so two workers — or two processes — never send the
same attempt at once; a process killed mid-send leaves a lease that
expires and the attempt is made again. Everything lives in SQLite, so a
restart keeps pending retries.

Example::

    hooks = WebhookService(db, cfg.webhooks)
    hooks.schedule("job_1", "job.completed", "https://example.com/hook", "s3cret", {"job_id": "job_1"})
    hooks.deliver_due()              # from a background thread, never the event loop
    hooks.attempts_for("job_1")      # [{"id": "whd_…", "status": "delivered", "history": [...]}]
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from noxus_local.accounts.keys import new_id
from noxus_local.config import WebhookSettings
from noxus_local.errors import ValidationError, say
from noxus_local.net.ssrf import IPAddress, Resolver, Target, vet

log = logging.getLogger("noxus_local.webhooks")

USER_AGENT = "NOXUS-Local-Webhooks/1"
EVENTS = {"succeeded": "job.completed", "failed": "job.failed", "cancelled": "job.failed"}
LEASE_SLACK_SECONDS = 30.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``.

    The timestamp is signed too so a captured request cannot be replayed
    later with a fresh ``X-Webhook-Timestamp``.

    Example: ``sign("s", 1700000000, b'{"a":1}')`` → ``"sha256=…"`` (64 hex digits).
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Outcome:
    """One attempt: ``error`` is None exactly when it counts as delivered."""

    at: float
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookService:
    """Schedules, sends and records webhook deliveries for finished jobs.

    ``DELIVERIES`` / ``ATTEMPTS`` name its two tables, so operator alerts (admin/alert_delivery.py)
    reuse the same claim, signing, retry and record code on tables of their own.
    """

    DELIVERIES = "webhook_deliveries"
    ATTEMPTS = "webhook_attempts"

    def __init__(self, db: Any, settings: WebhookSettings, resolve: Resolver = socket.getaddrinfo,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.settings = settings
        self.resolve = resolve
        self.clock = clock

    def schedule(self, job_id: str, event: str, url: str, secret: str | None, payload: dict[str, Any]) -> str:
        """Store a pending delivery due now; the same job and URL twice gives the first id back.

        Example: ``schedule("job_1", "job.failed", "https://h.example/x", None, {...})`` → ``"whd_…"``.
        """
        if event not in EVENTS.values():
            raise ValueError(f"unknown webhook event {event!r}")
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        now = self.clock()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO webhook_deliveries (id, job_id, event, url, secret, payload, next_attempt_at,"
                " created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (job_id, url) DO NOTHING",
                (new_id("whd"), job_id, event, url, secret or None, body, now, now))
            row = conn.execute("SELECT id FROM webhook_deliveries WHERE job_id = ? AND url = ?",
                               (job_id, url)).fetchone()
        return str(row["id"])

    def target_for(self, job: Mapping[str, Any]) -> tuple[str, str | None] | None:
        """(url, secret) for a job row: its own ``webhook`` first, else its app's default, else None."""
        if job["webhook"]:
            hook = json.loads(job["webhook"])
            return str(hook["url"]), hook.get("secret") or None
        if job["app_id"]:
            app = self.db.one("SELECT webhook_url, webhook_secret FROM apps WHERE id = ?", (job["app_id"],))
            if app is not None and app["webhook_url"]:
                return str(app["webhook_url"]), app["webhook_secret"] or None
        return None

    def schedule_job(self, job: Mapping[str, Any], payload: dict[str, Any]) -> str | None:
        """Schedule the webhook of a finished job row, if it has one; None otherwise.

        Example (in a JobRunner hook): ``hooks.schedule_job(jobs.get(db, job_id), job_body(...))``.
        """
        event, target = EVENTS.get(job["status"]), self.target_for(job)
        if event is None or target is None:
            return None
        return self.schedule(job["id"], event, target[0], target[1], payload)

    def deliver_due(self, limit: int = 20) -> int:
        """Make one attempt for each due delivery (at most ``limit``); returns how many were tried."""
        rows = self._claim(limit)
        for row in rows:
            self._record(row, self._send(row))
        return len(rows)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Deliver until ``stop`` is set; meant for one daemon thread started with the app."""
        while not stop.is_set():
            try:
                sent = self.deliver_due()
            except Exception:  # a bad row must not kill the delivery thread
                log.exception("webhook delivery pass failed")
                sent = 0
            if not sent:
                stop.wait(interval)

    def attempts_for(self, job_id: str) -> list[dict[str, Any]]:
        """Each delivery of a job with its attempts, for GET /jobs/{id}; secrets and bodies left out."""
        deliveries = self.db.all("SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id",
                                 (job_id,))
        return [self._describe(row) for row in deliveries]

    def _describe(self, row: sqlite3.Row) -> dict[str, Any]:
        history = self.db.all("SELECT attempt, at, status_code, error, duration_ms FROM webhook_attempts"
                              " WHERE delivery_id = ? ORDER BY attempt", (row["id"],))
        keys = ("id", "event", "url", "status", "attempts", "next_attempt_at", "last_status_code",
                "last_error", "created_at", "delivered_at")
        return {**{k: row[k] for k in keys}, "signed": row["secret"] is not None,
                "history": [dict(h) for h in history]}

    def _claim(self, limit: int) -> list[sqlite3.Row]:
        """Lease due rows in one statement so no other worker picks them until the lease ends."""
        now = self.clock()
        lease_until = now + 3 * self.settings.timeout_seconds + LEASE_SLACK_SECONDS
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE {self.DELIVERIES} SET next_attempt_at = ? WHERE id IN (SELECT id FROM"
                f" {self.DELIVERIES} WHERE status = 'pending' AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at LIMIT ?) RETURNING *", (lease_until, now, limit)).fetchall()

    def _send(self, row: sqlite3.Row) -> Outcome:
        at, started = self.clock(), time.monotonic()
        code: int | None = None
        try:
            target = vet(row["url"], self.settings.allow_hosts, self.resolve)  # DNS may have changed
            code = post(target, bytes(row["payload"]), self._headers(row), self.settings.timeout_seconds)
            error = _judge(code, time.monotonic() - started, self.settings.timeout_seconds)
        except ValidationError as exc:
            said = say((exc.details or {})["field_errors"]["webhook.url"], "en")  # an English log line
            error = "refused by the SSRF guard: " + "; ".join(said)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # timeouts and TLS errors are OSErrors
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return Outcome(at, code, error, int((time.monotonic() - started) * 1000))

    def _headers(self, row: sqlite3.Row) -> dict[str, str]:
        timestamp = int(self.clock())
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Webhook-Id": row["id"], "X-Webhook-Timestamp": str(timestamp),
                   "X-Webhook-Event": row["event"]}
        if row["secret"]:
            headers["X-Webhook-Signature"] = sign(row["secret"], timestamp, bytes(row["payload"]))
        return headers

    def _record(self, row: sqlite3.Row, outcome: Outcome) -> None:
        """Store the attempt and what comes next; a no-op if another worker recorded it (lease expired)."""
        attempt = row["attempts"] + 1
        status, next_at = self._next_step(attempt, outcome)
        with self.db.write() as conn:
            cur = conn.execute(
                f"UPDATE {self.DELIVERIES} SET status = ?, attempts = ?, next_attempt_at = ?,"
                " last_status_code = ?, last_error = ?, delivered_at = ? WHERE id = ? AND attempts = ?",
                (status, attempt, next_at, outcome.status_code, outcome.error,
                 self.clock() if status == "delivered" else None, row["id"], row["attempts"]))
            if cur.rowcount != 1:
                return
            conn.execute(f"INSERT INTO {self.ATTEMPTS} (delivery_id, attempt, at, status_code, error,"
                         " duration_ms) VALUES (?,?,?,?,?,?)",
                         (row["id"], attempt, outcome.at, outcome.status_code, outcome.error,
                          outcome.duration_ms))
        log.log(logging.WARNING if status == "failed" else logging.INFO,
                "webhook %s attempt %d: %s (%s)", row["id"], attempt, status, outcome.error or outcome.status_code)

    def _next_step(self, attempt: int, outcome: Outcome) -> tuple[str, float | None]:
        """Delivered, retry after ``retry_backoff_seconds[attempt - 1]``, or failed when those run out."""
        if outcome.error is None:
            return "delivered", None
        backoff = self.settings.retry_backoff_seconds
        if attempt <= len(backoff):
            return "pending", self.clock() + backoff[attempt - 1]
        return "failed", None


def _judge(code: int, elapsed: float, timeout: float) -> str | None:
    """None for a 2xx in time; otherwise why the attempt failed (redirects are never followed)."""
    if elapsed > timeout:
        return f"no answer within {timeout:g} s"
    if 200 <= code < 300:
        return None
    if 300 <= code < 400:
        return f"HTTP {code} (redirects are not followed)"
    return f"HTTP {code}"


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to a vetted target and return the status code; http.client never follows redirects."""
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = PinnedHTTPSConnection(target, timeout)
    else:
        conn = PinnedHTTPConnection(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def _connect(addresses: list[IPAddress], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first vetted address that answers — never to a fresh DNS answer."""
    last: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout)
        except OSError as exc:
            last = exc
    raise last


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted addresses while the Host header keeps the URL's name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Like PinnedHTTPConnection; TLS checks the certificate against the URL's name (SNI too)."""

    def __init__(self, target: Target, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls or ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = target.addresses

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
