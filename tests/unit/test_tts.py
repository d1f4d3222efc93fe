"""Kokoro speaks Spanish and English: real model, real espeak-ng, word timings inside the audio.

Intelligibility is checked here by duration, energy and a golden phoneme
sequence (the Whisper round-trip is tests/unit/test_tts_roundtrip.py). Word
timings come from the model's own predicted durations, a second output added
to the graph in memory; the per-phoneme estimate stays as the fallback.
"""

import hashlib

import numpy as np
import onnx
import pytest

from noxus_local.config import load_config
from noxus_local.errors import JobCancelled, LimitExceeded
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.inference.models.kokoro import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    Kokoro,
    find_durations,
    load_voice,
    mix_voices,
)
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.phonemes import phonemize_words
from noxus_local.speech.synthesis import has_words, plan
from noxus_local.speech.tts import Speech, Voice, speak, stream


def synthesize(model, style, text: str, language: str) -> Speech:
    """The whole speech of ``text`` through the pipeline (speech/tts.py), with a loaded model."""
    return speak(text, Voice(model, style, language), cancel=CancelToken())


KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"  # STACK.md


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("tts") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-em-alex",
                                          "kokoro-voice-af-heart", "silero-vad"])
    return cfg


@pytest.fixture(scope="module")
def kokoro(cfg):
    return Kokoro.from_config(cfg)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio)))) if len(audio) else 0.0


def test_golden_phonemes():
    assert phonemize_words("Hola, ¿cómo estás?", "es") == [("Hola,", "ˈola,"), ("¿cómo", "kˈomo"),
                                                           ("estás?", "estˈas?")]
    assert [ipa for _, ipa in phonemize_words("Good morning.", "en-us")] == ["ɡˈʊd", "mˈɔːɹnɪŋ."]


def test_plan_pauses_and_paragraphs():
    assert plan("Uno. Dos.\n\nTres [pause:1.5] cuatro") == ["Uno.", "Dos.", 0.6, "Tres", 1.5, "cuatro"]
    assert not has_words("  [pause:1] 🙂🙂 \n") and has_words("¿Sí?")


@pytest.mark.parametrize(("voice", "language", "text", "n_words"), [
    ("ef_dora", "es", "Buenos días, me llamo Dora. [pause:0.5] Hoy hace sol.", 8),
    ("af_heart", "en-us", "Good morning, my name is Heart.", 6),
])
def test_speech_is_sane_and_word_spans_have_energy(cfg, kokoro, voice, language, text, n_words):
    speech = synthesize(kokoro, load_voice(models_dir(cfg), voice), text, language)
    assert 0.25 * n_words < speech.duration < 1.0 * n_words + 1.5
    assert rms(speech.samples) > 0.02
    assert len(speech.words) == n_words and speech.timing_source == "model_durations"
    ends = 0.0
    for w in speech.words:
        assert ends <= w.start < w.end <= speech.duration + 1e-3
        ends = w.end
        span = speech.samples[int(w.start * SAMPLE_RATE):int(w.end * SAMPLE_RATE)]
        assert rms(span) > 0.01, w
    assert [s.text for s in speech.sentences] == [s for s in plan(text) if isinstance(s, str)]


def test_a_mix_differs_from_both_parents_and_from_silence(cfg, kokoro):
    d = models_dir(cfg)
    dora, alex = load_voice(d, "ef_dora"), load_voice(d, "em_alex")
    mix = mix_voices(d, {"ef_dora": 0.7, "em_alex": 0.3})
    assert np.allclose(mix, 0.7 * dora + 0.3 * alex, atol=1e-6)
    audio = {name: synthesize(kokoro, style, "Hola a todos.", "es").samples
             for name, style in (("dora", dora), ("alex", alex), ("mix", mix))}
    assert rms(audio["mix"]) > 0.02
    for parent in ("dora", "alex"):
        n = min(len(audio["mix"]), len(audio[parent]))
        assert len(audio["mix"]) != len(audio[parent]) or not np.allclose(audio["mix"][:n], audio[parent][:n])


def test_a_voice_not_installed_names_the_fetch_command(cfg):
    with pytest.raises(ModelNotInstalled, match="noxus-local models fetch kokoro-voice-bf-lily"):
        load_voice(models_dir(cfg), "bf_lily")


def test_control_characters_never_reach_espeak_ng():
    """A NUL in the text once made a 500 (argv cannot hold it); control characters are spaces."""
    from noxus_local.speech.phonemes import phonemize_words

    words = [w for w, _ in phonemize_words("ho\x00la\x1e mundo\x9e", "es")]
    assert words and all(not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in w) for w in words)


