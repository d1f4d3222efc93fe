"""The job runner and dispatcher on a real SQLite file and real huey threads."""

import json
import time
from pathlib import Path

import pytest

from noxus_local.accounts.keys import authenticate, create_key
from noxus_local.accounts.store import credit_account
from noxus_local.assets.files import FileStore
from noxus_local.billing import ledger
from noxus_local.config import load_config
from noxus_local.errors import InsufficientBalance
from noxus_local.jobs import store as jobs
from noxus_local.jobs.dispatch import Dispatcher
from noxus_local.jobs.recovery import recover_jobs
from noxus_local.jobs.runner import JobRunner
from noxus_local.tools.base import Limits, OutputFile, Params, Plan, Step, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog


class TextParams(Params):
    text: str
    seconds: float = 0.0


class SlowTool(Tool):
    """Sleeps in small steps, checking its cancel token, then echoes its text."""

    slug = "slow"
    title = description = "slow"
    Params = TextParams

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        end = time.monotonic() + ctx.params["seconds"]
        ctx.progress(0.1, "wait")
        while time.monotonic() < end:
            ctx.cancel.check()
            time.sleep(0.02)
        ctx.progress(0.9, "write")
        if ctx.params["text"] == "boom":
            raise RuntimeError("tool bug")
        return ToolOutput(ctx.params["text"].encode(), "out.txt", "text/plain", {"n": 1})


class StagedTool(Tool):
    """Declared, weighted steps and extra outputs; ``text`` picks a failing step or bad outputs."""

    slug = "staged"
    title = description = "staged"
    Params = TextParams
    steps = (Step("probe", 1), Step("transcribe", 6), Step("render", 3))

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        with ctx.step("probe"):
            pass
        with ctx.step("transcribe") as step:
            step.progress(0.5)
            end = time.monotonic() + ctx.params["seconds"]
            while time.monotonic() < end:
                ctx.cancel.check()
                time.sleep(0.02)
            if ctx.params["text"] == "fail-transcribe":
                raise RuntimeError("decoder crashed at /tmp/x")
        with ctx.step("render"):
            pass
        dup = ctx.params["text"] == "duplicate"
        (ctx.workdir / "made.vtt").write_text("WEBVTT\n")
        return ToolOutput(b"MP4", "video.mp4", "video/mp4", name="video", extras=[
            OutputFile("srt", b"1\n00:00:00,000 --> 00:00:01,000\nhola\n", "b.srt", "application/x-subrip"),
            OutputFile("vtt", ctx.workdir / "made.vtt", "b.srt" if dup else "b.vtt", "text/vtt"),
            OutputFile("json", b"{}", "b.json", "application/json")])


class Env:
    def __init__(self, db, tmp_path: Path) -> None:
        self.cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
        self.db = db
        self.files = FileStore(tmp_path, b"secret")
        self.runner = JobRunner(db, Catalog([SlowTool(), StagedTool()]), self.files, self.cfg)
        plain, _ = create_key(db, account_id="acme", name="t", environment="test")
        self.principal = authenticate(db, plain)
        credit_account(db, "acme", "test", 10_000)

    def submit(self, text: str = "hi", seconds: float = 0.0, price: int = 2000, mpt: int = 0,
               tool: str = "slow") -> str:
        job_id = f"job_{time.monotonic_ns()}"
        new = jobs.NewJob(id=job_id, principal=self.principal, tool=tool,
                          params={"text": text, "seconds": seconds}, files=[],
                          limits=Limits().__dict__, estimate_micros=price, request_id="req_x",
                          max_processing_seconds=mpt)
        tier = self.cfg.tiers["enterprise"]
        assert jobs.submit(self.db, new, tier, 24) is None
        return job_id

    def balance(self) -> ledger.BalanceView:
        return ledger.read_balance(self.db.conn(), "acme", "test")


@pytest.fixture
def env(db, tmp_path):
    return Env(db, tmp_path)


def test_success_charges_the_hold_and_stores_output(env):
    job_id = env.submit("hello")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["charged_micros"], row["progress"]) == ("succeeded", 2000, 100)
    steps = json.loads(row["steps"])  # a tool without declared steps: names as it reports them
    assert [(s["n"], s["name"], s["weight"], s["status"], s["progress"]) for s in steps] == [
        (1, "wait", None, "succeeded", 100), (2, "write", None, "succeeded", 100)]
    assert all(s["started_at"] <= s["finished_at"] for s in steps)
    assert env.files.output_path(job_id, "out.txt").read_bytes() == b"hello"
    assert (env.balance().balance_micros, env.balance().held_micros) == (8000, 0)


def test_tool_crash_releases_everything(env):
    job_id = env.submit("boom")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "internal_error", 0)
    assert [(s["name"], s["status"]) for s in json.loads(row["steps"])] == [("wait", "succeeded"),
                                                                           ("write", "failed")]
    assert (env.balance().balance_micros, env.balance().held_micros) == (10_000, 0)
    assert not (env.files.output_root / job_id).exists()


def test_hold_blocks_overspending(env):
    for _ in range(5):
        env.submit()
    with pytest.raises(InsufficientBalance):
        env.submit()
    assert env.balance().available_micros == 0


