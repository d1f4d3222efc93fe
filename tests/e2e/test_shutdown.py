"""Issue 8 item 4: SIGTERM exits within 5 s; queued jobs stay queued, running ones go back, cut
one-shot requests get the 503 envelope with the job id, and after a restart every job runs to its
end exactly once and is charged once."""

import signal
import sqlite3
import threading
import time
from decimal import Decimal

import httpx

from tests.e2e.test_job_engine import balance, wait_status

CONFIG = """
[jobs]
diagnostic_tools = true
workers = 2
sync_wait_seconds = 30
[tiers.free]
concurrent_jobs = 10
jobs_per_hour = 0
requests_per_minute = 0
"""
SECONDS = 4  # each job; longer than the 5 s exit budget leaves after the jobs have started


def running_ids(srv) -> set[str]:
    rows = srv.get("/api/v1/jobs?tool=wait&status=running&limit=100", key=srv.key).json()["jobs"]
    return {row["job_id"] if "job_id" in row else row["id"] for row in rows}


def one_shot(srv, answers: list, idempotency_key: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {srv.key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    with httpx.Client(base_url=srv.base, timeout=30) as client:
        answers.append(client.post("/api/v1/tools/wait", json={"seconds": SECONDS}, headers=headers))


def rows(srv) -> dict[str, sqlite3.Row]:
    db = sqlite3.connect(srv.data_dir / "noxus.db")
    db.row_factory = sqlite3.Row
    try:
        return {r["id"]: r for r in db.execute("SELECT * FROM jobs WHERE tool = 'wait'")}
    finally:
        db.close()


def ledger_kinds(srv, job_id: str) -> list[str]:
    db = sqlite3.connect(srv.data_dir / "noxus.db")
    try:
        return [k for (k,) in db.execute("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))]
    finally:
        db.close()


def succeeded_waits(srv) -> float:
    """``noxus_jobs_total`` for wait/succeeded: jobs run to their end by this process."""
    for line in srv.get("/metrics").text.splitlines():
        if line.startswith("noxus_jobs_total{") and 'tool="wait"' in line and 'outcome="succeeded"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def test_sigterm_keeps_queued_jobs_puts_running_ones_back_and_answers_cut_requests(make_server):
    srv = make_server(CONFIG)
    run_tool = srv.get("/schema/openapi.json").json()["paths"]["/api/v1/tools/{name}"]["post"]
    assert "shutting_down" in run_tool["responses"]["503"]["content"]["application/json"]["examples"]
    assert "Retry-After" in run_tool["responses"]["503"]["headers"]
    start_balance = Decimal(balance(srv, srv.key)["balance_usd"])
    queued = [srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": SECONDS},
                       headers={"Prefer": "respond-async"}).json()["job_id"] for _ in range(4)]
    until(lambda: len(running_ids(srv)) == 2)  # 2 workers: two run, two wait in the queue
    answers: list[httpx.Response] = []
    callers = [threading.Thread(target=one_shot, args=(srv, answers, key)) for key in (None, "retry-me")]
    for caller in callers:
        caller.start()
    until(lambda: len(running_ids(srv)) == 4)  # + the two one-shot jobs, in the inline pool

    started = time.monotonic()
    assert srv.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    for caller in callers:
        caller.join(10)

    assert len(answers) == 2
    cut = []
    for r in answers:
        body = r.json()
        assert (r.status_code, body["error_code"], body["success"]) == (503, "shutting_down", False)
        assert int(r.headers["retry-after"]) > 0 and r.headers["x-request-id"] == body["request_id"]
        assert body["billing"]["charged_usd"] == "0" and body["details"]["job_id"] == body["job_id"]
        cut.append(body["job_id"])
    every = queued + cut
    stored = rows(srv)
    assert {stored[j]["status"] for j in every} == {"queued"}  # none ran to its end, none lost
    assert {stored[j]["settled"] for j in every} == {0}
    assert {stored[j]["attempts"] for j in every} == {0}  # a stop asked for is not a crash

    srv.start()
    retry = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": SECONDS},
                     headers={"Idempotency-Key": "retry-me"})  # the client retries after the restart
    assert (retry.status_code, retry.headers["idempotent-replayed"]) == (202, "true")
    assert retry.json()["job_id"] in cut and retry.headers["location"] == f"/api/v1/jobs/{retry.json()['job_id']}"
    for job_id in every:
        done = wait_status(srv, srv.key, job_id, {"succeeded", "failed", "cancelled"}, timeout=40)
        assert done["status"] == "succeeded", done
        assert done["billing"]["charged_usd"] == "0.001"
    stored = rows(srv)
    assert {stored[j]["attempts"] for j in every} == {1}  # each started once after the restart
    assert all(ledger_kinds(srv, j) == ["hold", "charge"] for j in every)  # money settled once
    after = balance(srv, srv.key)
    assert Decimal(after["balance_usd"]) == start_balance - Decimal("0.001") * len(every)
    assert after["available_usd"] == after["balance_usd"]  # no hold left open
    until(lambda: succeeded_waits(srv) >= len(every), timeout=5)  # the hook runs just after settling
    assert succeeded_waits(srv) == len(every)  # this process ran each one to its end, once


def test_a_second_sigterm_while_stopping_still_exits_cleanly(make_server):
    srv = make_server(CONFIG)
    job_id = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30},
                      headers={"Prefer": "respond-async"}).json()["job_id"]
    wait_status(srv, srv.key, job_id, {"running"})
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    assert srv.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    assert rows(srv)[job_id]["status"] == "queued"
