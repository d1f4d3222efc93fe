"""Kokoro's speech read back by our Whisper (whisper-base): the words must come back (issue 11).

Both models come through the registry and the shared download cache. The
bench (scripts/bench/bench_tts.py) measures the same round-trip against the
tighter targets (WER <= 0.05 English, <= 0.10 Spanish). Decoding is
deterministic, so the looser bounds here are room for a model update, not for
luck; the measured values (0.0 for all three on 2026-12-01) are printed with -s.
"""

import wave

import numpy as np
import pytest

from noxus_local.config import load_config
from noxus_local.inference.models.kokoro import SAMPLE_RATE, Kokoro, load_voice
from noxus_local.inference.models.piper import PiperJoe, resample
from noxus_local.inference.models.vad import SileroVad
from noxus_local.inference.models.whisper import WhisperModel
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.asr import transcribe
from noxus_local.speech.known_text import align_text
from noxus_local.speech.tts import Speech, Voice, speak
from noxus_local.speech.wer import wer


def synthesize(model, style, text: str, language: str) -> Speech:
    """The whole speech of ``text`` through the pipeline (speech/tts.py), with a loaded model."""
    return speak(text, Voice(model, style, language), cancel=CancelToken())

EN = "The quick brown fox jumps over the lazy dog. Today we talk about the weather in London."
ES = "Hola, me llamo Carlos. Hoy vamos a hablar del tiempo en Madrid. Gracias a todos por venir."


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("roundtrip") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-af-heart",
                                          "kokoro-voice-bm-george", "whisper-base", "silero-vad",
                                          "piper-en-us-joe"])
    return cfg


@pytest.fixture(scope="module")
def whisper(cfg):
    model = WhisperModel.from_config(cfg)
    model.load()
    return model


def write_wav(path, audio: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(np.clip(np.rint(audio * 32767), -32768, 32767).astype("<i2").tobytes())


@pytest.mark.parametrize(("voice", "language", "text", "whisper_lang", "bound"), [
    ("af_heart", "en-us", EN, "en", 0.1),
    ("bm_george", "en-gb", EN, "en", 0.1),
    ("ef_dora", "es", ES, "es", 0.2),
])
def test_the_words_come_back(cfg, whisper, tmp_path, voice, language, text, whisper_lang, bound):
    speech = synthesize(Kokoro.from_config(cfg), load_voice(models_dir(cfg), voice), text, language)
    write_wav(tmp_path / "speech.wav", speech.samples)
    heard = transcribe(tmp_path / "speech.wav", model=whisper, language=None)
    error = wer(text, heard.text)
    print(f"{voice}: WER {error:.3f} — {heard.text!r}")
    assert heard.language == whisper_lang  # detected, not told
    assert error <= bound, heard.text


def test_wer_normalises_case_and_punctuation_but_keeps_accents():
    assert wer("Good morning, Mr. Smith!", "good morning mr smith") == 0.0
    assert wer("Hola, ¿qué tal?", "hola que tal") == pytest.approx(1 / 3)
    assert wer("a b c d", "a x c") == 0.5  # one substitution, one deletion
    assert wer("It's fine.", "its fine") == 0.5


def test_piper_joe_on_our_session_factory_is_heard_back(cfg, whisper, tmp_path):
    piper = PiperJoe.from_config(cfg)
    speech = synthesize(piper, None, EN, "en-us")
    assert piper.load().providers_used == ["CPUExecutionProvider"]
    assert 3 < speech.duration < 10 and len(speech.words) == 17
    write_wav(tmp_path / "joe.wav", speech.samples)
    heard = transcribe(tmp_path / "joe.wav", model=whisper, language=None)
    error = wer(EN, heard.text)
    print(f"piper_en_us_joe: WER {error:.3f} — {heard.text!r}")
    # VITS draws noise inside the graph: every run is another take, and one in a few here had 2 of 17
    # words wrong (0.118): the bound leaves room for that, and for another CPU's rounding (issue 17)
    assert heard.language == "en" and error <= 0.2, heard.text


def test_resampling_keeps_a_tone_and_the_duration():
    t = np.arange(22050) / 22050
    out = resample(np.sin(2 * np.pi * 440 * t).astype(np.float32), 22050, 24000)
    assert len(out) == 24000
    peak = np.argmax(np.abs(np.fft.rfft(out)))  # 1 Hz bins over one second
    assert peak == 440 and abs(np.sqrt(np.mean(out ** 2)) - np.sqrt(0.5)) < 0.01


@pytest.mark.parametrize(("voice", "language", "whisper_lang", "text"), [
    ("af_heart", "en-us", "en", EN),
    ("ef_dora", "es", "es", "Hola, me llamo Carlos. [pause:1.0] Hoy vamos a hablar del tiempo en Madrid."),
])
def test_word_starts_agree_with_whisper_aligning_the_same_text(cfg, whisper, voice, language, whisper_lang, text):
    """Kokoro's own durations time the words about as Whisper's forced alignment of the audio does,
    and closer than the per-phoneme estimate. Whisper's DTW puts a silence into the next word (its
    start is the last word's end), so part of the difference is Whisper's; measured 2026-12-01:
    0.107 s (en) and 0.129 s (es) mean absolute difference, the estimate 0.114 s and 0.142 s."""
    kokoro, style = Kokoro.from_config(cfg), load_voice(models_dir(cfg), voice)
    speech = synthesize(kokoro, style, text, language)
    assert speech.timing_source == "model_durations"
    pcm = resample(speech.samples, SAMPLE_RATE, 16_000)
    aligned = align_text(whisper, pcm, " ".join(w.word for w in speech.words), whisper_lang,
                         SileroVad.from_config(cfg), CancelToken(), None)
    truth = [w.start for segment in aligned.segments for w in segment.words]
    assert len(truth) == len(speech.words)
    ours = float(np.mean([abs(w.start - t) for w, t in zip(speech.words, truth, strict=True)]))
    kokoro.durations_output = None  # the fallback, for comparison
    estimate = synthesize(kokoro, style, text, language)
    assert estimate.timing_source == "estimated_per_phoneme"
    theirs = float(np.mean([abs(w.start - t) for w, t in zip(estimate.words, truth, strict=True)]))
    print(f"{voice}: word starts vs Whisper, model durations {ours:.3f} s, estimate {theirs:.3f} s")
    assert ours < 0.15 and ours <= theirs
