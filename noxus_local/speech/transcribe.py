"""Speech recognition and forced alignment with Whisper on ctranslate2 (interface; implementation follows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from noxus_local.inference.whisper import WhisperModel
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Transcript


def load_audio(path: Path, cancel: CancelToken | None = None) -> np.ndarray:
    """16 kHz mono float32 in [-1, 1], decoded by the bundled ffmpeg (cancellable)."""
    raise NotImplementedError


def transcribe(audio: Path, *, model: WhisperModel, language: str | None = None, task: str = "transcribe",
               word_timestamps: bool = True, batch_size: int | None = None, cancel: CancelToken | None = None,
               progress: Callable[[float], None] | None = None) -> Transcript:
    """Recognise the speech of ``audio``; ``progress`` gets a fraction 0.0–1.0."""
    raise NotImplementedError


def align(audio: Path, text: str, *, model: WhisperModel, language: str, cancel: CancelToken | None = None,
          progress: Callable[[float], None] | None = None) -> Transcript:
    """Word timings for a known ``text`` spoken in ``audio``."""
    raise NotImplementedError
