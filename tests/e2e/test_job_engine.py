"""The job engine end to end: async jobs, timeouts, cancel, shutdown, kill -9 recovery.

One server serves the module (a start is ~2 s of the suite); each test gets its own account, so
balances, the concurrency limit and job lists stay its own. The two that stop the server start
their own.
"""

import os
import signal
import sqlite3
import time

import pytest

from tests.e2e.conftest import SharedServer
from tests.http_fixture import wait_until

CONFIG = """
[jobs]
diagnostic_tools = true
workers = 2
sync_wait_seconds = 3
[tiers.free]
concurrent_jobs = 3
jobs_per_hour = 0
requests_per_minute = 0
"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from SharedServer.started(tmp_path_factory, "engine", CONFIG, 20)


@pytest.fixture
def srv(shared):
    return shared.view()


def wait_status(server, key, job_id, statuses, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = server.get(f"/api/v1/jobs/{job_id}", key=key).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck in {body['status']}")


def balance(server, key):
    return server.get("/api/v1/balance", key=key).json()["balance"]


def test_respond_async_gives_202_and_location(srv):
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.3},
                 headers={"Prefer": "respond-async"})
    assert r.status_code == 202
    body = r.json()
    assert r.headers["location"] == f"/api/v1/jobs/{body['job_id']}"
    assert body["status"] == "queued"
    done = wait_status(srv, srv.key, body["job_id"], {"succeeded"})
    assert done["billing"]["charged_usd"] == "0.001" and done["progress"] == 100
    assert [(s["id"], s["name"], s["weight"], s["status"]) for s in done["steps"]] == [
        (f"{body['job_id']}.1", "waiting", None, "succeeded")]  # wait declares none: the name it reported
    assert done["sub_jobs"] == done["jobs"] == {"total": 1, "completed": 1, "failed": 0, "details": [
        {"id": f"{body['job_id']}.1", "job_type": "waiting", "status": "succeeded"}]}


def test_one_shot_past_sync_wait_answers_202_then_finishes(srv):
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 4})
    assert r.status_code == 202
    assert wait_status(srv, srv.key, r.json()["job_id"], {"succeeded"})["status"] == "succeeded"


def test_max_processing_time_fails_the_job_and_charges_nothing(srv):
    before = balance(srv, srv.key)
    started = time.monotonic()
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30},
                 headers={"Max-Processing-Time": "1"})
    assert time.monotonic() - started < 3
    assert r.status_code == 504
    body = r.json()
    assert body["error_code"] == "processing_timeout" and body["billing"]["charged_usd"] == "0"
    assert balance(srv, srv.key) == before


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_bad_max_processing_time(srv, value):
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0},
                 headers={"Max-Processing-Time": value})
    assert r.status_code == 400
    assert "Max-Processing-Time" in r.json()["details"]["field_errors"]


def test_delete_cancels_a_running_job(srv):
    before = balance(srv, srv.key)
    job_id = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30},
                      headers={"Prefer": "respond-async"}).json()["job_id"]
    wait_status(srv, srv.key, job_id, {"running"})
    r = srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=srv.key)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert balance(srv, srv.key) == before


def test_unknown_job_is_404(srv):
    r = srv.get("/api/v1/jobs/job_000000000000000000000000", key=srv.key)
    assert (r.status_code, r.json()["error_code"]) == (404, "job_not_found")


def test_concurrency_limit(srv):
    ids = [srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 5},
                    headers={"Prefer": "respond-async"}).json()["job_id"] for _ in range(3)]
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0})
    assert r.status_code == 429
    body = r.json()
    assert (body["error_code"], body["active"], body["max"]) == ("concurrency_limit_exceeded", 3, 3)
    for job_id in ids:
        srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=srv.key)


def test_status_endpoints(srv):
    srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "hola"})
    lat = srv.get("/api/v1/status/latency?media_type=image", key=srv.key).json()
    assert lat["unit"] == "image" and lat["latency_ms_per_unit"] >= 0 and lat["sample_jobs"] >= 1
    cap = srv.get("/api/v1/status/capacity", key=srv.key).json()
    assert 0 <= cap["used_system_capacity"] <= 1
    assert srv.get("/api/v1/status/latency?media_type=audio", key=srv.key).status_code == 400


def test_sigterm_stops_quickly_and_the_running_job_runs_again(make_server):
    srv = make_server(CONFIG)
    job_id = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 3},
                      headers={"Prefer": "respond-async"}).json()["job_id"]
    wait_status(srv, srv.key, job_id, {"running"})
    started = time.monotonic()
    assert srv.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 10
    srv.start()
    done = wait_status(srv, srv.key, job_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded" and done["billing"]["charged_usd"] == "0.001"


def test_kill_9_during_a_job_never_loses_or_double_charges_it(make_server):
    srv = make_server(CONFIG)
    before = balance(srv, srv.key)
    job_id = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 2},
                      headers={"Prefer": "respond-async"}).json()["job_id"]
    wait_status(srv, srv.key, job_id, {"running"})
    assert balance(srv, srv.key)["available_usd"] != before["available_usd"]  # the hold is placed
    srv.stop(signal.SIGKILL)
    srv.start()
    done = wait_status(srv, srv.key, job_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded"
    after = balance(srv, srv.key)
    assert after["balance_usd"] == after["available_usd"]  # no hold left open
    db = sqlite3.connect(srv.data_dir / "noxus.db")
    kinds = [k for (k,) in db.execute("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))]
    assert kinds == ["hold", "charge"]


def ffmpeg_children(server_pid: int) -> list[int]:
    """ffmpeg processes whose parent is the server (its job children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == server_pid and "ffmpeg" in stat.split(")")[0] and fields[0] != "Z":
                found.append(int(entry))
    return found


def test_delete_kills_the_jobs_ffmpeg_process(srv):
    job_id = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 60, "engine": "ffmpeg"},
                      headers={"Prefer": "respond-async"}).json()["job_id"]
    pid_file = srv.data_dir / "work" / job_id / "ffmpeg.pid"  # the tool writes its child's pid here
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pid_file.read_text())
    assert pid in ffmpeg_children(srv.proc.pid)
    assert srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=srv.key).json()["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while pid in ffmpeg_children(srv.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ffmpeg_children(srv.proc.pid) == []


def test_max_processing_time_kills_ffmpeg(srv):
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 60, "engine": "ffmpeg"},
                 headers={"Max-Processing-Time": "2"})
    assert (r.status_code, r.json()["error_code"]) == (504, "processing_timeout")
    # killed, not necessarily reaped by the time the 504 arrives on a busy 2-core machine
    assert wait_until(lambda: ffmpeg_children(srv.proc.pid) == [], 10), ffmpeg_children(srv.proc.pid)


