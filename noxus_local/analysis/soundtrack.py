"""A video's sound: loudness (EBU R128), silences and speech, from one ffmpeg pass plus Silero VAD.

One ffmpeg run decodes the first audio stream once and passes it through
``ebur128=peak=true`` (integrated loudness, loudness range, true peak) and
``silencedetect``, then writes it as 16 kHz mono float32 for the VAD. Both
filters report on stderr, which is parsed here; ffmpeg's own meter is the
reference implementation of R128, so no loudness maths of ours can drift
from it.

Example::

    analyse_audio(Path("clip.mp4"), workdir, cancel, vad)
    # {"loudness": {"integrated_lufs": -23.0, ...}, "silences": [{"start": 0.0, "end": 1.2}], "speech": [...]}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.inference.models.vad import SAMPLE_RATE
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

SILENCE_DB = -50  # below this (dBFS) for SILENCE_SECONDS is a silence
SILENCE_SECONDS = 0.5
STDERR_KEEP = 512 * 1024  # every silence line of a long file, and the summary at its end
_NUMBER = r"(-?(?:inf|[\d.]+))"
_SUMMARY = {
    "integrated_lufs": re.compile(r"Integrated loudness:\s*\n\s*I:\s*" + _NUMBER + r" LUFS"),
    "loudness_range_lu": re.compile(r"Loudness range:\s*\n\s*LRA:\s*" + _NUMBER + r" LU"),
    "true_peak_dbtp": re.compile(r"True peak:\s*\n\s*Peak:\s*" + _NUMBER + r" dBFS"),
}
_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end: (-?[\d.]+)")
Extracted = tuple[dict[str, Any], list[dict[str, float]], np.ndarray]  # (loudness, silences, 16 kHz mono pcm)


def extract(source: Path, workdir: Path, cancel: CancelToken, limit: float | None = None) -> Extracted:
    """(loudness, silences, 16 kHz mono pcm) of ``source``'s first audio stream, at most ``limit``
    seconds of it (media/decoded.py ``decode_limit``: what the job held for)."""
    raw = workdir / "audio16k.f32"
    bound = ["-t", f"{limit:.3f}"] if limit else []
    tail = run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn",
                       "-af", f"ebur128=peak=true:framelog=quiet,silencedetect=n={SILENCE_DB}dB:d={SILENCE_SECONDS}",
                       "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", *bound, str(raw)], cancel, keep=STDERR_KEEP)
    report = tail.decode(errors="replace")
    try:
        pcm = np.fromfile(raw, dtype="<f4")
    finally:
        raw.unlink(missing_ok=True)
    return parse_loudness(report), parse_silences(report, len(pcm) / SAMPLE_RATE), pcm


def parse_loudness(report: str) -> dict[str, Any]:
    """ebur128's summary: ``{"integrated_lufs": -23.0, "loudness_range_lu": 4.2, "true_peak_dbtp": -3.1}``.

    A silent track measures ``-70`` LUFS (the meter's floor) and a true peak of ``-inf``, reported as None.
    """
    out: dict[str, Any] = {"standard": "EBU R128"}
    for key, pattern in _SUMMARY.items():
        found = pattern.findall(report)
        value = float(found[-1]) if found else None
        out[key] = value if value is not None and np.isfinite(value) else None
    return out


def parse_silences(report: str, duration: float) -> list[dict[str, float]]:
    """silencedetect's start/end pairs; a silence still open at the end closes at ``duration``."""
    out: list[dict[str, float]] = []
    start: float | None = None
    for line in report.splitlines():
        if (m := _SILENCE_START.search(line)) is not None:
            start = max(0.0, float(m.group(1)))
        elif (m := _SILENCE_END.search(line)) is not None and start is not None:
            out.append({"start": round(start, 3), "end": round(min(float(m.group(1)), duration or 1e12), 3)})
            start = None
    if start is not None and duration > start:
        out.append({"start": round(start, 3), "end": round(duration, 3)})
    return out


def analyse_audio(source: Path, workdir: Path, cancel: CancelToken, vad: Any,
                  extracted: Extracted | None = None) -> dict[str, Any]:
    """Loudness, silences and speech segments; ``vad`` is a SileroVad or the model's ``unavailable`` answer.

    ``extracted``: what ``extract`` already returned (the video tool runs it alongside its frame decode).
    """
    loudness, silences, pcm = extracted if extracted is not None else extract(source, workdir, cancel)
    out: dict[str, Any] = {"loudness": loudness, "silences": silences, "duration": round(len(pcm) / SAMPLE_RATE, 3)}
    if isinstance(vad, dict):  # the model is not installed: say how to get it, keep the rest
        out["speech"] = vad
        return out
    cancel.check()
    segments = vad.speech_segments(pcm) if len(pcm) else []
    out["speech"] = [{"start": s, "end": e} for s, e in segments]
    out["speech_seconds"] = round(sum(e - s for s, e in segments), 3)
    return out
