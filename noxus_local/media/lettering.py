"""Text on cards with the bundled faces only: a fallback chain per character, fitted, drawn literally.

A design names its display face first (Anton, Archivo Black, Oswald...);
a character that face has no glyph for (an accent Bebas Neue lacks, a
Devanagari letter) is drawn with the next bundled face that has it: the
display faces, then the script fallbacks of media/fonts.py (Noto Sans
Arabic, Heebo for Hebrew, Noto Sans Devanagari), then the colour emoji font
(Noto Color Emoji, a CBDT bitmap font Pillow draws only at its 109 px strike:
an emoji run is drawn there with ``embedded_color`` and scaled to the line's
size). A character no face covers is drawn with the first face (its "missing
glyph" box): the text stays what the user wrote, nothing crashes or is
silently dropped, except the invisible joiners and variation selectors that
would otherwise draw boxes of their own (inside an emoji run they stay: they
build the emoji sequence).

Right-to-left: a run with RTL characters is shaped right to left (Pillow's
Raqm layout), and a line whose first strong character is RTL lays its runs
from the right.

Here in media/ so both the designed scenes (compose/designed.py) and the
cards (products/) draw with it; fitting a block to a box is products/lettering.py
``fit`` (it reuses the designed scenes' wrapping).

Example::

    chain = FaceChain.of("Anton", 400)
    block = Block(["Café שלום 🙂"], 120, chain)
    draw_block(ImageDraw.Draw(card), block, box=(90, 600, 900, 300), fill="white", align="center")
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, features

from noxus_local.media.fonts import EMOJI_COLOR, EMOJI_COLOR_SIZE, SCRIPT_FALLBACKS, emoji_font, font_path

Align = Literal["left", "center", "right"]
FALLBACKS = (("Poppins", 700), ("Poppins", 400), ("Oswald", 700), ("Archivo Black", 400), ("Anton", 400),
             *((family, 400) for family in SCRIPT_FALLBACKS))
INVISIBLE = {"\u200d", "\u200c", "\ufe0e", "\ufe0f", "\u200b", "\u2060"}
LEADING = 1.22
PROBE_SIZE = 48
RTL_CLASSES = {"R", "AL"}
RGB = tuple[int, int, int]
Fill = RGB | tuple[int, int, int, int] | str


@dataclass
class FaceChain:
    """Font files in order of preference; which file covers a character is worked out once."""

    files: tuple[Path, ...]
    _covers: dict[tuple[int, str], bool] = field(default_factory=dict, repr=False)
    _fonts: dict[tuple[int, int], ImageFont.FreeTypeFont] = field(default_factory=dict, repr=False)
    _notdef: dict[int, tuple[tuple[int, int], bytes]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, family: str, weight: int = 400) -> FaceChain:
        """``family`` at ``weight`` first, then the other bundled faces (``FALLBACKS``)."""
        return cls.of_file(font_path(family, weight))

    @classmethod
    def of_file(cls, font_file: Path) -> FaceChain:
        """``font_file`` first, then the bundled fallbacks. Example: ``FaceChain.of_file(font_path("Anton"))``."""
        files = [font_file] + [font_path(f, w) for f, w in FALLBACKS]
        emoji = emoji_font(color=True)
        return cls(tuple(dict.fromkeys(files + ([emoji] if emoji else []))))

    def is_bitmap(self, index: int) -> bool:
        """Whether file ``index`` is the colour emoji font (one fixed strike, drawn scaled)."""
        return self.files[index] in EMOJI_COLOR  # a path compare, no file system call per run

    def font(self, index: int, size: int) -> ImageFont.FreeTypeFont:
        if self.is_bitmap(index):
            size = EMOJI_COLOR_SIZE  # FreeType refuses any other size for this CBDT font
        key = (index, size)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(str(self.files[index]), size)
        return self._fonts[key]

    def covers(self, index: int, ch: str) -> bool:
        """Whether file ``index`` draws ``ch`` (its bitmap differs from the missing-glyph box)."""
        key = (index, ch)
        if key not in self._covers:
            font = self.font(index, PROBE_SIZE)
            if index not in self._notdef:
                self._notdef[index] = _bitmap(font, "\U0010fffd")
            mask = _bitmap(font, ch)
            drawn = mask != self._notdef[index] and (not self.is_bitmap(index) or any(mask[1]))
            self._covers[key] = ch.isspace() or drawn
        return self._covers[key]

    def face_for(self, ch: str) -> int:
        return next((i for i in range(len(self.files)) if self.covers(i, ch)), 0)

    def at(self, size: int) -> SizedChain:
        return SizedChain(self, size)


@dataclass(frozen=True)
class SizedChain:
    """The chain at one size: ``getlength`` like a Pillow font, so ``fit_lines`` can measure it."""

    chain: FaceChain
    size: int

    def scale(self, font: ImageFont.FreeTypeFont) -> float:
        """How much a run in ``font`` is scaled when drawn: 1, or size/109 for the emoji strike."""
        return self.size / EMOJI_COLOR_SIZE if font.size != self.size and font.size == EMOJI_COLOR_SIZE else 1.0

    def runs(self, text: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        """``text`` cut where the covering face changes; invisible joiners go with what they join."""
        out: list[tuple[str, int]] = []
        for ch in text:
            if ch in INVISIBLE:
                if out and out[-1][1] != 0:
                    out[-1] = (out[-1][0] + ch, out[-1][1])
                continue  # a joiner in the first face would draw a box of its own
            index = self.chain.face_for(ch)
            if out and (out[-1][1] == index or ch.isspace()):
                out[-1] = (out[-1][0] + ch, out[-1][1])
            else:
                out.append((ch, index))
        return [(run, self.chain.font(index, self.size)) for run, index in out]

    def getlength(self, text: str) -> float:
        return sum(font.getlength(run, direction=_direction(run)) * self.scale(font) for run, font in self.runs(text))

    def ascent(self) -> int:
        return self.chain.font(0, self.size).getmetrics()[0]


@dataclass(frozen=True)
class Block:
    """Fitted text: its lines at ``size``, measured with ``chain``."""

    lines: list[str]
    size: int
    chain: FaceChain
    leading: float = LEADING

    @property
    def sized(self) -> SizedChain:
        return self.chain.at(self.size)

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.leading

    @property
    def width(self) -> float:
        return max(self.sized.getlength(line) for line in self.lines)


def draw_block(draw: ImageDraw.ImageDraw, block: Block, box: tuple[float, float, float, float], fill: Fill,
               align: Align = "center", valign: float = 0.5) -> tuple[float, float, float, float]:
    """Draw ``block`` inside ``box`` (x, y, w, h): lines aligned, the block placed ``valign`` down
    the spare height; returns the (x, y, w, h) actually covered."""
    x, y, w, h = box
    sized = block.sized
    top = y + max(0.0, h - block.height) * valign
    step = block.size * block.leading
    pad = (step - block.size) / 2
    widths = [sized.getlength(line) for line in block.lines]
    for n, (line, lw) in enumerate(zip(block.lines, widths, strict=True)):
        lx = x + {"left": 0.0, "center": (w - lw) / 2, "right": w - lw}[align]
        draw_line(draw, (lx, top + n * step + pad), line, sized, fill)
    left = x + {"left": 0.0, "center": (w - max(widths)) / 2, "right": w - max(widths)}[align]
    return left, top, max(widths), block.height


def draw_line(draw: ImageDraw.ImageDraw, at: tuple[float, float], line: str, sized: SizedChain, fill: Fill) -> None:
    """One line from its top-left ``at``: each run on the first face's baseline, RTL lines from the right."""
    runs = visual_order(sized.runs(line), _first_strong_rtl(line))
    x, baseline = at[0], at[1] + sized.ascent()
    for run, font in runs:
        direction = _direction(run)
        scale = sized.scale(font)
        if scale != 1.0:
            _draw_scaled(draw, (x, baseline), run, font, scale)
        else:
            draw.text((x, baseline), run, font=font, fill=fill, anchor="ls", direction=direction)
        x += font.getlength(run, direction=direction) * scale


