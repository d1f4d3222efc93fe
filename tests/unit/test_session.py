"""The session factory and the model base class, on a real ONNX model built in memory (GPU mocked)."""

import logging
import sys
import threading

import numpy as np
import onnxruntime as ort
import pytest

from noxus_local.config import load_config
from noxus_local.inference.engines import onnx_runtime as session_module
from noxus_local.inference.engines.onnx_runtime import (
    CPU,
    CUDA,
    ModelNotInstalled,
    OnnxModel,
    create_session,
    requested_providers,
)
from noxus_local.inference.engines.providers import add_model

X = np.arange(4, dtype=np.float32).reshape(1, 4)


class Doubler(OnnxModel):
    identity = "doubler"
    files = ("add.onnx",)

    def _predict(self, x):
        return self.session.run(["Y"], {"X": x})[0]


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "add.onnx").write_bytes(add_model())
    return tmp_path


class FallbackOrt:
    """onnxruntime-gpu on a machine without a usable GPU: CUDA listed, the session runs on CPU."""

    SessionOptions = ort.SessionOptions
    set_default_logger_severity = staticmethod(ort.set_default_logger_severity)

    def __init__(self):
        self.asked = []

    def get_available_providers(self):
        return [CUDA, CPU]

    def InferenceSession(self, model, options, providers):  # noqa: N802
        self.asked.append((providers, options.intra_op_num_threads))
        return ort.InferenceSession(model, options, providers=[CPU])


def test_providers_asked_for():
    assert requested_providers([CUDA, CPU], prefer_gpu=True) == [CUDA, CPU]
    assert requested_providers([CUDA, CPU], prefer_gpu=False) == [CPU]
    assert requested_providers([CPU], prefer_gpu=True) == [CPU]


def test_a_cpu_session_runs_and_says_so():
    info = create_session(add_model(), prefer_gpu=False, threads=1)
    assert info.providers_used == [CPU]
    assert not info.on_gpu
    np.testing.assert_array_equal(info.session.run(["Y"], {"X": X})[0], X + X)


def test_the_real_runtime_reports_what_runs_and_prints_no_cuda_errors(capfd):
    info = create_session(add_model(), prefer_gpu=True)
    assert info.providers_used == list(info.session.get_providers())
    assert info.providers_used[-1] == CPU
    # onnxruntime-gpu without CUDA libraries prints "[E:onnxruntime:...] Failed to load library" otherwise
    assert "onnxruntime" not in capfd.readouterr().err


def test_cuda_listed_but_falling_back_is_reported_as_cpu(monkeypatch, caplog):
    fake = FallbackOrt()
    monkeypatch.setitem(sys.modules, "onnxruntime", fake)
    with caplog.at_level(logging.WARNING, logger=session_module.__name__):
        info = create_session(add_model(), prefer_gpu=True, threads=3)
    assert fake.asked == [([CUDA, CPU], 3)]
    assert info.providers_used == [CPU]
    assert caplog.messages == ["in-memory model: CUDAExecutionProvider requested but the session runs on "
                               "CPUExecutionProvider (see `noxus-local doctor`)"]


def test_a_model_loads_once_on_first_predict_even_under_threads(model_dir, monkeypatch):
    created = []
    real = session_module.create_session
    monkeypatch.setattr(session_module, "create_session", lambda *a: created.append(a) or real(*a))
    model = Doubler(model_dir, prefer_gpu=False, threads=1)
    assert not model.loaded
    results = []
    threads = [threading.Thread(target=lambda: results.append(model.predict(X))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created == [(model_dir / "add.onnx", False, 1)]
    assert model.loaded
    assert len(results) == 8 and all(np.array_equal(r, X + X) for r in results)


def test_a_model_without_its_files_is_tool_unavailable_with_the_fix(tmp_path):
    with pytest.raises(ModelNotInstalled) as caught:
        Doubler(tmp_path / "doubler").predict(X)
    assert (caught.value.status, caught.value.code) == (503, "tool_unavailable")
    assert caught.value.details == {"reason": "model_missing", "model": "doubler",
                                    "install": "noxus-local models fetch doubler", "missing": ["add.onnx"]}
    assert "install it with `noxus-local models fetch doubler`" in caught.value.message.en  # type: ignore[union-attr]
    assert "instálalo con `noxus-local models fetch doubler`" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # the message reaches responses: no paths


def test_from_config_uses_the_data_dir_and_the_inference_settings(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_INFERENCE_PREFER_GPU": "false",
                             "NOXUS_INFERENCE_THREADS": "2"})
    model = Doubler.from_config(cfg)
    assert (model.model_dir, model.prefer_gpu, model.session_threads) == (tmp_path / "models" / "doubler", False, 2)


def test_the_model_class_declares_its_threads_unless_the_setting_overrides_them(tmp_path):
    class TwoThreads(Doubler):
        threads = 2

    assert TwoThreads(tmp_path).session_threads == 2
    assert TwoThreads(tmp_path, threads=1).session_threads == 1
    assert Doubler(tmp_path).session_threads == 0  # ONNX Runtime's default