def test_execute_twice_runs_once(env):
    job_id = env.submit()
    env.runner.execute(job_id)
    env.runner.execute(job_id)
    assert ledger.audit(env.db.conn(), "acme", "test")["spent_micros"] == 2000


def test_max_processing_time_stops_the_job_and_charges_nothing(env):
    job_id = env.submit(seconds=30, mpt=1)
    started = time.monotonic()
    env.runner.execute(job_id)
    assert time.monotonic() - started < 3
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "processing_timeout", 0)
    assert env.balance().held_micros == 0


def test_cancel_a_queued_job(env):
    job_id = env.submit()
    assert env.runner.cancel(job_id)
    env.runner.execute(job_id)  # the worker finds it settled and does nothing
    assert jobs.get(env.db, job_id)["status"] == "cancelled"
    assert env.balance().balance_micros == 10_000


def test_huey_threads_run_queued_jobs(env):
    dispatcher = Dispatcher(env.runner, env.cfg)
    dispatcher.start(workers=2)
    try:
        ids = [env.submit(str(i)) for i in range(3)]
        for job_id in ids:
            dispatcher.enqueue(job_id)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(jobs.get(env.db, j)["status"] != "succeeded" for j in ids):
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    assert [jobs.get(env.db, j)["status"] for j in ids] == ["succeeded"] * 3


def test_recovery_requeues_interrupted_jobs_once_then_fails_them(env):
    job_id = env.submit()
    jobs.start(env.db, job_id)  # as if the process died mid-run

    class Recorder:
        queued: list[str] = []

        def enqueue(self, job_id: str) -> None:
            self.queued.append(job_id)

    svc = type("Svc", (), {"db": env.db, "dispatcher": Recorder(), "files": env.files, "runner": env.runner,
                           "cfg": env.runner.cfg})()
    assert recover_jobs(svc) == {"requeued": 1, "failed": 0}
    assert jobs.get(env.db, job_id)["status"] == "queued"
    jobs.start(env.db, job_id)  # second attempt dies too
    assert recover_jobs(svc) == {"requeued": 0, "failed": 1}
    assert jobs.get(env.db, job_id)["status"] == "failed"
    assert env.balance().held_micros == 0 and env.balance().balance_micros == 10_000


def test_dead_queue_workers_are_replaced(env):
    import threading

    dispatcher = Dispatcher(env.runner, env.cfg)
    dispatcher.start(workers=1)
    try:
        worker, _ = dispatcher.consumer.worker_threads[0]
        dead = threading.Thread(target=lambda: None)
        dead.start()
        dead.join()
        dispatcher.consumer.worker_threads[0] = (worker, dead)  # as if the thread had died
        dispatcher.check_health()
        assert dispatcher.consumer.worker_threads[0][1].is_alive()
        job_id = env.submit("after")
        dispatcher.enqueue(job_id)
        deadline = time.monotonic() + 10
        while jobs.get(env.db, job_id)["status"] != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jobs.get(env.db, job_id)["status"] == "succeeded"
    finally:
        dispatcher.stop()


def test_recovery_leaves_jobs_that_another_live_process_is_running(env):
    import socket
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)  # noxus worker"])
    deadline = time.monotonic() + 5
    while b"noxus" not in open(f"/proc/{other.pid}/cmdline", "rb").read() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the child has exec'd its own command line
    try:
        job_id = env.submit()
        jobs.start(env.db, job_id)
        with env.db.write() as conn:  # as if a `noxus-local worker` on this host had taken it
            conn.execute("UPDATE jobs SET worker = ? WHERE id = ?", (f"{socket.gethostname()}:{other.pid}", job_id))
        remote = env.submit()
        jobs.start(env.db, remote)
        with env.db.write() as conn:
            conn.execute("UPDATE jobs SET worker = 'another-host:1' WHERE id = ?", (remote,))

        class Recorder:
            def enqueue(self, job_id: str) -> None:
                raise AssertionError("nothing should be re-queued")

        svc = type("Svc", (), {"db": env.db, "dispatcher": Recorder(), "files": env.files, "runner": env.runner,
                           "cfg": env.runner.cfg})()
        assert recover_jobs(svc) == {"requeued": 0, "failed": 0}
    finally:
        other.kill()
        other.wait()
    queued: list[str] = []
    svc.dispatcher = type("R", (), {"enqueue": lambda self, j: queued.append(j)})()
    assert recover_jobs(svc) == {"requeued": 1, "failed": 0}  # its process is gone now
    assert queued == [job_id]


def test_a_running_job_with_a_stale_heartbeat_is_taken_over_from_any_host(env):
    from noxus_local.jobs.recovery import STALE_SECONDS

    job_id = env.submit()
    jobs.start(env.db, job_id)
    with env.db.write() as conn:
        conn.execute("UPDATE jobs SET worker = 'another-host:1', heartbeat_at = ? WHERE id = ?",
                     (time.time() - STALE_SECONDS - 1, job_id))
    queued: list[str] = []
    dispatcher = type("R", (), {"enqueue": lambda self, j: queued.append(j)})()
    svc = type("Svc", (), {"db": env.db, "dispatcher": dispatcher, "files": env.files, "runner": env.runner,
                           "cfg": env.runner.cfg})()
    assert recover_jobs(svc, startup=False) == {"requeued": 1, "failed": 0}
    assert queued == [job_id]


