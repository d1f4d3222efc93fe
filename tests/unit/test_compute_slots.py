"""The runner takes compute slots around every run: a real SQLite file, real threads, a 2-slot pool.

A job waiting for slots is still ``queued``: it shows its place in line, can
be cancelled or time out (Max-Processing-Time counts from submission) and is
charged 0; shutting down leaves it queued for the next start.
"""

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from noxus_local.accounts.keys import authenticate, create_key
from noxus_local.accounts.store import credit_account
from noxus_local.assets.files import FileStore
from noxus_local.billing import ledger
from noxus_local.config import load_config
from noxus_local.jobs import backlog
from noxus_local.jobs import store as jobs
from noxus_local.jobs.pool import ComputePool
from noxus_local.jobs.runner import JobRunner
from noxus_local.tools.base import Limits, Params, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog

PRICE = 1000


class HoldParams(Params):
    seconds: float = 0.0
    cpu: int = 1


class HoldTool(Tool):
    """Holds ``cpu`` slots for ``seconds``, checking its cancel token."""

    slug = "hold"
    title = description = "hold"
    Params = HoldParams

    def resources_for(self, params: dict[str, Any]) -> Mapping[str, int]:
        return {"cpu": params["cpu"]}

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        end = time.monotonic() + ctx.params["seconds"]
        while time.monotonic() < end:
            ctx.cancel.check()
            ctx.cancel.wait(0.01)
        return ToolOutput(b"ok", "out.txt", "text/plain")


class Env:
    def __init__(self, db, tmp_path) -> None:
        self.cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
        self.db = db
        self.catalog = Catalog([HoldTool()])
        self.pool = ComputePool({"cpu": 2, "gpu": 0})
        self.runner = JobRunner(db, self.catalog, FileStore(tmp_path, b"secret"), self.cfg, pool=self.pool)
        plain, _ = create_key(db, account_id="acme", name="t", environment="test")
        self.principal = authenticate(db, plain)
        credit_account(db, "acme", "test", 100 * PRICE)

    def submit(self, seconds: float = 0.0, cpu: int = 2, mpt: int = 0) -> str:
        job_id = f"job_{time.monotonic_ns()}"
        new = jobs.NewJob(id=job_id, principal=self.principal, tool="hold", params={"seconds": seconds, "cpu": cpu},
                          files=[], limits=Limits().__dict__, estimate_micros=PRICE, request_id="req_x",
                          max_processing_seconds=mpt)
        assert jobs.submit(self.db, new, self.cfg.tiers["enterprise"], 24) is None
        return job_id

    def start(self, job_id: str) -> threading.Thread:
        thread = threading.Thread(target=self.runner.execute, args=(job_id,), daemon=True)
        thread.start()
        return thread

    def status(self, job_id: str) -> str:
        return jobs.get(self.db, job_id)["status"]

    def wait_until(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not reached"
            time.sleep(0.01)

    def balance(self) -> ledger.BalanceView:
        return ledger.read_balance(self.db.conn(), "acme", "test")


@pytest.fixture
def env(db, tmp_path):
    return Env(db, tmp_path)


def test_a_job_waiting_for_slots_stays_queued_with_its_place_and_eta(env):
    first = env.submit(seconds=1.0)
    env.start(first)
    env.wait_until(lambda: env.status(first) == "running")
    second, third = env.submit(seconds=0.1), env.submit(seconds=0.1)
    waiters = [env.start(second)]
    env.wait_until(lambda: env.pool.snapshot()["cpu"]["waiting"] == 2)  # in line before the third
    waiters.append(env.start(third))
    env.wait_until(lambda: env.pool.snapshot()["cpu"]["waiting"] == 4)

    assert (env.status(second), env.status(third)) == ("queued", "queued")
    estimates = [backlog.queue_estimate(env.db, env.catalog, env.pool.slots, jobs.get(env.db, j))
                 for j in (second, third)]
    assert [e["queue_position"] for e in estimates] == [1, 2]
    # no history yet: 1 s a job; the first has up to 1 s left on both slots, the third waits for the second too
    assert 0 < estimates[0]["eta_seconds"] <= 1.0
    assert estimates[1]["eta_seconds"] == pytest.approx(estimates[0]["eta_seconds"] + 1.0, abs=0.15)
    for thread in waiters:
        thread.join(5)
    rows = [jobs.get(env.db, j) for j in (first, second, third)]
    assert [r["status"] for r in rows] == ["succeeded"] * 3
    assert rows[0]["finished_at"] <= rows[1]["started_at"] and rows[1]["finished_at"] <= rows[2]["started_at"]


def test_cancel_while_waiting_for_slots_charges_nothing_and_never_starts(env):
    first = env.submit(seconds=1.0)
    runner = env.start(first)
    env.wait_until(lambda: env.status(first) == "running")
    second = env.submit(seconds=0.1)
    waiter = env.start(second)
    env.wait_until(lambda: env.pool.snapshot()["cpu"]["waiting"] == 2)

    assert env.runner.cancel(second)
    waiter.join(1)
    assert not waiter.is_alive()  # woken at once, not after the running job
    row = jobs.get(env.db, second)
    assert (row["status"], row["charged_micros"], row["started_at"]) == ("cancelled", 0, None)
    runner.join(5)
    assert env.status(first) == "succeeded"
    assert (env.balance().balance_micros, env.balance().held_micros) == (99 * PRICE, 0)


def test_max_processing_time_counts_the_wait_for_slots(env):
    first = env.submit(seconds=2.5)
    runner = env.start(first)
    env.wait_until(lambda: env.status(first) == "running")
    second = env.submit(seconds=0.1, mpt=1)
    submitted = time.monotonic()
    env.start(second).join(5)

    assert time.monotonic() - submitted < 1.8  # timed out while waiting, not after the first job
    row = jobs.get(env.db, second)
    assert (row["status"], row["error_code"], row["charged_micros"], row["started_at"]) == (
        "failed", "processing_timeout", 0, None)
    runner.join(5)
    assert env.balance().held_micros == 0


def test_a_job_past_its_limit_before_a_worker_took_it_ends_at_once(env):
    job_id = env.submit(seconds=5, mpt=1)
    with env.db.write() as conn:  # as if it had sat in the queue for 2 s
        conn.execute("UPDATE jobs SET created_at = created_at - 2 WHERE id = ?", (job_id,))
    started = time.monotonic()
    env.runner.execute(job_id)
    assert time.monotonic() - started < 0.5
    assert jobs.get(env.db, job_id)["error_code"] == "processing_timeout"


def test_a_queued_job_needing_more_than_the_machine_fails_uncharged(env):
    job_id = env.submit(cpu=3)  # e.g. accepted before cpu_slots was lowered
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "tool_unavailable", 0)
    assert env.balance().held_micros == 0


