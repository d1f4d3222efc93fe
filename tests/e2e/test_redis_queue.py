"""Scale-out seam: the redis queue backend and a separate `noxus-local worker` process."""

import sqlite3
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import free_port, redis_server


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    proc = subprocess.Popen([redis_server(), "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


def test_async_jobs_run_on_redis_workers_in_another_process(make_server, redis_url):
    config = f"""
[jobs]
queue_backend = "redis"
redis_url = "{redis_url}"
diagnostic_tools = true
workers = 1
[tiers.free]
concurrent_jobs = 10
jobs_per_hour = 0
requests_per_minute = 0
"""
    srv = make_server(config)
    worker = subprocess.Popen([sys.executable, "-m", "noxus_local", "worker", "--workers", "2",
                               "--config", str(srv.config_path)], env=srv.env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert "worker" in worker.stdout.readline()
        ids = [srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.5},
                        headers={"Prefer": "respond-async"}).json()["job_id"] for _ in range(6)]
        deadline = time.monotonic() + 20
        db = sqlite3.connect(srv.data_dir / "noxus.db")
        while time.monotonic() < deadline:
            rows = db.execute(f"SELECT status, worker FROM jobs WHERE id IN ({','.join('?' * 6)})",
                              ids).fetchall()
            if all(status == "succeeded" for status, _ in rows):
                break
            time.sleep(0.1)
        assert [status for status, _ in rows] == ["succeeded"] * 6
        pids = {w.rsplit(":", 1)[1] for _, w in rows}
        assert str(worker.pid) in pids  # the separate worker took some of the jobs
    finally:
        worker.terminate()
        assert worker.wait(10) == 0
