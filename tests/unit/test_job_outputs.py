"""Several outputs per job and steps in the job body: the view, retention, backup and migration 7.

Runs the real runner on a real SQLite file (the ``staged`` tool of test_runner).
"""

import json
import sqlite3
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from noxus_local.assets.files import FileStore
from noxus_local.config import load_config
from noxus_local.jobs import store as jobs
from noxus_local.jobs.upkeep import sweep_files
from noxus_local.jobs.view import job_body, parse_step_id, step_body
from noxus_local.ops.backup import backup
from noxus_local.store.db import Database
from noxus_local.store.migrations import MIGRATIONS
from tests.legacy_migrations import legacy_store
from tests.unit.test_runner import Env


@pytest.fixture
def env(db, tmp_path):
    return Env(db, tmp_path)


def svc_of(env):
    return SimpleNamespace(cfg=env.cfg, db=env.db, files=env.files)


def finished_staged(env) -> str:
    job_id = env.submit(tool="staged")
    env.runner.execute(job_id)
    return job_id


def verify(env, url: str) -> bool:
    parts = urlsplit(url)
    _, _, _, _, job_id, filename = parts.path.split("/")
    q = parse_qs(parts.query)
    return env.files.verify(job_id, unquote(filename), int(q["expires"][0]), q["sig"][0])


def test_the_body_keeps_output_and_lists_every_file_behind_its_own_signed_url(env):
    job_id = finished_staged(env)
    body = job_body(svc_of(env), jobs.get(env.db, job_id), include_base64=True)
    assert body["output"]["filename"] == "video.mp4" and body["output"]["content_base64"] == "TVA0"
    assert "name" not in body["output"]  # seed 000's shape, as before
    assert [(o["name"], o["filename"], o["mime_type"], o["size_bytes"]) for o in body["outputs"]] == [
        ("video", "video.mp4", "video/mp4", 3), ("srt", "b.srt", "application/x-subrip", 37),
        ("vtt", "b.vtt", "text/vtt", 7), ("json", "b.json", "application/json", 2)]
    assert body["outputs"][0]["url"] == body["output"]["url"]
    assert all(verify(env, o["url"]) for o in body["outputs"])
    assert len({o["url"] for o in body["outputs"]}) == 4
    assert all("content_base64" not in o for o in body["outputs"])
    assert jobs.output_entry(env.db, job_id, "b.vtt")["mime_type"] == "text/vtt"
    assert jobs.output_entry(env.db, job_id, "other.txt") is None


def test_the_body_shows_steps_and_seed_003_jobs_with_sub_jobs_as_alias(env):
    job_id = env.submit("fail-transcribe", tool="staged")
    env.runner.execute(job_id)
    body = job_body(svc_of(env), jobs.get(env.db, job_id))
    assert [(s["id"], s["n"], s["name"], s["weight"], s["status"]) for s in body["steps"]] == [
        (f"{job_id}.1", 1, "probe", 1, "succeeded"), (f"{job_id}.2", 2, "transcribe", 6, "failed"),
        (f"{job_id}.3", 3, "render", 3, "skipped")]
    assert body["steps"][1]["started_at"].endswith("Z") and body["steps"][1]["finished_at"].endswith("Z")
    assert body["jobs"] == body["sub_jobs"] == {"total": 3, "completed": 1, "failed": 1, "details": [
        {"id": f"{job_id}.1", "job_type": "probe", "status": "succeeded"},
        {"id": f"{job_id}.2", "job_type": "transcribe", "status": "failed", "error_message": "internal_error"},
        {"id": f"{job_id}.3", "job_type": "render", "status": "skipped"}]}
    assert "outputs" not in body and "output" not in body


def test_every_step_id_resolves_to_a_step_body_with_its_parent(env):
    job_id = finished_staged(env)
    row = jobs.get(env.db, job_id)
    for detail in job_body(svc_of(env), row)["jobs"]["details"]:
        parent, n = parse_step_id(detail["id"])
        body = step_body(jobs.get(env.db, parent), n)
        assert (body["id"], body["job_id"], body["job_status"], body["name"]) == (
            detail["id"], job_id, "succeeded", detail["job_type"])
        assert "billing" not in body  # money lives on the parent only
    assert step_body(row, 4) is None and step_body(row, 0) is None
    assert parse_step_id(job_id) is None and parse_step_id("job_x.²") is None and parse_step_id(".1") is None


