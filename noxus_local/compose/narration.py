"""The narration of a planned video: each scene's text spoken in turn, and the scenes timed by it.

One ``speak`` per scene (speech/tts.py) with the loaded voice: the scene's
audio, then ``GAP`` seconds of breath before the next scene, and ``TAIL``
seconds after the last. So a scene starts where its first word's audio starts
and ends where the next begins: the picture changes on the sentence, never in
the middle of one. Word times are moved to the whole video's clock, ready for
captions (``cues_from_words``) and for the timeline's scenes.

Example::

    with tts.open_voice(cache, {"ef_dora": 1.0}, "es") as voice:
        told = narrate(["Hola.", "Adiós."], voice, 1.0, cancel=token)
    told.spans[1].start, told.duration      # 1.32, 2.71  (0.35 s gap, 0.6 s tail)
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from noxus_local.errors import LimitExceeded
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.synthesis import over_audio_limit
from noxus_local.speech.tts import Voice, speak
from noxus_local.speech.types import Word

GAP = 0.35  # seconds of silence between scenes
TAIL = 0.6  # after the last scene: the video ends on a settled frame, not on the last syllable


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Narration:
    samples: np.ndarray  # float32 mono, the whole video long
    sample_rate: int
    spans: tuple[Span, ...]  # one per scene, back to back from 0 to ``duration``
    timing_source: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.spans for w in s.words)


def narrate(texts: Sequence[str], voice: Voice, speed: float, *, cancel: CancelToken,
            progress: Callable[[float], None] = lambda _: None, max_seconds: float = 0) -> Narration:
    """Every scene text spoken, timed on one clock; ``max_seconds`` (0 = none) is a 413 past it."""
    parts: list[np.ndarray] = []
    spans: list[Span] = []
    rate, offset = 0, 0
    for i, text in enumerate(texts):
        speech = speak(text, voice, speed, cancel=cancel,
                       progress=lambda f, i=i: progress((i + f) / len(texts)))
        rate = speech.sample_rate
        pad = int(round((TAIL if i == len(texts) - 1 else GAP) * rate))
        audio = np.concatenate([speech.samples.astype(np.float32), np.zeros(pad, np.float32)])
        start = offset / rate
        words = tuple(Word(w.word, round(w.start + start, 3), round(w.end + start, 3), w.probability)
                      for w in speech.words)
        offset += len(audio)
        if max_seconds and offset / rate > max_seconds:
            raise over_audio_limit(max_seconds, offset / rate, "synthesised_seconds")
        parts.append(audio)
        spans.append(Span(round(start, 3), round(offset / rate, 3), words))
    if not parts:
        raise LimitExceeded(details={"limit": "scenes", "reason": "nothing to narrate"})
    return Narration(np.concatenate(parts), rate, tuple(spans), voice.timing_source)


def write_wav(narration: Narration, path: Path) -> Path:
    """16-bit mono WAV, the renderer's narration input."""
    pcm = np.clip(np.rint(narration.samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(narration.sample_rate)
        w.writeframes(pcm.tobytes())
    return path
