"""What a dub hands back besides the video: the translated SRT and the JSON of every segment.

Each segment says what was said and when (``start``, ``end``: the source line's slot), its
translation, where the new line really sounds (``speech_start``, ``speech_end``), and how it was
fitted (``speed``, ``tempo``, ``borrowed_seconds``, ``cut_seconds``), which source speaker said it
(``speaker``) and the voice that speaks it (``voice_id``). The SRT shows each translation
while it is spoken (at least for its slot).

Example::

    seg = DubSegment(0, 0.4, 2.9, "Hola a todos.", "Hello everyone.", 0.4, 1.6, 1.0, 1.0, 0.0, 0.0)
    srt(["Hello everyone."], [seg]).startswith("1\\n00:00:00,400 --> 00:00:02,900\\nHello everyone.")
"""

from __future__ import annotations

import json
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from noxus_local.captions.subtitles import srt_text

LINE_CHARS = 42  # an SRT line's length (two lines a cue)


@dataclass(frozen=True)
class DubSegment:
    id: int
    start: float
    end: float
    source_text: str
    translation: str
    speech_start: float
    speech_end: float
    speed: float
    tempo: float
    borrowed_seconds: float
    cut_seconds: float
    speaker: int = 0  # dubbing/speakers.py: which source speaker said it
    voice_id: str = ""  # the voice that speaks its translation

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": " ".join(self.lines)}


def srt(segments: Sequence[DubSegment]) -> str:
    """The translations as SRT cues, each from its line's start to the later of its slot's and speech's end."""
    cues = [_Cue(s.start, max(s.end, s.speech_end), wrap(s.translation)) for s in segments]
    return srt_text(cues)


def wrap(text: str) -> tuple[str, ...]:
    """A cue's lines: ``LINE_CHARS`` wide, counting a Chinese or Japanese character twice (it is drawn
    twice as wide, and such text has no spaces to break at): ``wrap("你" * 30) == ("你" * 21, "你" * 9)``."""
    wide = any(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return tuple(textwrap.wrap(text, LINE_CHARS // 2 if wide else LINE_CHARS)) or ("",)


def segments_json(segments: Sequence[DubSegment], meta: dict[str, Any]) -> str:
    """``{...meta, "segments": [every DubSegment]}`` as indented JSON."""
    return json.dumps({**meta, "segments": [s.as_dict() for s in segments]}, ensure_ascii=False, indent=2)