def test_only_the_parent_job_holds_and_settles_money(env):
    job_id = finished_staged(env)
    rows = env.db.all("SELECT kind, job_id FROM ledger WHERE job_id LIKE ? ORDER BY id", (f"{job_id}%",))
    assert [(r["kind"], r["job_id"]) for r in rows] == [("hold", job_id), ("charge", job_id)]


def test_retention_removes_every_output_and_the_body_marks_each_expired(env, tmp_path):
    job_id = finished_staged(env)
    assert sweep_files(env.db, tmp_path, retention_hours=1, now=time.time() + 7200) == 1
    assert not (tmp_path / "outputs" / job_id).exists()
    body = job_body(svc_of(env), jobs.get(env.db, job_id))
    assert body["output"]["expired"] is True
    assert [(o["name"], o.get("expired"), "url" in o) for o in body["outputs"]] == [
        ("video", True, False), ("srt", True, False), ("vtt", True, False), ("json", True, False)]
    assert jobs.output_entry(env.db, job_id, "b.srt") is None  # the file route refuses expired outputs


def test_backup_with_files_carries_every_output(env, tmp_path):
    job_id = finished_staged(env)
    manifest = backup(env.cfg, tmp_path / "bk", with_files=True)
    assert manifest["with_files"] is True
    assert sorted(p.name for p in (tmp_path / "bk" / "outputs" / job_id).iterdir()) == [
        "b.json", "b.srt", "b.vtt", "video.mp4"]


def test_migration_7_back_fills_outputs_and_steps_of_old_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(legacy_store(path, 5), isolation_level=None)  # a store as version 5 left it
    old_steps = [{"name": "decode", "status": "succeeded", "started_at_progress": 30},
                 {"name": "encode", "status": "failed", "started_at_progress": 85}]
    conn.execute(
        "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, steps, params, files, limits,"
        " estimate_micros, hold_micros, settled, output, request_id, created_at, finished_at)"
        " VALUES ('job_old', 'acme', 'test', 'key_x', 'image-convert', 'succeeded', ?, '{}', '[]', '{}',"
        " 2000, 2000, 1, ?, 'req_x', 1, 2)",
        (json.dumps(old_steps), json.dumps({"filename": "a.webp", "mime_type": "image/webp", "size_bytes": 72})))
    conn.execute("INSERT INTO jobs (id, account_id, environment, key_id, tool, status, params, files, limits,"
                 " estimate_micros, hold_micros, request_id, created_at)"
                 " VALUES ('job_queued', 'acme', 'test', 'key_x', 'qr', 'queued', '{}', '[]', '{}', 0, 0, 'r', 1)")
    conn.close()
    db = Database(path)
    try:
        assert db.migrate() == len(MIGRATIONS) >= 6
        row = jobs.get(db, "job_old")
        assert json.loads(row["outputs"]) == [
            {"name": "primary", "filename": "a.webp", "mime_type": "image/webp", "size_bytes": 72}]
        assert json.loads(row["steps"]) == [
            {"n": 1, "name": "decode", "weight": None, "status": "succeeded", "progress": 100,
             "started_at": None, "finished_at": None, "error": None},
            {"n": 2, "name": "encode", "weight": None, "status": "failed", "progress": 0,
             "started_at": None, "finished_at": None, "error": None}]
        queued = jobs.get(db, "job_queued")
        assert (queued["outputs"], queued["steps"]) == (None, None)
        assert jobs.output_entry(db, "job_old", "a.webp")["mime_type"] == "image/webp"  # old URLs still serve
        svc = SimpleNamespace(cfg=load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)}), db=db,
                              files=FileStore(tmp_path, b"s"))
        body = job_body(svc, row)
        assert body["outputs"][0]["url"] == body["output"]["url"]
        assert body["jobs"]["details"] == [{"id": "job_old.1", "job_type": "decode", "status": "succeeded"},
                                           {"id": "job_old.2", "job_type": "encode", "status": "failed"}]
    finally:
        db.close()


def test_a_row_with_only_output_still_lists_and_serves_it(env):
    job_id = finished_staged(env)
    with env.db.write() as conn:  # as a worker older than schema v6 would have written it
        conn.execute("UPDATE jobs SET outputs = NULL WHERE id = ?", (job_id,))
    body = job_body(svc_of(env), jobs.get(env.db, job_id))
    assert [(o["name"], o["filename"]) for o in body["outputs"]] == [("primary", "video.mp4")]
    assert jobs.output_entry(env.db, job_id, "video.mp4")["mime_type"] == "video/mp4"
    assert jobs.output_entry(env.db, job_id, "b.srt") is None
