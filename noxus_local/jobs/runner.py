"""The one job runner: every tool run goes through ``JobRunner.execute``.

It takes a queued job row (whose hold was placed at submission), waits for
the compute slots the tool declares (``queue.pool``; the job stays
``queued`` meanwhile and can be cancelled or time out), runs the tool from the
plan stored with the job (``tool.execute(ctx, plan)``: nothing probed twice) with its
step tracker, a cancel token, the settings and the process's model cache, stores every output file, and
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

from noxus_local.assets import quota as storage
from noxus_local.assets.files import FileStore
from noxus_local.assets.store import AssetStore
from noxus_local.billing.charges import settlement
from noxus_local.config import Config
from noxus_local.errors import InsufficientStorage, InternalError, JobCancelled, NoxusError, ProcessingTimeout, say
from noxus_local.inference.cache import ModelCache
from noxus_local.jobs import backlog
from noxus_local.jobs import store as jobs
from noxus_local.jobs.pool import ComputePool
from noxus_local.ops.logs import job_context
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import Deferred, StepTracker, outcome_of, plan
from noxus_local.store.space import StorageGuard, is_disk_full
from noxus_local.tools.base import InputFile, Limits, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog

log = logging.getLogger("noxus_local.jobs.runner")

FinishedHook = Callable[[str], None]


class JobRunner:
    def __init__(self, db: Any, catalog: Catalog, files: FileStore, cfg: Config,
                 pool: ComputePool | None = None, models: ModelCache | None = None) -> None:
        self.db = db
        self.catalog = catalog
        self.files = files
        self.assets = AssetStore(db, files.asset_root)
        self.cfg = cfg
        self.pool = pool or ComputePool.from_config(cfg)
        self.models = models or ModelCache(cfg)
        self.storage = StorageGuard.from_config(cfg)
        self.hooks: list[FinishedHook] = []
        self._tokens: dict[str, CancelToken] = {}
        self._lock = threading.Lock()
        # set on SIGTERM: from then on no job starts; a queued one stays queued for the next start
        self.stopping = threading.Event()
        self._deferred = Deferred()  # held-back progress writes of every job, on one thread

    def execute(self, job_id: str) -> None:
        """Run one queued job to its end; a no-op if someone else took it.

        Raises ``InsufficientStorage`` when the disk was too full even to record
        the job's failure: the job is marked on disk (``FileStore.mark_no_space``)
        so recovery fails it and releases its hold later, and never runs it again.
        """
        with job_context(job_id):  # log lines of the tool and the hooks carry job_id
            try:
                self._execute(job_id)
            except Exception as exc:
                if not is_disk_full(exc):
                    raise
                log.error("job %s: the disk is full; its failure is recorded at the next upkeep", job_id)
                self._forget(job_id)
                self.files.mark_no_space(job_id)
                raise InsufficientStorage() from exc

    def _execute(self, job_id: str) -> None:
        token, mine = self._token(job_id)  # registered first: recovery must never see it running unclaimed
        if not mine:  # a second queue entry for a job this process already runs (recovery enqueues again)
            return
        if self.stopping.is_set():  # checked after registering, so shutdown() cannot miss a job
            self._forget(job_id)
            return
        row = backlog.queued_row(self.db, job_id)
        if row is None:
            self._forget(job_id)
            if token.cancelled:  # cancelled while queued, inside this window: cancel() left it to us
                self.files.discard_work(job_id)
                self.notify(job_id)
            return
        # Max-Processing-Time counts from submission: time spent waiting for slots is included
        timer = self._arm_timeout(job_id, row["max_processing_seconds"], row["created_at"])
        try:
            ours = self._run_with_slots(row, token)
        finally:
            if timer is not None:
                timer.cancel()
            self._forget(job_id)
        if ours and jobs.is_settled(self.db, job_id):  # not when put back or left queued for the next start
            self.files.discard_work(job_id)
            self.notify(job_id)

    def _run_with_slots(self, row: sqlite3.Row, token: CancelToken) -> bool:
        """Wait for the tool's compute slots (still ``queued``), then run it holding them.

        True when this execution owns the ending (it ran the job, failed it, or
        a cancel or timeout came while it held the token, which leaves the
        clean-up to it); False when another execution of the same job (a
        duplicate queue message) has it, or the pool is shutting down.
        """
        job_id = row["id"]
        try:
            need = slots_of(self.catalog.resolve(row["tool"]), row)
            if not self.pool.acquire(job_id, need, token):
                return token.cancelled  # cancelled or timed out while waiting: it never started
        except NoxusError as exc:  # the tool left the catalog, or needs more than this machine has
            self._fail(job_id, exc)
            return True
        try:
            if not self.storage.ok():  # the disk filled up while it waited: fail it before it starts
                self._fail_for_space(job_id, InsufficientStorage(details=self.storage.report()))
                return True
            started = jobs.start(self.db, job_id)
            if started is None:
                return token.cancelled
            self._run(started, token)
            return True
        finally:
            self.pool.release(job_id)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._tokens.pop(job_id, None)

    def _run(self, row: sqlite3.Row, token: CancelToken) -> None:
        job_id = row["id"]
        try:
            tool = self.catalog.resolve(row["tool"])
        except NoxusError as exc:  # e.g. diagnostic tools turned off while the job waited
            self._fail(job_id, exc)
            return
        tracker = StepTracker(tool.steps, flush=lambda pct, steps: jobs.set_progress(self.db, job_id, pct, steps),
                              schedule=self._deferred.call_later)
        try:
            ctx = self._context(row, token, tracker)
            output = tool.execute(ctx, tool.planned(row["plan"], ctx))
            token.check()  # a cancel or timeout that came while the tool finished wins
            self._succeed(row, output, tracker)
        except NoxusError as exc:
            if token.reason == "shutdown" and token.cancelled:
                # put back: the next start runs it again; a stop asked for is no crash, so it
                # does not count against recovery's attempts
                jobs.requeue(self.db, job_id, refund_attempt=True, steps=plan(tool.steps) or None)
                return
            if isinstance(exc, InsufficientStorage):
                self._fail_for_space(job_id, exc, tracker.close("failed", exc))
                return
            self._fail(job_id, exc, tracker.close(outcome_of(exc), exc))
        except Exception as exc:
            if is_disk_full(exc):
                log.error("job %s: the disk is full (%s)", job_id, exc)
                self._fail_for_space(job_id, InsufficientStorage(), tracker.close("failed", exc))
                return
            log.exception("tool %s failed on job %s", row["tool"], job_id)
            self._fail(job_id, InternalError(), tracker.close("failed", exc))

    def _context(self, row: sqlite3.Row, token: CancelToken, tracker: StepTracker) -> ToolContext:
        entries = json.loads(row["files"])
        for f in entries:  # an asset is resolved when the job starts: deleted since → the job fails, charged 0
            if f.get("asset_id"):
                self.assets.link_into(f["asset_id"], row["account_id"], Path(f["path"]))
        files = {f["field"]: InputFile(Path(f["path"]), f["filename"], f.get("content_type"),
                                       f["size_bytes"]) for f in entries}
        return ToolContext(params=json.loads(row["params"]), files=files,
                           limits=Limits(**json.loads(row["limits"])),
                           workdir=self.files.work_dir(row["id"]),
                           progress=tracker.progress, cancel=token, steps=tracker, models=self.models,
                           settings=self.cfg, job_id=row["id"], account_id=row["account_id"])

    def _succeed(self, row: sqlite3.Row, out: ToolOutput, tracker: StepTracker) -> None:
        """Store the outputs and settle; over the tier's output ceiling or storage quota the
        job fails instead (413, charged 0) and none of its files stays behind."""
        job_id = row["id"]
        limits = Limits(**json.loads(row["limits"]))
        try:
            outputs = self._store_outputs(row, out, limits)
            charge, units = settlement(row, out)
            primary = {k: v for k, v in outputs[0].items() if k != "name"}
            result = say(out.result, self.cfg.server.locale)  # a warning or an item's error in one language
            settled = jobs.finish(self.db, job_id, status="succeeded", charge_micros=charge,
                                  output=primary, outputs=outputs, result=result, units=units,
                                  steps=tracker.close("succeeded") or None,
                                  quota_bytes=limits.storage_quota_bytes,
                                  media=(self.catalog.resolve(row["tool"]).media_type, out.media_units))
        except BaseException:
            self.files.discard_output(job_id)  # never a job with half of its files
            raise
        if not settled:
            self.files.discard_output(job_id)  # settled elsewhere (timeout/cancel): no output

    def _store_outputs(self, row: sqlite3.Row, out: ToolOutput, limits: Limits) -> list[dict[str, Any]]:
        """Write every file under outputs/<job_id>/; the list the job row keeps, primary first.

        The ceiling and the quota are checked first from the sizes the tool left (cheap: no
        file copied yet); ``jobs.finish`` checks the quota again where it keeps them.
        """
        files = out.files()
        total = sum(len(f.data) if isinstance(f.data, bytes) else f.data.stat().st_size for f in files)
        storage.check_output_size(total, limits.max_output_bytes)
        storage.check_quota(self.db.conn(), row["account_id"], total, limits.storage_quota_bytes, "output_mb")
        stored = []
        for f in files:
            path = self.files.write_output(row["id"], f.filename, f.data)
            stored.append({"name": f.name, "filename": f.filename, "mime_type": f.mime_type,
                           "size_bytes": path.stat().st_size})
        return stored

    def _fail(self, job_id: str, exc: NoxusError, steps: list[dict[str, Any]] | None = None) -> None:
        status = "cancelled" if isinstance(exc, JobCancelled) else "failed"
        locale = self.cfg.server.locale  # the row keeps one language: the one this server speaks
        jobs.finish(self.db, job_id, status=status, error_code=exc.code, error_message=say(exc.message, locale),
                    result={"details": say(exc.details, locale)} if exc.details else None,
                    steps=say(steps, locale) or None)

    def _fail_for_space(self, job_id: str, exc: InsufficientStorage,
                        steps: list[dict[str, Any]] | None = None) -> None:
        """Fail a job the full disk stopped: free its files first, so the settling write has room.

        The mark goes down before SQLite is touched: if that write fails too, the
        error reaches ``execute`` and recovery settles the job from the mark.
        """
        self.files.mark_no_space(job_id)
        self._fail(job_id, exc, steps)
        self.files.clear_no_space(job_id)

    def _token(self, job_id: str) -> tuple[CancelToken, bool]:
        """The job's token, and whether this call registered it (False: another thread runs it)."""
        with self._lock:
            if job_id in self._tokens:
                return self._tokens[job_id], False
            token = self._tokens[job_id] = CancelToken()
            return token, True

    def _arm_timeout(self, job_id: str, seconds: int, submitted_at: float) -> threading.Timer | None:
        if seconds <= 0:
            return None
        remaining = max(0.0, submitted_at + seconds - time.time())
        timer = threading.Timer(remaining, self.cancel, args=(job_id, "timeout"))
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
            self.pool.wake()  # a job waiting for slots gives up now, not at the next poll
        if settled and token is None:  # never started: nothing else will clean up
            self.files.discard_work(job_id)
            self.notify(job_id)
        return settled

    def expire_overdue(self) -> list[str]:
        """Time out queued jobs past their limit that still wait for a worker (upkeep, every second).

        A job a worker holds has its own exact timer; this covers the ones
        still in huey's queue or the inline threads' backlog, so a long line
        never keeps a job past its Max-Processing-Time.
        """
        return [job_id for job_id in backlog.overdue(self.db) if self.cancel(job_id, "timeout")]

    def running_ids(self) -> set[str]:
        with self._lock:
            return set(self._tokens)

    def heartbeat(self) -> None:
        """Tell the store this process still runs its jobs (see recovery's staleness rule)."""
        with self._lock:
            running = list(self._tokens)
        jobs.heartbeat(self.db, running)

    def close(self) -> None:
        """After the workers stopped, before the store closes: no held-back write fires late."""
        self._deferred.stop()

    def shutdown(self) -> list[str]:
        """Ask running jobs to stop so the process can exit; they go back to the queue.

        Jobs whose tools poll their token stop within a moment; recovery at
        the next start runs them again. Nothing is charged or released here.
        From now on no job starts in this process (``stopping``).
        """
        self.stopping.set()
        self.pool.close()  # queued jobs stay queued: none starts from now on
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


def slots_of(tool: Tool, row: sqlite3.Row) -> dict[str, int]:
    """The compute slots a queued job's run takes: its plan's ``resources`` (``{"cpu": 2}``); a job
    queued before plans were stored asks the tool (``resources_for`` its params)."""
    plan = Plan.loads(row["plan"])
    return dict(plan.resources if plan is not None else tool.resources_for(json.loads(row["params"])))

