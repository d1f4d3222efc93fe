"""Retention sweep and the maintenance ticker, on a real SQLite file and real folders."""

import os
import threading
import time

from noxus_local.jobs import store as jobs
from noxus_local.jobs.upkeep import Maintenance, sweep_files


def add_job(db, job_id: str, finished_at: float | None, settled: int = 1) -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, params, files, limits,"
            " estimate_micros, hold_micros, settled, request_id, created_at, finished_at)"
            " VALUES (?, 'acme', 'test', 'key_x', 'qr', ?, '{}', '[]', '{}', 0, 0, ?, 'req_x', ?, ?)",
            (job_id, "succeeded" if settled else "running", settled, time.time(), finished_at))


def test_old_outputs_go_and_rows_stay(db, tmp_path):
    now = time.time()
    add_job(db, "job_old", now - 7200)
    add_job(db, "job_new", now - 60)
    for job_id in ("job_old", "job_new"):
        (tmp_path / "outputs" / job_id).mkdir(parents=True)
        (tmp_path / "outputs" / job_id / "qr.png").write_bytes(b"x")
    assert sweep_files(db, tmp_path, retention_hours=1) == 1
    assert not (tmp_path / "outputs" / "job_old").exists()
    assert (tmp_path / "outputs" / "job_new" / "qr.png").exists()
    assert jobs.get(db, "job_old")["output_expired"] == 1
    assert jobs.get(db, "job_new")["output_expired"] == 0
    assert sweep_files(db, tmp_path, retention_hours=1) == 0  # already swept


def test_orphan_work_folders_go_but_running_jobs_keep_theirs(db, tmp_path):
    add_job(db, "job_running", None, settled=0)
    old = time.time() - 7200
    for name in ("job_orphan", "job_running"):
        folder = tmp_path / "work" / name
        folder.mkdir(parents=True)
        os.utime(folder, (old, old))
    sweep_files(db, tmp_path, retention_hours=1)
    assert not (tmp_path / "work" / "job_orphan").exists()
    assert (tmp_path / "work" / "job_running").exists()


def test_ticker_runs_tasks_and_loops_and_stops():
    calls: list[str] = []
    seen = threading.Event()

    def loop(stop: threading.Event) -> None:
        seen.set()
        stop.wait()

    def boom() -> None:
        calls.append("boom")
        raise RuntimeError("a failing task must not stop the others")

    ticker = Maintenance([(0.05, lambda: calls.append("a")), (0.05, boom)], threads=[loop])
    ticker.start()
    time.sleep(0.5)
    ticker.stop()
    assert seen.is_set() and calls.count("a") >= 2 and calls.count("boom") >= 2
