"""Who speaks each line, as far as the pitch tells: the source speaker's gender, one or two speakers.

No speaker-gender or diarisation model is installed, so the estimate is the voice's fundamental
frequency (F0). Each line's voiced 10 ms frames get an F0 by YIN (de Cheveigné & Kawahara 2002: the
cumulative-mean-normalised difference function, its first dip under ``YIN_THRESHOLD``, refined by a
parabola), written in numpy because neither librosa nor parselmouth is in the environment. A line's
median F0 at or above ``FEMALE_HZ`` reads "female", at or below ``MALE_HZ`` "male"; between them, or
with fewer than ``MIN_VOICED`` voiced frames, "unknown".

The video's speakers: when the lines' medians fall into two clusters clearly apart (1-D two-means on
log F0; the clusters' medians at least ``SPLIT_RATIO`` apart and no line nearer the other cluster's
median), two speakers, each with its lines and its own gender; else one speaker whose gender is the
duration-weighted vote of its lines ("unknown" when no line is known or the vote ties). A line
without a pitch goes to the speaker with the most seconds. Typical adult F0: men 85-155 Hz, women
165-255 Hz; a high male or low female voice reads "unknown" and gets the language's default voice.

Example::

    found = estimate(pcm16k, [(0.5, 3.1), (4.0, 6.2)], cancel=token.check)
    found.of_segment, [s.as_dict() for s in found.speakers]
    # (0, 1), [{"id": 0, "gender": "female", "f0_hz": 212.4, "seconds": 2.6},
    #          {"id": 1, "gender": "male", "f0_hz": 108.9, "seconds": 2.2}]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FEMALE_HZ = 165.0  # a median F0 at or above this reads female
MALE_HZ = 145.0  # at or below this, male
MIN_VOICED = 15  # fewer voiced 10 ms frames than this in a line: its pitch is unknown
F0_MIN, F0_MAX = 60.0, 400.0  # the search range of the F0, Hz
YIN_THRESHOLD = 0.2  # a frame is voiced when its normalised difference dips under this
WINDOW = 0.032  # seconds of each frame's integration window
HOP = 0.010  # seconds between frames
SILENCE = 0.05  # a frame quieter than this fraction of the line's loud frames (RMS) is not voice
FLOOR = 1e-4  # an RMS under this (-80 dBFS) is silence whatever the line
SPLIT_RATIO = 1.3  # two clusters' median F0 at least this far apart (≈ 4.5 semitones) → two speakers
CHUNK = 2048  # frames per FFT batch (bounds memory on long lines)

Progress = Callable[[float], None]


@dataclass(frozen=True)
class LinePitch:
    f0_hz: float | None  # the median F0 of the voiced frames, None when too few
    voiced_frames: int
    gender: str  # "female" | "male" | "unknown"


@dataclass(frozen=True)
class Speaker:
    id: int
    gender: str
    f0_hz: float | None  # the duration-weighted median of its lines' medians
    seconds: float  # of its lines

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "gender": self.gender, "f0_hz": self.f0_hz, "seconds": self.seconds}


@dataclass(frozen=True)
class Speakers:
    speakers: tuple[Speaker, ...]
    of_segment: tuple[int, ...]  # the speaker id of each line
    pitches: tuple[LinePitch, ...]


def gender_of(f0_hz: float | None) -> str:
    """A median F0 as a gender: ``gender_of(210.0) == "female"``, ``gender_of(150.0) == "unknown"``."""
    if f0_hz is None:
        return "unknown"
    if f0_hz >= FEMALE_HZ:
        return "female"
    if f0_hz <= MALE_HZ:
        return "male"
    return "unknown"


def frame_f0(pcm: np.ndarray, rate: int = 16_000, cancel: Callable[[], None] | None = None) -> np.ndarray:
    """The F0 of every 10 ms frame of ``pcm`` (mono float) in Hz, NaN where unvoiced (YIN, see the module).

    Example: a 1 s 200 Hz sawtooth at 16 kHz → about 97 frames, each ≈ 200.0.
    """
    x = np.asarray(pcm, dtype=np.float64).ravel()
    w, hop = int(WINDOW * rate), int(HOP * rate)
    tau_min, tau_max = int(rate / F0_MAX), int(np.ceil(rate / F0_MIN))
    span = w + tau_max + 1
    if len(x) < span:
        return np.full(0, np.nan)
    starts = np.arange(0, len(x) - span + 1, hop)
    nfft = 1 << int(np.ceil(np.log2(w + span)))
    power = np.concatenate([[0.0], np.cumsum(np.square(x))])
    rms = np.sqrt(np.maximum(power[starts + w] - power[starts], 0.0) / w)
    loud = np.percentile(rms, 90) if len(rms) else 0.0
    out = np.full(len(starts), np.nan)
    for a in range(0, len(starts), CHUNK):
        if cancel is not None:
            cancel()
        idx = starts[a:a + CHUNK, None] + np.arange(span)[None, :]
        frames = x[idx]
        frames -= frames.mean(axis=1, keepdims=True)
        # r(tau) = Σ_{j<w} x_j x_{j+tau}, for every tau at once by FFT
        r = np.fft.irfft(np.conj(np.fft.rfft(frames[:, :w], nfft)) * np.fft.rfft(frames, nfft), nfft)
        r = r[:, :tau_max + 1]
        sq = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(np.square(frames), axis=1)], axis=1)
        energy = sq[:, w:w + tau_max + 1] - sq[:, :tau_max + 1]  # Σ_{tau ≤ j < tau+w} x_j²
        d = energy[:, :1] + energy - 2.0 * r  # the difference function d(tau)
        d[:, 0] = 0.0
        cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)
        dn = np.ones_like(d)
        dn[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)
        out[a:a + CHUNK] = _pick(dn, tau_min, tau_max, rate)
    out[rms < max(SILENCE * loud, FLOOR)] = np.nan
    return out


def line_pitch(pcm: np.ndarray, rate: int = 16_000, cancel: Callable[[], None] | None = None) -> LinePitch:
    """A line's median F0 and gender (see the module). Example: 0.1 s of voice → ``LinePitch(None, 8, "unknown")``."""
    f0 = frame_f0(pcm, rate, cancel)
    voiced = f0[np.isfinite(f0)]
    if len(voiced) < MIN_VOICED:
        return LinePitch(None, int(len(voiced)), "unknown")
    median = round(float(np.median(voiced)), 1)
    return LinePitch(median, int(len(voiced)), gender_of(median))


