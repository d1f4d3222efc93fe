"""Background upkeep in one daemon thread: worker health, retention, webhooks.

huey's ``Consumer.start()`` runs no health loop (STACK.md), so dead workers
would never come back; this thread calls ``check_worker_health`` itself.
Retention deletes uploads and outputs past ``jobs.retention_hours`` and marks
the job rows' outputs expired (rows stay for history and billing).

Example::

    ticker = Maintenance([(1.0, deliver_webhooks), (60.0, sweep)])
    ticker.start(); ...; ticker.stop()
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from noxus_local.assets.files import NO_SPACE_SUFFIX

log = logging.getLogger("noxus_local.jobs.upkeep")


class Maintenance:
    def __init__(self, tasks: list[tuple[float, Callable[[], Any]]],
                 threads: list[Callable[[threading.Event], Any]] | None = None) -> None:
        """``tasks`` run in turn on one thread; each of ``threads`` (a loop that
        takes the stop event, e.g. webhook delivery, which may block on a slow
        receiver) gets a thread of its own."""
        self.tasks = tasks
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, name="noxus-maintenance", daemon=True)]
        self._threads += [threading.Thread(target=fn, args=(self._stop,), daemon=True,
                                           name=f"noxus-{getattr(fn, '__name__', 'loop')}")
                          for fn in threads or []]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask every thread to end; wait at most ``timeout`` seconds in all (they are daemons)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        due = [0.0] * len(self.tasks)
        while not self._stop.is_set():
            now = time.monotonic()
            for i, (interval, task) in enumerate(self.tasks):
                if now >= due[i]:
                    due[i] = now + interval
                    self._run(task)
            self._stop.wait(0.2)

    @staticmethod
    def _run(task: Callable[[], Any]) -> None:
        try:
            task()
        except Exception:
            log.exception("maintenance task %s failed", getattr(task, "__name__", task))


def sweep_files(db: Any, data_dir: Path, retention_hours: float, now: float | None = None) -> int:
    """Delete work and output folders of jobs that ended before the cut-off."""
    cutoff = (time.time() if now is None else now) - retention_hours * 3600
    rows = db.all("SELECT id FROM jobs WHERE settled = 1 AND output_expired = 0 AND finished_at < ?",
                  (cutoff,))
    for row in rows:
        for root in ("outputs", "work"):
            shutil.rmtree(data_dir / root / row["id"], ignore_errors=True)
    if rows:
        with db.write() as conn:
            conn.executemany("UPDATE jobs SET output_expired = 1 WHERE id = ?", [(r["id"],) for r in rows])
    _sweep_orphans(db, data_dir, cutoff)
    return len(rows)


def _sweep_orphans(db: Any, data_dir: Path, cutoff: float) -> None:
    """Work folders of requests refused before their job row existed (e.g. a crash mid-upload)."""
    work = data_dir / "work"
    if not work.is_dir():
        return
    for folder in work.iterdir():
        job_id = folder.name.removesuffix(NO_SPACE_SUFFIX)  # a full disk's mark stays while its job is unsettled
        if folder.stat().st_mtime < cutoff and db.one("SELECT 1 FROM jobs WHERE id = ? AND settled = 0",
                                                      (job_id,)) is None:
            shutil.rmtree(folder, ignore_errors=True)
