"""What recognition returns: words with times, segments, one transcript.

The shapes speech-asr's ``transcribe``/``align`` return (the agreed interface); cues,
writers and styles read only these fields. Example::

    Transcript("es", 0.98, 2.0, (Segment(0, 0.0, 1.0, "Hola", (Word("Hola", 0.0, 0.5, 0.9),), -0.2, 0.01),))
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration: float
    segments: tuple[Segment, ...]
    note: str | None = None

    @property
    def text(self) -> str:
        """The whole text, segments joined by one space."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())