def estimate(pcm: np.ndarray, spans: Sequence[tuple[float, float]], rate: int = 16_000,
             cancel: Callable[[], None] | None = None, progress: Progress | None = None) -> Speakers:
    """Each line's pitch and the video's one or two speakers (see the module)."""
    pitches = []
    for i, (start, end) in enumerate(spans):
        a, b = max(0, int(start * rate)), min(len(pcm), int(end * rate))
        pitches.append(line_pitch(pcm[a:b], rate, cancel))
        if progress is not None:
            progress((i + 1) / len(spans))
    seconds = [max(0.0, float(end) - float(start)) for start, end in spans]
    return group(pitches, seconds)


def group(pitches: Sequence[LinePitch], seconds: Sequence[float]) -> Speakers:
    """The lines' pitches as one or two speakers (two only when clearly apart; see the module).

    Example: medians 210, 205, 110 Hz → two speakers (female, male); 210, 150 Hz → one, female.
    """
    known = [i for i, p in enumerate(pitches) if p.f0_hz is not None]
    split = _split([pitches[i].f0_hz or 0.0 for i in known])
    if split is None:
        member = [0] * len(pitches)
        return Speakers((_speaker(0, pitches, seconds, range(len(pitches))),), tuple(member), tuple(pitches))
    labels = {i: int(high) for i, high in zip(known, split, strict=True)}
    talk = [sum(seconds[i] for i in labels if labels[i] == k) for k in (0, 1)]
    main = 0 if talk[0] >= talk[1] else 1
    member = [labels.get(i, main) for i in range(len(pitches))]
    # the speaker who talks first is 0
    first = member[0]
    member = [0 if m == first else 1 for m in member]
    speakers = tuple(_speaker(k, pitches, seconds, [i for i, m in enumerate(member) if m == k]) for k in (0, 1))
    return Speakers(speakers, tuple(member), tuple(pitches))


def _speaker(sid: int, pitches: Sequence[LinePitch], seconds: Sequence[float], lines: Sequence[int]) -> Speaker:
    votes = {"female": 0.0, "male": 0.0}
    for i in lines:
        if pitches[i].gender in votes:
            votes[pitches[i].gender] += seconds[i]
    gender = "unknown" if votes["female"] == votes["male"] else max(votes, key=lambda g: votes[g])
    known = [(pitches[i].f0_hz, seconds[i]) for i in lines if pitches[i].f0_hz is not None]
    return Speaker(sid, gender, _weighted_median(known), round(float(sum(seconds[i] for i in lines)), 3))


def _weighted_median(values: Sequence[tuple[float | None, float]]) -> float | None:
    pairs = sorted((v, max(w, 1e-6)) for v, w in values if v is not None)
    if not pairs:
        return None
    half, acc = sum(w for _v, w in pairs) / 2, 0.0
    for v, w in pairs:
        acc += w
        if acc >= half:
            return round(float(v), 1)
    return round(pairs[-1][0], 1)  # pragma: no cover - the loop always reaches half


def _split(medians: Sequence[float]) -> list[bool] | None:
    """Two clusters of the medians (True: the higher one), or None when they are not clearly apart."""
    if len(medians) < 2:
        return None
    logs = np.log(np.asarray(medians))
    order = np.sort(logs)
    costs = [np.var(order[:k]) * k + np.var(order[k:]) * (len(order) - k) for k in range(1, len(order))]
    k = int(np.argmin(costs)) + 1
    low, high = np.median(order[:k]), np.median(order[k:])
    if high - low < np.log(SPLIT_RATIO):
        return None
    cut = (order[k - 1] + order[k]) / 2
    # every median nearer its own cluster's median than the other's
    for v in order:
        own, other = (low, high) if v < cut else (high, low)
        if abs(v - own) >= abs(v - other):
            return None
    return [bool(v >= cut) for v in logs]


def _pick(dn: np.ndarray, tau_min: int, tau_max: int, rate: int) -> np.ndarray:
    """Per row of the normalised difference: the first dip under the threshold (to its local minimum),
    refined by a parabola, as Hz; NaN when no dip is under it."""
    seg = dn[:, tau_min:tau_max]
    below = seg < YIN_THRESHOLD
    has = below.any(axis=1)
    first = np.argmax(below, axis=1)
    out = np.full(len(dn), np.nan)
    for row in np.flatnonzero(has):
        t = first[row]
        while t + 1 < seg.shape[1] and seg[row, t + 1] < seg[row, t]:
            t += 1
        tau = float(t + tau_min)
        if 0 < t + tau_min < dn.shape[1] - 1:
            y0, y1, y2 = dn[row, t + tau_min - 1], dn[row, t + tau_min], dn[row, t + tau_min + 1]
            denom = y0 - 2 * y1 + y2
            if denom > 0:
                tau += 0.5 * (y0 - y2) / denom
        out[row] = rate / tau
    return out
