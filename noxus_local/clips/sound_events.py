"""Laughter and applause in a soundtrack, by signal processing (no audio-event model ships offline).

No ONNX audio-event model (YAMNet, PANNs, CLAP) can be fetched through the package
registry's client: the Python wrappers that exist download their weights from
other hosts at run time. So the two sounds are recognised from what makes them
what they are, on the 16 kHz mono PCM the tool already extracts, with numpy:

- **applause**: sustained broadband, noise-like sound: most 32 ms frames have a
  high spectral flatness (geometric over arithmetic mean of the 250–6000 Hz
  power spectrum), no pitch (a weak autocorrelation peak between 80 and 500 Hz)
  and a spiky fine envelope (many clap transients: the loudest 2 ms of each
  100 ms block well above its median), for at least ``MIN_EVENT_S``. Speech's
  noise-like sounds (s, f, sh) last a tenth of that; music is pitched.
- **laughter**: voiced bursts ("ha-ha-ha") repeating at 3–7 Hz: the 10 ms level
  envelope of a 1.2 s stretch is strongly periodic at a lag of 143–333 ms (its
  normalised autocorrelation there, and again at twice the lag), the bursts are
  pitched, their pitch moves (a spread of at least 1.5 semitones) and the gaps
  between them are deep. Speech has syllables at a similar
  rate, but irregular ones: its envelope's autocorrelation stays low.

``detect_events`` gives the spans; ``EventSpans.inside(start, end)`` the seconds of
each inside a clip and whether one touches its end (a clip that ends on laughter
or applause ends on its payoff). clips/signals.py turns that into a reason.

Example::

    spans = detect_events(pcm16k)            # EventSpans(applause=[(31.2, 34.0)], laughter=[])
    spans.inside(20.0, 34.5)                 # {"applause_s": 2.8, "laughter_s": 0.0, "at_end": True}
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RATE = 16_000
HOP = 160  # 10 ms
FRAME = 512  # 32 ms
MIN_EVENT_S = 1.0  # shorter noise-like or rhythmic stretches are not counted
END_SLACK_S = 1.0  # an event ending this close to the clip's end is "at the end"

# applause
FLAT_MIN = 0.25  # spectral flatness of a noise-like frame (white noise ≈ 0.56, a vowel < 0.05)
UNVOICED_MAX = 0.45  # autocorrelation peak (80–500 Hz) below this: no pitch
NOISY_SHARE = 0.6  # share of noise-like frames in the second around a frame
SPIKE_DB = 6.0  # the loudest 2 ms of a 100 ms block this far above its median: a clap transient
SPIKY_SHARE = 0.5  # share of spiky 100 ms blocks in that second

# laughter
LAUGH_LAGS = (14, 34)  # envelope lags in 10 ms hops: 7 Hz .. 3 Hz
LAUGH_WINDOW = 120  # 1.2 s of envelope
PERIODIC_MIN = 0.75  # normalised envelope autocorrelation at the burst period
VOICED_MIN = 0.5  # a pitched frame
VOICED_SHARE = 0.25  # of the loud frames of the stretch
DEPTH_DB = 12.0  # 90th minus 20th percentile of the envelope: deep gaps between bursts
PITCH_SPREAD_ST = 1.5  # std of the bursts' pitch, in semitones: a laugh's pitch moves, a machine's pulse does not


@dataclass(frozen=True)
class EventSpans:
    """Where applause and laughter were heard, in seconds of the source."""

    applause: list[tuple[float, float]] = field(default_factory=list)
    laughter: list[tuple[float, float]] = field(default_factory=list)

    def inside(self, start: float, end: float) -> dict[str, float | bool]:
        """Seconds of each inside ``[start, end]`` and whether one reaches the last ``END_SLACK_S``."""
        def overlap(spans: list[tuple[float, float]]) -> float:
            return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans)

        at_end = any(a < end and b >= end - END_SLACK_S for a, b in self.applause + self.laughter)
        return {"applause_s": round(overlap(self.applause), 2), "laughter_s": round(overlap(self.laughter), 2),
                "at_end": at_end}


@dataclass(frozen=True)
class Frames:
    """Per 10 ms hop: level (dBFS), spectral flatness, pitch strength and pitch (Hz)."""

    db: np.ndarray
    flatness: np.ndarray
    voicing: np.ndarray
    pitch: np.ndarray


def frame_features(pcm: np.ndarray, rate: int = RATE) -> Frames:
    """The per-hop features of mono float PCM at 16 kHz (``rate`` only checks it)."""
    if rate != RATE:
        raise ValueError(f"expected {RATE} Hz PCM, got {rate}")
    x = np.asarray(pcm, dtype=np.float32)
    if len(x) < FRAME:
        empty = np.zeros(0)
        return Frames(empty, empty, empty, empty)
    count = 1 + (len(x) - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:count].astype(np.float32)
    frames = frames - frames.mean(axis=1, keepdims=True)
    db = 10 * np.log10(np.maximum(np.mean(frames ** 2, axis=1), 1e-10))
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(FRAME), n=2 * FRAME, axis=1)) ** 2
    freqs = np.fft.rfftfreq(2 * FRAME, 1 / RATE)
    band = spectrum[:, (freqs >= 250) & (freqs <= 6000)] + 1e-12
    flatness = np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)
    # autocorrelation from the zero-padded power spectrum (no wrap-around), normalised by lag 0 and by
    # the shrinking overlap, so a perfectly periodic frame scores near 1
    plain = np.abs(np.fft.rfft(frames, n=2 * FRAME, axis=1)) ** 2
    ac = np.fft.irfft(plain, axis=1)[:, :FRAME]
    lo, hi = RATE // 500, RATE // 80
    lags = np.arange(lo, hi + 1)
    norm = ac[:, lags] / np.maximum(ac[:, :1], 1e-12) * (FRAME / (FRAME - lags))
    best = np.argmax(norm, axis=1)
    voicing = norm[np.arange(count), best]
    pitch = RATE / lags[best]
    return Frames(db, flatness, voicing, pitch)


def _runs(mask: np.ndarray, step: float, min_s: float) -> list[tuple[float, float]]:
    """Spans (seconds) of consecutive True hops at least ``min_s`` long."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(round(float(a) * step, 2), round(float(b) * step, 2)) for a, b in zip(edges[::2], edges[1::2], strict=True)
            if (b - a) * step >= min_s - 1e-9]


