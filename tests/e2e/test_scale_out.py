"""Scale out for real (issue 12): an API node and two remote workers that share no disk and no SQLite.

A real ``redis-server``, the API node with data dir A, and two ``noxus-local
worker --api-url`` processes with their own empty data dirs B and C. Jobs
go to the workers over Redis and the internal API; one worker is killed
with SIGKILL mid-run; every job still ends, each settled exactly once in A's
ledger, outputs download from the API node, and no worker wrote into A.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, free_port, no_server_errors, redis_server

TOKEN = "worker-token-for-tests-0123456789"
TERMINAL = {"succeeded", "failed", "cancelled"}
LONG_WAIT = 6.0  # seconds: the job B is killed in the middle of


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("scale")
    port = free_port()
    redis_cmd = [redis_server(), "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(root)]
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
        _until(lambda: len([w for w in _capacity(api)["remote_workers"] if w["live"]]) == 2, 90)  # a loaded box
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
    log = (cluster["root"] / "A.log").read_text()
    assert log.count("internal API: wrong or missing worker token") >= 3, log[-2000:]
    out = api.cli("workers", "list", "--api-url", api.base)
    assert out.returncode == 0 and "worker-B" in out.stdout and "worker-C" in out.stdout, out


def test_capacity_counts_the_live_workers_slots(cluster: dict[str, Any]) -> None:
    """Two workers of 2 CPU slots beside the API node's own pool: 4 more CPU slots."""
    cpu = _capacity(cluster["api"])["resources"]["cpu"]
    assert cpu["remote_slots"] == 4 and cpu["slots"] >= 4 + 1 and cpu["busy"] >= cpu["remote_busy"] >= 0, cpu


