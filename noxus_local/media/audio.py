"""Audio with the bundled ffmpeg: encode float32 mono PCM (wav, mp3, ogg, opus, flac, aac or raw
pcm), and extract a file's sound as the 16 kHz mono WAV speech recognition reads.

Example::

    extract_pcm16k(Path("clip.mp4"), workdir / "audio.wav", limit=12.0, cancel=cancel)

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


def extract_pcm16k(source: Path, out: Path, limit: float | None = None, *, cancel: CancelToken) -> Path:
    """The first audio stream of ``source`` as a 16 kHz mono 16-bit WAV (what Whisper's features
    are computed from); at most ``limit`` seconds of it, so decoding stops at what a job held for
    (media/decoded.py ``decode_limit``).

    Example: ``extract_pcm16k(Path("talk.mkv"), Path("audio.wav"), 30.0, cancel=token)``.
    """
    bound = ["-t", f"{limit:.3f}"] if limit else []
    run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le",
                *bound, str(out)], cancel)
    return out