def test_a_run_and_its_replay_are_the_same_bytes_and_agree_with_the_job(srv):
    """The run's typed answers (ToolRun 200, JobFailed 504) are kept as sent: the replay is byte for byte the
    first answer, and the job route shows the same job (parsed JSON: members, values, billing)."""
    ok_headers = {"Idempotency-Key": "typed-ok-1"}
    first = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.1}, headers=ok_headers)
    again = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.1}, headers=ok_headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    body = first.json()
    assert (body["success"], body["request_id"]) == (True, first.headers["x-request-id"])
    polled = srv.get(f"/api/v1/jobs/{body['job_id']}", key=srv.key).json()
    assert body["output"].pop("content_base64")  # only the run inlines the file
    assert {k: v for k, v in polled.items() if k not in ("request_id", "webhooks")} == \
        {k: v for k, v in body.items() if k != "request_id"}
    failed_headers = {"Idempotency-Key": "typed-failed-1", "Max-Processing-Time": "1"}
    failed = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30}, headers=failed_headers)
    replay = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30}, headers=failed_headers)
    assert failed.status_code == replay.status_code == 504, failed.text
    assert replay.content == failed.content and replay.headers["idempotent-replayed"] == "true"
    error = failed.json()
    assert set(error) == {"success", "error", "error_code", "request_id", "billing", "details", "job_id"}
    assert (error["success"], error["error_code"], error["details"]["job_id"]) == \
        (False, "processing_timeout", error["job_id"])
    job = srv.get(f"/api/v1/jobs/{error['job_id']}", key=srv.key).json()
    assert (job["status"], job["error"]["code"], job["billing"]) == ("failed", "processing_timeout", error["billing"])
    documented = srv.get("/schema/openapi.json").json()["paths"]["/api/v1/tools/{name}"]["post"]["responses"]["504"]
    example = documented["content"]["application/json"]["examples"]["processing_timeout (failed job)"]["value"]
    assert set(example) == set(error) and set(example["billing"]) <= set(error["billing"])  # the run's JobFailed


def test_idempotency_covers_async_submissions(srv):
    headers = {"Prefer": "respond-async", "Idempotency-Key": "async-001"}
    first = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.2}, headers=headers)
    second = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 0.2}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.content == second.content and second.headers["idempotent-replayed"] == "true"
    wait_status(srv, srv.key, first.json()["job_id"], {"succeeded"})
    listed = srv.get("/api/v1/jobs?tool=wait", key=srv.key).json()
    assert listed["pagination"]["total"] == 1