def test_the_internal_routes_are_documented_with_the_worker_token(cluster: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    doc = cluster["api"].get("/schema/openapi.json").json()
    validate(doc)
    internal = {(m, p): op for p, item in doc["paths"].items() if p.startswith("/internal/") for m, op in item.items()}
    assert len(internal) == 8 and ("post", "/internal/v1/jobs/{job_id}/outcome") in internal
    assert doc["components"]["securitySchemes"]["workerTokenAuth"]["scheme"] == "bearer"
    for key, op in internal.items():
        assert op["security"] == [{"workerTokenAuth": []}] and op["tags"] == ["Internal"], key
        assert {"401", "500"} <= set(op["responses"]) and "X-RateLimit-Limit" not in op["responses"]["200"]["headers"]
    assert "409" in internal[("post", "/internal/v1/jobs/{job_id}/claim")]["responses"]


def test_a_tool_no_worker_declares_waits_with_a_reason_then_times_out_charged_0(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "pipeline", {}, **{"Max-Processing-Time": "2"})
    body = _job(api, job_id)
    assert body["status"] == "queued" and body["queue_reason"] == "no_live_worker"
    _until(lambda: _job(api, job_id)["status"] in TERMINAL, 6)
    body = _job(api, job_id)
    assert body["status"] == "failed" and body["error"]["code"] == "processing_timeout"
    assert body["billing"]["charged_usd"] == "0"
    _assert_settled_once(sqlite3.connect(api.data_dir / "noxus.db"), job_id, charged=False)


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


def test_100_jobs_on_two_workers_one_killed_every_job_settled_once(cluster: dict[str, Any]) -> None:
    """The issue's evidence: 100 jobs (92 short waits, 4 QR codes, then 4 longer waits), worker B killed with
    SIGKILL while it runs one of them; every job ends, each settled once in A's ledger, the killed job ran
    again (on C) and was settled once, outputs download from the API node.

    Deterministic: B is killed only once the jobs table shows it running one of the longer waits that
    started under 2 s ago, so that job has seconds of its run still ahead when the kill lands (a 0.2 s
    wait seen running could finish first: that made this test flaky). The longer waits are submitted
    last, so the polling starts before they can start, however slow the submissions are."""
    api, root = cluster["api"], cluster["root"]
    local = api.post("/api/v1/tools/image-convert", key=api.key,
                     json={"image_base64": _png_b64(), "output_format": "webp"})
    assert local.status_code == 200, local.text  # a local tool: the API node ran it itself
    waits = [_submit(api, "wait", {"seconds": 0.2, "cpu": 1}) for _ in range(92)]  # ~5 s on 4 slots
    qrs = [_submit(api, "qr", {"text": f"https://noxus.lat/{i}"}) for i in range(4)]
    longer = [_submit(api, "wait", {"seconds": LONG_WAIT, "cpu": 1}) for _ in range(4)]
    ids = waits + qrs + longer
    assert len(ids) == 100
    db = sqlite3.connect(api.data_dir / "noxus.db")
    marks = ",".join("?" * len(ids))

    def count(where: str) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where} AND id IN ({marks})", ids).fetchone()[0])

    def running_on_b() -> str | None:
        """A longer wait B runs now and began under 2 s ago: seconds of its run are still ahead."""
        row = db.execute(f"SELECT id FROM jobs WHERE status = 'running' AND worker = 'remote:worker-B' "
                         f"AND started_at > ? AND id IN ({','.join('?' * len(longer))})",
                         (time.time() - 2.0, *longer)).fetchone()
        return None if row is None else str(row[0])

    found: list[str] = []

    def b_runs_one() -> bool:
        job = running_on_b()
        found.extend([job] if job else [])
        return bool(found)

    _until(b_runs_one, 120)  # the short jobs queued before them go first
    killed = found[0]
    cluster["workers"]["B"].send_signal(signal.SIGKILL)  # mid-run: `killed` has over LONG_WAIT - 2 s still to go
    cluster["workers"]["B"].wait(5)
    assert _job(api, killed)["status"] in ("running", "queued")  # not finished by B
    try:
        _until(lambda: count("settled = 1") == len(ids), 180)  # generous: a loaded 2-core box
    except AssertionError:
        raise AssertionError(db.execute(f"SELECT status, worker, attempts, settled, COUNT(*) FROM jobs WHERE id IN "
                                        f"({marks}) GROUP BY 1, 2, 3, 4", ids).fetchall()) from None
    bodies = {j: _job(api, j) for j in ids}
    assert all(b["status"] == "succeeded" for b in bodies.values()), {
        j: (b["status"], b.get("error")) for j, b in bodies.items() if b["status"] != "succeeded"}
    workers = {row[0] for row in db.execute("SELECT worker FROM jobs WHERE tool IN ('wait', 'qr')")}
    assert {"remote:worker-B", "remote:worker-C"} <= workers
    # the job B was running when it died was queued again, ran once more on C, and was settled once
    assert db.execute("SELECT attempts, worker, settled FROM jobs WHERE id = ?", (killed,)).fetchone() == (
        2, "remote:worker-C", 1)
    assert bodies[killed]["status"] == "succeeded"
    for j in [*ids, local.json()["job_id"]]:
        _assert_settled_once(db, j, charged=True)
    for j in qrs:
        out = api.get(bodies[j]["output"]["url"])
        assert out.status_code == 200 and out.content.startswith(b"\x89PNG")
    # nothing of a worker in A; the workers' own dirs hold only their (emptied) scratch folders
    assert not [p for p in api.data_dir.rglob("*") if "scratch" in p.name]
    for name in ("B", "C"):
        assert [p.name for p in (root / name).iterdir()] == ["scratch"]
    assert not list((root / "C" / "scratch").iterdir())


def _assert_settled_once(db: sqlite3.Connection, job_id: str, charged: bool) -> None:
    """One hold, then exactly one charge (and the rest released) or one release of it all."""
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM ledger WHERE job_id = ? GROUP BY kind", (job_id,)).fetchall())
    assert kinds.get("hold") == 1 and kinds.get("charge", 0) == (1 if charged else 0), (job_id, kinds)
    assert kinds.get("release", 0) <= 1 and set(kinds) <= {"hold", "charge", "release"}, (job_id, kinds)
    hold, settled = db.execute("SELECT SUM(CASE kind WHEN 'hold' THEN amount_micros END), SUM(CASE WHEN kind"
                               " IN ('charge', 'release') THEN amount_micros END) FROM ledger WHERE job_id = ?",
                               (job_id,)).fetchone()
    assert hold == settled, (job_id, hold, settled)


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


