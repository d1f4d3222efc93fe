"""One job's outputs and an account's kept files against its tier (issue 17, item 4), on real SQLite."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from noxus_local.assets import quota as storage
from noxus_local.errors import LimitExceeded
from noxus_local.jobs import store as jobs
from noxus_local.speech.synthesis import estimate_seconds
from noxus_local.tools.base import Limits
from tests.unit.test_runner import Env


@pytest.fixture
def env(db, tmp_path: Path) -> Env:
    return Env(db, tmp_path)


def run(env: Env, text: str, **limits: int) -> dict:
    """A ``slow`` job (its output: ``text`` as bytes) under these limits, run to its end."""
    job_id = f"job_{time.monotonic_ns()}"
    new = jobs.NewJob(id=job_id, principal=env.principal, tool="slow", params={"text": text, "seconds": 0.0},
                      files=[], limits=dataclasses.asdict(Limits(**limits)), estimate_micros=2000,
                      request_id="req_x")
    assert jobs.submit(env.db, new, env.cfg.tiers["enterprise"], 24) is None
    env.runner.execute(job_id)
    return dict(jobs.get(env.db, job_id))


def test_outputs_over_the_ceiling_fail_the_job_uncharged_and_leave_no_file(env: Env) -> None:
    before = env.balance()
    row = run(env, "x" * 2000, max_output_bytes=1000)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "limit_exceeded", 0)
    assert '"max_output_mb"' in row["result"]
    assert env.balance() == before
    assert not (env.files.output_root / row["id"]).exists()
    assert run(env, "x" * 1000, max_output_bytes=1000)["status"] == "succeeded"  # at the ceiling is fine


def test_kept_outputs_count_against_the_quota_until_they_expire(env: Env) -> None:
    first = run(env, "a" * 600, storage_quota_bytes=1000)
    assert first["status"] == "succeeded"
    assert storage.used_bytes(env.db.conn(), "acme") == 600
    second = run(env, "b" * 600, storage_quota_bytes=1000)
    assert (second["status"], second["error_code"], second["charged_micros"]) == ("failed", "limit_exceeded", 0)
    assert '"storage_quota"' in second["result"] and '"output_mb"' in second["result"]
    assert not (env.files.output_root / second["id"]).exists()
    with env.db.write() as conn:  # what retention does when it deletes a job's files
        conn.execute("UPDATE jobs SET output_expired = 1 WHERE id = ?", (first["id"],))
    assert storage.used_bytes(env.db.conn(), "acme") == 0
    assert run(env, "c" * 600, storage_quota_bytes=1000)["status"] == "succeeded"


def test_the_quota_check_counts_assets_and_outputs_inside_a_write(env: Env) -> None:
    """What ``jobs.finish`` and an asset upload run in the transaction that keeps their bytes."""
    assert run(env, "a" * 600)["status"] == "succeeded"
    with pytest.raises(LimitExceeded) as info, env.db.write() as conn:
        storage.check_quota(conn, "acme", 500, 1000, "file_mb")
    assert set(info.value.details) == {"limit", "max_mb", "used_mb", "file_mb"}
    assert info.value.details["limit"] == "storage_quota"
    with env.db.write() as conn:
        storage.check_quota(conn, "acme", 400, 1000, "file_mb")  # 600 + 400: exactly full is fine
    storage.check_quota(env.db.conn(), "acme", 10**12, 0)  # 0: no quota


def test_the_output_ceiling_names_its_limit() -> None:
    storage.check_output_size(200, 200)
    storage.check_output_size(10**12, 0)
    with pytest.raises(LimitExceeded) as info:
        storage.check_output_size(300 * storage.MB, 200 * storage.MB)
    assert info.value.details == {"limit": "max_output_mb", "max": 200.0, "output_mb": 300.0}


@pytest.mark.parametrize(("text", "speed", "seconds"), [
    ("a" + "[pause:10]" * 999, 1.0, 9990.04),     # the request
    ("Hola. [pause:30] Adiós.", 1.0, 10.44),      # a pause counts at most 10 s, as synthesis makes it
    ("Uno.\n\nDos.", 1.0, 0.92),                  # a blank line is a 0.6 s pause
    ("x" * 1000, 2.0, 20.0),                      # characters at 25 a second, times the speed
    ("x" * 1000, 0.5, 80.0),
])
def test_the_speech_estimate_is_a_floor_of_pauses_and_fast_reading(text: str, speed: float, seconds: float) -> None:
    assert estimate_seconds(text, speed) == pytest.approx(seconds)
