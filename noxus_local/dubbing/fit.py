"""Fit a spoken line into its slot: stretch it, or re-synthesise faster first, then borrow the silence after.

The line is synthesised once at speed 1. Then, each step only when it is still longer than its slot
(the source line's time):

1. when it needs more than ``max_tempo`` to fit, synthesise again at a faster ``speed`` (Kokoro's own
   rate, the most natural for a big change), at most ``max_speed``; a small change skips this: a second
   synthesis costs as much as the first, a stretch a twentieth of it, and a stretch of up to 1.25 is
   not heard as one;
2. a pitch-preserving tempo change (ffmpeg's ``rubberband`` where our ffmpeg has it, else ``atempo``),
   at most ``max_tempo``;
3. borrow from the silence after the slot, up to the next line's start (``Line.room_end``);
4. still too long (rare: a translation far longer than its source): cut at the room's end with a short
   fade, and say so (``cut_seconds``). A line never overlaps the next one.

Silence the voice leaves at both ends is trimmed first, so the slot holds speech only.

Example::

    fitted = fit_line("Hello everyone.", line, synth, 24_000, stretch=tempo_change)
    fitted.speed, fitted.tempo, fitted.borrowed, fitted.duration    # 1.0, 1.0, 0.0, 1.12
    # 10 % too long: stretched, not spoken again → speed 1.0, tempo 1.1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from noxus_local.dubbing.segments import Line
from noxus_local.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

MAX_SPEED = 1.3  # Kokoro faster than this starts to swallow syllables
MAX_TEMPO = 1.25  # a time-stretch beyond this is heard as one
SPEED_MARGIN = 1.04  # Kokoro's duration does not shrink exactly as 1/speed: aim a little under the slot
SILENCE = 0.01  # |sample| below this at a line's ends is trimmed
KEEP = 0.03  # seconds of silence kept at each end
FADE = 0.04  # seconds of fade-out where a line is cut

Synth = Callable[[str, float], np.ndarray]  # (text, speed) → float32 mono samples
Stretch = Callable[[np.ndarray, int, float], np.ndarray]  # (samples, rate, tempo) → samples, pitch kept


@dataclass(frozen=True)
class Fitted:
    samples: np.ndarray  # float32 mono, placed at the line's start
    rate: int
    speed: float  # the synthesis speed used
    tempo: float  # the time-stretch applied after it (1.0 = none)
    borrowed: float  # seconds past the slot's end, taken from the silence after it
    cut_seconds: float  # seconds cut at the room's end (0 unless even borrowing was not enough)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def trim(samples: np.ndarray, rate: int) -> np.ndarray:
    """The samples without the silence at both ends (``KEEP`` seconds of it left)."""
    loud = np.flatnonzero(np.abs(samples) > SILENCE)
    if not len(loud):
        return samples[:0]
    keep = int(KEEP * rate)
    return samples[max(0, loud[0] - keep):min(len(samples), loud[-1] + 1 + keep)]


def speed_for(duration: float, slot: float, max_speed: float = MAX_SPEED) -> float:
    """The synthesis speed that should bring ``duration`` (at speed 1) into ``slot``, capped.

    Example: ``speed_for(3.0, 2.5)`` → 1.248; ``speed_for(2.0, 2.5)`` → 1.0; ``speed_for(6, 2)`` → 1.3.
    """
    if duration <= slot or slot <= 0:
        return 1.0 if slot > 0 else max_speed
    return round(min(max_speed, duration / slot * SPEED_MARGIN), 3)


def tempo_for(duration: float, slot: float, max_tempo: float = MAX_TEMPO) -> float:
    """The time-stretch that brings ``duration`` into ``slot``, capped; 1.0 when it already fits."""
    if duration <= slot:
        return 1.0
    return round(min(max_tempo, duration / slot) if slot > 0 else max_tempo, 3)


def fit_line(text: str, line: Line, synth: Synth, rate: int, *, stretch: Stretch,
             max_speed: float = MAX_SPEED, max_tempo: float = MAX_TEMPO) -> Fitted:
    """``text`` spoken into ``line``'s slot by the steps of the module's docstring."""
    audio = trim(synth(text, 1.0), rate)
    speed = 1.0
    if tempo_for(len(audio) / rate, line.slot, float("inf")) > max_tempo:  # a stretch alone would be heard
        speed = speed_for(len(audio) / rate, line.slot, max_speed)
        audio = trim(synth(text, speed), rate)
    tempo = tempo_for(len(audio) / rate, line.slot, max_tempo)
    if tempo != 1.0:
        audio = stretch(audio, rate, tempo)
    room = int(line.room * rate)
    cut = 0.0
    if len(audio) > room:
        cut = (len(audio) - room) / rate
        audio = fade_out(audio[:room], rate)
    borrowed = max(0.0, len(audio) / rate - line.slot)
    return Fitted(audio.astype(np.float32, copy=False), rate, speed, tempo, round(borrowed, 3), round(cut, 3))


def fade_out(samples: np.ndarray, rate: int) -> np.ndarray:
    n = min(len(samples), int(FADE * rate))
    out = samples.copy()
    if n:
        out[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return out


@cache
def has_rubberband() -> bool:
    """Whether our ffmpeg was built with librubberband (the better stretch for speech)."""
    import subprocess

    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-filters"], capture_output=True, text=True, timeout=30)
    return " rubberband " in done.stdout


def tempo_filter(tempo: float) -> str:
    """The ffmpeg filter that plays ``tempo`` times faster with the pitch kept.

    Example: ``tempo_filter(1.2)`` → ``"rubberband=tempo=1.2:pitchq=quality"`` (or ``"atempo=1.2"``).
    """
    if has_rubberband():
        return f"rubberband=tempo={tempo:.4f}:pitchq=quality"
    return f"atempo={tempo:.4f}"


def tempo_change(samples: np.ndarray, rate: int, tempo: float, cancel: CancelToken | None = None) -> np.ndarray:
    """``samples`` played ``tempo`` times faster, pitch kept, by the bundled ffmpeg."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="noxus-tempo-") as tmp:
        src, dst = Path(tmp) / "in.f32", Path(tmp) / "out.f32"
        np.asarray(samples, dtype="<f4").tofile(src)
        run_ffmpeg(["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", str(src), "-af", tempo_filter(tempo),
                    "-f", "f32le", "-ar", str(rate), "-ac", "1", str(dst)], cancel or CancelToken())
        return np.fromfile(dst, dtype="<f4")
