"""Where to listen: Silero VAD's speech spans merged into Whisper windows of at most 30 s.

Like faster-whisper's batched pipeline, consecutive speech spans are joined
while the window stays within 30 s, so every window is cut in a silence; a
single span longer than that is cut into 30 s pieces. A window is one
contiguous stretch of the audio (the short pauses inside it stay in), so its
timestamps map back by adding the window's start.

Example::

    speech_windows([(0.5, 4.0), (4.3, 20.0), (21.0, 40.0)])   # [(0.5, 20.0), (21.0, 40.0)]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from noxus_local.inference.models.vad import SileroVad

MAX_WINDOW = 30.0
SAMPLE_RATE = 16_000
_vads: dict[Path, SileroVad] = {}


def speech_windows(spans: list[tuple[float, float]], max_len: float = MAX_WINDOW) -> list[tuple[float, float]]:
    """Join spans into windows of at most ``max_len`` seconds, cut only between spans (or every ``max_len``)."""
    windows: list[tuple[float, float]] = []
    current: tuple[float, float] | None = None
    for start, end in spans:
        if current is not None and end - current[0] <= max_len:
            current = (current[0], end)
            continue
        if current is not None:
            windows.append(current)
        while end - start > max_len:
            windows.append((start, start + max_len))
            start += max_len
        current = (start, end)
    if current is not None:
        windows.append(current)
    return windows


def speech_spans(pcm: np.ndarray, vad: SileroVad) -> list[tuple[float, float]]:
    """Speech spans of 16 kHz audio; faster-whisper's batched VAD options (160 ms silences, 400 ms pad)."""
    return vad.speech_segments(pcm, min_silence_ms=160, speech_pad_ms=400)


def find_windows(pcm: np.ndarray, vad: SileroVad) -> list[tuple[float, float]]:
    """Speech windows of 16 kHz audio, each at most 30 s."""
    return speech_windows(speech_spans(pcm, vad))


def default_vad(models_root: Path) -> SileroVad:
    """The Silero VAD installed next to the Whisper model (``<data dir>/models/silero-vad``), one per process.

    CPU on purpose: one 32 ms window per call, a GPU round trip would cost more than it saves.
    """
    folder = models_root / SileroVad.identity
    if folder not in _vads:
        _vads[folder] = SileroVad(folder, prefer_gpu=False)
    return _vads[folder]
