"""Fetch slots: a bounded number of ``<field>_url`` downloads at once, kept apart from tool calls.

A download spends its time waiting on someone else's server, so it waits on
the event loop (``core.fetch``), not in a worker thread. Its few blocking
steps (DNS, TLS setup, disk writes, the media check) run in worker threads
under ``threads``, a limiter of its own: before issue 17 downloads ran in
anyio's default pool of 40 threads, the one every tool call's small steps
use, and 45 slow senders left a ``qr`` call no thread at all.

The CA bundle for HTTPS is loaded once (``tls()``): httpx loads it for
every new client otherwise, about 60 ms of CPU each, 2.6 s for 45 at once.

``size`` downloads run at once. One more waits up to ``wait_seconds`` for a
slot (a short burst is served), then is refused with 503 ``server_busy``,
``details.limit = "fetch_slots"`` and ``Retry-After``, before any job or hold
exists: no charge, and nothing queues for minutes behind slow servers.

Example::

    slots = FetchSlots(16, 2.0)
    async with slots.hold():
        received = await download(url, "image_url", intake, policy, verify=await slots.tls(),
                                  limiter=slots.threads)
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from anyio import to_thread

from noxus_local.errors import ServerBusy

RETRY_AFTER_SECONDS = 2  # a slot frees within fetch_timeout_seconds at worst; most within a second


class FetchSlots:
    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self.threads = anyio.CapacityLimiter(size)
        self._free = anyio.Semaphore(size)
        self._tls: ssl.SSLContext | None = None
        self._tls_loading = anyio.Lock()  # 45 first downloads at once load it once, not 45 times

    @property
    def in_use(self) -> int:
        return self.size - self._free.value

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """One slot for the ``async with`` body, or ``ServerBusy`` after ``wait_seconds``."""
        acquired = False
        with anyio.move_on_after(self.wait_seconds):
            await self._free.acquire()
            acquired = True
        if not acquired:
            raise ServerBusy(details={"limit": "fetch_slots", "max": self.size},
                             headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        try:
            yield
        finally:
            self._free.release()

    async def tls(self) -> ssl.SSLContext:
        """The context every download verifies certificates with (SNI is per connection, not per context)."""
        async with self._tls_loading:
            if self._tls is None:
                self._tls = await to_thread.run_sync(httpx.create_ssl_context, limiter=self.threads)
        return self._tls
