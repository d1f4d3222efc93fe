"""Several outputs per job and steps as data, through the real server with the `pipeline` diagnostic tool.

The pipeline tool declares prepare (1), work (6), package (3) and returns a
JSON report plus N extra text files. Bodies are checked against the served
OpenAPI document's own schemas, so the document and the server agree.
"""

import base64
import json
import time
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest

from noxus_local.assets.files import FileStore
from tests.e2e.test_webhooks_e2e import Receiver

CONFIG = """
[jobs]
diagnostic_tools = true
workers = 2
sync_wait_seconds = 20
[tiers.free]
concurrent_jobs = 4
jobs_per_hour = 0
requests_per_minute = 0
[webhooks]
allow_hosts = ["127.0.0.1"]
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from tests.e2e.conftest import start_module_server

    server = start_module_server(tmp_path_factory, "outputs", CONFIG)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def schemas(srv):
    return srv.get("/schema/openapi.json").json()["components"]


def conforms(schemas, name, body):
    jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": schemas}).validate(body)


def run(srv, headers=None, **body):
    return srv.post("/api/v1/tools/pipeline", key=srv.key, json=body, headers=headers or {})


def wait_status(srv, job_id, statuses, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{job_id} stuck in {body['status']}")


def strip(body):
    return {k: v for k, v in body.items() if k != "request_id"}


def test_one_shot_returns_output_and_every_file_behind_its_own_url(srv, schemas):
    r = run(srv, seconds=0.3, extra_files=3)
    assert r.status_code == 200, r.text
    body = r.json()
    conforms(schemas, "ToolRun", body)
    assert body["output"]["filename"] == "report.json"
    assert json.loads(base64.b64decode(body["output"]["content_base64"]))["extra_files"] == 3
    assert [(o["name"], o["filename"], o["mime_type"]) for o in body["outputs"]] == [
        ("report", "report.json", "application/json"), ("part-1", "part-1.txt", "text/plain"),
        ("part-2", "part-2.txt", "text/plain"), ("part-3", "part-3.txt", "text/plain")]
    for o in body["outputs"]:
        got = srv.get(o["url"])  # no key
        assert got.status_code == 200 and len(got.content) == o["size_bytes"]
        assert got.headers["content-type"].startswith(o["mime_type"])
    assert srv.get(body["outputs"][2]["url"]).text == "part 2 of 3\n"
    assert [(s["name"], s["weight"], s["status"], s["progress"]) for s in body["steps"]] == [
        ("prepare", 1, "succeeded", 100), ("work", 6, "succeeded", 100), ("package", 3, "succeeded", 100)]
    assert body["progress"] == 100 and body["billing"]["charged_usd"] == "0.001"


def test_urls_refuse_tampering_expiry_and_files_that_are_not_outputs(srv):
    body = run(srv, extra_files=1).json()
    url = body["outputs"][1]["url"]
    path, query = url.split("?")
    q = parse_qs(query)
    tampered = f"{path}?expires={q['expires'][0]}&sig={'0' * 64}"
    other_file = url.replace("part-1.txt", "report.json")  # another output's name under part-1's signature
    for bad in (tampered, other_file, f"{path}?expires={int(q['expires'][0]) + 1}&sig={q['sig'][0]}"):
        r = srv.get(bad)
        assert (r.status_code, r.json()["error_code"]) == (404, "not_found"), bad
    files = FileStore(srv.data_dir, (srv.data_dir / "secret.key").read_text().strip().encode())
    job_id = body["job_id"]
    expired = files.signed_url(job_id, "part-1.txt", ttl=-60)  # a genuine signature, already expired
    assert srv.get(expired).status_code == 404
    (srv.data_dir / "outputs" / job_id / "notes.txt").write_text("not an output")
    unlisted = files.signed_url(job_id, "notes.txt", ttl=600)  # correctly signed, but not one of the outputs
    assert srv.get(unlisted).status_code == 404
    assert srv.get(files.signed_url(job_id, "part-1.txt", ttl=600)).status_code == 200


def test_async_job_shows_weighted_progress_and_steps_as_they_run(srv, schemas):
    r = run(srv, {"Prefer": "respond-async"}, seconds=3, extra_files=2)
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
        conforms(schemas, "JobOrStep", body)
        seen.append((body["progress"], [s["status"] for s in body["steps"]]))
        if body["status"] == "succeeded":
            break
        time.sleep(0.1)
    assert seen[-1] == (100, ["succeeded"] * 3)
    work_running = [p for p, states in seen if states == ["succeeded", "running", "pending"]]
    assert work_running and any(10 < p < 70 for p in work_running)  # inside work: 10 + 60 × its share
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)  # never moves back
    assert len(body["outputs"]) == 3 and body["jobs"]["completed"] == 3


def test_every_step_id_resolves_and_matches_the_steps_route(srv, schemas):
    body = run(srv, extra_files=0).json()
    job_id = body["job_id"]
    assert body["jobs"] == body["sub_jobs"]
    assert [d["id"] for d in body["jobs"]["details"]] == [f"{job_id}.{n}" for n in (1, 2, 3)]
    for n, detail in enumerate(body["jobs"]["details"], start=1):
        by_id = srv.get(f"/api/v1/jobs/{detail['id']}", key=srv.key)
        by_route = srv.get(f"/api/v1/jobs/{job_id}/steps/{n}", key=srv.key)
        assert by_id.status_code == by_route.status_code == 200
        conforms(schemas, "StepDetail", by_route.json())
        conforms(schemas, "JobOrStep", by_id.json())
        assert strip(by_id.json()) == strip(by_route.json())
        step = by_route.json()
        assert (step["id"], step["job_id"], step["job_status"], step["name"], step["status"]) == (
            detail["id"], job_id, "succeeded", detail["job_type"], "succeeded")
        assert "billing" not in step
    listed = srv.get("/api/v1/jobs?tool=pipeline&limit=100", key=srv.key).json()
    conforms(schemas, "JobList", listed)
    assert next(j for j in listed["jobs"] if j["job_id"] == job_id)["steps"] == body["steps"]
    for missing in (f"/api/v1/jobs/{job_id}/steps/4", f"/api/v1/jobs/{job_id}/steps/0",
                    f"/api/v1/jobs/{job_id}/steps/abc", f"/api/v1/jobs/{job_id}.9"):
        r = srv.get(missing, key=srv.key)
        assert (r.status_code, r.json()["error_code"]) == (404, "job_not_found"), missing


def test_another_accounts_step_is_404_as_for_jobs(srv):
    job_id = run(srv).json()["job_id"]
    assert srv.cli("accounts", "create", "other").returncode == 0
    other = srv.new_key("other")
    for path in (f"/api/v1/jobs/{job_id}", f"/api/v1/jobs/{job_id}.1", f"/api/v1/jobs/{job_id}/steps/1"):
        r = srv.get(path, key=other)
        assert (r.status_code, r.json()["error_code"]) == (404, "job_not_found"), path


def test_a_failing_step_is_closed_failed_with_its_error_and_nothing_is_charged(srv, schemas):
    before = srv.get("/api/v1/balance", key=srv.key).json()["balance"]
    # the module's client refuses 5xx answers; this one is the job's own documented 500
    r = httpx.post(f"{srv.base}/api/v1/tools/pipeline", headers={"Authorization": f"Bearer {srv.key}"},
                   json={"seconds": 0.2, "fail_step": "work", "extra_files": 2}, timeout=60)
    assert (r.status_code, r.json()["error_code"], r.json()["billing"]["charged_usd"]) == (500, "internal_error", "0")
    job_id = r.json()["job_id"]
    body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    conforms(schemas, "JobOrStep", body)
    assert [(s["name"], s["status"]) for s in body["steps"]] == [
        ("prepare", "succeeded"), ("work", "failed"), ("package", "skipped")]
    message = "fallo solicitado en el paso work"  # the server's locale: es by default (issue 17)
    assert body["steps"][1]["error"] == {"code": "internal_error", "message": message}
    assert body["steps"][1]["finished_at"] is not None
    assert (body["jobs"]["failed"], body["jobs"]["details"][1]["error_message"]) == (1, message)
    assert "outputs" not in body and not (srv.data_dir / "outputs" / job_id).exists()
    step = srv.get(f"/api/v1/jobs/{job_id}/steps/2", key=srv.key).json()
    assert (step["status"], step["job_status"], step["error"]["message"]) == ("failed", "failed", message)
    assert srv.get("/api/v1/balance", key=srv.key).json()["balance"] == before


def test_idempotent_replay_is_byte_identical_with_every_output(srv):
    headers = {"Idempotency-Key": "pipeline-outputs-001"}
    first = run(srv, headers, extra_files=2)
    second = run(srv, headers, extra_files=2)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second.headers["idempotent-replayed"] == "true"
    assert len(second.json()["outputs"]) == 3
    assert all(srv.get(o["url"]).status_code == 200 for o in second.json()["outputs"])


def test_the_webhook_carries_every_output_and_the_steps(srv):
    receiver = Receiver([])
    r = run(srv, {"Prefer": "respond-async"}, extra_files=2, webhook={"url": receiver.url})
    job_id = r.json()["job_id"]
    receiver.wait_for(1)
    payload = json.loads(receiver.requests[0][1])
    assert (payload["event"], payload["job_id"]) == ("job.completed", job_id)
    assert [o["name"] for o in payload["outputs"]] == ["report", "part-1", "part-2"]
    assert all(srv.get(o["url"]).status_code == 200 for o in payload["outputs"])
    assert payload["jobs"]["completed"] == 3 and len(payload["steps"]) == 3
    receiver.httpd.shutdown()


def test_a_queued_job_already_lists_its_declared_steps_pending(srv):
    blockers = [srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 3},
                         headers={"Prefer": "respond-async"}).json()["job_id"] for _ in range(2)]
    job_id = run(srv, {"Prefer": "respond-async"}).json()["job_id"]  # both workers are busy: it waits
    body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert body["status"] == "queued"
    assert [(s["name"], s["status"]) for s in body["steps"]] == [
        ("prepare", "pending"), ("work", "pending"), ("package", "pending")]
    for blocker in blockers:
        srv.request("DELETE", f"/api/v1/jobs/{blocker}", key=srv.key)
    assert wait_status(srv, job_id, {"succeeded"})["jobs"]["completed"] == 3
