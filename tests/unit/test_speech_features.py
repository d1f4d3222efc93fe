"""Whisper's input features and the pieces around them, checked against the maths (no model needed)."""

import numpy as np

from noxus_local.speech.decode import compression_ratio
from noxus_local.speech.features import FRAMES, HOP, N_FFT, SAMPLE_RATE, log_mel, mel_filters
from noxus_local.speech.windows import speech_windows


def test_mel_filterbank_is_slaney_triangles():
    filters = mel_filters(80)
    assert filters.shape == (80, N_FFT // 2 + 1)
    assert (filters >= 0).all()
    peaks = filters.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all()  # filters climb in frequency
    # Slaney area normalisation: each filter's weights sum to 2 / (width in Hz) * (bin spacing 40 Hz) * height…
    # so low (narrow, linear part) filters are taller than high (wide, log part) ones
    assert filters[0].max() > filters[-1].max() * 5
    # below 1 kHz the Slaney scale is linear: the first filters' centres are evenly spaced
    centres = [np.sum(f * np.arange(len(f))) / np.sum(f) for f in filters[1:10]]
    assert np.allclose(np.diff(centres), np.mean(np.diff(centres)), atol=0.2)


def test_log_mel_shape_range_and_a_tone_in_the_right_band():
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    feats = log_mel(tone)
    assert feats.shape == (80, FRAMES) and feats.dtype == np.float32
    # Whisper's normalisation: (log10 - 4) / 4 clamped to max - 8 → a range of at most 2
    assert feats.max() - feats.min() <= 2.0 + 1e-6
    assert -1.6 < feats.min() and feats.max() < 2.5
    spoken = feats[:, 10:2 * SAMPLE_RATE // HOP - 10]
    band = int(spoken.mean(axis=1).argmax())
    filters = mel_filters(80)
    assert abs(filters[band].argmax() * SAMPLE_RATE / N_FFT - 440) < 80  # the loudest band holds 440 Hz
    # after the 2 s of audio, the zero padding sits at the floor
    assert np.allclose(feats[:, 2 * SAMPLE_RATE // HOP + 5:], feats.min())


def test_windows_are_cut_between_spans_and_never_longer_than_30_s():
    assert speech_windows([(0.5, 4.0), (4.3, 20.0), (21.0, 40.0)]) == [(0.5, 20.0), (21.0, 40.0)]
    long = speech_windows([(0.0, 70.0)])
    assert long == [(0.0, 30.0), (30.0, 60.0), (60.0, 70.0)]
    assert speech_windows([]) == []


def test_compression_ratio_flags_a_loop():
    assert compression_ratio("Hoy vamos a hablar del tiempo en Madrid.") < 2.4
    assert compression_ratio("gracias " * 40) > 2.4


def test_known_words_go_to_the_window_they_were_heard_in_and_never_back():
    from noxus_local.speech.known_text import _owners

    heard = [("hola", 0), ("mundo", 0), ("adios", 1), ("amigos", 1)]
    # "querido" was not heard: it stays with the word before it; the order never goes back
    assert _owners(["hola", "mundo", "querido", "adios", "amigos"], heard, 2) == [0, 0, 0, 1, 1]
    assert _owners(["x", "y"], [], 3) == [0, 0]


def test_a_source_in_parts_is_read_as_one_stream():
    import io

    from noxus_local.inference.registry.installed import _Joined
    from noxus_local.inference.registry.manifest import source_parts

    assert source_parts("pypi:a==1#m.part1 + pypi:b==1#m.part2") == ["pypi:a==1#m.part1", "pypi:b==1#m.part2"]
    joined = _Joined([io.BytesIO(b"abc"), io.BytesIO(b""), io.BytesIO(b"defg")])
    assert b"".join(iter(lambda: joined.read(2), b"")) == b"abcdefg"