def test_a_spec_taken_by_a_worker_that_died_before_claiming_is_published_again(cluster: dict[str, Any]) -> None:
    """A worker moves the spec it pops into its held hash (one Lua call); one that goes silent before
    its claim leaves it there, and the API node publishes the job again under a new attempt token."""
    import redis

    from noxus_local.jobs.jobspec import JobSpec, held_key, queue_key
    from noxus_local.jobs.remote_worker import TAKE_SCRIPT

    api, client = cluster["api"], redis.Redis.from_url(cluster["redis_url"])
    client.delete(queue_key("pipeline"))  # earlier tests' stale copies
    job_id = _submit(api, "pipeline", {})  # no worker declares it: only the ghost below takes it
    _until(lambda: client.llen(queue_key("pipeline")) >= 1, 5)
    taken = JobSpec.loads(client.register_script(TAKE_SCRIPT)(keys=[held_key("ghost"), queue_key("pipeline")]))
    assert taken.job_id == job_id and client.hexists(held_key("ghost"), taken.attempt)
    _until(lambda: not client.exists(held_key("ghost")) and client.llen(queue_key("pipeline")) >= 1, 5)
    again = JobSpec.loads(client.lindex(queue_key("pipeline"), -1))
    assert again.job_id == job_id and again.attempt != taken.attempt
    r = httpx.post(f"{api.base}/internal/v1/jobs/{job_id}/claim", headers={"Authorization": f"Bearer {TOKEN}"},
                   json={"attempt": taken.attempt, "worker": "ghost"})
    assert r.status_code == 409  # the ghost's copy is stale
    assert _job(api, job_id)["status"] == "queued"
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


