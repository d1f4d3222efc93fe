"""The dubbed soundtrack: the original ducked under each new line, the lines on top, muxed with the picture.

There is no source separation here, so "the background kept" means: outside the lines the original
plays untouched (music, ambience, laughter), and under each line (a little before and after it) it
is lowered by ``duck_db`` with short ramps, so the new voice is heard and the old one is not. The
gain is automated per sample in numpy (``duck_gain``), the voice is levelled to the original
speech's loudness (``voice_gain``), and one ffmpeg run resamples the voice, adds the two, limits
the peaks and writes the MP4, copying the video stream when MP4 holds its codec (else x264).
The output is exactly as long as the input's audio: the lines are placed inside it.

Example::

    gain = duck_gain(48_000 * 10, 48_000, [(1.0, 3.5), (4.0, 6.2)], duck_db=-22)
    gain[48_000 * 2], gain[0]          # 0.0794 (-22 dB) under the first line, 1.0 before it
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.probe import MediaInfo
from noxus_local.runtime.cancel import CancelToken

MIX_RATE = 48_000
DUCK_DB = -22.0
RAMP = 0.12  # seconds of the gain's ramp down before a line and up after it
LEAD = 0.15  # the ducking starts this long before a line (the source speech's first breath)
TAIL = 0.2  # and ends this long after the later of the source line and the new one
COPY_CODECS = ("h264", "hevc", "h265", "mpeg4", "av1", "vp9")  # MP4 holds these: the picture is copied


@dataclass(frozen=True)
class Placed:
    """A fitted line at its place: samples (mono, ``rate``) starting at ``start`` seconds."""

    start: float
    samples: np.ndarray
    rate: int
    source_end: float  # the source line's end (its speech is ducked up to here)

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / self.rate


def duck_regions(placed: Sequence[Placed], duration: float) -> list[tuple[float, float]]:
    """Where the original is lowered: each line's span widened by ``LEAD`` and ``TAIL``, merged."""
    spans = sorted((max(0.0, p.start - LEAD), min(duration, max(p.end, p.source_end) + TAIL)) for p in placed)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 2 * RAMP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def duck_gain(n: int, rate: int, regions: Sequence[tuple[float, float]], duck_db: float = DUCK_DB,
              ramp: float = RAMP) -> np.ndarray:
    """A gain per sample: 1 outside ``regions``, ``10^(duck_db/20)`` inside, linear ramps of ``ramp``
    seconds that end at a region's start and begin at its end (the region itself is fully ducked)."""
    low = 10 ** (duck_db / 20)
    depth = np.zeros(n, dtype=np.float32)  # 0 = untouched, 1 = fully ducked
    r = max(1, int(ramp * rate))
    for start, end in regions:
        a, b = int(start * rate), int(end * rate)
        depth[max(0, a):max(0, min(n, b))] = 1.0
        up = np.linspace(0.0, 1.0, r, endpoint=False, dtype=np.float32)  # the ramp down, before a
        lo = a - r
        seg = slice(max(0, lo), max(0, min(n, a)))
        depth[seg] = np.maximum(depth[seg], up[seg.start - lo:seg.stop - lo])
        seg = slice(max(0, min(n, b)), max(0, min(n, b + r)))
        depth[seg] = np.maximum(depth[seg], up[::-1][seg.start - b:seg.stop - b])
    return (1.0 - depth * (1.0 - low)).astype(np.float32)


def voice_track(placed: Sequence[Placed], n: int, rate: int) -> np.ndarray:
    """The new voice as one mono track of ``n`` samples at ``rate`` (each line added at its start)."""
    track = np.zeros(n, dtype=np.float32)
    for p in placed:
        if p.rate != rate:
            raise ValueError(f"a line at {p.rate} Hz in a {rate} Hz track")
        a = int(round(p.start * rate))
        part = p.samples[:max(0, n - a)]
        track[a:a + len(part)] += part
    return track


def voice_gain(original: np.ndarray, orig_rate: int, voice: np.ndarray, voice_rate: int,
               regions: Sequence[tuple[float, float]]) -> float:
    """The gain that brings the voice's loudness (RMS of its non-silent samples) to the original
    speech's (RMS inside ``regions``), kept within 0.5-2 (a quiet source is not matched to silence)."""
    def rms(x: np.ndarray) -> float:
        x = x[np.abs(x) > 0.005]
        return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0

    mono = original.mean(axis=1) if original.ndim == 2 else original
    inside = np.concatenate([mono[int(a * orig_rate):int(b * orig_rate)] for a, b in regions]) if regions \
        else mono[:0]
    want, have = rms(inside), rms(voice)
    if want <= 0 or have <= 0:
        return 1.0
    return float(np.clip(want / have, 0.5, 2.0))


def decode_original(source: Path, dest: Path, channels: int, cancel: CancelToken) -> np.ndarray:
    """The source's first audio stream as float32 ``[samples, channels]`` at ``MIX_RATE``
    (``channels`` 1 or 2); ``dest`` is a scratch file."""
    run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", str(channels),
                "-ar", str(MIX_RATE), "-f", "f32le", str(dest)], cancel)
    try:
        pcm = np.fromfile(dest, dtype="<f4").reshape(-1, channels)
    finally:
        dest.unlink(missing_ok=True)
    return pcm


def render(source: Path, info: MediaInfo, placed: Sequence[Placed], voice_rate: int, dest: Path, *,
           duck_db: float = DUCK_DB, cancel: CancelToken | None = None,
           workdir: Path | None = None) -> dict[str, float]:
    """Write the dubbed MP4 at ``dest``; returns the levels used (``voice_gain``, ``duck_db``)."""
    cancel = cancel or CancelToken()
    work = workdir or dest.parent
    channels = 1 if info.audio is not None and info.audio.channels == 1 else 2
    original = decode_original(source, work / "original.f32", channels, cancel)
    n = len(original)
    duration = n / MIX_RATE
    regions = duck_regions(placed, duration)
    gain = duck_gain(n, MIX_RATE, regions, duck_db)
    voice = voice_track(placed, int(np.ceil(duration * voice_rate)), voice_rate)
    level = voice_gain(original, MIX_RATE, voice, voice_rate, regions)
    ducked, spoken = work / "ducked.f32", work / "voice.f32"
    (original * gain[:, None]).astype("<f4").tofile(ducked)
    (voice * level).astype("<f4").tofile(spoken)
    del original, gain
    layout = "stereo" if channels == 2 else "mono"
    graph = (f"[2:a]aresample={MIX_RATE}:resampler=soxr,aformat=channel_layouts={layout}[v];"
             f"[1:a][v]amix=inputs=2:duration=first:normalize=0,alimiter=limit=0.95:level=false[a]")
    video = info.video
    picture: list[str] = []
    if video is not None:
        codec = ["-c:v", "copy"] if video.codec in COPY_CODECS else \
            ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        picture = ["-map", "0:v:0", *codec]
    try:
        run_ffmpeg(["-i", str(source),
                    "-f", "f32le", "-ar", str(MIX_RATE), "-ac", str(channels), "-i", str(ducked),
                    "-f", "f32le", "-ar", str(voice_rate), "-ac", "1", "-i", str(spoken),
                    "-filter_complex", graph, *picture, "-map", "[a]", "-c:a", "aac", "-b:a", "160k",
                    "-movflags", "+faststart", "-f", "mp4", str(dest)], cancel)
    finally:
        ducked.unlink(missing_ok=True)
        spoken.unlink(missing_ok=True)
    return {"voice_gain": round(level, 3), "duck_db": duck_db}
