"""Scale out for real (issue 12): an API node and two remote workers that share no disk and no SQLite.

A real ``redis-server``, the API node with data dir A, and two ``noxus-local
worker --api-url`` processes with their own empty data dirs B and C. Jobs
go to the workers over Redis and the internal API; one worker is killed
with SIGKILL mid-run; every job still ends, each settled exactly once in A's
ledger, outputs download from the API node, and no worker wrote into A.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, free_port, no_server_errors

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server not installed (apt-get install redis-server; .ci/run does)")
TOKEN = "worker-token-for-tests-0123456789"
TERMINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("scale")
    port = free_port()
    redis_cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(root)]
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    api = Server(root / "A", f"""
[jobs]
queue_backend = "redis"
redis_url = "{url}"
diagnostic_tools = true
[workers]
tokens = ["{TOKEN}"]
local_tools = ["image-convert"]
heartbeat_timeout_seconds = 2
[tiers.free]
concurrent_jobs = 100
jobs_per_hour = 0
requests_per_minute = 0
""")
    api.client.event_hooks = {"request": [], "response": [no_server_errors]}
    api.start()
    workers = {}
    for name in ("B", "C"):
        data = root / name
        data.mkdir()
        cfg = root / f"{name}.toml"
        cfg.write_text(f'[jobs]\nqueue_backend = "redis"\nredis_url = "{url}"\ndiagnostic_tools = true\n'
                       f'[compute]\ncpu_slots = 2\n[worker]\ntools = ["wait", "qr"]\n')
        log = open(root / f"{name}.log", "w")
        workers[name] = subprocess.Popen(
            [sys.executable, "-m", "noxus_local", "worker", "--config", str(cfg), "--api-url", api.base,
             "--token", TOKEN, "--name", f"worker-{name}", "--workers", "2"],
            env={**os.environ, "NOXUS_DATA_DIR": str(data)}, stdout=log, stderr=log)
    try:
        _until(lambda: len([w for w in _capacity(api)["remote_workers"] if w["live"]]) == 2, 20)
        state = {"api": api, "workers": workers, "root": root, "redis_url": url, "redis": redis,
                 "redis_cmd": redis_cmd}
        yield state
        redis = state["redis"]  # a test may have restarted it
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)
        api.stop()
        redis.terminate()
        redis.wait(5)


def _capacity(api: Server) -> dict[str, Any]:
    return api.get("/api/v1/status/capacity", key=api.key).json()


def _until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _submit(api: Server, tool: str, body: dict[str, Any], **headers: str) -> str:
    r = api.post(f"/api/v1/tools/{tool}", key=api.key, json=body, headers={"Prefer": "respond-async", **headers})
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


def _job(api: Server, job_id: str) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/jobs/{job_id}", key=api.key).json())


def test_wrong_worker_token_is_a_401_envelope(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    for headers in ({"Authorization": "Bearer nope"}, {}, {"Authorization": f"Bearer {api.key}"}):
        r = httpx.post(f"{api.base}/internal/v1/workers/heartbeat", headers=headers, json={"name": "x"})
        assert r.status_code == 401
        assert r.json()["error_code"] == "invalid_worker_token" and r.json()["billing"]["charged_usd"] == "0"
    out = api.cli("workers", "list", "--api-url", api.base)
    assert out.returncode == 0 and "worker-B" in out.stdout and "worker-C" in out.stdout, out


def test_a_tool_no_worker_declares_waits_with_a_reason_then_times_out_charged_0(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "pipeline", {}, **{"Max-Processing-Time": "2"})
    body = _job(api, job_id)
    assert body["status"] == "queued" and body["queue_reason"] == "no_live_worker"
    _until(lambda: _job(api, job_id)["status"] in TERMINAL, 6)
    body = _job(api, job_id)
    assert body["status"] == "failed" and body["error"]["code"] == "processing_timeout"
    assert body["billing"]["charged_usd"] == "0"


def test_a_cancel_reaches_the_worker_and_its_ffmpeg_dies(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "wait", {"seconds": 30, "engine": "ffmpeg"})
    _until(lambda: _job(api, job_id)["status"] == "running", 10)
    pids = {p.pid for p in cluster["workers"].values()}
    _until(lambda: _ffmpeg_children(pids), 5)
    assert api.request("DELETE", f"/api/v1/jobs/{job_id}", key=api.key).status_code == 200
    started = time.monotonic()
    _until(lambda: not _ffmpeg_children(pids), 3)
    assert time.monotonic() - started < 3
    assert _job(api, job_id)["status"] == "cancelled"


def _ffmpeg_children(parents: set[int]) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if "ffmpeg" in name and int(rest[1]) in parents:
            found.append(int(stat.parent.name))
    return found


def test_jobs_on_two_workers_one_killed_every_job_settled_once(cluster: dict[str, Any]) -> None:
    api, root = cluster["api"], cluster["root"]
    waits = [_submit(api, "wait", {"seconds": 0.2, "cpu": 1}) for _ in range(30)]
    qrs = [_submit(api, "qr", {"text": f"https://noxus.lat/{i}"}) for i in range(4)]
    local = api.post("/api/v1/tools/image-convert", key=api.key,
                     json={"image_base64": _png_b64(), "output_format": "webp"})
    assert local.status_code == 200, local.text  # a local tool: the API node ran it itself
    db = sqlite3.connect(api.data_dir / "noxus.db")

    def done() -> int:
        marks = ",".join("?" * len(waits))
        return int(db.execute(f"SELECT COUNT(*) FROM jobs WHERE settled = 1 AND id IN ({marks})", waits).fetchone()[0])

    _until(lambda: done() >= 4, 20)
    cluster["workers"]["B"].send_signal(signal.SIGKILL)  # mid-run: it holds jobs now
    cluster["workers"]["B"].wait(5)
    ids = waits + qrs
    _until(lambda: all(_job(api, j)["status"] in TERMINAL for j in ids), 40)
    bodies = {j: _job(api, j) for j in ids}
    assert all(b["status"] == "succeeded" for b in bodies.values()), {
        j: (b["status"], b.get("error")) for j, b in bodies.items() if b["status"] != "succeeded"}
    workers = {row[0] for row in db.execute("SELECT worker FROM jobs WHERE tool IN ('wait', 'qr')")}
    assert {"remote:worker-B", "remote:worker-C"} <= workers
    marks = ",".join("?" * len(ids))
    assert db.execute(f"SELECT COUNT(*) FROM jobs WHERE attempts = 2 AND id IN ({marks})", ids).fetchone()[0] >= 1
    for j in [*ids, local.json()["job_id"]]:
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM ledger WHERE job_id = ? GROUP BY kind", (j,)).fetchall())
        assert kinds.get("hold") == 1 and kinds.get("charge", 0) <= 1 and kinds.get("release", 0) <= 1, (j, kinds)
        hold, settled = db.execute("SELECT SUM(CASE kind WHEN 'hold' THEN amount_micros END), SUM(CASE WHEN kind"
                                   " IN ('charge', 'release') THEN amount_micros END) FROM ledger WHERE job_id = ?",
                                   (j,)).fetchone()
        assert hold == settled, (j, hold, settled)
    for j in qrs:
        out = api.get(bodies[j]["output"]["url"])
        assert out.status_code == 200 and out.content.startswith(b"\x89PNG")
    # nothing of a worker in A; the workers' own dirs hold only their (emptied) scratch folders
    assert not [p for p in api.data_dir.rglob("*") if "scratch" in p.name]
    for name in ("B", "C"):
        assert [p.name for p in (root / name).iterdir()] == ["scratch"]
    assert not list((root / "C" / "scratch").iterdir())


def _png_b64() -> str:
    import base64

    from tests.e2e.conftest import png
    return base64.b64encode(png()).decode()


def test_a_stale_attempt_is_refused_with_409(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "pipeline", {})  # no worker declares it: it stays queued
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for path, body in (("claim", {"attempt": "0" * 32, "worker": "x"}), ("outcome", {"attempt": "0" * 32})):
        r = httpx.post(f"{api.base}/internal/v1/jobs/{job_id}/{path}", headers=headers, json=body)
        assert r.status_code == 409 and r.json()["error_code"] == "stale_attempt", r.text
    assert api.request("DELETE", f"/api/v1/jobs/{job_id}", key=api.key).status_code == 200


def test_a_redis_restart_loses_no_queued_job(cluster: dict[str, Any]) -> None:
    """Redis without persistence restarted: the API node publishes its queued jobs again from SQLite,
    including one submitted while Redis was down; the workers reconnect and run them."""
    import redis

    api = cluster["api"]
    client = redis.Redis.from_url(cluster["redis_url"])
    waiting = _submit(api, "pipeline", {})  # queued until cancelled: no worker declares it
    _until(lambda: client.llen("noxus:jobs:pipeline") >= 1, 5)
    cluster["redis"].terminate()
    cluster["redis"].wait(5)
    during = _submit(api, "qr", {"text": "sent while redis was down"})
    cluster["redis"] = subprocess.Popen(cluster["redis_cmd"], stdout=subprocess.DEVNULL)
    _until(lambda: _job(api, during)["status"] in TERMINAL, 20)
    assert _job(api, during)["status"] == "succeeded"
    _until(lambda: any(waiting.encode() in raw for raw in _lrange(client, "noxus:jobs:pipeline")), 5)
    assert api.request("DELETE", f"/api/v1/jobs/{waiting}", key=api.key).status_code == 200


def _lrange(client: Any, key: str) -> list[bytes]:
    try:
        return list(client.lrange(key, 0, -1))
    except Exception:  # still starting
        return []


def test_max_processing_time_stops_a_running_remote_job_charged_0(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "wait", {"seconds": 30}, **{"Max-Processing-Time": "2"})
    _until(lambda: _job(api, job_id)["status"] == "running", 10)
    _until(lambda: _job(api, job_id)["status"] in TERMINAL, 4)
    body = _job(api, job_id)
    assert body["error"]["code"] == "processing_timeout" and body["billing"]["charged_usd"] == "0"


def test_workers_keep_running_while_the_api_node_restarts_and_a_drain_finishes_its_job(cluster: dict[str, Any]) -> None:
    """Last in the module: it restarts the API node (the worker reports when it is back), then drains C."""
    api = cluster["api"]
    job_id = _submit(api, "wait", {"seconds": 3})
    _until(lambda: _job(api, job_id)["status"] == "running", 20)
    assert api.stop() == 0
    time.sleep(3.5)  # the job ends on its worker meanwhile; its outcome is retried
    api.start()
    _until(lambda: _job(api, job_id)["status"] in TERMINAL, 30)
    body = _job(api, job_id)
    assert body["status"] == "succeeded", body
    db = sqlite3.connect(api.data_dir / "noxus.db")
    assert db.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()[0] == 1
    # drain: SIGTERM takes no new job, lets the running one finish and report, then exits 0
    job_id = _submit(api, "wait", {"seconds": 1})
    _until(lambda: _job(api, job_id)["status"] == "running", 20)
    worker = cluster["workers"]["C"]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0
    assert _job(api, job_id)["status"] == "succeeded"
