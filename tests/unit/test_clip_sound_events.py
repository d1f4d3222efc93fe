"""Laughter and applause (clips/sound_events.py, issue 22 item 3) on soundtracks the tests build
(tests/sound_samples.py): synthesised applause after a narration, espeak-ng "ha" bursts at 5 Hz, and
the negatives (espeak-ng and Kokoro narration, music, a steady hiss) where nothing may fire."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from noxus_local.clips.candidates import Window, split_sentences
from noxus_local.clips.signals import Evidence, Hook, Weights, score_window
from noxus_local.clips.sound_events import EventSpans, detect_events
from noxus_local.config import load_config
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.speech.types import Word
from tests.clip_samples import SCRIPT, SPANISH
from tests.sound_samples import RATE, applause, kokoro_narration, laughter, music, narration, silence


def seconds(pcm: np.ndarray) -> float:
    return len(pcm) / RATE


def test_applause_after_a_narration_fires_on_the_applause_only(tmp_path: Path) -> None:
    talk = narration(SCRIPT[1].text, tmp_path)
    spans = detect_events(np.concatenate([talk, applause(3.0)]))
    assert spans.laughter == []
    assert len(spans.applause) == 1
    a, b = spans.applause[0]
    assert seconds(talk) - 0.1 <= a <= seconds(talk) + 0.5 and b >= seconds(talk) + 2.4
    inside = spans.inside(0.0, seconds(talk) + 3.0)
    assert inside["applause_s"] >= 2.4 and inside["at_end"] is True
    assert spans.inside(0.0, seconds(talk) - 0.5)["applause_s"] == 0.0  # the narration alone


def test_ha_bursts_at_five_hertz_fire_laughter(tmp_path: Path) -> None:
    laugh = laughter(3.0, tmp_path)
    talk = narration("That was the funniest thing I have heard all year.", tmp_path)
    spans = detect_events(np.concatenate([talk, silence(0.3), laugh]))
    assert spans.applause == []
    assert spans.laughter, "the laugh was not heard"
    heard = spans.inside(seconds(talk), seconds(talk) + 3.3)
    assert heard["laughter_s"] >= 2.0 and heard["at_end"] is True
    assert spans.inside(0.0, seconds(talk) - 0.3)["laughter_s"] == 0.0


@pytest.mark.parametrize(("script", "voice"), [(SCRIPT, "en"), (SPANISH, "es")])
def test_no_event_in_plain_espeak_narration(tmp_path: Path, script: tuple, voice: str) -> None:
    for n, seg in enumerate(script):
        spans = detect_events(narration(seg.text, tmp_path, voice, f"n{n}.wav"))
        assert spans == EventSpans(), seg.text


def test_no_event_in_music_or_a_steady_hiss() -> None:
    assert detect_events(music(8.0)) == EventSpans()
    hiss = np.random.default_rng(1).normal(0, 0.1, 4 * RATE).astype(np.float32)  # noise-like, but no claps
    assert detect_events(hiss).applause == []
    assert detect_events(silence(3.0)) == EventSpans()
    t = np.arange(3 * RATE) / RATE  # a buzzer pulsing at 5 Hz: the laugh's rhythm, but its pitch never moves
    pulse = (sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 5)) * ((t % 0.2) < 0.12) * 0.3)
    assert detect_events(pulse.astype(np.float32)) == EventSpans()


def test_no_event_in_kokoro_narration(tmp_path_factory: pytest.TempPathFactory) -> None:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("kokoro") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-af-heart"])
    speech = kokoro_narration(SCRIPT[1].text + " " + SCRIPT[0].text, cfg)
    assert seconds(speech) > 10
    assert detect_events(speech) == EventSpans()


def _window(text: str, start: float, per_word: float = 0.4) -> Window:
    ws = [Word(w, start + i * per_word, start + (i + 1) * per_word - 0.05, 0.9) for i, w in enumerate(text.split())]
    return Window(tuple(replace(s, pause_before=1.0) for s in split_sentences(ws)))


def test_a_clip_ending_on_applause_scores_above_one_with_it_midway_and_one_without() -> None:
    plain = Hook(0.3, "plain", "heuristic", "")
    w = _window("The team met on the roof. The plan was simple and clear. Everyone agreed to it quickly.", 10.0)
    end = w.end
    none = score_window(w, plain, Evidence(events=EventSpans()), Weights())
    midway = score_window(w, plain, Evidence(events=EventSpans(applause=[(w.start + 1, w.start + 3.5)])), Weights())
    ending = score_window(w, plain, Evidence(events=EventSpans(laughter=[(end - 2.5, end + 0.5)])), Weights())
    assert none.score < midway.score < ending.score
    reason = next(r for r in ending.reasons if r.signal == "laughter_applause")
    assert reason.value == {"applause_s": 0.0, "laughter_s": 2.5, "at_end": True} and reason.weight == 1.0
    zero = score_window(w, plain, Evidence(events=EventSpans(laughter=[(end - 2.5, end)])),
                        Weights(laughter_applause=0.0))
    assert next(r for r in zero.reasons if r.signal == "laughter_applause").contribution == 0.0
