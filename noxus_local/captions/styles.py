"""Named caption styles, rendered as one ASS document libass burns in.

Why ASS: libass draws outline, shadow, opaque boxes (``BorderStyle 3``: the box
is the OutlineColour), blur (``\\blur``), karaoke fill (``\\kf``: each syllable
sweeps from SecondaryColour to PrimaryColour over its duration) and positions
(``\\an`` numpad alignment, ``\\pos``) from one text file. ``\\k`` only changes
colour, so ``word_pop`` (current word bigger) writes one event per word with
the current word's overrides, and ``one_word`` one event per word alone.

Example::

    style = resolve_style("yellow_punch", {"position": "top_center"})
    text = render_ass(cues, style, width=1080, height=1920)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from noxus_local.captions.cues import Cue
from noxus_local.captions.subtitles import AssEvent, ass_document, ass_escape
from noxus_local.errors import ValidationError
from noxus_local.media import fonts

PLACES = {f"{v}_{h}": n for v, row in (("bottom", 1), ("middle", 4), ("top", 7))
          for h, n in (("left", row), ("center", row + 1), ("right", row + 2))}
NAMED_COLOURS = {"white": "#FFFFFF", "black": "#000000", "yellow": "#FFE600", "red": "#FF2D2D",
                 "green": "#22DD55", "cyan": "#00F0FF", "magenta": "#FF2DD2", "blue": "#2D6BFF",
                 "orange": "#FF8A00", "pink": "#FF5FA2"}
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


@dataclass(frozen=True)
class CaptionStyle:
    """A preset plus the caller's options. Sizes are % of the video height, colours ``#RRGGBB[AA]``."""

    name: str
    description: str
    looks_like: str
    font: str = "Poppins"
    bold: bool = True
    font_size: float = 6.0
    primary_color: str = "#FFFFFF"
    highlight_color: str = "#FFE600"
    outline_color: str = "#000000"
    background_color: str = "#00000080"
    outline: float = 3.0  # px at 1080p, scaled to the video
    shadow: float = 0.0
    uppercase: bool = False
    position: str = "bottom_center"
    boxed: bool = False
    blur: float = 0.0
    mode: str = "line"  # line | karaoke | word_pop | one_word

    def catalog(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description, "looks_like": self.looks_like}


PRESETS: dict[str, CaptionStyle] = {s.name: s for s in (
    CaptionStyle("yellow_punch", "Viral social captions: heavy display face, yellow, uppercase.",
                 "Big yellow ANTON capitals with a thick black outline in the lower third.",
                 font="Anton", bold=False, font_size=8.0, primary_color="#FFE600", outline=7.0,
                 shadow=1.0, uppercase=True, position="y=70"),
    CaptionStyle("classic", "Broadcast subtitles: readable on any picture.",
                 "White sans text with a thin black outline and a soft shadow at the bottom.",
                 font_size=5.5, outline=2.5, shadow=2.0),
    CaptionStyle("boxed", "Text on an opaque box, like TV news or accessibility captions.",
                 "White text on a solid black rectangle at the bottom.",
                 font_size=5.0, boxed=True, outline=8.0, background_color="#000000"),
    CaptionStyle("karaoke", "Words fill in colour as they are spoken (\\kf timing).",
                 "White line at the bottom; each word sweeps to yellow while it is said.",
                 font_size=6.0, outline=3.0, shadow=1.0, mode="karaoke"),
    CaptionStyle("word_pop", "The word being spoken pops: bigger and recoloured.",
                 "Bold white line, the current word enlarged 125% in yellow.",
                 font="Archivo Black", bold=False, font_size=6.5, outline=5.0, uppercase=True,
                 position="y=70", mode="word_pop"),
    CaptionStyle("one_word", "One word at a time in the centre, for fast-paced clips.",
                 "A single big word in the middle of the picture, changing with the speech.",
                 font="Luckiest Guy", bold=False, font_size=10.0, outline=6.0, uppercase=True,
                 position="middle_center", mode="one_word"),
    CaptionStyle("neon", "Glowing neon sign look.",
                 "White text with a blurred cyan glow at the bottom.",
                 font="Bebas Neue", bold=False, font_size=8.0, outline_color="#00F0FF", outline=4.0,
                 blur=6.0, highlight_color="#FF2DD2"),
    CaptionStyle("minimal", "Small and clean, out of the way.",
                 "Small white regular text with a faint shadow near the bottom edge.",
                 bold=False, font_size=4.0, outline=0.0, shadow=1.5),
)}
DEFAULT_STYLE = "classic"
OPTIONS = ("position", "font", "font_size", "primary_color", "highlight_color", "outline_color",
           "outline", "shadow", "uppercase", "background_color")


def resolve_style(name: str, options: Mapping[str, Any] | None = None) -> CaptionStyle:
    """The preset ``name`` with the non-None ``options`` on top; 400 naming what is allowed."""
    if name not in PRESETS:
        raise _invalid("style", sorted(PRESETS))
    given = {k: v for k, v in (options or {}).items() if k in OPTIONS and v is not None}
    style = replace(PRESETS[name], **given)
    if style.font not in fonts.FAMILIES:
        raise _invalid("font", list(fonts.FAMILIES))
    for key in ("primary_color", "highlight_color", "outline_color", "background_color"):
        ass_colour(getattr(style, key), key)
    placement(style.position, 1920, 1080)
    return style


def _invalid(field: str, allowed: list[str]) -> ValidationError:
    """A 400 that names the allowed values, e.g. ``style: one of boxed, classic, ...``."""
    return ValidationError(details={"field_errors": {field: ["one of: " + ", ".join(allowed)]},
                                    "allowed": {field: allowed}})


