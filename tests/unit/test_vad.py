"""Silero VAD on real speech: the packaged espeak-ng (our helper) says two sentences, ffmpeg resamples to 16 kHz.

The model comes through the registry and the shared download cache
(``$NOXUS_MODEL_CACHE``, default ~/.cache/noxus-local/models), so only the
first run on a machine downloads it.
"""

import subprocess
import time

import imageio_ffmpeg
import numpy as np
import pytest

from noxus_local.config import load_config
from noxus_local.inference.models.vad import SAMPLE_RATE, WINDOW, SileroVad, segments_from_probs
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.speech.espeak_process import speak_wav

TOLERANCE_S = 0.3


@pytest.fixture(scope="module")
def vad(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("vad") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["silero-vad"])
    return SileroVad.from_config(cfg)


def spoken(text: str, voice: str, tmp_path) -> np.ndarray:
    """The packaged espeak-ng's clip (no system program) as float32 16 kHz mono, trimmed to where it is audible."""
    wav = tmp_path / f"{voice}.wav"
    speak_wav(text, voice, wav)
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-f", "f32le",
                          "-ac", "1", "-ar", str(SAMPLE_RATE), "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, dtype=np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0]:loud[-1] + 1]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def test_two_sentences_are_found_where_they_are_said(vad, tmp_path):
    spanish = spoken("Hola, esta es una prueba de detección de voz.", "es", tmp_path)
    english = spoken("And this is the second sentence, in English.", "en", tmp_path)
    clip = np.concatenate([silence(1.0), spanish, silence(1.5), english, silence(1.0)])
    first = (1.0, 1.0 + len(spanish) / SAMPLE_RATE)
    second = (first[1] + 1.5, first[1] + 1.5 + len(english) / SAMPLE_RATE)

    started = time.perf_counter()
    segments = vad.speech_segments(clip)
    seconds = time.perf_counter() - started

    assert len(segments) == 2, segments
    for found, truth in zip(segments, (first, second), strict=True):
        assert abs(found[0] - truth[0]) < TOLERANCE_S and abs(found[1] - truth[1]) < TOLERANCE_S, (found, truth)
    assert seconds < len(clip) / SAMPLE_RATE / 5  # measured ~0.05 s for 10 s of audio on 2 cores
    assert vad.load().providers_used == ["CPUExecutionProvider"]


def test_silence_and_faint_noise_have_no_speech(vad):
    noise = np.random.default_rng(0).normal(0, 0.002, 3 * SAMPLE_RATE).astype(np.float32)
    assert vad.speech_segments(silence(2.0)) == []
    assert vad.speech_segments(noise) == []
    assert vad.speech_segments(silence(0.01)) == []  # shorter than one window


def probs(*runs: tuple[float, int]) -> np.ndarray:
    """Window probabilities from (value, number of 32 ms windows) runs."""
    return np.concatenate([np.full(n, p, dtype=np.float32) for p, n in runs])


def spans(p: np.ndarray, pad: int = 0) -> list[tuple[int, int]]:
    return segments_from_probs(p, len(p) * WINDOW, 0.5, 0.35, min_speech=4000, min_silence=1600, pad=pad)


def test_segment_rules():
    w = WINDOW
    assert spans(probs((0.0, 10), (0.9, 20), (0.0, 10))) == [(10 * w, 30 * w)]
    assert spans(probs((0.0, 10), (0.9, 5), (0.0, 10))) == []  # 160 ms < 250 ms of speech
    # a 64 ms dip (< 100 ms of silence) does not split; 0.4 is neither speech nor silence: speech goes on
    assert spans(probs((0.9, 10), (0.0, 2), (0.9, 10), (0.4, 10), (0.0, 10))) == [(0, 32 * w)]
    assert spans(probs((0.0, 5), (0.9, 20))) == [(5 * w, 25 * w)]  # speech until the end
    # pads of 30 ms (480 samples) widen both sides; a narrow gap is split in the middle
    assert spans(probs((0.0, 10), (0.9, 10), (0.0, 10)), pad=480) == [(10 * w - 480, 20 * w + 480)]
    assert segments_from_probs(probs((0.9, 10), (0.0, 4), (0.9, 10)), 24 * w, 0.5, 0.35, 0, 1000, 1200) == [
        (0, 10 * w + 1024), (14 * w - 1024, 24 * w)]
