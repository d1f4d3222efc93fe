"""Steps as data: a tool's declared steps, their weights, and the job's overall progress.

A tool declares its steps once, at class level; while it runs it enters each
one, reports progress within it, and the job's ``progress`` is the weighted
sum. This module holds no database: the runner hands ``StepTracker`` a
``flush`` callback that stores the steps, so tools (and their unit tests) use
the same tracker with or without a job row. It lives below ``tools/`` like
the cancel token, so both the runner and the tools can use it.

Example::

    tracker = StepTracker((Step("probe", 1), Step("transcribe", 6), Step("render", 3)))
    with tracker.step("probe"):
        pass                                  # probe: succeeded → overall 10
    with tracker.step("transcribe") as step:
        step.progress(0.5)                    # overall 10 + 6 * 50 / 10 = 40
    tracker.overall()                         # 40
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from noxus_local.errors import InternalError, JobCancelled, NoxusError

# a step's life: pending → running → succeeded | failed | cancelled; pending ones
# left when the job ends become skipped (never run), so every step ends closed
STEP_STATUSES = ("pending", "running", "succeeded", "failed", "cancelled", "skipped")
DONE = ("succeeded", "skipped")

FlushFn = Callable[[int, list[dict[str, Any]]], None]
ScheduleFn = Callable[[float, Callable[[], None]], None]

log = logging.getLogger("noxus_local.runtime.steps")


@dataclass(frozen=True)
class Step:
    """One declared step and its share of the work (weights are relative).

    Example: ``steps = (Step("probe", 1), Step("transcribe", 6), Step("render", 3))``
    makes transcribe 60 % of the job's progress bar.
    """

    name: str
    weight: int = 1

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.weight, int) or self.weight < 1:
            raise ValueError(f"step {self.name!r}: a name and an integer weight >= 1 are required")


def plan(steps: Sequence[Step]) -> list[dict[str, Any]]:
    """The stored form of declared steps before the job runs: all pending.

    Example: ``plan((Step("a", 2),))`` → ``[{"n": 1, "name": "a", "weight": 2, "status": "pending", ...}]``
    """
    return [_record(n, s.name, s.weight) for n, s in enumerate(steps, start=1)]


def _record(n: int, name: str, weight: int | None) -> dict[str, Any]:
    # weight None: an undeclared step (older tools); the tool reports overall progress itself
    return {"n": n, "name": name, "weight": weight, "status": "pending", "progress": 0,
            "started_at": None, "finished_at": None, "error": None}


def error_of(exc: BaseException) -> dict[str, str]:
    """What a step records about the exception that ended it; never internals.

    Example: ``error_of(ProcessingTimeout())`` → ``{"code": "processing_timeout", "message": ...}``
    """
    err = exc if isinstance(exc, NoxusError) else InternalError()
    return {"code": err.code, "message": err.message or err.code}


def outcome_of(exc: BaseException) -> str:
    return "cancelled" if isinstance(exc, JobCancelled) else "failed"


class StepTracker:
    """The steps of one run, their progress, and when to store them.

    ``flush(overall, steps)`` is called at once when a step starts or ends
    (bounded by the declared steps) and at most every ``min_interval``
    seconds for progress inside a step, so a tool may report progress in a
    tight loop without a write per call. A report held back by the interval
    is written when the interval ends (``schedule``: the runner's one
    ``Deferred`` thread, so held-back writes of every job share one thread and
    one SQLite connection), so the last progress of a quiet step is not lost.
    """

    def __init__(self, declared: Sequence[Step] = (), flush: FlushFn | None = None,
                 min_interval: float = 0.25, clock: Callable[[], float] = time.time,
                 schedule: ScheduleFn | None = None) -> None:
        self.declared = tuple(declared)
        self.steps = plan(self.declared)
        self._flush = flush
        self._min_interval = min_interval
        self._clock = clock
        self._lock = threading.RLock()
        self._last_flush = float("-inf")
        self._dirty = False
        self._held = False  # a held-back write is scheduled
        self._schedule = schedule or _timer
        self._reported = 0  # overall progress a tool without declared steps reported itself
        self._high = 0  # the bar never moves back

    # --- what tools call -------------------------------------------------
    def step(self, name: str) -> StepScope:
        """``with tracker.step("render") as step: step.progress(0.4)``: running → succeeded/failed."""
        return StepScope(self, name)

    def progress(self, fraction: float, step: str | None = None) -> None:
        """``ctx.progress(fraction, step)``: a fraction 0.0-1.0 (stored as a 0-100 percent).

        With declared steps, ``fraction`` is the progress within ``step`` (entered
        when it is not the running one). Without, it is the job's overall
        progress and a new ``step`` name closes the previous one, as before.
        Example: ``tracker.progress(0.5, "render")`` → the job shows 50.
        """
        pct = 100 * fraction
        with self._lock:
            moved = step is not None and self._running_name() != step
            if moved:
                self._close_running("succeeded")
                self._begin(step or "")
            if self.declared:
                current = self._running()
                if current is not None:
                    current["progress"] = _clamp(pct)
            else:
                self._reported = max(self._reported, _clamp(pct))
            self._maybe_flush(force=moved)

    # --- what the runner calls -------------------------------------------
    def overall(self) -> int:
        """The job's progress 0-100: the weighted sum of the declared steps.

        Example: weights (1, 6, 3), first done and the second at 50 % → 10 + 30 = 40.
        """
        with self._lock:
            if not self.declared:
                value = self._reported
            else:
                total = sum(s["weight"] or 0 for s in self.steps)
                done = sum((s["weight"] or 0) * (100 if s["status"] in DONE else s["progress"])
                           for s in self.steps)
                value = done // total if total else 0
            self._high = max(self._high, value)
            return self._high

    def close(self, outcome: str, exc: BaseException | None = None) -> list[dict[str, Any]]:
        """The final steps when the job ends: the running one closed as ``outcome``, pending ones skipped."""
        with self._lock:
            self._dirty = False  # the runner stores the final steps itself
            self._close_running(outcome, error_of(exc) if exc is not None else None)
            for s in self.steps:
                if s["status"] == "pending":
                    s["status"] = "skipped"
            return self.snapshot()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self.steps]

    # --- inside -----------------------------------------------------------
    def _enter(self, name: str) -> dict[str, Any]:
        with self._lock:
            if self._running_name() != name:
                self._close_running("succeeded")
                self._begin(name)
            self._maybe_flush(force=True)
            current = self._running()
            assert current is not None
            return current

    def _exit(self, record: dict[str, Any], exc: BaseException | None) -> None:
        with self._lock:
            if record["status"] != "running":
                return
            if exc is None:
                self._finish(record, "succeeded")
            else:
                self._finish(record, outcome_of(exc), error_of(exc))
            self._maybe_flush(force=True)

    def _set_progress(self, record: dict[str, Any], pct: float) -> None:
        with self._lock:
            if record["status"] == "running":
                record["progress"] = _clamp(pct)
                self._maybe_flush(force=False)

    def _set_details(self, record: dict[str, Any], details: dict[str, Any]) -> None:
        with self._lock:
            record["details"] = {**(record.get("details") or {}), **details}
            self._maybe_flush(force=True)

    def _begin(self, name: str) -> None:
        record = next((s for s in self.steps if s["name"] == name), None)
        if record is None:
            if self.declared:
                raise ValueError(f"step {name!r} is not declared; declared: "
                                 f"{', '.join(s.name for s in self.declared)}")
            record = _record(len(self.steps) + 1, name, None)
            self.steps.append(record)
        record.update(status="running", progress=0, started_at=self._clock(), finished_at=None, error=None)

    def _finish(self, record: dict[str, Any], status: str, error: dict[str, str] | None = None) -> None:
        record.update(status=status, finished_at=self._clock(), error=error)
        if status == "succeeded":
            record["progress"] = 100

    def _close_running(self, status: str, error: dict[str, str] | None = None) -> None:
        current = self._running()
        if current is not None:
            self._finish(current, status, error)

    def _running(self) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["status"] == "running"), None)

    def _running_name(self) -> str | None:
        current = self._running()
        return current["name"] if current else None

    def _maybe_flush(self, force: bool) -> None:
        if self._flush is None:
            return
        wait = self._last_flush + self._min_interval - time.monotonic()
        if force or wait <= 0:
            self._write()
            return
        self._dirty = True
        if not self._held:
            self._held = True
            self._schedule(wait, self._write_held)

    def _write(self) -> None:
        assert self._flush is not None
        self._last_flush = time.monotonic()
        self._dirty = False
        self._flush(self.overall(), self.snapshot())

    def _write_held(self) -> None:
        with self._lock:
            self._held = False
            if self._dirty:
                self._write()


class StepScope:
    """The handle ``ctx.step(name)`` gives: a context manager with ``progress(fraction)``."""

    def __init__(self, tracker: StepTracker, name: str) -> None:
        self._tracker = tracker
        self.name = name
        self._record: dict[str, Any] | None = None

    def __enter__(self) -> StepScope:
        self._record = self._tracker._enter(self.name)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._record is not None:
            self._tracker._exit(self._record, exc)

    def progress(self, fraction: float) -> None:
        """Progress within this step, a fraction 0.0-1.0 (stored as 0-100); stored at most every ~0.25 s."""
        if self._record is not None:
            self._tracker._set_progress(self._record, 100 * fraction)

    def record(self, **details: Any) -> None:
        """What this step decided, JSON-ready, shown as the step's ``details`` (stored at once).

        Example: ``step.record(scenes=[{"index": 0, "image": 2}])`` → the step's ``details.scenes``.
        """
        if self._record is not None:
            self._tracker._set_details(self._record, details)


def _clamp(pct: float) -> int:
    # a hair over: 100 * 0.29 is 28.999999999999996, which int() would floor to 28
    return max(0, min(100, int(pct + 1e-6)))


def _timer(delay: float, fn: Callable[[], None]) -> None:
    """A tracker on its own (a tool's unit test) waits on a timer thread of its own."""
    timer = threading.Timer(delay, fn)
    timer.daemon = True
    timer.start()


class Deferred:
    """One daemon thread that runs delayed calls in time order; the runner shares it across jobs.

    A thread per held-back write would open a SQLite connection per thread
    (``store.db`` keeps one per thread), so every job's late writes go here.

    Example: ``Deferred().call_later(0.2, lambda: print("later"))``.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cv:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="noxus-deferred", daemon=True)
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        """Drop the held-back writes and end the thread: at shutdown the store closes next,
        and a late progress write on a closed SQLite connection is at best an error."""
        with self._cv:
            self._stopped = True
            self._heap.clear()
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._stopped:
                    self._cv.wait()
                if self._stopped:
                    return
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                log.exception("deferred step write failed")
