"""The one job runner: every tool run goes through ``JobRunner.execute``.

It takes a queued job row (whose hold was placed at submission), runs the
tool with a progress callback and a cancel token, stores the output, and
settles: charge the actual amount (never above the hold) and release the
rest, or release everything on failure, cancel or timeout. Settlement is the
``settled`` 0 → 1 flip in ``core.jobs.finish``, so it happens exactly once
whoever gets there first (the worker, the timeout timer, a DELETE, recovery).

Example::

    runner = JobRunner(db, catalog, files, cfg)
    runner.execute("job_0123")        # in a worker thread, never the event loop
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from noxus_local.config import Config
from noxus_local.core import jobs
from noxus_local.core.assets import AssetStore
from noxus_local.core.files import FileStore
from noxus_local.errors import InternalError, JobCancelled, NoxusError, ProcessingTimeout
from noxus_local.ops.logs import job_context
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.base import InputFile, Limits, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog

log = logging.getLogger("noxus_local.queue.runner")

FinishedHook = Callable[[str], None]


class JobRunner:
    def __init__(self, db: Any, catalog: Catalog, files: FileStore, cfg: Config) -> None:
        self.db = db
        self.catalog = catalog
        self.files = files
        self.assets = AssetStore(db, files.asset_root)
        self.cfg = cfg
        self.hooks: list[FinishedHook] = []
        self._tokens: dict[str, CancelToken] = {}
        self._lock = threading.Lock()

    def execute(self, job_id: str) -> None:
        """Run one queued job to its end; a no-op if someone else took it."""
        with job_context(job_id):  # log lines of the tool and the hooks carry job_id
            self._execute(job_id)

    def _execute(self, job_id: str) -> None:
        token = self._token(job_id)  # registered first: recovery must never see it running unclaimed
        row = jobs.start(self.db, job_id)
        if row is None:
            with self._lock:
                self._tokens.pop(job_id, None)
            if token.cancelled:  # cancelled while queued, inside this window: cancel() left it to us
                self.files.discard_work(job_id)
                self.notify(job_id)
            return
        timer = self._arm_timeout(job_id, row["max_processing_seconds"])
        try:
            self._run(row, token)
        finally:
            if timer is not None:
                timer.cancel()
            with self._lock:
                self._tokens.pop(job_id, None)
        if jobs.is_settled(self.db, job_id):  # not when put back for the next start
            self.files.discard_work(job_id)
            self.notify(job_id)

    def _run(self, row: sqlite3.Row, token: CancelToken) -> None:
        job_id = row["id"]
        reporter = ProgressReporter(self.db, job_id)
        try:
            output = self.catalog.resolve(row["tool"]).run(self._context(row, token, reporter))
            token.check()  # a cancel or timeout that came while the tool finished wins
            self._succeed(row, output, reporter.close_steps("succeeded"))
        except NoxusError as exc:
            if token.reason == "shutdown" and token.cancelled:
                jobs.requeue(self.db, job_id)  # put back: the next start runs it again
                return
            self._fail(job_id, exc, reporter.close_steps("failed"))
        except Exception:
            log.exception("tool %s failed on job %s", row["tool"], job_id)
            self._fail(job_id, InternalError(), reporter.close_steps("failed"))

    def _context(self, row: sqlite3.Row, token: CancelToken, reporter: ProgressReporter) -> ToolContext:
        entries = json.loads(row["files"])
        for f in entries:  # an asset is resolved when the job starts: deleted since → the job fails, charged 0
            if f.get("asset_id"):
                self.assets.link_into(f["asset_id"], row["account_id"], Path(f["path"]))
        files = {f["field"]: InputFile(Path(f["path"]), f["filename"], f.get("content_type"),
                                       f["size_bytes"]) for f in entries}
        return ToolContext(params=json.loads(row["params"]), files=files,
                           limits=Limits(**json.loads(row["limits"])),
                           workdir=self.files.work_dir(row["id"]),
                           progress=reporter, cancel=token)

    def _succeed(self, row: sqlite3.Row, out: ToolOutput, steps: list[dict[str, Any]] | None) -> None:
        job_id = row["id"]
        path = self.files.write_output(job_id, out.filename, out.data)
        output = {"filename": out.filename, "mime_type": out.mime_type,
                  "size_bytes": path.stat().st_size}
        charge = row["hold_micros"] if out.actual_micros is None else out.actual_micros
        if not jobs.finish(self.db, job_id, status="succeeded", charge_micros=charge,
                           output=output, result=out.result, steps=steps,
                           media=(self.catalog.resolve(row["tool"]).media_type, out.media_units)):
            self.files.discard_output(job_id)  # settled elsewhere (timeout/cancel): no output

    def _fail(self, job_id: str, exc: NoxusError, steps: list[dict[str, Any]] | None = None) -> None:
        status = "cancelled" if isinstance(exc, JobCancelled) else "failed"
        jobs.finish(self.db, job_id, status=status, error_code=exc.code, error_message=exc.message,
                    result={"details": exc.details} if exc.details else None, steps=steps)

    def _token(self, job_id: str) -> CancelToken:
        with self._lock:
            return self._tokens.setdefault(job_id, CancelToken())

    def _arm_timeout(self, job_id: str, seconds: int) -> threading.Timer | None:
        if seconds <= 0:
            return None
        timer = threading.Timer(seconds, self.cancel, args=(job_id, "timeout"))
        timer.daemon = True
        timer.start()
        return timer

    def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        """Stop a job now: settle it (charge 0) and tell the tool to stop.

        Settling here, not when the tool notices, makes the limit exact even
        for a tool stuck in one long library call; its late output is dropped.
        """
        error = ProcessingTimeout() if reason == "timeout" else JobCancelled()
        status = "failed" if reason == "timeout" else "cancelled"
        settled = jobs.finish(self.db, job_id, status=status, error_code=error.code)
        with self._lock:
            token = self._tokens.get(job_id)
        if token is not None:
            token.cancel(reason)
        if settled and token is None:  # never started: nothing else will clean up
            self.files.discard_work(job_id)
            self.notify(job_id)
        return settled

    def running_ids(self) -> set[str]:
        with self._lock:
            return set(self._tokens)

    def heartbeat(self) -> None:
        """Tell the store this process still runs its jobs (see recovery's staleness rule)."""
        with self._lock:
            running = list(self._tokens)
        jobs.heartbeat(self.db, running)

    def shutdown(self) -> list[str]:
        """Ask running jobs to stop so the process can exit; they go back to the queue.

        Jobs whose tools poll their token stop within a moment; recovery at
        the next start runs them again. Nothing is charged or released here.
        """
        with self._lock:
            running = list(self._tokens.items())
        for _, token in running:
            token.cancel("shutdown")
        return [job_id for job_id, _ in running]

    def notify(self, job_id: str) -> None:
        with job_context(job_id):
            for hook in self.hooks:
                try:
                    hook(job_id)
                except Exception:
                    log.exception("job hook failed for %s", job_id)


class ProgressReporter:
    """The progress callback handed to tools; writes at most ~4 times a second.

    Named steps are kept in order; a new step closes the previous one, so
    GET /jobs/{id} shows the pipeline as it advances.
    """

    def __init__(self, db: Any, job_id: str, min_interval: float = 0.25) -> None:
        self.db = db
        self.job_id = job_id
        self.min_interval = min_interval
        self.steps: list[dict[str, Any]] = []
        self._last = 0.0

    def __call__(self, progress: int, step: str | None = None) -> None:
        changed = self._step(step, progress)
        now = time.monotonic()
        if changed or now - self._last >= self.min_interval or progress >= 100:
            self._last = now
            jobs.set_progress(self.db, self.job_id, int(progress), self.steps or None)

    def close_steps(self, outcome: str) -> list[dict[str, Any]] | None:
        """The steps with the running one closed as ``outcome``, for the job's final record."""
        if not self.steps:
            return None
        if self.steps[-1]["status"] == "running":
            self.steps[-1]["status"] = outcome
        return self.steps

    def _step(self, name: str | None, progress: int) -> bool:
        if name is None or (self.steps and self.steps[-1]["name"] == name):
            return False
        if self.steps:
            self.steps[-1]["status"] = "succeeded"
        self.steps.append({"name": name, "status": "running", "started_at_progress": int(progress)})
        return True