def test_heartbeat_keeps_this_process_jobs_fresh_and_periodic_recovery_leaves_them(env):
    import threading

    job_id = env.submit(seconds=1.0)
    worker = threading.Thread(target=env.runner.execute, args=(job_id,))
    worker.start()
    deadline = time.monotonic() + 5
    while jobs.get(env.db, job_id)["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    with env.db.write() as conn:
        conn.execute("UPDATE jobs SET heartbeat_at = 0 WHERE id = ?", (job_id,))
    env.runner.heartbeat()
    assert jobs.get(env.db, job_id)["heartbeat_at"] > time.time() - 5
    dispatcher = type("R", (), {"enqueue": lambda self, j: (_ for _ in ()).throw(AssertionError(j))})()
    svc = type("Svc", (), {"db": env.db, "dispatcher": dispatcher, "files": env.files, "runner": env.runner,
                           "cfg": env.runner.cfg})()
    assert recover_jobs(svc, startup=False) == {"requeued": 0, "failed": 0}
    worker.join()
    assert jobs.get(env.db, job_id)["status"] == "succeeded"


def staged_steps(env, job_id):
    return [(s["name"], s["status"]) for s in json.loads(jobs.get(env.db, job_id)["steps"])]


def test_declared_steps_and_every_output_are_stored(env):
    job_id = env.submit(tool="staged")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["progress"], row["charged_micros"]) == ("succeeded", 100, 2000)
    assert staged_steps(env, job_id) == [("probe", "succeeded"), ("transcribe", "succeeded"),
                                         ("render", "succeeded")]
    assert [s["weight"] for s in json.loads(row["steps"])] == [1, 6, 3]
    assert json.loads(row["output"]) == {"filename": "video.mp4", "mime_type": "video/mp4", "size_bytes": 3}
    assert [(o["name"], o["filename"], o["size_bytes"]) for o in json.loads(row["outputs"])] == [
        ("video", "video.mp4", 3), ("srt", "b.srt", 37), ("vtt", "b.vtt", 7), ("json", "b.json", 2)]
    assert env.files.output_path(job_id, "b.vtt").read_text() == "WEBVTT\n"  # a Path output is copied in
    assert not (env.files.work_root / job_id).exists()


def test_a_failing_step_is_closed_failed_and_nothing_is_charged_or_kept(env):
    job_id = env.submit("fail-transcribe", tool="staged")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "internal_error", 0)
    steps = json.loads(row["steps"])
    assert [(s["status"], s["progress"]) for s in steps] == [("succeeded", 100), ("failed", 50), ("skipped", 0)]
    assert steps[1]["error"] == {"code": "internal_error", "message": "internal_error"}  # no path leaks
    assert row["outputs"] is None and not (env.files.output_root / job_id).exists()
    assert env.balance().held_micros == 0


def test_duplicate_output_filenames_fail_the_job_without_half_written_files(env):
    job_id = env.submit("duplicate", tool="staged")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "internal_error", 0)
    assert not (env.files.output_root / job_id).exists()


def test_a_timeout_closes_the_running_step_failed_with_processing_timeout(env):
    job_id = env.submit(seconds=30, mpt=1, tool="staged")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"]) == ("failed", "processing_timeout")
    steps = json.loads(row["steps"])
    assert [s["status"] for s in steps] == ["succeeded", "failed", "skipped"]
    assert steps[1]["error"]["code"] == "processing_timeout" and steps[1]["finished_at"] is not None


def test_progress_of_a_running_job_is_the_weighted_sum(env):
    import threading

    job_id = env.submit(seconds=1.0, tool="staged")
    worker = threading.Thread(target=env.runner.execute, args=(job_id,))
    worker.start()
    deadline = time.monotonic() + 5
    while jobs.get(env.db, job_id)["progress"] < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    row = jobs.get(env.db, job_id)
    worker.join()
    assert (row["status"], row["progress"]) == ("running", 40)  # probe 10 + transcribe 6 × 50 % = 40
    assert staged_steps(env, job_id)[-1] == ("render", "succeeded")


def test_a_shutdown_puts_the_job_back_with_its_steps_pending(env):
    import threading

    job_id = env.submit(seconds=5, tool="staged")
    worker = threading.Thread(target=env.runner.execute, args=(job_id,))
    worker.start()
    deadline = time.monotonic() + 5
    while jobs.get(env.db, job_id)["progress"] < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    env.runner.shutdown()
    worker.join()
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["progress"], row["settled"]) == ("queued", 0, 0)
    assert [s for _, s in staged_steps(env, job_id)] == ["pending"] * 3


def test_a_job_whose_tool_left_the_catalog_fails_instead_of_hanging(env):
    job_id = env.submit(tool="gone")
    env.runner.execute(job_id)
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "tool_not_found", 0)
    assert env.balance().held_micros == 0
