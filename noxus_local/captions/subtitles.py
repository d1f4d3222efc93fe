"""Subtitle files: SRT, WebVTT, ASS, JSON, TSV and plain text from timed cues.

Any object with ``start``, ``end`` (seconds), ``lines`` (tuple of str) and
``as_dict()`` is a cue here (captions/cues.Cue is one). The ASS writer takes
ready style lines and events; captions/styles.py decides what they say.

Hand-written: each format is a few lines of text; pysubs2 would add a
dependency for the same output. Tests re-read SRT/VTT with ``srt`` and ``webvtt-py``.

Example::

    write(srt_text(cues), Path("out.srt"))
    srt_text(cues).startswith("1\\n00:00:00,000 --> ")
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

FORMATS = ("srt", "vtt", "ass", "json", "tsv", "txt")
MIME = {"srt": "application/x-subrip", "vtt": "text/vtt", "ass": "text/x-ssa",
        "json": "application/json", "tsv": "text/tab-separated-values", "txt": "text/plain"}


class TimedCue(Protocol):
    start: float
    end: float
    lines: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]: ...


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_time(seconds: float) -> str:
    """Example: ``srt_time(3661.5) == "01:01:01,500"``."""
    return _clock(seconds, ",")


def vtt_time(seconds: float) -> str:
    """Example: ``vtt_time(1.25) == "00:00:01.250"``."""
    return _clock(seconds, ".")


def ass_time(seconds: float) -> str:
    """ASS counts centiseconds with a one-digit hour. Example: ``ass_time(61.234) == "0:01:01.23"``."""
    cs = max(0, round(seconds * 100))
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


def srt_text(cues: Iterable[TimedCue]) -> str:
    blocks = [f"{i}\n{srt_time(c.start)} --> {srt_time(c.end)}\n" + "\n".join(c.lines)
              for i, c in enumerate(cues, 1)]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def vtt_text(cues: Iterable[TimedCue]) -> str:
    # "-->" and blank lines are the only things that break a cue's text; "&" and "<" must be escaped
    blocks = [f"{vtt_time(c.start)} --> {vtt_time(c.end)}\n" + "\n".join(_vtt_escape(x) for x in c.lines)
              for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + ("\n" if blocks else "")


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tsv_text(cues: Iterable[TimedCue]) -> str:
    """Whisper's TSV: start and end in integer milliseconds, then the text."""
    rows = [f"{round(c.start * 1000)}\t{round(c.end * 1000)}\t{' '.join(c.lines).replace(chr(9), ' ')}"
            for c in cues]
    return "start\tend\ttext\n" + "".join(r + "\n" for r in rows)


def txt_text(cues: Iterable[TimedCue]) -> str:
    return "".join(" ".join(c.lines) + "\n" for c in cues)


def json_text(cues: Iterable[TimedCue], extra: dict[str, Any] | None = None) -> str:
    """Everything: ``extra`` (transcript, language, style...) plus ``segments``."""
    return json.dumps({**(extra or {}), "segments": [c.as_dict() for c in cues]}, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class AssEvent:
    start: float
    end: float
    style: str
    text: str  # already escaped, may carry override tags
    layer: int = 0


_STYLE_FORMAT = ("Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
                 "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
                 "Alignment, MarginL, MarginR, MarginV, Encoding")


def ass_escape(text: str) -> str:
    """Braces start override blocks and a backslash starts a tag: keep spoken text literal.

    Every backslash of the text gets a zero-width space after it (so ``\\n``, ``\\N``, ``\\h`` or a tag
    name never follow one, and a trailing backslash cannot reach the next event's tags); braces become
    libass's escapes ``\\{`` ``\\}``, which it draws as the braces themselves (ffmpeg burns with
    libass; mpv and VLC read with it). A renderer without those escapes still sees no tag: the only
    backslashes the text brings are followed by the zero-width space.

    Example: ``ass_escape("{\\pos(0,0)}")`` → ``"\\{\\\u200bpos(0,0)\\}"``, drawn as ``{\\pos(0,0)}``.
    """
    return text.replace("\\", "\\\u200b").replace("{", "\\{").replace("}", "\\}").replace("\n", " ")


def ass_document(width: int, height: int, styles: Sequence[str], events: Sequence[AssEvent],
                 title: str = "NOXUS Local") -> str:
    """A complete .ass file; ``styles`` are ``Style:`` lines in ``_STYLE_FORMAT`` order."""
    head = ["[Script Info]", f"Title: {title}", "ScriptType: v4.00+", f"PlayResX: {width}",
            f"PlayResY: {height}", "WrapStyle: 2", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
            "[V4+ Styles]", f"Format: {_STYLE_FORMAT}", *styles, "", "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"]
    lines = [f"Dialogue: {e.layer},{ass_time(e.start)},{ass_time(e.end)},{e.style},,0,0,0,,{e.text}" for e in events]
    return "\n".join(head + lines) + "\n"


def write(text: str, path: Path) -> Path:
    """UTF-8 without BOM (libass, players and parsers all read it)."""
    path.write_text(text, "utf-8")
    return path
