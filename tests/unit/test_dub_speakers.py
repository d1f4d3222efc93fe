"""The speaker-gender estimator's edges (dubbing/speakers.py) on signals whose pitch is known by construction.

Sawtooth waves (rich in harmonics, like a voice) at a chosen F0; each threshold is tested on both
sides, and the "too few voiced frames" rule. Real speech (Kokoro's female and male voices) is judged
in tests/e2e/test_dub_gender_e2e.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from noxus_local.dubbing import speakers
from noxus_local.dubbing.speakers import FEMALE_HZ, MALE_HZ, MIN_VOICED, LinePitch, estimate, gender_of, group

RATE = 16_000


def saw(freq: float, seconds: float = 1.0, level: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * 2 * ((t * freq) % 1.0 - 0.5)).astype(np.float32)


@pytest.mark.parametrize("freq", [82.0, 110.0, 196.0, 261.6, 350.0])
def test_the_f0_of_a_harmonic_wave_is_found_within_one_percent(freq: float) -> None:
    f0 = speakers.frame_f0(saw(freq))
    voiced = f0[np.isfinite(f0)]
    assert len(voiced) > 0.9 * len(f0)
    assert abs(np.median(voiced) - freq) < 0.01 * freq


def test_noise_and_silence_have_no_pitch() -> None:
    noise = np.random.default_rng(7).normal(0, 0.2, RATE).astype(np.float32)
    assert speakers.line_pitch(noise) == LinePitch(None, speakers.line_pitch(noise).voiced_frames, "unknown")
    assert speakers.line_pitch(noise).voiced_frames < MIN_VOICED
    assert speakers.line_pitch(np.zeros(RATE, np.float32)).gender == "unknown"
    assert speakers.line_pitch(np.zeros(100, np.float32)) == LinePitch(None, 0, "unknown")


@pytest.mark.parametrize(("freq", "gender"), [
    (FEMALE_HZ + 3, "female"), (FEMALE_HZ - 3, "unknown"), (MALE_HZ + 3, "unknown"), (MALE_HZ - 3, "male"),
    (155.0, "unknown")])
def test_each_threshold_on_both_sides(freq: float, gender: str) -> None:
    assert speakers.line_pitch(saw(freq)).gender == gender


def test_the_thresholds_themselves() -> None:
    assert gender_of(FEMALE_HZ) == "female" and gender_of(FEMALE_HZ - 0.1) == "unknown"
    assert gender_of(MALE_HZ) == "male" and gender_of(MALE_HZ + 0.1) == "unknown"
    assert gender_of(None) == "unknown"


def test_too_few_voiced_frames_is_unknown_however_clear_the_pitch() -> None:
    short = MIN_VOICED - 5  # voiced frames of a clear 220 Hz wave, in silence
    pcm = np.concatenate([np.zeros(RATE // 2, np.float32), saw(220.0, short * speakers.HOP),
                          np.zeros(RATE // 2, np.float32)])
    found = speakers.line_pitch(pcm)
    assert found.f0_hz is None and found.gender == "unknown" and found.voiced_frames < MIN_VOICED
    longer = np.concatenate([np.zeros(RATE // 2, np.float32), saw(220.0, (MIN_VOICED + 15) * speakers.HOP),
                             np.zeros(RATE // 2, np.float32)])
    assert speakers.line_pitch(longer).gender == "female"


def test_two_pitches_far_apart_are_two_speakers_in_order_of_appearance() -> None:
    pcm = np.concatenate([saw(120.0), np.zeros(RATE // 2, np.float32), saw(220.0), saw(118.0)])
    spans = [(0.0, 1.0), (1.5, 2.5), (2.5, 3.5)]
    found = estimate(pcm, spans, progress=(seen := []).append)
    assert found.of_segment == (0, 1, 0)
    assert [(s.id, s.gender) for s in found.speakers] == [(0, "male"), (1, "female")]
    assert found.speakers[0].seconds == 2.0 and abs((found.speakers[1].f0_hz or 0) - 220.0) < 2
    assert seen[-1] == 1.0


def test_close_pitches_are_one_speaker_and_the_longest_vote_wins() -> None:
    lines = [LinePitch(170.0, 90, "female"), LinePitch(150.0, 90, "unknown"), LinePitch(140.0, 90, "male"),
             LinePitch(None, 3, "unknown")]
    one = group(lines, [4.0, 1.0, 2.0, 0.5])
    assert len(one.speakers) == 1 and one.of_segment == (0, 0, 0, 0)
    assert one.speakers[0].gender == "female" and one.speakers[0].seconds == 7.5
    tie = group([LinePitch(170.0, 90, "female"), LinePitch(140.0, 90, "male")], [2.0, 2.0])
    assert tie.speakers[0].gender == "unknown"
    nothing = group([LinePitch(None, 2, "unknown")], [3.0])
    assert nothing.speakers[0].gender == "unknown" and nothing.speakers[0].f0_hz is None


def test_a_line_without_pitch_joins_the_speaker_who_talks_most() -> None:
    lines = [LinePitch(110.0, 90, "male"), LinePitch(None, 2, "unknown"), LinePitch(215.0, 90, "female"),
             LinePitch(112.0, 90, "male")]
    found = group(lines, [2.0, 0.5, 1.0, 2.0])
    assert found.of_segment == (0, 0, 1, 0) and len(found.speakers) == 2


def test_the_cancel_token_is_asked() -> None:
    calls: list[int] = []
    speakers.frame_f0(saw(150.0, 2.0), cancel=lambda: calls.append(1))
    assert calls


def test_each_speaker_gets_a_voice_of_its_gender_and_two_speakers_two_voices() -> None:
    from noxus_local.dubbing.languages import pick_voices
    from noxus_local.speech.voice_catalog import VOICES

    assert pick_voices("en-us", ["male", "female"]) == ["am_michael", "af_heart"]
    two = pick_voices("en-us", ["female", "female"])
    assert two[0] == "af_heart" and two[1] != two[0] and VOICES[two[1]].gender == "female"
    assert pick_voices("en-us", ["unknown"]) == ["af_heart"]  # the language's default
    assert pick_voices("es", ["male", "female"], installed={"em_alex", "ef_dora"}) == ["em_alex", "ef_dora"]
    assert pick_voices("es", ["male"], installed={"ef_dora"}) == ["ef_dora"]  # only what is installed


def test_a_segment_heard_across_a_silence_is_split_there_and_words_follow_their_end() -> None:
    from noxus_local.dubbing.segments import split_at_silences
    from noxus_local.speech.types import Segment, Word

    # 2 s of voice, 1.2 s of silence, 1.5 s of voice; Whisper stretched "Yo" over the silence
    pcm = np.concatenate([saw(200.0, 2.0), np.zeros(int(1.2 * RATE), np.float32), saw(110.0, 1.5)])
    words = (Word("Hola,", 0.0, 0.8, 0.9), Word(" Ana.", 0.8, 1.9, 0.9), Word(" Yo", 1.9, 3.5, 0.9),
             Word(" soy", 3.5, 4.0, 0.9), Word(" Pedro.", 4.0, 4.7, 0.9))
    one = Segment(0, 0.0, 4.7, "Hola, Ana. Yo soy Pedro.", words)
    two = split_at_silences([one], pcm)
    assert [s.text for s in two] == ["Hola, Ana.", "Yo soy Pedro."]
    assert abs(two[0].end - 2.0) <= 0.03 and abs(two[1].start - 3.2) <= 0.03 and two[1].end == 4.7
    short = np.concatenate([saw(200.0, 2.0), np.zeros(int(0.4 * RATE), np.float32), saw(110.0, 1.5)])
    assert split_at_silences([one], short) == [one]  # a pause shorter than PAUSE keeps the line whole
    assert split_at_silences([Segment(0, 0.0, 4.7, "x", ())], pcm)[0].text == "x"  # no words: kept
