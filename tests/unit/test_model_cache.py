"""The model cache with the real Silero VAD model (fetched by the registry through its download cache)."""

import logging
import threading
import time

import numpy as np
import pytest

from noxus_local.accounts.keys import authenticate, create_key
from noxus_local.accounts.store import credit_account
from noxus_local.assets.files import FileStore
from noxus_local.config import load_config
from noxus_local.errors import ConfigError
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.engines import onnx_runtime as session_module
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.inference.models.vad import SAMPLE_RATE, SileroVad
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.jobs import store as jobs
from noxus_local.jobs.runner import JobRunner
from noxus_local.tools.base import Limits, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog


def config(data_dir, **env):
    return load_config(None, {"NOXUS_DATA_DIR": str(data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false", **env})


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A data dir with silero-vad installed."""
    data_dir = tmp_path_factory.mktemp("models") / "data"
    ModelRegistry.from_config(config(data_dir)).fetch(["silero-vad"])
    return data_dir


@pytest.fixture
def counted_sessions(monkeypatch):
    """Every ONNX Runtime session the process creates (the real factory still runs)."""
    created = []
    real = session_module.create_session
    monkeypatch.setattr(session_module, "create_session", lambda *a: created.append(a) or real(*a))
    return created


def test_eight_threads_asking_at_once_cause_one_load_and_share_it(installed, counted_sessions):
    cache = ModelCache(config(installed))
    got, barrier = [], threading.Barrier(8)

    def ask():
        barrier.wait()
        got.append(cache.get(SileroVad))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(m is got[0] for m in got)
    assert len(counted_sessions) == 1
    assert counted_sessions[0][2] == SileroVad.threads == 1  # the class's thread count
    assert cache.stats() == {"silero-vad": {"loaded": True, "loads": 1, "unloads": 0, "in_use": 0}}
    assert got[0].speech_segments(np.zeros(SAMPLE_RATE, dtype=np.float32)) == []


def test_an_idle_model_is_unloaded_and_one_in_use_is_kept(installed, counted_sessions):
    clock = [1000.0]
    cache = ModelCache(config(installed, NOXUS_INFERENCE_IDLE_UNLOAD_SECONDS="60"), clock=lambda: clock[0])
    first = cache.get(SileroVad)
    clock[0] += 59
    assert cache.sweep() == []
    with cache.use(SileroVad) as vad:
        assert vad is first
        clock[0] += 120
        assert cache.sweep() == []  # a job holds it
    clock[0] += 59
    assert cache.sweep() == []  # idle time counts from the end of the last use
    clock[0] += 1
    assert cache.sweep() == ["silero-vad"]
    assert cache.stats()["silero-vad"] == {"loaded": False, "loads": 1, "unloads": 1, "in_use": 0}
    assert cache.get(SileroVad) is not first and len(counted_sessions) == 2


def test_idle_unload_zero_keeps_models_forever(installed):
    cache = ModelCache(config(installed, NOXUS_INFERENCE_IDLE_UNLOAD_SECONDS="0"))
    cache.get(SileroVad)
    assert cache.sweep(now=time.monotonic() + 10**9) == []


def test_preload_loads_the_listed_models_and_refuses_unknown_ids(installed, tmp_path, caplog):
    cfg = config(installed, NOXUS_INFERENCE_PRELOAD="silero-vad")
    assert cfg.inference.preload == ["silero-vad"]
    cache = ModelCache(cfg)
    assert cache.preload(cfg.inference.preload) == ["silero-vad"]
    assert cache.stats()["silero-vad"]["loaded"]
    with pytest.raises(ConfigError, match="unknown model 'whisper-huge'"):
        cache.preload(["whisper-huge"])
    empty = ModelCache(config(tmp_path / "empty"))
    with caplog.at_level(logging.WARNING, logger="noxus_local.inference.cache"):
        assert empty.preload(["silero-vad"]) == []  # a missing model does not stop the start
    assert "noxus-local models fetch silero-vad" in caplog.text


def test_a_missing_model_is_503_naming_the_fetch_command(tmp_path):
    with pytest.raises(ModelNotInstalled) as caught:
        ModelCache(config(tmp_path)).get(SileroVad)
    assert (caught.value.status, caught.value.code) == (503, "tool_unavailable")
    assert caught.value.details == {"reason": "model_missing", "model": "silero-vad",
                                    "install": "noxus-local models fetch silero-vad",
                                    "missing": ["silero_vad.onnx"]}


class VadTool(Tool):
    """Finds speech in a second of silence with the shared VAD model."""

    slug = "vad"
    title = description = "vad"

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        with ctx.models.use(SileroVad) as vad:
            found = vad.speech_segments(np.zeros(SAMPLE_RATE, dtype=np.float32))
        return ToolOutput(b"{}", "vad.json", "application/json", {"segments": found})


def run_vad_jobs(db, data_dir, n):
    cfg = config(data_dir)
    runner = JobRunner(db, Catalog([VadTool()]), FileStore(data_dir, b"secret"), cfg)
    plain, _ = create_key(db, account_id="acme", name="t", environment="test")
    principal = authenticate(db, plain)
    credit_account(db, "acme", "test", 10_000)
    ids = []
    for i in range(n):
        new = jobs.NewJob(id=f"job_vad{i}", principal=principal, tool="vad", params={}, files=[],
                          limits=Limits().__dict__, estimate_micros=1000, request_id="req_x")
        jobs.submit(db, new, cfg.tiers["enterprise"], 24)
        runner.execute(new.id)
        ids.append(new.id)
    return runner, [jobs.get(db, job_id) for job_id in ids]


def test_jobs_share_one_loaded_model_through_the_runner(db, installed, counted_sessions):
    runner, rows = run_vad_jobs(db, installed, 3)
    assert [r["status"] for r in rows] == ["succeeded"] * 3
    assert len(counted_sessions) == 1 and runner.models.stats()["silero-vad"]["loads"] == 1


def test_a_job_whose_model_is_missing_fails_uncharged_with_the_command(db, tmp_path):
    _, [row] = run_vad_jobs(db, tmp_path / "no-models", 1)
    assert (row["status"], row["error_code"], row["charged_micros"]) == ("failed", "tool_unavailable", 0)
    assert "`noxus-local models fetch silero-vad`" in row["error_message"]
    assert str(tmp_path) not in row["error_message"]
