"""Where jobs run: inline threads for one-shot calls, the huey queue for async.

One-shot requests (the default) run the job at once in a thread pool and wait
up to ``sync_wait_seconds``; past that the job keeps running and the client
gets 202. ``Prefer: respond-async`` jobs go through huey (SQLite file in the
data dir, or Redis), whose workers live inside the server process. Both paths
call the same ``JobRunner.execute``.

Example::

    dispatcher = Dispatcher(runner, cfg)
    dispatcher.start()
    finished = await dispatcher.run_inline("job_x", wait=60)   # False → answer 202
    dispatcher.enqueue("job_y")
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from noxus_local.config import Config
from noxus_local.errors import NoxusError, ShuttingDown
from noxus_local.jobs import store as jobs
from noxus_local.jobs.runner import JobRunner
from noxus_local.store.db import private_dir, private_file

log = logging.getLogger("noxus_local.jobs.dispatch")

# at shutdown: how long a one-shot request waits for its stopped job to be put back, and how
# long workers get to finish (tools poll their cancel token every few tens of ms)
PUT_BACK_WAIT_SECONDS = 2.0
WORKER_JOIN_SECONDS = 2.0
# Retry-After of a one-shot request cut by a shutdown: about a restart under systemd
RETRY_AFTER_SECONDS = 10


def make_huey(cfg: Config) -> Huey:
    # multi-host: Redis carries job specs for remote workers (jobs/remote.py); this node's own
    # local tools keep the embedded queue, so no shared-disk consumer elsewhere takes them
    if cfg.jobs.queue_backend == "redis" and not cfg.multi_host:
        return RedisHuey("noxus-local", url=cfg.jobs.redis_url)
    path = Path(cfg.server.data_dir) / "queue.db"
    private_dir(path.parent)
    private_file(path)  # huey's sqlite3.connect would create it 0644
    return SqliteHuey("noxus-local", filename=str(path))


class Dispatcher:
    def __init__(self, runner: JobRunner, cfg: Config) -> None:
        self.runner = runner
        self.cfg = cfg
        # [jobs] inline_threads: how many one-shot calls are carried at once; each then waits
        # for its compute slots (jobs/pool.py), so this bounds threads, not CPU use
        self.pool = ThreadPoolExecutor(max_workers=cfg.jobs.inline_threads, thread_name_prefix="noxus-inline")
        self.huey = make_huey(cfg)
        self._run_job = self.huey.task(name="noxus.run_job")(self._execute)
        self.consumer: Any = None
        self.remote: Any = None  # queue.remote.RemoteQueue in multi-host mode (node.services sets it)
        self._ended: dict[str, threading.Event] = {}  # one-shot remote calls waiting for their job's end
        runner.hooks.append(self._job_ended)

    def _job_ended(self, job_id: str) -> None:
        event = self._ended.get(job_id)
        if event is not None:
            event.set()

    def _remote(self, job_id: str) -> bool:
        """True when this job goes to remote workers (multi-host mode, a tool not kept local)."""
        if self.remote is None:
            return False
        row = self.runner.db.one("SELECT tool FROM jobs WHERE id = ?", (job_id,))
        return row is not None and self.remote.routes(row["tool"])

    def _publish(self, job_id: str) -> None:
        try:
            self.remote.publish(job_id)
        except Exception:  # Redis down: the upkeep tick publishes it again when Redis is back
            log.exception("could not publish job %s to Redis", job_id)

    def _execute(self, job_id: str) -> None:
        self.runner.execute(job_id)

    def start(self, workers: int | None = None) -> None:
        """Start huey's worker threads in this process without its signal handlers.

        huey's ``Consumer.start`` would install SIGINT/SIGTERM handlers over
        uvicorn's and the server would ignore Ctrl-C (STACK.md), so the hook
        that installs them is replaced with a no-op.
        """
        consumer = self.huey.create_consumer(
            workers=workers or self.cfg.jobs.workers, worker_type="thread", periodic=True,
            initial_delay=0.05, backoff=1.5, max_delay=0.25, check_worker_health=False,
            shutdown_timeout=WORKER_JOIN_SECONDS)
        consumer._set_signal_handlers = lambda: None
        consumer.start()
        self.consumer = consumer

    def check_health(self) -> None:
        """Replace dead worker threads; huey's ``start()`` runs no health loop of its own."""
        if self.consumer is not None:
            self.consumer.check_worker_health()

    def stop_taking(self) -> None:
        """Workers dequeue nothing more; what is still in huey's queue stays there for the next start.

        huey's ``stop(graceful=True)`` sets this flag too, but only when it is
        called, and it then waits for the workers, which until then kept
        dequeuing and running queued jobs to their end (issue 8: 20 s for 4 ×
        ``wait 20`` on 2 workers). So the flag is set first, at the signal.
        """
        if self.consumer is not None:
            self.consumer.stop_flag.set()

    def stop(self) -> None:
        """After ``runner.shutdown()``: workers end their (put back) job and exit, bounded in time."""
        self.stop_taking()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)  # joins for at most WORKER_JOIN_SECONDS
            self.consumer = None
        self.pool.shutdown(wait=True, cancel_futures=True)

    def enqueue(self, job_id: str) -> None:
        if self._remote(job_id):
            self.pool.submit(self._publish, job_id)  # hashing inputs stays off the event loop
            return
        self._run_job(job_id)

    async def _wait_remote(self, job_id: str, wait: float) -> bool:
        """A one-shot call of a remote tool: publish, then wait for the API node to settle it.

        The job's end hook (``runner.notify``, run when the outcome is settled) wakes the wait at
        once; the store is read too, every quarter second, for an end that runs no hook.
        """
        done = self._ended.setdefault(job_id, threading.Event())
        try:
            await asyncio.to_thread(self._publish, job_id)
            deadline = asyncio.get_running_loop().time() + wait
            while not self.runner.stopping.is_set():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                await asyncio.to_thread(done.wait, min(remaining, 0.25))
                if await asyncio.to_thread(jobs.is_settled, self.runner.db, job_id):
                    return True
        finally:
            self._ended.pop(job_id, None)
        return False  # 202: it goes on on its worker

    async def run_inline(self, job_id: str, wait: float) -> bool:
        """Run now in a thread; True if it ended within ``wait`` seconds.

        The future is shielded: when the wait ends first, the job goes on in
        its thread and the client polls GET /jobs/{id}. When the server stops
        meanwhile, the job is put back queued and this raises ``ShuttingDown``
        (503, ``details.job_id``, ``Retry-After``): the next start runs it.
        """
        if self.runner.stopping.is_set():
            raise self._shutting_down(job_id)  # the row stays queued; recovery enqueues it at start
        if await asyncio.to_thread(self._remote, job_id):
            return await self._wait_remote(job_id, wait)
        future = asyncio.wrap_future(self.pool.submit(self.runner.execute, job_id))
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            done, _ = await asyncio.wait({future}, timeout=min(remaining, 0.25))
            if self.runner.stopping.is_set():
                return await self._after_stop(job_id, future)
            if done:
                _raise_contract_error(future)
                return True
            # a timeout or DELETE settles the job before a stuck tool returns
            if await asyncio.to_thread(jobs.is_settled, self.runner.db, job_id):
                return True

    async def _after_stop(self, job_id: str, future: asyncio.Future[None]) -> bool:
        """The job was asked to stop: True if it ended anyway, else ``ShuttingDown``."""
        await asyncio.wait({future}, timeout=PUT_BACK_WAIT_SECONDS)  # it goes back to queued
        if await asyncio.to_thread(jobs.is_settled, self.runner.db, job_id):
            return True
        raise self._shutting_down(job_id)

    @staticmethod
    def _shutting_down(job_id: str) -> ShuttingDown:
        return ShuttingDown(details={"job_id": job_id, "status": "queued"}, extra={"job_id": job_id},
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _raise_contract_error(future: asyncio.Future[None]) -> None:
    """A run that ended by raising a contract error answers with it: ``InsufficientStorage`` when the
    disk was too full even to record the job's failure (507, not a 500 over a job left running)."""
    exc = future.exception()
    if isinstance(exc, NoxusError):
        raise exc
