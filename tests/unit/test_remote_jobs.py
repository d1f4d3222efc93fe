"""Remote attempts on a real SQLite file: attempt tokens, heartbeats, one settlement (issue 12)."""

import hashlib
import json

import pytest

from noxus_local.assets.store import AssetStore
from noxus_local.billing import ledger
from noxus_local.errors import StaleAttempt, ValidationError
from noxus_local.jobs import remote_rows as remote_jobs
from noxus_local.jobs import store as jobs
from noxus_local.jobs.jobspec import JobSpec
from noxus_local.jobs.remote import RemoteQueue
from tests.unit.test_runner import Env


@pytest.fixture
def env(db, tmp_path):
    return Env(db, tmp_path)


def test_only_the_current_attempt_claims_and_beats(env):
    job_id = env.submit()
    old = remote_jobs.assign_attempt(env.db, job_id)
    assert remote_jobs.claim(env.db, job_id, "f" * 32, "w1") is None
    row = remote_jobs.claim(env.db, job_id, old, "w1")
    assert row["status"] == "running" and row["worker"] == "remote:w1" and row["attempts"] == 1
    assert remote_jobs.claim(env.db, job_id, old, "w2") is None  # taken
    assert remote_jobs.beat(env.db, {job_id: old}) == []
    jobs.requeue(env.db, job_id)  # the API node gave the attempt up
    new = remote_jobs.assign_attempt(env.db, job_id)
    assert new != old
    assert remote_jobs.beat(env.db, {job_id: old}) == [job_id]  # the old worker is told to cancel
    assert remote_jobs.claim(env.db, job_id, new, "w2") is not None


def test_spec_round_trips_with_inputs_by_url_and_digest(env):
    job_id = env.submit(mpt=60)
    row = jobs.get(env.db, job_id)
    with env.db.write() as conn:
        conn.execute("UPDATE jobs SET files = ? WHERE id = ?", (json.dumps([
            {"field": "image", "path": "/x/in_image", "filename": "a.png", "content_type": "image/png",
             "size_bytes": 3}]), job_id))
    row = jobs.get(env.db, job_id)
    spec = JobSpec.loads(JobSpec.from_row(row, "tok", {"image": ("ab" * 32, 3)}).dumps())
    assert spec.tool == "slow" and spec.attempt == "tok" and spec.deadline == pytest.approx(row["created_at"] + 60)
    assert spec.files[0].url == f"/internal/v1/jobs/{job_id}/inputs/image" and spec.files[0].size_bytes == 3


def test_an_outcome_settles_once_and_a_bad_upload_is_refused(env):
    remote = RemoteQueue(env.db, env.runner.catalog, env.files, AssetStore(env.db, env.files.asset_root), env.cfg)
    job_id = env.submit(price=2000)
    token = remote_jobs.assign_attempt(env.db, job_id)
    remote.claim(job_id, token, "w1")
    tmp, final = remote.upload_target(job_id, token, "out.txt")
    tmp.write_bytes(b"hello")
    with pytest.raises(ValidationError):
        remote.accept_upload(tmp, final, hashlib.sha256(b"other").hexdigest(), hashlib.sha256(b"x").hexdigest())
    tmp.write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    remote.accept_upload(tmp, final, digest, digest)
    body = {"status": "succeeded", "result": {"n": 1},
            "outputs": [{"name": "primary", "filename": "out.txt", "mime_type": "text/plain", "sha256": digest}]}
    assert remote.outcome(job_id, token, body) is True
    assert env.files.output_path(job_id, "out.txt").read_bytes() == b"hello"
    with pytest.raises(StaleAttempt):  # a second report of the same attempt: the job is no longer running
        remote.outcome(job_id, token, body)
    row = jobs.get(env.db, job_id)
    assert row["status"] == "succeeded" and row["charged_micros"] == 2000
    assert env.balance().balance_micros == 10_000 - 2000
    assert ledger.read_balance(env.db.conn(), "acme", "test").available_micros == 8000


def test_live_slots_add_up_the_live_workers_only(env):
    from noxus_local.jobs.remote import WorkerInfo

    remote = RemoteQueue(env.db, env.runner.catalog, env.files, AssetStore(env.db, env.files.asset_root), env.cfg)
    remote.heartbeat(WorkerInfo("gpu-1", ["wait"], {"cpu": 8, "gpu": 1}, {"cpu": 3, "gpu": 1}), {})
    remote.heartbeat(WorkerInfo("cpu-2", ["wait"], {"cpu": 4}, {"cpu": 1}), {})
    assert remote.live_slots() == {"cpu": {"slots": 12, "busy": 4}, "gpu": {"slots": 1, "busy": 1}}
    remote._workers["cpu-2"].last_heartbeat -= env.cfg.workers.heartbeat_timeout_seconds + 1  # gone silent
    assert remote.live_slots() == {"cpu": {"slots": 8, "busy": 3}, "gpu": {"slots": 1, "busy": 1}}


def test_a_remote_outcome_over_the_output_ceiling_fails_uncharged_without_files(env):
    """Issue 17 item 4: a worker machine's outputs meet the same tier ceiling as a local run's."""
    remote = RemoteQueue(env.db, env.runner.catalog, env.files, AssetStore(env.db, env.files.asset_root), env.cfg)
    job_id = env.submit(price=2000)
    with env.db.write() as conn:
        conn.execute("UPDATE jobs SET limits = json_set(limits, '$.max_output_bytes', 4) WHERE id = ?", (job_id,))
    token = remote_jobs.assign_attempt(env.db, job_id)
    remote.claim(job_id, token, "w1")
    tmp, final = remote.upload_target(job_id, token, "out.txt")
    tmp.write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    remote.accept_upload(tmp, final, digest, digest)
    body = {"status": "succeeded", "result": {"n": 1},
            "outputs": [{"name": "primary", "filename": "out.txt", "mime_type": "text/plain", "sha256": digest}]}
    assert remote.outcome(job_id, token, body) is True
    row = jobs.get(env.db, job_id)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "limit_exceeded", 0)
    assert json.loads(row["result"])["details"]["limit"] == "max_output_mb"
    assert not env.files.output_path(job_id, "out.txt").exists()
    assert env.balance().balance_micros == 10_000
