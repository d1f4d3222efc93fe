"""Issue 8 item 4 at the runner and dispatcher: after the stop signal nothing starts, queued jobs
stay queued in huey's SQLite queue, a running job goes back, and one-shot waits answer 503."""

import asyncio
import threading
import time

import pytest

from noxus_local.errors import ShuttingDown
from noxus_local.jobs import store as jobs
from noxus_local.jobs.dispatch import Dispatcher
from noxus_local.node.services import begin_shutdown
from tests.unit.test_runner import Env


@pytest.fixture
def env(db, tmp_path):
    return Env(db, tmp_path)


def until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.02)


class Svc:
    """The two members of the services bundle that ``begin_shutdown`` uses."""

    def __init__(self, runner, dispatcher):
        self.runner, self.dispatcher = runner, dispatcher


def test_workers_take_no_queued_job_after_the_stop_and_the_running_one_goes_back(env):
    env.cfg.jobs.workers = 1
    dispatcher = Dispatcher(env.runner, env.cfg)
    dispatcher.start()
    running, waiting = env.submit(seconds=30), env.submit(seconds=0)
    dispatcher.enqueue(running)
    dispatcher.enqueue(waiting)
    until(lambda: jobs.get(env.db, running)["status"] == "running")
    started = time.monotonic()
    assert begin_shutdown(Svc(env.runner, dispatcher)) == [running]
    dispatcher.stop()
    assert time.monotonic() - started < 3
    assert jobs.get(env.db, running)["status"] == "queued"  # put back
    assert jobs.get(env.db, waiting)["status"] == "queued"  # never started
    assert dispatcher.huey.pending_count() == 1  # still in huey's queue.db for the next start
    assert (jobs.get(env.db, running)["attempts"], env.balance().held_micros) == (0, 4000)


def test_a_job_handed_to_the_runner_after_the_stop_stays_queued(env):
    job_id = env.submit()
    env.runner.shutdown()
    env.runner.execute(job_id)
    assert jobs.get(env.db, job_id)["status"] == "queued"
    assert env.runner.running_ids() == set()


def test_a_second_queue_entry_for_a_running_job_leaves_its_cancel_token_registered(env):
    job_id = env.submit(seconds=30)
    worker = threading.Thread(target=env.runner.execute, args=(job_id,))
    worker.start()
    until(lambda: jobs.get(env.db, job_id)["status"] == "running")
    env.runner.execute(job_id)  # recovery enqueued it again; this entry must not unregister it
    assert env.runner.running_ids() == {job_id}
    assert env.runner.cancel(job_id)  # so DELETE still reaches the tool
    worker.join(5)
    assert not worker.is_alive() and jobs.get(env.db, job_id)["status"] == "cancelled"


def test_a_one_shot_wait_cut_by_the_stop_raises_shutting_down_with_the_job_id(env):
    dispatcher = Dispatcher(env.runner, env.cfg)
    job_id = env.submit(seconds=30)

    async def call():
        waiting = asyncio.create_task(dispatcher.run_inline(job_id, wait=60))
        await asyncio.sleep(0.3)
        env.runner.shutdown()
        return await waiting

    with pytest.raises(ShuttingDown) as cut:
        asyncio.run(call())
    assert cut.value.details["job_id"] == job_id and int(cut.value.headers["Retry-After"]) > 0
    assert jobs.get(env.db, job_id)["status"] == "queued"
    late = env.submit()
    with pytest.raises(ShuttingDown):  # submitted after the stop: not started, kept queued
        asyncio.run(dispatcher.run_inline(late, wait=60))
    assert jobs.get(env.db, late)["status"] == "queued"
    dispatcher.stop()
