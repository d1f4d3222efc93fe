"""ASGI middleware around ``receive()``: slow clients cannot hold connections and work folders.

Three rules for every request that carries a body, in one place rather than
per route:

- **Stalled body**: when no byte of the body arrives for
  ``[server] body_timeout_seconds`` (like nginx's ``client_body_timeout``:
  the time between two reads, not the whole upload, so a big file on a slow
  link still gets through), ``receive()`` raises ``RequestTimeout``: 408
  ``request_timeout``. It travels through the route's own error path, so the
  route removes the job's work folder as for any refused request.
- **Upload cap**: at most ``[server] max_concurrent_uploads`` bodies larger
  than ``UPLOAD_MIN_BYTES`` (or chunked) are read at once; one more is refused
  before any of its bytes are read: 503 ``server_busy`` with ``Retry-After``.
  Small JSON bodies (a qr call) never count.
- **Shutdown**: a body still being read when the server stops answers 503
  ``shutting_down`` at once, instead of holding the exit for its client.

Once the body is complete, ``receive()`` is passed through untouched: waiting
for ``http.disconnect`` then is normal and must never time out.

Example::

    app.asgi_handler = body_guard(app.asgi_handler, BodyRules(30.0, 16, "es"), stopping)
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from noxus_local.api.envelope import encode, error_body
from noxus_local.errors import NoxusError, RequestTimeout, ServerBusy, ShuttingDown

UPLOAD_MIN_BYTES = 64 * 1024  # a body up to this size arrives in one or two reads: not an upload
POLL_SECONDS = 0.25  # how often a pending read looks at the clock and the stop flag
BUSY_RETRY_AFTER = 2  # seconds; uploads end or time out quickly when the cap is reached
STOP_RETRY_AFTER = 10


@dataclass
class BodyRules:
    timeout_seconds: float
    max_uploads: int  # 0 = no cap
    locale: str
    active_uploads: int = field(default=0)  # only touched on the event loop: no lock needed


def body_guard(app: ASGIApp, rules: BodyRules, stopping: threading.Event) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await app(scope, receive, send)
            return
        upload = _is_upload(scope)
        if upload and rules.max_uploads and rules.active_uploads >= rules.max_uploads:
            await _answer(scope, send, _busy(rules), rules.locale)
            return
        reader = _BodyReader(receive, rules, stopping, upload)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, reader.receive, tracking_send)
        except (RequestTimeout, ServerBusy, ShuttingDown) as exc:
            if started:  # too late for an envelope: drop the connection, as uvicorn would
                raise
            await _answer(scope, send, exc, rules.locale)  # the app let our own error escape
        finally:
            reader.release()

    return middleware


class _BodyReader:
    """``receive()`` for one request: times out a stalled body, holds an upload slot while reading."""

    def __init__(self, receive: Receive, rules: BodyRules, stopping: threading.Event, upload: bool) -> None:
        self._receive = receive
        self.rules = rules
        self.stopping = stopping
        self.complete = False
        self.holds_slot = upload
        self._timer: asyncio.TimerHandle | None = None
        # (loop time the read began, the task parked on it); None between reads
        self._waiting: tuple[float, asyncio.Task[Any] | None] | None = None
        self._cut: NoxusError | None = None
        if upload:
            rules.active_uploads += 1

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()
        message = await self._next()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.complete = True
            self.release()
        return message

    async def _next(self) -> Message:
        """One read, watched by one timer per request instead of a task per read.

        The read is awaited directly. A timer on the loop looks every
        ``POLL_SECONDS`` at the read in progress, if any; past the timeout, or
        at the stop signal, it cancels the request's task, which at that
        moment is parked exactly on this read (``_waiting`` is set only
        around that one await, with the task that awaits it). The
        ``CancelledError`` becomes our error here. A task + ``asyncio.wait``
        per read cost ~100 µs per read (scripts/bench/bench_body_guard.py).
        """
        loop = asyncio.get_running_loop()
        if self._timer is None:
            self._timer = loop.call_later(POLL_SECONDS, self._check, loop)
        self._waiting = (loop.time(), asyncio.current_task())
        try:
            return await self._receive()
        except asyncio.CancelledError:
            if self._cut is None:  # cancelled by someone else (uvicorn's own shutdown): not ours
                raise
            self._waiting[1].uncancel()  # type: ignore[union-attr]  # ours, now an error instead
            cut, self._cut = self._cut, None
            raise cut from None
        finally:
            self._waiting = None

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self._waiting
        if waiting is not None and self.stopping.is_set():
            self._cut = ShuttingDown(headers={"Retry-After": str(STOP_RETRY_AFTER), "Connection": "close"})
        elif waiting is not None and loop.time() - waiting[0] >= self.rules.timeout_seconds:
            self._cut = RequestTimeout(details={"limit": "body_timeout_seconds", "max": self.rules.timeout_seconds},
                                       headers={"Connection": "close"})
        else:
            self._timer = loop.call_later(POLL_SECONDS, self._check, loop)
            return
        self._timer = None
        waiting[1].cancel()  # type: ignore[union-attr]

    def release(self) -> None:
        """The body is read (or the request ended): no more watching, the upload slot is free."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.holds_slot:
            self.holds_slot = False
            self.rules.active_uploads -= 1


def _busy(rules: BodyRules) -> ServerBusy:
    return ServerBusy(details={"limit": "max_concurrent_uploads", "max": rules.max_uploads},
                      headers={"Retry-After": str(BUSY_RETRY_AFTER), "Connection": "close"})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _has_body(scope: Scope) -> bool:
    length = _content_length(scope)
    return (length is not None and length > 0) or _header(scope, b"transfer-encoding") is not None


def _is_upload(scope: Scope) -> bool:
    length = _content_length(scope)
    return length is None or length > UPLOAD_MIN_BYTES  # chunked: size unknown, count it


async def _answer(scope: Scope, send: Send, exc: NoxusError, locale: str) -> None:
    """The contract's envelope, sent from here (the app never saw this request, or let go of it)."""
    state: dict[str, Any] = scope.get("state", {})  # type: ignore[assignment]
    body = encode(error_body(str(state.get("request_id", "")), exc, locale))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
