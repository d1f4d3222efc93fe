"""``noxus-local worker --api-url``: run jobs for an API node on another host (issue 12).

No data dir of the API node, no SQLite: each thread pops a ``JobSpec`` from
the Redis lists of the tools this worker declares (into its held hash, in one
Lua call, so a kill before the claim loses nothing), waits for the tool's
compute slots (the same ``ComputePool`` as the API node), claims the attempt
over the internal API, downloads the inputs into its own scratch folder,
runs the same ``Tool`` class, uploads every output and reports the outcome;
the API node settles. A heartbeat thread reports the running attempts every
``BEAT_SECONDS``; the answer names jobs cancelled or timed out on the API
node, whose cancel tokens fire at once (``run_ffmpeg`` kills its child).
A chat with ``stream: true`` relays its pieces to the API node as they are
decoded (``jobs/remote_stream.py``).

Draining: SIGTERM stops taking jobs; running ones end and report, then the
process exits.

Example::

    worker = RemoteWorker(cfg, WorkerClient(url, token), redis.Redis.from_url(cfg.jobs.redis_url))
    worker.start(); ...; worker.drain()
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

from noxus_local.config import Config
from noxus_local.errors import InternalError, NoxusError, StaleAttempt, say
from noxus_local.inference.cache import ModelCache
from noxus_local.jobs.jobspec import JobSpec, held_key, queue_key, wake_key
from noxus_local.jobs.pool import ComputePool
from noxus_local.jobs.remote_stream import finish_relay, open_relay
from noxus_local.jobs.worker_client import WorkerClient
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import Deferred, StepTracker, outcome_of
from noxus_local.tools.base import InputFile, Limits, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog

log = logging.getLogger("noxus_local.jobs.remote_worker")
BEAT_SECONDS = 0.5  # a cancel on the API node reaches the tool within about this
POP_SECONDS = 1  # BLPOP timeout: how often an idle thread looks at the stop flag (and the lists)
# pop the first spec of the tool lists (KEYS[2..]) into this worker's held hash (KEYS[1]) in one
# step, so no kill -9 or lost reply between pop and claim loses it (the API node publishes a
# silent worker's held specs again)
TAKE_SCRIPT = """
for i = 2, #KEYS do
  local raw = redis.call('LPOP', KEYS[i])
  if raw then
    redis.call('HSET', KEYS[1], cjson.decode(raw)['attempt'], raw)
    return raw
  end
