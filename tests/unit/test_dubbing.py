"""The dubbing pipeline's pieces (noxus_local/dubbing): lines, targets, translation checks, fitting, mixing.

Fitting is driven by a stand-in synthesiser whose speech lasts in proportion to its text and
1/speed (the logic under test is the order of the steps and their caps, not a voice); the
stretch and the mix run the real bundled ffmpeg, judged by decoding what it wrote.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from noxus_local.dubbing import languages
from noxus_local.dubbing.files import DubSegment, segments_json, srt
from noxus_local.dubbing.fit import fit_line, speed_for, tempo_change, tempo_for, trim
from noxus_local.dubbing.mix import Placed, duck_gain, duck_regions, render, voice_track
from noxus_local.dubbing.segments import GAP, Line, lines_of, tighten
from noxus_local.dubbing.translate import names_of, numbers_of, problems_of
from noxus_local.media.probe import probe
from noxus_local.speech.types import Segment

RATE = 24_000


def seg(i: int, start: float, end: float, text: str) -> Segment:
    return Segment(i, start, end, text, ())


def tone(seconds: float, rate: int = RATE, freq: float = 220.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# ---------------------------------------------------------------- lines and targets

def test_lines_join_short_segments_and_know_the_room_up_to_the_next_line() -> None:
    lines = lines_of([seg(0, 0.5, 0.9, "Sí."), seg(1, 1.0, 3.0, "Claro que sí."), seg(2, 4.0, 6.0, "Adiós a todos.")],
                     duration=7.0)
    assert [(ln.start, ln.end, ln.text) for ln in lines] == [(0.5, 3.0, "Sí. Claro que sí."),
                                                              (4.0, 6.0, "Adiós a todos.")]
    assert lines[0].room_end == pytest.approx(4.0 - GAP) and lines[1].room_end == 7.0
    assert lines[0].slot == pytest.approx(2.5) and lines[0].room == pytest.approx(3.45)


def test_tighten_shrinks_a_slot_to_the_sound_inside_it() -> None:
    pcm = np.zeros(16_000 * 4, dtype=np.float32)
    pcm[int(0.5 * 16_000):int(2.5 * 16_000)] = tone(2.0, 16_000)
    [line] = tighten([Line(0, 0.1, 3.2, "Hola.", 3.9)], pcm)
    assert line.start == pytest.approx(0.5, abs=0.03) and line.end == pytest.approx(2.5, abs=0.03)
    assert line.room_end == 3.9


def test_targets_are_the_languages_with_a_voice_and_voices_follow_gender() -> None:
    assert {"en", "es", "fr", "hi", "it", "ja", "pt", "zh", "en-gb", "pt-br"} <= set(languages.supported())
    assert languages.target("de") is None and languages.target("EN").espeak == "en-us"
    assert languages.target("pt").whisper == "pt"
    assert languages.pick_voice("en-us", None) == "af_heart"
    assert languages.pick_voice("en-us", "male") == "am_michael"
    assert languages.pick_voice("es", "male", installed={"ef_dora"}) == "ef_dora"  # only what is installed


def test_a_translation_that_loses_numbers_or_names_or_is_not_one_is_a_problem() -> None:
    assert numbers_of("Son 3,5 km y 12 min") == ["3,5", "12"]
    assert names_of("Hola, soy Ana y vivo en Lima. Me gusta") == ["Ana", "Lima"]
    assert problems_of("Tengo 12 gatos y vivo en Lima.", "I have 12 cats and I live in Lima.") == []
    assert problems_of("Tengo 3.5 kilos.", "I have 3,5 kilos.") == []
    lost = problems_of("Tengo 12 gatos, dice Ana.", "I have twelve cats, says Anna.")
    assert any("12" in p for p in lost) and any("Ana" in p for p in lost)
    assert problems_of("Hola a todos hoy.", "Hola a todos hoy.") == ["$.translation: the line is not translated"]
    assert "placeholder" in problems_of("Hola.", "…")[0]


# ---------------------------------------------------------------- fitting

def fake_synth(calls: list[float], chars_per_second: float = 15.0):  # noqa: ANN201
    def synth(text: str, speed: float) -> np.ndarray:
        calls.append(speed)
        padded = np.zeros(int(0.2 * RATE), dtype=np.float32)  # the voice's silence at both ends is trimmed
        return np.concatenate([padded, tone(len(text) / chars_per_second / speed), padded])
    return synth


def real_stretch(samples: np.ndarray, rate: int, tempo: float) -> np.ndarray:
    return tempo_change(samples, rate, tempo)


def test_speed_and_tempo_are_capped() -> None:
    assert speed_for(2.0, 2.5) == 1.0 and speed_for(3.0, 2.5) == pytest.approx(1.248)
    assert speed_for(6.0, 2.0) == 1.3 and speed_for(6.0, 2.0, max_speed=1.1) == 1.1
    assert tempo_for(2.0, 2.5) == 1.0 and tempo_for(2.6, 2.5) == pytest.approx(1.04) and tempo_for(9, 2) == 1.25


def test_a_line_that_fits_is_spoken_once_at_speed_one() -> None:
    calls: list[float] = []
    fitted = fit_line("x" * 30, Line(0, 1.0, 4.0, "", 5.0), fake_synth(calls), RATE, stretch=real_stretch)
    assert calls == [1.0] and (fitted.speed, fitted.tempo, fitted.borrowed, fitted.cut_seconds) == (1, 1, 0, 0)
    assert fitted.duration == pytest.approx(2.0 + 0.06, abs=0.01)  # 30 chars at 15/s, KEEP at both ends


def test_a_line_a_little_long_is_stretched_not_spoken_again() -> None:
    calls: list[float] = []
    fitted = fit_line("x" * 33, Line(0, 0.0, 2.0, "", 2.5), fake_synth(calls), RATE, stretch=real_stretch)
    assert calls == [1.0] and fitted.speed == 1.0  # (2.2 s + 0.06 s kept) / 2 s = 1.13: within the 1.25 cap
    assert fitted.tempo == pytest.approx(1.13, abs=0.01)
    assert fitted.duration == pytest.approx(2.0, abs=0.05) and fitted.borrowed <= 0.05


def test_a_line_far_too_long_is_resynthesised_faster_first() -> None:
    calls: list[float] = []
    # 40 chars: 2.73 s at speed 1 into 2 s (1.37 > 1.25): spoken again at 1.3 (capped), then stretched
    fitted = fit_line("x" * 40, Line(0, 0.0, 2.0, "", 2.5), fake_synth(calls), RATE, stretch=real_stretch)
    assert calls == [1.0, 1.3] and fitted.speed == 1.3 and 1.0 < fitted.tempo < 1.1
    assert fitted.duration == pytest.approx(2.0, abs=0.05)


def test_then_stretched_then_borrowed_from_the_silence_never_past_the_next_line() -> None:
    calls: list[float] = []
    # 45 chars: 3 s at speed 1; 2.31 s at the 1.3 cap; stretched 1.15 to ~2.0 s
    fitted = fit_line("x" * 45, Line(0, 0.0, 2.0, "", 3.0), fake_synth(calls), RATE, stretch=real_stretch)
    assert calls == [1.0, 1.3] and fitted.tempo == pytest.approx(1.185, abs=0.01)
    assert fitted.duration == pytest.approx(2.0, abs=0.08)
    calls.clear()
    # 75 chars: 5 s; 3.85 s at 1.3; 3.08 s at 1.25: 1.08 s borrowed from a 1.5 s silence
    fitted = fit_line("x" * 75, Line(0, 0.0, 2.0, "", 3.5), fake_synth(calls), RATE, stretch=real_stretch)
    assert (fitted.speed, fitted.tempo, fitted.cut_seconds) == (1.3, 1.25, 0.0)
    assert 0.9 < fitted.borrowed < 1.3 and fitted.duration <= 3.5
    # 150 chars: even borrowing is not enough: cut at the room's end, faded
    fitted = fit_line("x" * 150, Line(0, 0.0, 2.0, "", 3.0), fake_synth([]), RATE, stretch=real_stretch)
    assert fitted.duration == pytest.approx(3.0, abs=1e-3) and fitted.cut_seconds > 2.0
    assert abs(fitted.samples[-1]) < 1e-3


def test_the_tempo_change_keeps_the_pitch() -> None:
    stretched = tempo_change(tone(2.0, freq=440.0), RATE, 1.25)
    assert len(stretched) / RATE == pytest.approx(1.6, abs=0.05)
    spectrum = np.abs(np.fft.rfft(stretched[RATE // 4: RATE]))
    peak = np.fft.rfftfreq(RATE - RATE // 4, 1 / RATE)[spectrum.argmax()]
    assert peak == pytest.approx(440, abs=12)  # a plain resample would put it at 550


def test_trim_keeps_only_a_little_silence() -> None:
    audio = np.concatenate([np.zeros(RATE), tone(1.0), np.zeros(RATE)])
    assert len(trim(audio, RATE)) / RATE == pytest.approx(1.06, abs=0.01)
    assert len(trim(np.zeros(100, dtype=np.float32), RATE)) == 0


# ---------------------------------------------------------------- mixing

def test_the_gain_ducks_inside_regions_with_ramps_and_merges_close_ones() -> None:
    placed = [Placed(1.0, tone(1.0), RATE, 2.5), Placed(2.8, tone(1.0), RATE, 3.5), Placed(8.0, tone(0.5), RATE, 8.5)]
    regions = duck_regions(placed, duration=10.0)
    assert regions == [(pytest.approx(0.85), pytest.approx(4.0)), (pytest.approx(7.85), pytest.approx(8.7))]
    rate = 1000
    gain = duck_gain(10 * rate, rate, regions, duck_db=-20)
    assert gain[0] == 1.0 and gain[2000] == pytest.approx(0.1) and gain[9500] == 1.0
    assert 0.1 < gain[800] < 1.0 and 0.1 < gain[4050] < 1.0  # ramps before and after
    assert np.all(np.diff(gain[:850]) <= 1e-6)  # down, never up, before the first line


def test_voice_track_places_each_line_at_its_start() -> None:
    track = voice_track([Placed(0.5, np.ones(10, dtype=np.float32), 100, 0.6)], n=100, rate=100)
    assert track[49] == 0 and track[50:60].tolist() == [1.0] * 10 and track[60] == 0


def _tone_video(folder: Path, seconds: float) -> Path:
    out = folder / "tone.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"color=c=gray:s=160x120:r=25:d={seconds}", "-f", "lavfi",
                    "-i", f"sine=f=300:sample_rate=48000:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)], check=True, timeout=60)
    return out


def _decoded(path: Path) -> np.ndarray:
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                           "48000", "-f", "f32le", "-"], check=True, capture_output=True, timeout=60)
    return np.frombuffer(done.stdout, dtype="<f4")


def _band(pcm: np.ndarray, start: float, end: float, freq: float) -> float:
    clip = pcm[int(start * 48000):int(end * 48000)]
    spectrum = np.abs(np.fft.rfft(clip)) / len(clip)
    freqs = np.fft.rfftfreq(len(clip), 1 / 48000)
    return float(spectrum[np.abs(freqs - freq) < 15].max())


def test_render_ducks_the_original_under_the_voice_keeps_it_elsewhere_and_the_length(tmp_path: Path) -> None:
    source = _tone_video(tmp_path, 4.0)
    info = probe(source)
    dest = tmp_path / "dub.mp4"
    levels = render(source, info, [Placed(1.5, tone(1.0, freq=700.0, level=0.3), RATE, 2.5)], RATE, dest,
                    duck_db=-24, workdir=tmp_path)
    out = probe(dest)
    assert abs(out.duration - info.duration) <= 0.05 and out.video is not None and out.video.codec == "h264"
    pcm = _decoded(dest)
    before, under, after = _band(pcm, 0.2, 1.0, 300), _band(pcm, 1.8, 2.4, 300), _band(pcm, 3.2, 3.9, 300)
    assert under < before / 8 and after == pytest.approx(before, rel=0.2)  # -24 dB ≈ 1/16
    assert _band(pcm, 1.8, 2.4, 700) > 4 * _band(pcm, 0.2, 1.0, 700)  # the voice is there, only there
    assert 0.5 <= levels["voice_gain"] <= 2.0


def test_srt_and_json_carry_every_segment() -> None:
    segments = [DubSegment(0, 0.4, 2.9, "Hola a todos.", "Hello everyone.", 0.4, 1.6, 1.0, 1.0, 0.0, 0.0),
                DubSegment(1, 3.5, 5.0, "Adiós.", "Goodbye.", 3.5, 5.4, 1.3, 1.1, 0.4, 0.0)]
    text = srt(segments)
    assert text.startswith("1\n00:00:00,400 --> 00:00:02,900\nHello everyone.")
    assert "00:00:03,500 --> 00:00:05,400\nGoodbye." in text
    assert '"source_text": "Adiós."' in segments_json(segments, {"lip_sync": False})