def test_shutdown_leaves_waiting_jobs_queued_for_the_next_start(env):
    first = env.submit(seconds=0.5)
    runner = env.start(first)
    env.wait_until(lambda: env.status(first) == "running")
    second = env.submit()
    waiter = env.start(second)
    env.wait_until(lambda: env.pool.snapshot()["cpu"]["waiting"] == 2)

    put_back = env.runner.shutdown()
    waiter.join(1)
    runner.join(2)
    assert set(put_back) == {first, second}
    row = jobs.get(env.db, second)
    assert (row["status"], row["settled"], row["started_at"]) == ("queued", 0, None)
    assert (env.status(first), jobs.get(env.db, first)["settled"]) == ("queued", 0)  # put back
    env.runner.execute(env.submit())  # nothing starts after shutdown
    assert env.pool.snapshot()["cpu"]["busy"] == 0


def test_one_and_two_slot_jobs_never_exceed_the_pool(env):
    ids = [env.submit(seconds=0.05, cpu=1 + i % 2) for i in range(12)]
    threads = [env.start(j) for j in ids]
    for thread in threads:
        thread.join(10)
    rows = [jobs.get(env.db, j) for j in ids]
    assert all(r["status"] == "succeeded" for r in rows)
    edges = sorted([(r["started_at"], json.loads(r["params"])["cpu"]) for r in rows]
                   + [(r["finished_at"], -json.loads(r["params"])["cpu"]) for r in rows],
                   key=lambda e: (e[0], e[1]))  # a release before a take at the same instant
    busy = most = 0
    for _, delta in edges:
        busy += delta
        most = max(most, busy)
    assert most == 2 == env.pool.snapshot()["cpu"]["peak_busy"]


def test_queued_jobs_no_worker_has_taken_yet_time_out_from_upkeep(env):
    late, fresh, unlimited = env.submit(mpt=1), env.submit(mpt=30), env.submit(mpt=0)
    with env.db.write() as conn:  # as if all three had sat in huey's queue for 2 s
        conn.execute("UPDATE jobs SET created_at = created_at - 2")
    assert env.runner.expire_overdue() == [late]
    row = jobs.get(env.db, late)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "processing_timeout", 0)
    assert (env.status(fresh), env.status(unlimited)) == ("queued", "queued")
    assert env.balance().held_micros == 2 * PRICE  # only the expired job's hold was released
    env.runner.execute(late)  # a worker that takes it later does nothing
    assert jobs.get(env.db, late)["started_at"] is None


def test_a_job_delivered_twice_runs_once_and_ends_once(env):
    ended = []
    env.runner.hooks.append(ended.append)
    job_id = env.submit(seconds=0.3, cpu=1)
    twins = [env.start(job_id), env.start(job_id)]
    for thread in twins:
        thread.join(5)
    assert ended == [job_id]  # one webhook, one metric
    assert (env.status(job_id), env.balance().balance_micros) == ("succeeded", 99 * PRICE)
    assert env.pool.snapshot()["cpu"]["busy"] == 0