def ass_colour(value: str, field: str = "color") -> str:
    """``#RRGGBB[AA]`` (AA = opacity) or a name → ASS ``&HAABBGGRR`` (ASS alpha 00 = opaque).

    Example: ``ass_colour("#FFE600") == "&H0000E6FF"``.
    """
    match = _HEX.match(NAMED_COLOURS.get(value.lower(), value))
    if not match:
        raise _invalid(field, ["#RRGGBB", "#RRGGBBAA", *NAMED_COLOURS])
    rgb, opacity = match.group(1), match.group(2) or "FF"
    alpha = 255 - int(opacity, 16)
    return f"&H{alpha:02X}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".upper()


def placement(position: str, width: int, height: int) -> tuple[int, str]:
    """(alignment, override): a named place, or ``y=NN`` / ``NN`` percent from the top (centred)."""
    if position in PLACES:
        return PLACES[position], ""
    try:
        y = float(position.removeprefix("y=").rstrip("%"))
    except ValueError:
        y = -1.0
    if not 0 <= y <= 100:
        raise _invalid("position", [*PLACES, "y=<0-100> (percent from the top)"])
    return 5, f"\\an5\\pos({width // 2},{round(height * y / 100)})"


def _style_line(style: CaptionStyle, width: int, height: int) -> str:
    scale = height / 1080
    size = round(height * style.font_size / 100)
    align, _ = placement(style.position, width, height)
    margin_v, margin_h = round(height * 0.06), round(width * 0.05)
    outline_colour = style.background_color if style.boxed else style.outline_color
    cells = [style.name, style.font, size, ass_colour(style.highlight_color if style.mode == "karaoke"
                                                      else style.primary_color),
             ass_colour(style.primary_color), ass_colour(outline_colour), ass_colour(style.background_color),
             -1 if style.bold else 0, 0, 0, 0, 100, 100, 0, 0, 3 if style.boxed else 1,
             round(style.outline * scale, 1), round(style.shadow * scale, 1), align, margin_h, margin_h,
             margin_v, 1]
    return "Style: " + ",".join(str(c) for c in cells)


def render_ass(cues: Sequence[Cue], style: CaptionStyle, width: int, height: int) -> str:
    """The whole .ass file for ``cues`` drawn in ``style`` on a ``width`` × ``height`` picture."""
    _, pos = placement(style.position, width, height)
    head = pos + (f"\\blur{style.blur * height / 1080:.1f}" if style.blur else "")
    prefix = "{" + head + "}" if head else ""
    events: list[AssEvent] = []
    for cue in cues:
        events.extend(_events(cue, style, prefix))
    return ass_document(width, height, [_style_line(style, width, height)], events)


def _events(cue: Cue, style: CaptionStyle, prefix: str) -> list[AssEvent]:
    if style.mode == "karaoke" and cue.words:
        return [AssEvent(cue.start, cue.end, style.name, prefix + _karaoke(cue, style))]
    if style.mode == "word_pop" and cue.words:
        return _word_pop(cue, style, prefix)
    if style.mode == "one_word" and cue.words:
        return [AssEvent(s, e, style.name, prefix + ass_escape(_case(w.word, style)))
                for w, s, e in _word_spans(cue)]
    text = "\\N".join(ass_escape(_case(line, style)) for line in cue.lines)
    return [AssEvent(cue.start, cue.end, style.name, prefix + text)]


def _case(text: str, style: CaptionStyle) -> str:
    return text.upper() if style.uppercase else text


def _word_spans(cue: Cue) -> list[tuple[Any, float, float]]:
    """Each word shown from its start (the first from the cue's) until the next word starts."""
    starts = [cue.start] + [w.start for w in cue.words[1:]]
    ends = starts[1:] + [cue.end]
    return [(w, s, max(e, s + 0.04)) for w, s, e in zip(cue.words, starts, ends, strict=True)]


def _line_breaks(cue: Cue) -> set[int]:
    """Indices of words that begin a new line (lines were built from the words, space-joined)."""
    counts = [len(line.split()) for line in cue.lines]
    if sum(counts) != len(cue.words):
        return set()
    return {sum(counts[:i]) for i in range(1, len(counts))}


def _karaoke(cue: Cue, style: CaptionStyle) -> str:
    breaks, parts = _line_breaks(cue), []
    lead = round((cue.words[0].start - cue.start) * 100)
    if lead > 0:
        parts.append(f"{{\\k{lead}}}")
    for i, (word, start, end) in enumerate(_word_spans(cue)):
        start = word.start if i == 0 else start
        sep = "\\N" if i in breaks else (" " if i else "")
        parts.append(f"{sep}{{\\kf{max(1, round((end - start) * 100))}}}{ass_escape(_case(word.word, style))}")
    return "".join(parts)


def _word_pop(cue: Cue, style: CaptionStyle, prefix: str) -> list[AssEvent]:
    breaks = _line_breaks(cue)
    hl = ass_colour(style.highlight_color)
    events = []
    for i, (_, start, end) in enumerate(_word_spans(cue)):
        parts = []
        for j, other in enumerate(cue.words):
            sep = "\\N" if j in breaks else (" " if j else "")
            text = ass_escape(_case(other.word, style))
            parts.append(sep + (f"{{\\c{hl}\\fscx125\\fscy125}}{text}{{\\r}}" if j == i else text))
        events.append(AssEvent(start, end, style.name, prefix + "".join(parts)))
    return events


def catalog() -> list[dict[str, str]]:
    """Every preset for GET /api/v1/tools/auto-subtitles: name, description, looks_like."""
    return [s.catalog() for s in PRESETS.values()]


def option_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(CaptionStyle) if f.name in OPTIONS)