end
return false
"""


class RemoteWorker:
    def __init__(self, cfg: Config, client: WorkerClient, redis: Any, threads: int | None = None,
                 name: str | None = None) -> None:
        self.cfg, self.client, self.redis = cfg, client, redis
        self.catalog = Catalog.default(cfg.jobs.diagnostic_tools, cfg)
        self.name = name or cfg.worker.name or f"{socket.gethostname()}:{os.getpid()}"
        self.pool, self.models = ComputePool.from_config(cfg), ModelCache(cfg)
        self.tools = [t.slug for t in self.catalog.tools.values()
                      if (not cfg.worker.tools or t.slug in cfg.worker.tools) and self._fits(t)]
        self.scratch = Path(cfg.server.data_dir) / "scratch"
        self.threads = threads or cfg.jobs.workers
        self._running: dict[str, tuple[str, CancelToken]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deferred = Deferred()
        self._workers: list[threading.Thread] = []

    def _fits(self, tool: Tool) -> bool:
        """A tool whose declared slots this machine has (a GPU tool only where there are GPU slots)."""
        return all(self.pool.slots(r) >= n for r, n in tool.resources.items() if n > 0)

    def start(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)  # a killed run's leftovers
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._take = self.redis.register_script(TAKE_SCRIPT)
        self._give_back_held()
        self.beat()  # listed at once, before the first job
        self._workers = [threading.Thread(target=self._loop, name=f"noxus-remote-{i}", daemon=True)
                         for i in range(self.threads)]
        beats = threading.Thread(target=self._beat_loop, name="noxus-remote-beat", daemon=True)
        for thread in [*self._workers, beats]:
            thread.start()

    def drain(self, timeout: float | None = None) -> None:
        """Take no new job; wait for the running ones to end and report."""
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout)
        self._deferred.stop()
        self.client.close()

    # heartbeats ------------------------------------------------------------------------------
    def beat(self) -> None:
        snapshot = self.pool.snapshot()
        with self._lock:
            running = {job_id: attempt for job_id, (attempt, _) in self._running.items()}
        body = {"name": self.name, "tools": self.tools, "running": running,
                "slots": {r: s["capacity"] for r, s in snapshot.items()},
                "busy": {r: s["busy"] for r, s in snapshot.items()}}
        for job_id in self.client.heartbeat(body):
            with self._lock:
                entry = self._running.get(job_id)
            if entry is not None:
                log.info("job %s cancelled on the API node; stopping it", job_id)
                entry[1].cancel("cancelled")
                self.pool.wake()

    def _beat_loop(self) -> None:
        while not (self._stop.is_set() and not self._busy()):  # a drain beats on until its jobs reported
            time.sleep(BEAT_SECONDS)
            try:
                self.beat()
            except Exception as exc:  # API node away (restarting): keep the jobs, beat again
                log.warning("heartbeat failed: %s", exc)

    def _busy(self) -> bool:
        with self._lock:
            return bool(self._running) or any(t.is_alive() for t in self._workers)

    # jobs ------------------------------------------------------------------------------------
    def _give_back_held(self) -> None:
        """Specs a previous run under this name took but never claimed go back on their lists."""
        held = self.redis.hgetall(held_key(self.name))
        for raw in held.values():
            self._give_back(JobSpec.loads(raw))
        if held:
            log.warning("gave back %d job(s) a previous run of %s took but never claimed", len(held), self.name)

    def _loop(self) -> None:
        keys = [held_key(self.name), *(queue_key(t) for t in self.tools)]
        wake = [wake_key(t) for t in self.tools]
        while not self._stop.is_set():
            try:
                raw = self._take(keys=keys)
                if raw is None:  # nothing queued: block until a publish (or the timeout), then look again
                    self.redis.blpop(wake, timeout=POP_SECONDS)
                    continue
            except Exception as exc:  # Redis restarting: wait, then pop again
                log.warning("redis: %s", exc)
                self._stop.wait(1.0)
                continue
            try:
                self.handle(JobSpec.loads(raw))
            except Exception:  # one bad spec never ends this thread
                log.exception("could not run a job spec")

    def _give_back(self, spec: JobSpec) -> None:
        """A taken spec back on its list (a claim decides which copy of an attempt runs, if any)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(queue_key(spec.tool), spec.dumps()).rpush(wake_key(spec.tool), "1")
        pipe.hdel(held_key(self.name), spec.attempt).execute()

    def _unhold(self, spec: JobSpec) -> None:
        try:
            self.redis.hdel(held_key(self.name), spec.attempt)
        except Exception:  # Redis away: the entry stays; the API node publishes it again if this worker dies
            log.warning("could not clear held job %s", spec.job_id, exc_info=True)

    def handle(self, spec: JobSpec) -> None:
        """Run one spec: slots, claim, inputs, tool, outputs, outcome; a stale attempt is dropped."""
        tool = self.catalog.resolve(spec.tool)
        token = CancelToken()
        try:
            plan = Plan.loads(spec.plan)
            need = plan.resources if plan is not None else tool.resources_for(spec.params)
            if not self.pool.acquire(spec.job_id, need, token):
                # another thread here waits for this job under another attempt: one of the two is
                # stale, and only the claim knows which, so this one goes back on the list
                self._stop.wait(POP_SECONDS)
                self._give_back(spec)
                return
        except NoxusError as exc:  # needs more slots than this machine has: fail it, charged 0
            self._refuse(spec, exc)
            self._unhold(spec)
            return
        try:
            try:
                self.client.claim(spec.job_id, spec.attempt, self.name)
            except StaleAttempt:
                return  # cancelled, timed out or published again meanwhile
            finally:  # claimed (its heartbeats cover it now) or refused: no longer only in Redis
                self._unhold(spec)
            with self._lock:
                self._running[spec.job_id] = (spec.attempt, token)
            self._run(spec, tool, token)
        except Exception:
            log.exception("job %s: could not report to the API node", spec.job_id)
        finally:
            with self._lock:
                self._running.pop(spec.job_id, None)
            self.pool.release(spec.job_id)
            shutil.rmtree(self.scratch / spec.job_id, ignore_errors=True)

    def _say(self, value: Any) -> Any:
        """Messages go to the API node in one language: this worker's (the same config as its node's)."""
        return say(value, self.cfg.server.locale)

    def _refuse(self, spec: JobSpec, exc: NoxusError) -> None:
        try:
            self.client.claim(spec.job_id, spec.attempt, self.name)
            self.client.outcome(spec.job_id, spec.attempt, {"status": "failed", "error_code": exc.code,
                                                            "error_message": self._say(exc.message),
                                                            "result": {"details": self._say(exc.details)}})
        except StaleAttempt:
            pass

    def _run(self, spec: JobSpec, tool: Tool, token: CancelToken) -> None:
        def flush(pct: int, steps: list[dict[str, Any]] | None) -> None:
            try:
                self.client.progress(spec.job_id, spec.attempt, pct, steps)
            except Exception:  # progress is best effort; the outcome is what counts
                log.debug("progress of %s not delivered", spec.job_id, exc_info=True)

        tracker = StepTracker(tool.steps, flush=flush, schedule=self._deferred.call_later)
        relay = open_relay(tool, spec, self.client)  # a streamed chat: its pieces go out as they come
        try:
            ctx = self._context(spec, token, tracker)
            try:
                output = tool.execute(ctx, tool.planned(spec.plan, ctx))
            finally:
                finish_relay(tool, spec, relay)  # the last pieces before the outcome ends the client's stream
            token.check()
            body = self._deliver(spec, output, tracker)
        except StaleAttempt:  # given up on the API node (lost heartbeats, cancel): its result is dropped
            log.info("job %s: the API node gave attempt %s up; its result is dropped", spec.job_id, spec.attempt[:8])
            return
        except NoxusError as exc:
            body = {"status": "cancelled" if token.cancelled and token.reason == "cancelled" else "failed",
                    "error_code": exc.code, "error_message": self._say(exc.message),
                    "result": {"details": self._say(exc.details)} if exc.details else None,
                    "steps": self._say(tracker.close(outcome_of(exc), exc))}
        except Exception as exc:
            log.exception("tool %s failed on job %s", spec.tool, spec.job_id)
            body = {"status": "failed", "error_code": InternalError.code, "steps": tracker.close("failed", exc)}
        try:
            self.client.outcome(spec.job_id, spec.attempt, body)
        except StaleAttempt:  # cancelled or given to another attempt: the API node already settled
            log.info("job %s: outcome of a stale attempt ignored by the API node", spec.job_id)

    def _context(self, spec: JobSpec, token: CancelToken, tracker: StepTracker) -> ToolContext:
        workdir = self.scratch / spec.job_id
        workdir.mkdir(parents=True, exist_ok=True)
        files = {}
        for f in spec.files:
            dest = workdir / f"in_{f.field}"
            self.client.download(spec.job_id, spec.attempt, f, dest)
            files[f.field] = InputFile(dest, f.filename, f.content_type, f.size_bytes)
        return ToolContext(params=spec.params, files=files, limits=Limits(**spec.limits), workdir=workdir,
                           progress=tracker.progress, cancel=token, steps=tracker, models=self.models,
                           settings=self.cfg, job_id=spec.job_id)

    def _deliver(self, spec: JobSpec, out: ToolOutput, tracker: StepTracker) -> dict[str, Any]:
        outputs = []
        for f in out.files():
            sha = self.client.upload(spec.job_id, spec.attempt, f.filename, f.data)
            outputs.append({"name": f.name, "filename": f.filename, "mime_type": f.mime_type, "sha256": sha})
        return {"status": "succeeded", "outputs": outputs, "result": self._say(out.result), "units": out.units,
                "actual_micros": out.actual_micros, "media_units": out.media_units,
                "steps": tracker.close("succeeded")}
