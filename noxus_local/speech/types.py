"""What speech recognition returns: words with timings, segments of words, a transcript.

Times are seconds from the start of the audio. Frozen dataclasses, so a
transcript can be shared between steps (cues, writers) without copies.

Example::

    t = Transcript("es", 0.98, 4.2, (Segment(0, 0.3, 1.9, "Hola mundo.",
                   (Word("Hola", 0.3, 0.8, 0.97), Word("mundo.", 0.9, 1.9, 0.91))),))
    t.text          # "Hola mundo."
    t.words[1].end  # 1.9
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Word:
    word: str  # as written, punctuation attached ("mundo.", "¿Qué")
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
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration: float  # of the audio, seconds
    segments: tuple[Segment, ...]
    note: str | None = None  # e.g. why there are no segments (silence)

    @property
    def text(self) -> str:
        """The whole transcript: the segments' texts joined by spaces."""
        return " ".join(s.text for s in self.segments if s.text).strip()

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"language", "language_probability", "duration", "text", "segments": [...], "note"}``."""
        data = asdict(self)
        data["text"] = self.text
        return data
