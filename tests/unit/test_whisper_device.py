"""Which device and precision Whisper runs on: float16 on CUDA when ctranslate2 reports a GPU and a
real encode there works, int8 on CPU otherwise (issue 10, item 2).

No GPU here, so ctranslate2's device count and its Whisper class are replaced by fakes (mocking
hardware is allowed); the tokenizer is a real tokenizers.Tokenizer with Whisper's special tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ctranslate2
import pytest
import tokenizers
from tokenizers.models import WordLevel

from noxus_local.inference.models.whisper import WhisperModel

SPECIALS = ("<|startoftranscript|>", "<|endoftext|>", "<|transcribe|>", "<|translate|>", "<|notimestamps|>",
            "<|nospeech|>", "<|en|>", "<|es|>", "<unk>")


class FakeWhisper:
    """Records how it was opened; ``fail_on`` makes that device's encode raise like a broken CUDA setup."""

    opened: list[dict[str, Any]] = []
    encodes: list[str] = []
    fail_on: str | None = None

    def __init__(self, path: str, device: str = "cpu", compute_type: str = "default", **kwargs: Any) -> None:
        self.device = device
        FakeWhisper.opened.append({"device": device, "compute_type": compute_type, **kwargs})
        self.n_mels, self.is_multilingual = 80, True

    def encode(self, features: Any, to_cpu: bool = False) -> None:
        FakeWhisper.encodes.append(self.device)
        if self.device == FakeWhisper.fail_on:
            raise RuntimeError("CUDA failed with error no kernel image is available for execution on the device")


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    tok = tokenizers.Tokenizer(WordLevel({t: i for i, t in enumerate(SPECIALS)}, unk_token="<unk>"))
    tok.save(str(tmp_path / "tokenizer.json"))
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes(b"{}")
    return tmp_path


def _with_gpus(monkeypatch: pytest.MonkeyPatch, count: int, fail_on: str | None = None) -> None:
    FakeWhisper.opened, FakeWhisper.encodes, FakeWhisper.fail_on = [], [], fail_on
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: count)
    monkeypatch.setattr(ctranslate2.models, "Whisper", FakeWhisper)


def test_cuda_reported_picks_float16_after_a_real_encode(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    _with_gpus(monkeypatch, 1)
    whisper = WhisperModel(model_dir, prefer_gpu=True)
    whisper.load()
    assert (whisper.device, whisper.compute_type) == ("cuda", "float16")
    assert FakeWhisper.opened == [{"device": "cuda", "compute_type": "float16"}]
    assert FakeWhisper.encodes == ["cuda"]  # proven on the device before it is trusted


def test_cuda_that_does_not_work_falls_back_to_int8_cpu(monkeypatch: pytest.MonkeyPatch, model_dir: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _with_gpus(monkeypatch, 1, fail_on="cuda")
    whisper = WhisperModel(model_dir, prefer_gpu=True, threads=2)
    whisper.load()
    assert (whisper.device, whisper.compute_type) == ("cpu", "int8")
    assert [o["device"] for o in FakeWhisper.opened] == ["cuda", "cpu"]
    # one one-threaded replica per thread: batches run side by side (speech/batches.py)
    assert FakeWhisper.opened[1]["compute_type"] == "int8" and FakeWhisper.opened[1]["intra_threads"] == 1
    assert FakeWhisper.opened[1]["inter_threads"] == 2 and whisper.workers == 2
    assert "CUDA float16 does not work here" in caplog.text


@pytest.mark.parametrize(("count", "prefer_gpu"), [(0, True), (2, False)])
def test_no_gpu_or_gpu_not_wanted_is_int8_cpu(monkeypatch: pytest.MonkeyPatch, model_dir: Path, count: int,
                                              prefer_gpu: bool) -> None:
    _with_gpus(monkeypatch, count)
    whisper = WhisperModel(model_dir, prefer_gpu=prefer_gpu)
    whisper.load()
    assert (whisper.device, whisper.compute_type) == ("cpu", "int8")
    assert [o["device"] for o in FakeWhisper.opened] == ["cpu"] and FakeWhisper.encodes == []