def _moving_share(mask: np.ndarray, width: int) -> np.ndarray:
    """Share of True in the ``width`` hops centred on each hop."""
    kernel = np.ones(width) / width
    return np.convolve(mask.astype(np.float64), kernel, mode="same")


def _loud(db: np.ndarray) -> np.ndarray:
    """Hops loud enough to judge: above −50 dBFS and within 30 dB of the soundtrack's loud level."""
    if len(db) == 0:
        return np.zeros(0, dtype=bool)
    return (db > -50.0) & (db > np.percentile(db, 95) - 30.0)


def spiky_hops(pcm: np.ndarray, count: int) -> np.ndarray:
    """Per hop: its 100 ms block has clap transients (loudest 2 ms ≥ ``SPIKE_DB`` above the block's median)."""
    x = np.asarray(pcm, dtype=np.float64)
    block, tick = RATE // 10, RATE // 500
    blocks = len(x) // block
    if blocks == 0:
        return np.zeros(count, dtype=bool)
    energy = np.mean(x[: blocks * block].reshape(blocks, block // tick, tick) ** 2, axis=2) + 1e-12
    spread = 10 * np.log10(energy.max(axis=1) / np.median(energy, axis=1))
    per_hop = np.repeat(spread >= SPIKE_DB, block // HOP)
    return np.pad(per_hop, (0, max(0, count - len(per_hop))))[:count]


def applause_mask(pcm: np.ndarray, f: Frames) -> np.ndarray:
    """Per hop: inside a second that is mostly loud, flat, unpitched and spiky."""
    # loudness over 0.2 s: the gaps between claps are part of the applause
    level = 10 * np.log10(np.maximum(_moving_share(10 ** (f.db / 10), 20), 1e-10))
    noisy = _loud(level) & (f.flatness >= FLAT_MIN) & (f.voicing < UNVOICED_MAX)
    second = int(1.0 / (HOP / RATE))
    spiky = _moving_share(spiky_hops(pcm, len(f.db)), second) >= SPIKY_SHARE
    return (_moving_share(noisy, second) >= NOISY_SHARE) & spiky


def laughter_mask(f: Frames) -> np.ndarray:
    """Per hop: inside a 1.2 s stretch whose envelope repeats at 3–7 Hz with pitched bursts and deep gaps."""
    count = len(f.db)
    out = np.zeros(count, dtype=bool)
    if count < LAUGH_WINDOW:
        return out
    loud = _loud(f.db)
    env = np.maximum(f.db, np.percentile(f.db, 95) - 40.0)  # a floor: silence's noise is not rhythm
    semitones = 12 * np.log2(np.maximum(f.pitch, 1.0))
    lo, hi = LAUGH_LAGS
    starts = np.arange(0, count - LAUGH_WINDOW + 1, 10)
    windows = np.lib.stride_tricks.sliding_window_view(env, LAUGH_WINDOW)[starts]
    high, low = np.percentile(windows, [90, 20], axis=1)  # every stretch's depth in one call
    loud_share = np.lib.stride_tricks.sliding_window_view(loud, LAUGH_WINDOW)[starts].mean(axis=1)
    for start in starts[(loud_share >= 0.3) & (high - low >= DEPTH_DB)]:
        sl = slice(start, start + LAUGH_WINDOW)
        seg_loud, seg = loud[sl], env[sl]
        pitched = seg_loud & (f.voicing[sl] >= VOICED_MIN)
        if pitched.sum() < VOICED_SHARE * seg_loud.sum() or np.std(semitones[sl][pitched]) < PITCH_SPREAD_ST:
            continue
        if envelope_periodicity(seg, lo, hi) >= PERIODIC_MIN:
            out[sl] = True
    return out


def envelope_periodicity(env: np.ndarray, lo: int, hi: int) -> float:
    """How strongly ``env`` repeats with a period between ``lo`` and ``hi`` hops: the normalised
    autocorrelation at the best lag in that range, the lesser of it and the value at twice that lag
    (a true rhythm repeats twice; one accidental echo does not)."""
    e = env - env.mean()
    power = float(np.dot(e, e))
    if power <= 1e-9:
        return 0.0
    n = len(e)

    def ac(lag: int) -> float:
        return float(np.dot(e[:-lag], e[lag:])) / power * n / (n - lag) if 0 < lag < n else 0.0

    values = [ac(lag) for lag in range(lo, hi + 1)]
    best = lo + int(np.argmax(values))
    return min(values[best - lo], ac(2 * best))


def detect_events(pcm: np.ndarray, rate: int = RATE) -> EventSpans:
    """Applause and laughter spans (each at least ``MIN_EVENT_S``) in mono float PCM at 16 kHz."""
    f = frame_features(pcm, rate)
    if len(f.db) == 0:
        return EventSpans()
    step = HOP / RATE
    applause = applause_mask(pcm, f)
    laughter = laughter_mask(f) & ~applause
    return EventSpans(_runs(applause, step, MIN_EVENT_S), _runs(laughter, step, MIN_EVENT_S))
