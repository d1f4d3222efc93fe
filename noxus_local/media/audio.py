"""Encode float32 mono PCM with the bundled ffmpeg: wav, mp3, ogg, opus, flac, aac or raw pcm.

Example::

    encode(pcm, 24_000, "mp3", workdir / "speech.mp3", cancel)     # 24 kHz mono MP3
    encode(pcm, 24_000, "wav", out, cancel, sample_rate=16_000)    # resampled by ffmpeg
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

# format → (ffmpeg arguments after the input, mime type)
FORMATS: dict[str, tuple[list[str], str]] = {
    "wav": (["-c:a", "pcm_s16le", "-f", "wav"], "audio/wav"),
    "mp3": (["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"], "audio/mpeg"),
    "ogg": (["-c:a", "libvorbis", "-q:a", "5", "-f", "ogg"], "audio/ogg"),
    "opus": (["-c:a", "libopus", "-b:a", "64k", "-f", "ogg"], "audio/opus"),
    "flac": (["-c:a", "flac", "-f", "flac"], "audio/flac"),
    "aac": (["-c:a", "aac", "-b:a", "128k", "-f", "adts"], "audio/aac"),
    "pcm": (["-c:a", "pcm_s16le", "-f", "s16le"], "audio/pcm"),
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)  # the only rates libopus takes


def encode(pcm: np.ndarray, rate: int, fmt: str, dest: Path, cancel: CancelToken,
           sample_rate: int | None = None) -> Path:
    """Write ``dest`` in ``fmt``; ``sample_rate`` resamples (opus: to the nearest rate it takes)."""
    args, _ = FORMATS[fmt]
    raw = dest.with_suffix(".f32")
    np.asarray(pcm, dtype="<f4").tofile(raw)
    out_rate = sample_rate or rate
    if fmt == "opus" and out_rate not in OPUS_RATES:
        out_rate = min(OPUS_RATES, key=lambda r: abs(r - out_rate))
    try:
        run_ffmpeg(["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", str(raw),
                    "-ar", str(out_rate), *args, str(dest)], cancel)
    finally:
        raw.unlink(missing_ok=True)
    return dest


def mime_type(fmt: str) -> str:
    return FORMATS[fmt][1]
