"""The compute pool: one set of CPU and GPU slots that every tool run takes from.

Tools declare what a run needs (``Tool.resources``, e.g. ``{"cpu": 2}`` or
``{"gpu": 1}``); the runner takes those slots before the job turns
``running`` and gives them back when the tool returns, on the inline path and
the huey path alike, so the machine is never asked for more than it has.

Fair: waiters are served first come, first served *per resource*. A waiter
is granted when its slots are free and no earlier waiter wants any resource
it wants, so a big job is never starved by a stream of small ones, and a CPU
job does not queue behind a GPU job. Cancel-aware: a waiter polls its cancel
token (and ``wake()`` interrupts the wait at once), so DELETE, a timeout or a
shutdown stops the wait; the job then never starts.

Hand-written on a ``threading.Condition``: ``threading.Semaphore`` and
asyncio's take one count with no per-resource FIFO and no cancel token, and
no queue library we looked at (huey's own task locks, ``anyio``'s
``CapacityLimiter``) takes several resources at once.

Example::

    pool = ComputePool({"cpu": 2, "gpu": 0})
    if pool.acquire("job_a", {"cpu": 2}, token):   # blocks until free; False if cancelled
        try:
            ...
        finally:
            pool.release("job_a")
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from noxus_local.config import Config
from noxus_local.errors import ToolUnavailable
from noxus_local.inference.engines.providers import slot_sources
from noxus_local.runtime.cancel import CancelToken

log = logging.getLogger("noxus_local.jobs.pool")

RESOURCES = ("cpu", "gpu")
POLL_SECONDS = 0.1  # a cancel is seen within this even when nobody calls wake()


class CapacityExceeded(ToolUnavailable):
    """A run needs more slots than this machine has: it could never start.

    Example: ``{"cpu": 4}`` on a 2-slot pool → 503 ``tool_unavailable`` with
    ``details = {"reason": "compute_capacity", "resource": "cpu", "needed": 4, "capacity": 2}``.
    """


@dataclass
class _Waiter:
    job_id: str
    need: dict[str, int]


class ComputePool:
    def __init__(self, capacity: Mapping[str, int | Callable[[], int]]) -> None:
        """``capacity`` per resource; a callable is resolved on first use (the GPU
        probe imports ONNX Runtime, which starting the server must not pay for)."""
        self._sources = dict(capacity)
        self._resolved: dict[str, int] = {}
        self._resolving = threading.Lock()
        self._cond = threading.Condition()
        self._queue: list[_Waiter] = []
        self._held: dict[str, dict[str, int]] = {}
        self._busy = dict.fromkeys(self._sources, 0)
        self._peak = dict.fromkeys(self._sources, 0)
        self._closed = False

    @classmethod
    def from_config(cls, cfg: Config) -> ComputePool:
        """``[compute] cpu_slots`` (0 = usable cores) and ``gpu_slots`` (-1 = probe)."""
        return cls(slot_sources(cfg))

    def slots(self, resource: str) -> int:
        """Slots of one resource (0 for one this pool does not know); resolved once, on first ask,
        so CPU-only work never pays for the GPU probe."""
        if resource not in self._resolved:
            with self._resolving:
                if resource not in self._resolved:
                    source = self._sources.get(resource, 0)
                    self._resolved[resource] = int(source() if callable(source) else source)
        return self._resolved[resource]

    def capacity(self) -> dict[str, int]:
        """Slots per resource, e.g. ``{"cpu": 2, "gpu": 0}`` (may run the GPU probe: not on the event loop)."""
        return {resource: self.slots(resource) for resource in self._sources}

    def check(self, need: Mapping[str, int]) -> None:
        """Refuse up front a run that could never get its slots (CapacityExceeded)."""
        for resource, amount in need.items():
            if amount > self.slots(resource):
                raise CapacityExceeded(details={"reason": "compute_capacity", "resource": resource,
                                                "needed": amount, "capacity": self.slots(resource)})

    def acquire(self, job_id: str, need: Mapping[str, int], token: CancelToken) -> bool:
        """Block until ``need`` is free and it is this job's turn; True when taken.

        False, with nothing taken, when the token fires or the pool closes
        while waiting, or when this job already holds or awaits slots (a
        duplicate). Raises CapacityExceeded for a need that can never fit.
        """
        self.check(need)
        wanted = {r: n for r, n in need.items() if n > 0}
        with self._cond:
            if job_id in self._held or any(w.job_id == job_id for w in self._queue):
                return False  # a duplicate queue message: the other execution has this job
            waiter = _Waiter(job_id, wanted)
            self._queue.append(waiter)
            try:
                while not self._closed and not token.cancelled:
                    if self._grantable(waiter):
                        self._take(waiter)
                        return True
                    self._cond.wait(POLL_SECONDS)
                return False
            finally:
                self._queue.remove(waiter)
                self._cond.notify_all()  # leaving the queue may unblock the waiters behind

    def release(self, job_id: str) -> None:
        with self._cond:
            for resource, amount in self._held.pop(job_id, {}).items():
                self._busy[resource] -= amount
            self._cond.notify_all()

    def wake(self) -> None:
        """Make waiters look at their tokens now (the runner calls it after a cancel)."""
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """Shutting down: waiting jobs give up (they stay queued), new waits fail at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def snapshot(self) -> dict[str, Any]:
        """Per resource: capacity, busy and waiting slots, and the most ever busy at once.

        Example: ``{"cpu": {"capacity": 2, "busy": 2, "waiting": 4, "peak_busy": 2}, ...}``
        """
        capacity = self.capacity()
        with self._cond:
            waiting = dict.fromkeys(capacity, 0)
            for waiter in self._queue:
                for resource, amount in waiter.need.items():
                    waiting[resource] = waiting.get(resource, 0) + amount
            return {r: {"capacity": capacity[r], "busy": self._busy.get(r, 0), "waiting": waiting.get(r, 0),
                        "peak_busy": self._peak.get(r, 0)} for r in capacity}

    def holders(self) -> int:
        with self._cond:
            return len(self._held)

    def _grantable(self, waiter: _Waiter) -> bool:
        """Its slots are free, and nobody ahead of it wants any of the same resources."""
        if any(self._busy.get(r, 0) + n > self.slots(r) for r, n in waiter.need.items()):
            return False
        for ahead in self._queue:
            if ahead is waiter:
                return True
            if ahead.need.keys() & waiter.need.keys():
                return False
        return True  # pragma: no cover - a waiter is always in the queue

    def _take(self, waiter: _Waiter) -> None:
        self._held[waiter.job_id] = waiter.need
        for resource, amount in waiter.need.items():
            self._busy[resource] = self._busy.get(resource, 0) + amount
            self._peak[resource] = max(self._peak.get(resource, 0), self._busy[resource])