class CuttableProxy:
    """A TCP proxy in front of the API node: ``cut()`` drops every connection and refuses new ones
    (the worker's calls fail as on a pulled cable or a dead switch), ``heal()`` listens again."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.heal()

    def heal(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    @property
    def up(self) -> bool:
        return self._listener is not None

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                down, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._conns += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _attempt_token(db: sqlite3.Connection, job_id: str) -> tuple[str, int, str]:
    row = db.execute("SELECT status, attempts, attempt_token FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return str(row[0]), int(row[1]), str(row[2])


def test_a_network_cut_requeues_once_then_fails_and_late_results_are_ignored(cluster: dict[str, Any]) -> None:
    """Worker D reaches the API node through a proxy we cut mid-job (its Redis link stays up).

    1. Cut while D runs job 1: the API node misses D's heartbeats, queues job 1 again with a new attempt
       token; healed after D's first attempt ended, D's late result of it gets 409 and is dropped, and
       the new attempt succeeds: one charge.
    2. Job 2 is cut off twice: queued again once, then failed with its hold released, charged 0.
    3. D frozen (SIGSTOP) mid-job, then resumed (SIGCONT): its stale result is ignored too.
    """
    import redis

    from noxus_local.jobs.jobspec import queue_key

    api, root = cluster["api"], cluster["root"]
    redis.Redis.from_url(cluster["redis_url"]).delete(queue_key("pipeline"))  # earlier tests' stale copies
    proxy = CuttableProxy(api.port)
    (root / "D").mkdir()
    (root / "D.toml").write_text(f'[jobs]\nqueue_backend = "redis"\nredis_url = "{cluster["redis_url"]}"\n'
                                 'diagnostic_tools = true\n[compute]\ncpu_slots = 2\n[worker]\ntools = ["pipeline"]\n')
    log_path = root / "D.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "noxus_local", "worker", "--config", str(root / "D.toml"), "--api-url",
         f"http://127.0.0.1:{proxy.port}", "--token", TOKEN, "--name", "worker-D", "--workers", "2"],
        env={**os.environ, "NOXUS_DATA_DIR": str(root / "D")}, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    db = sqlite3.connect(api.data_dir / "noxus.db")
    try:
        _until(lambda: any(w["name"] == "worker-D" and w["live"] for w in _capacity(api)["remote_workers"]), 20)
        # 1. one cut: queued again, the late result dropped, the second attempt charged once
        job1 = _submit(api, "pipeline", {"seconds": 2})
        _until(lambda: _attempt_token(db, job1)[0] == "running", 10)
        started, first = time.monotonic(), _attempt_token(db, job1)[2]
        proxy.cut()
        _until(lambda: _attempt_token(db, job1)[:2] == ("queued", 1), 8)  # heartbeat_timeout 2 s
        assert _attempt_token(db, job1)[2] != first
        time.sleep(max(0.0, started + 2.5 - time.monotonic()))  # D's first attempt has ended meanwhile
        proxy.heal()
        _until(lambda: _job(api, job1)["status"] in TERMINAL, 20)
        assert _job(api, job1)["status"] == "succeeded" and _attempt_token(db, job1)[1] == 2
        _assert_settled_once(db, job1, charged=True)
        _until(lambda: f"report from a stale attempt of job {job1} ignored" in (root / "A.log").read_text(), 5)
        # 2. cut twice: queued again once, then failed, hold released
        job2 = _submit(api, "pipeline", {"seconds": 60})
        _until(lambda: _attempt_token(db, job2)[:2] == ("running", 1), 10)
        proxy.cut()
        _until(lambda: _attempt_token(db, job2)[:2] == ("queued", 1), 8)
        proxy.heal()
        _until(lambda: _attempt_token(db, job2)[:2] == ("running", 2), 15)
        proxy.cut()
        _until(lambda: _job(api, job2)["status"] in TERMINAL, 8)
        proxy.heal()
        body = _job(api, job2)
        assert body["status"] == "failed" and body["billing"]["charged_usd"] == "0", body
        _assert_settled_once(db, job2, charged=False)
        # 3. frozen worker: SIGSTOP mid-job, SIGCONT after the API node gave the attempt up
        job3 = _submit(api, "pipeline", {"seconds": 1})
        _until(lambda: _attempt_token(db, job3)[0] == "running", 10)
        worker.send_signal(signal.SIGSTOP)
        _until(lambda: _attempt_token(db, job3)[:2] == ("queued", 1), 8)
        time.sleep(1)
        worker.send_signal(signal.SIGCONT)
        _until(lambda: _job(api, job3)["status"] in TERMINAL, 20)
        assert _job(api, job3)["status"] == "succeeded" and _attempt_token(db, job3)[1] == 2
        _assert_settled_once(db, job3, charged=True)
        assert f"job {job3}: the API node gave attempt" in log_path.read_text() or \
            f"report from a stale attempt of job {job3} ignored" in (root / "A.log").read_text()
    finally:
        worker.send_signal(signal.SIGCONT)
        if not proxy.up:
            proxy.heal()
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        proxy.cut()


def test_max_processing_time_stops_a_running_remote_job_charged_0(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    job_id = _submit(api, "wait", {"seconds": 30, "engine": "ffmpeg"}, **{"Max-Processing-Time": "3"})
    _until(lambda: _job(api, job_id)["status"] == "running", 10)
    pids = {p.pid for p in cluster["workers"].values() if p.poll() is None}
    _until(lambda: _ffmpeg_children(pids), 5)
    _until(lambda: _job(api, job_id)["status"] in TERMINAL, 4)
    body = _job(api, job_id)
    assert body["error"]["code"] == "processing_timeout" and body["billing"]["charged_usd"] == "0"
    _until(lambda: not _ffmpeg_children(pids), 3)  # the worker heard of the timeout and killed its ffmpeg
    _assert_settled_once(sqlite3.connect(api.data_dir / "noxus.db"), job_id, charged=False)


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