def test_the_graph_returns_its_own_durations_and_they_cover_the_audio(cfg, kokoro):
    """One run gives audio and per-token frames; 600 samples a frame make up the audio exactly,
    and a slower speed gives more frames (the predictor's ``/ speed``)."""
    style = load_voice(models_dir(cfg), "ef_dora")
    tokens = kokoro.tokenize("ˈola mˈundo.")
    audio, frames = kokoro.predict(tokens, style, 1.0, durations=True)
    assert kokoro.durations_output == "/encoder/Cast_output_0"
    assert [o.name for o in kokoro.session.get_outputs()] == ["audio", "/encoder/Cast_output_0"]
    assert len(frames) == len(tokens) + 2 and frames.min() >= 1
    assert int(frames.sum()) * FRAME_SAMPLES == len(audio)
    slow_audio, slow = kokoro.predict(tokens, style, 0.6, durations=True)
    assert slow.sum() > frames.sum() and int(slow.sum()) * FRAME_SAMPLES == len(slow_audio)
    assert np.array_equal(kokoro.predict(tokens, style, 1.0), audio)  # the audio is what it was
    graph = kokoro.model_dir / kokoro.files[0]
    assert hashlib.sha256(graph.read_bytes()).hexdigest() == KOKORO_SHA256  # edited in memory only


def test_a_graph_without_duration_tensor_is_left_as_it_is(cfg):
    """Another export (here Silero VAD, which has no Round → Clip → Cast) is not edited."""
    vad = models_dir(cfg) / "silero-vad" / "silero_vad.onnx"
    assert find_durations(onnx.load(vad)) is None


def test_without_model_durations_words_fall_back_to_the_estimate(cfg):
    kokoro = Kokoro.from_config(cfg)
    kokoro.load()
    kokoro.durations_output = None  # as an export without the tensor loads
    speech = synthesize(kokoro, load_voice(models_dir(cfg), "ef_dora"), "Hola a todos.", "es")
    assert speech.timing_source == "estimated_per_phoneme" and len(speech.words) == 3


def onsets(audio: np.ndarray, quiet_s: float = 0.3) -> list[float]:
    """Where sound starts after at least ``quiet_s`` of silence (10 ms RMS frames above 0.004)."""
    hop = SAMPLE_RATE // 100
    frames = audio[:len(audio) // hop * hop].reshape(-1, hop)
    loud = np.sqrt(np.mean(np.square(frames), axis=1)) > 0.004
    out, quiet = [], 10 ** 6
    for i, is_loud in enumerate(loud):
        if is_loud and quiet >= quiet_s * 100:
            out.append(i / 100)
        quiet = 0 if is_loud else quiet + 1
    return out


@pytest.mark.parametrize(("voice", "language", "text"), [
    ("ef_dora", "es", "Uno. [pause:1.0] Dos."),
    ("af_heart", "en-us", "One, two. [pause:1.0] Three."),
    ("em_alex", "es", "Buenos días. [pause:0.8] Cinco."),
])
def test_a_word_after_a_pause_starts_where_its_sound_starts(cfg, kokoro, voice, language, text):
    """The first word and the word after the pause start within 60 ms of their sound's onset."""
    speech = synthesize(kokoro, load_voice(models_dir(cfg), voice), text, language)
    last = speech.words[-1]
    heard = onsets(speech.samples)
    assert len(heard) == 2, heard
    assert last.start >= speech.sentences[0].end + 0.75
    assert abs(last.start - heard[1]) <= 0.06, (last, heard)
    assert abs(speech.words[0].start - heard[0]) <= 0.06, (speech.words[0], heard)
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end <= speech.duration


def test_stream_hands_out_the_same_speech_piece_by_piece_and_stops_at_the_limit(cfg, kokoro):
    """``tts.stream`` is ``speak`` one sentence or pause at a time; past ``max_seconds`` it raises the
    413 before handing out the chunk that would pass it, and a cancelled token stops it."""
    voice = Voice(kokoro, load_voice(models_dir(cfg), "ef_dora"), "es")
    text = "Hola a todos. [pause:0.5] Adiós."
    whole = speak(text, voice, cancel=CancelToken())
    chunks = list(stream(text, voice, cancel=CancelToken()))
    assert [c.sentence for c in chunks] == ["Hola a todos.", None, "Adiós."]
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), whole.samples)
    assert [w for c in chunks for w in c.words] == list(whole.words)
    handed = []
    with pytest.raises(LimitExceeded) as raised:
        handed.extend(stream(text, voice, cancel=CancelToken(), max_seconds=chunks[0].end + 0.1))
    assert [c.sentence for c in handed] == ["Hola a todos."]
    assert raised.value.details["limit"] == "max_audio_seconds"
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        next(stream(text, voice, cancel=token))
