"""The API node's side of remote workers (issue 12): publish, watch, settle.

Jobs of tools not in ``[workers] local_tools`` are published to Redis as a
``JobSpec`` on a list per tool (plain lists rather than huey: a huey task goes
to whichever consumer pops it, while a list per tool lets a GPU box take
only the tools it declared; BLPOP over several lists serves them in one call).
Workers claim, report and settle through the internal HTTP API
(``api/worker_routes.py``), which calls into this module; the API node is the
only writer of every row and ``jobs.finish`` still settles exactly once.

The upkeep tick (every second) re-queues a remote attempt whose heartbeat
stopped (once; the second time the job fails and its hold is released),
times out running remote jobs past Max-Processing-Time, publishes again the
specs a silent worker popped but never claimed (its ``noxus:held:<name>``
hash), and publishes every queued job again when Redis lost them (a restart
without persistence wipes the ``noxus:epoch`` marker this node sets).

Example::

    remote = RemoteQueue(db, catalog, files, assets, cfg)
    remote.publish("job_x")           # a thread, never the event loop: it hashes inputs
    remote.tick(runner)                # upkeep
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noxus_local.assets import quota as storage
from noxus_local.assets.files import FileStore
from noxus_local.assets.store import AssetStore
from noxus_local.billing.charges import settlement
from noxus_local.config import Config
from noxus_local.errors import LimitExceeded, NoxusError, StaleAttempt, ValidationError, say
from noxus_local.jobs import backlog
from noxus_local.jobs import remote_rows as remote_jobs
from noxus_local.jobs import store as jobs
from noxus_local.jobs.jobspec import HELD_PREFIX, WAKE_MAX, JobSpec, queue_key, wake_key
from noxus_local.locale import t
from noxus_local.runtime.digest import sha256_of
from noxus_local.tools.base import Limits, OutputFile, ToolOutput
from noxus_local.tools.catalog import Catalog

log = logging.getLogger("noxus_local.jobs.remote")
EPOCH_KEY = "noxus:epoch"
WORKER_LOST = t("remote.worker_lost")
MAX_REMOTE_ATTEMPTS = 2  # as recovery's MAX_ATTEMPTS: re-queued once, then failed


@dataclass
class WorkerInfo:
    name: str
    tools: list[str]
    slots: dict[str, int]
    busy: dict[str, int]
    running: list[str] = field(default_factory=list)
    last_heartbeat: float = 0.0

    def view(self, now: float, timeout: float) -> dict[str, Any]:
        return {"name": self.name, "tools": self.tools, "slots": self.slots, "busy": self.busy,
                "running_jobs": len(self.running), "last_heartbeat": round(self.last_heartbeat, 3),
                "live": now - self.last_heartbeat <= timeout}


class RemoteQueue:
    def __init__(self, db: Any, catalog: Catalog, files: FileStore, assets: AssetStore, cfg: Config,
                 client: Any = None) -> None:
        import redis

        self.db, self.catalog, self.files, self.assets, self.cfg = db, catalog, files, assets, cfg
        self.redis = client or redis.Redis.from_url(cfg.jobs.redis_url)
        self._workers: dict[str, WorkerInfo] = {}
        self._lock = threading.Lock()
        self._epoch = secrets.token_hex(8)
        self._first_tick: float | None = None
        self._unsent: set[str] = set()  # jobs whose push failed (Redis away): the tick pushes them again

    # routing -------------------------------------------------------------------------------
    def routes(self, tool: str) -> bool:
        """True when jobs of this tool go to remote workers."""
        return tool not in self.cfg.workers.local_tools

    def publish(self, job_id: str) -> bool:
        """Give a queued job a new attempt token and push its spec; False when it is not queued."""
        row = backlog.queued_row(self.db, job_id)
        if row is None:
            return False
        try:
            digests = self._digests(row)
        except NoxusError as exc:  # an asset deleted since the request: fails, charged 0
            locale = self.cfg.server.locale
            jobs.finish(self.db, job_id, status="failed", error_code=exc.code,
                        error_message=say(exc.message, locale),
                        result={"details": say(exc.details, locale)} if exc.details else None)
            return False
        token = remote_jobs.assign_attempt(self.db, job_id)
        if token is None:
            return False
        try:
            self._push(row["tool"], JobSpec.from_row(row, token, digests).dumps())
        except Exception:
            with self._lock:
                self._unsent.add(job_id)
            raise
        with self._lock:
            self._unsent.discard(job_id)
        return True

    def _push(self, tool: str, raw: str) -> None:
        """The spec on its tool's list and a wake token for an idle worker, in one transaction."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(queue_key(tool), raw)
        pipe.rpush(wake_key(tool), "1")
        pipe.ltrim(wake_key(tool), -WAKE_MAX, -1)
        pipe.execute()

    def _digests(self, row: Any) -> dict[str, tuple[str, int]]:
        """(sha256, size) per input; an asset is linked into the job's folder first, as the local runner does."""
        out = {}
        for f in json.loads(row["files"]):
            path = Path(f["path"])
            if f.get("asset_id"):
                self.assets.link_into(f["asset_id"], row["account_id"], path)
            out[f["field"]] = (sha256_of(path), path.stat().st_size)
        return out

    def queue_reason(self, tool: str) -> str | None:
        """Why a queued remote job waits: no live worker declares its tool (None when one does)."""
        if not self.routes(tool):
            return None
        now, timeout = time.time(), self.cfg.workers.heartbeat_timeout_seconds
        with self._lock:
            if any(tool in w.tools and now - w.last_heartbeat <= timeout for w in self._workers.values()):
                return None
        return "no_live_worker"

    # workers ---------------------------------------------------------------------------------
    def heartbeat(self, info: WorkerInfo, attempts: dict[str, str]) -> list[str]:
        """Record a worker's heartbeat and its running attempts; the job ids it must cancel."""
        info.last_heartbeat = time.time()
        info.running = sorted(attempts)
        with self._lock:
            self._workers[info.name] = info
        return remote_jobs.beat(self.db, attempts)

    def live_slots(self) -> dict[str, dict[str, int]]:
        """Per resource, the slots and busy slots of every live worker: {"cpu": {"slots": 4, "busy": 1}}."""
        now, timeout, out = time.time(), self.cfg.workers.heartbeat_timeout_seconds, {}
        with self._lock:
            live = [w for w in self._workers.values() if now - w.last_heartbeat <= timeout]
        for w in live:
            for resource, n in w.slots.items():
                total = out.setdefault(resource, {"slots": 0, "busy": 0})
                total["slots"] += n
                total["busy"] += w.busy.get(resource, 0)
        return out

    def workers(self) -> list[dict[str, Any]]:
        now, timeout = time.time(), self.cfg.workers.heartbeat_timeout_seconds
        with self._lock:
            return [w.view(now, timeout) for w in sorted(self._workers.values(), key=lambda w: w.name)]

    # one attempt's reports -------------------------------------------------------------------
    def claim(self, job_id: str, token: str, worker: str) -> dict[str, Any]:
        row = remote_jobs.claim(self.db, job_id, token, worker)
        if row is None:
            log.warning("claim refused: job %s attempt %s by %s is not current", job_id, token[:8], worker)
            raise StaleAttempt(details={"job_id": job_id})
        log.info("job %s claimed by worker %s", job_id, worker)
        return {"job_id": job_id, "status": "running"}

    def current(self, job_id: str, token: str) -> Any:
        row = remote_jobs.attempt(self.db, job_id, token)
        if row is None:
            log.warning("report from a stale attempt of job %s ignored", job_id)
            raise StaleAttempt(details={"job_id": job_id})
        return row

    def input_path(self, job_id: str, token: str, name: str) -> tuple[Path, str, str | None]:
        row = self.current(job_id, token)
        entry = next((f for f in json.loads(row["files"]) if f["field"] == name), None)
        if entry is None:
            raise ValidationError.fields({"field": [f"no input {name!r}"]})
        return Path(entry["path"]), entry["filename"], entry.get("content_type")

    def staging(self, job_id: str) -> Path:
        path = self.files.work_dir(job_id) / "remote-outputs"
        path.mkdir(exist_ok=True)
        return path

    def upload_target(self, job_id: str, token: str, filename: str) -> tuple[Path, Path]:
        """(temporary, final) path of one output the worker is about to stream to the staging folder."""
        self.current(job_id, token)
        try:
            OutputFile("check", b"", filename, "application/octet-stream")  # a plain file name
        except ValueError:
            raise ValidationError.fields({"filename": ["not a plain file name"]}) from None
        final = self.staging(job_id) / filename
        return final.with_name(f".{filename}.{secrets.token_hex(4)}.part"), final

    @staticmethod
    def accept_upload(tmp: Path, final: Path, actual_sha256: str, claimed_sha256: str) -> None:
        """Keep the streamed file when its SHA-256 is the one the worker announced."""
        if actual_sha256 != claimed_sha256.lower():
            tmp.unlink(missing_ok=True)
            raise ValidationError.fields({"sha256": ["does not match the uploaded bytes"]})
        os.replace(tmp, final)

    @property
    def upload_cap(self) -> int:
        return int(self.cfg.server.max_body_mb * 1024 * 1024)

    def progress(self, job_id: str, token: str, progress: int, steps: list[dict[str, Any]] | None) -> None:
        self.current(job_id, token)
        jobs.set_progress(self.db, job_id, progress, steps)

    def outcome(self, job_id: str, token: str, body: dict[str, Any]) -> bool:
        """Settle the attempt's result; True when this report settled the job (False: settled before)."""
        row = self.current(job_id, token)
        steps = body.get("steps") or None
        if body.get("status") != "succeeded":
            status = "cancelled" if body.get("status") == "cancelled" else "failed"
            return jobs.finish(self.db, job_id, status=status, error_code=body.get("error_code") or "internal_error",
                               error_message=body.get("error_message"), result=body.get("result"), steps=steps)
        staged, outputs = self.staging(job_id), []
        for o in body.get("outputs") or []:
            path = staged / str(o["filename"])
            if not path.is_file() or sha256_of(path) != o.get("sha256"):
                raise ValidationError.fields({"outputs": [f"{o['filename']}: not uploaded, or its sha256 differs"]})
            outputs.append({"name": o["name"], "filename": path.name, "mime_type": o["mime_type"],
                            "size_bytes": path.stat().st_size})
        if not outputs:
            raise ValidationError.fields({"outputs": ["a succeeded job has at least one output"]})
        limits = Limits(**json.loads(row["limits"]))
        try:
            storage.check_output_size(sum(o["size_bytes"] for o in outputs), limits.max_output_bytes)
            for o in outputs:
                self.files.write_output(job_id, o["filename"], staged / o["filename"])
            return self._settle(row, body, outputs, steps, limits)
        except LimitExceeded as exc:  # over the tier's output ceiling or storage quota: failed, charged 0
            self.files.discard_output(job_id)
            return jobs.finish(self.db, job_id, status="failed", error_code=exc.code, error_message=exc.message,
                               result={"details": exc.details}, steps=steps)

    def _settle(self, row: Any, body: dict[str, Any], outputs: list[dict[str, Any]],
                steps: list[dict[str, Any]] | None, limits: Limits) -> bool:
        job_id = row["id"]
        out = ToolOutput(b"", outputs[0]["filename"], outputs[0]["mime_type"], units=body.get("units"),
                         actual_micros=body.get("actual_micros"), media_units=float(body.get("media_units", 1.0)))
        charge, units = settlement(row, out)
        primary = {k: v for k, v in outputs[0].items() if k != "name"}
        media_type = self.catalog.resolve(row["tool"]).media_type
        settled = jobs.finish(self.db, job_id, status="succeeded", charge_micros=charge, output=primary,
                              outputs=outputs, result=body.get("result") or {}, units=units, steps=steps,
                              media=(media_type, out.media_units), quota_bytes=limits.storage_quota_bytes)
        if not settled:
            self.files.discard_output(job_id)
        return settled

    def forget_staging(self, job_id: str) -> None:
        shutil.rmtree(self.files.work_root / job_id / "remote-outputs", ignore_errors=True)

    # upkeep ----------------------------------------------------------------------------------
    def tick(self, runner: Any) -> None:
        """Every second on the API node: lost heartbeats, deadlines of running remote jobs, Redis restarts."""
        now, timeout = time.time(), self.cfg.workers.heartbeat_timeout_seconds
        # just (re)started: the workers' beats could not reach this node while it was down, so their
        # heartbeat_at is old; give them the timeout again, counted from the first tick (serving by then)
        self._first_tick = self._first_tick or time.monotonic()
        if time.monotonic() - self._first_tick > 2 * timeout:
            for row in remote_jobs.stale(self.db, now - timeout):
                self._abandon(row, runner)
            self._reclaim_held(now - timeout)
        for row in remote_jobs.overdue_running(self.db, now):
            runner.cancel(row["id"], "timeout")
        self._check_epoch()
        with self._lock:
            unsent = sorted(self._unsent)
        for job_id in unsent:  # Redis is back (the epoch check above just answered)
            if not self.publish(job_id):
                with self._lock:
                    self._unsent.discard(job_id)

    def _abandon(self, row: Any, runner: Any) -> None:
        job_id = row["id"]
        if row["attempts"] < MAX_REMOTE_ATTEMPTS and jobs.requeue(self.db, job_id):
            log.warning("job %s: worker %s sent no heartbeat; queued again", job_id, row["worker"])
            self.forget_staging(job_id)
            self.publish(job_id)
            return
        log.warning("job %s: worker %s sent no heartbeat again; failed, hold released", job_id, row["worker"])
        if jobs.finish(self.db, job_id, status="failed", error_code="internal_error",
                       error_message=say(WORKER_LOST, self.cfg.server.locale)):
            self.files.discard_work(job_id)
            runner.notify(job_id)

    def _reclaim_held(self, beat_after: float) -> None:
        """Specs a worker popped but never claimed (killed, or cut off, in between): published again
        when that worker sent no heartbeat since ``beat_after``; the old token's claim gets 409."""
        with self._lock:
            live = {n for n, w in self._workers.items() if w.last_heartbeat >= beat_after}
        for key in self.redis.scan_iter(match=HELD_PREFIX + "*", count=100):
            name = key.decode()[len(HELD_PREFIX):]
            if name in live:
                continue
            for attempt, raw in self.redis.hgetall(key).items():
                self.redis.hdel(key, attempt)
                row = backlog.queued_row(self.db, JobSpec.loads(raw).job_id)
                if row is not None and row["attempt_token"] == attempt.decode():
                    log.warning("job %s: worker %s took it and went silent before claiming; published again",
                                row["id"], name)
                    self.publish(row["id"])

    def _check_epoch(self) -> None:
        """Redis lost its data (restart without persistence): publish every queued remote job again."""
        if not self.redis.set(EPOCH_KEY, self._epoch, nx=True):  # our (or a previous run's) marker is there
            return
        # we just set the marker: first tick of this process, or Redis came back empty
        queued = remote_jobs.queued_remote(self.db)
        for row in queued:
            self.publish(row["id"])
        if queued:
            log.warning("Redis had no marker: published %d queued job(s) again", len(queued))