def visual_order(runs: list[tuple[str, ImageFont.FreeTypeFont]], rtl_line: bool
                 ) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """Runs from left to right (the bidi algorithm's rule L2 at two levels): on a left-to-right
    line each stretch of right-to-left runs (with the spaces between them) is reversed; on a
    right-to-left line the whole line is, then each left-to-right stretch back. Inside a run
    Raqm orders the characters. Example: "Café שלום مرحبا" → Café, مرحبا, שלום from the left.
    """
    runs = [piece for run in runs for piece in _split_spaces(run)]
    kinds = [_strong(run) for run, _ in runs]  # "R", "L" or None (spaces, punctuation)
    foreign = "L" if rtl_line else "R"
    order = list(range(len(runs)))
    out: list[int] = []
    i = 0
    while i < len(order):
        if kinds[i] != foreign:
            out.append(i)
            i += 1
            continue
        j = i
        while j + 1 < len(order) and kinds[j + 1] in (foreign, None) and foreign in kinds[j + 1:]:
            j += 1
        while kinds[j] is None:  # trailing neutrals stay in the line's direction
            j -= 1
        out.extend(reversed(order[i:j + 1]))
        i = j + 1
    if rtl_line:
        out.reverse()
    return [runs[k] for k in out]


def _split_spaces(run: tuple[str, ImageFont.FreeTypeFont]) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """A run's trailing spaces as a run of their own, so they stay between words when runs reorder."""
    text, font = run
    body = text.rstrip(" ")
    if not body or body == text:
        return [run]
    return [(body, font), (text[len(body):], font)]


def _strong(run: str) -> str | None:
    for ch in run:
        kind = unicodedata.bidirectional(ch)
        if kind in RTL_CLASSES:
            return "R"
        if kind == "L":
            return "L"
    return None


def _draw_scaled(draw: ImageDraw.ImageDraw, at: tuple[float, float], run: str, font: ImageFont.FreeTypeFont,
                 scale: float) -> None:
    """A colour emoji run: drawn at the font's strike on its own layer, scaled, pasted on the baseline."""
    ascent, descent = font.getmetrics()
    width = max(1, int(font.getlength(run)) + 2)
    layer = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((0, ascent), run, font=font, anchor="ls", embedded_color=True)
    size = (max(1, round(layer.width * scale)), max(1, round(layer.height * scale)))
    layer = layer.resize(size, Image.Resampling.LANCZOS)
    target: Image.Image = draw._image  # type: ignore[attr-defined]  # the image this Draw paints on
    top = (round(at[0]), round(at[1] - ascent * scale))
    if target.mode == "RGBA":
        target.alpha_composite(layer, (max(0, top[0]), max(0, top[1])))
    else:
        target.paste(layer.convert(target.mode), top, layer)


def _direction(run: str) -> str | None:
    if not _raqm():  # Pillow built without Raqm lays every run left to right
        return None
    return "rtl" if any(unicodedata.bidirectional(ch) in RTL_CLASSES for ch in run) else None


@cache
def _raqm() -> bool:
    return bool(features.check("raqm"))


def _first_strong_rtl(text: str) -> bool:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in RTL_CLASSES:
            return True
        if kind == "L":
            return False
    return False


def _bitmap(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)
