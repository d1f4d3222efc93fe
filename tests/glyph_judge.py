"""Judge rendered text as a viewer would: is it the words, or missing-glyph boxes, and in which order?

The rendered crop (light text on a dark ground) is compared, as an ink mask
scaled to one grid, with three references drawn by Pillow's Raqm layout
(HarfBuzz shaping + FriBiDi): the string in a font that has its glyphs (the
right answer), the same string in a Latin-only font (the .notdef "tofu" boxes),
and the string drawn left to right (the wrong order for Hebrew/Arabic). The
crop must be nearer the right answer than either wrong one.

Example::

    verdict = judge(crop, "שלום", reference_font=font_path("Heebo"))
    assert verdict.ok, verdict
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from noxus_local.media.fonts import font_path

GRID = (96, 32)


@dataclass(frozen=True)
class Verdict:
    to_reference: float
    to_tofu: float
    to_reversed: float | None
    ink: float  # ink pixels in the crop

    @property
    def ok(self) -> bool:
        near = self.to_reference < self.to_tofu * 0.8
        ordered = self.to_reversed is None or self.to_reference < self.to_reversed
        return self.ink >= 100 and near and ordered


def ink_mask(image: Image.Image, threshold: int = 150) -> np.ndarray:
    """Light-on-dark ink, cropped to its bounding box and scaled to ``GRID`` (floats 0..1)."""
    ink = np.asarray(image.convert("RGB"), dtype=np.uint8).max(axis=2) > threshold  # any bright channel
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return np.zeros(GRID[::-1])
    box = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    small = Image.fromarray((box * 255).astype(np.uint8)).resize(GRID, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def draw_reference(text: str, font_file: Path, direction: str | None = None, size: int = 96,
                   embedded_color: bool = False) -> Image.Image:
    """``text`` white on black in ``font_file`` with Raqm (shaping, bidi); ``direction`` forces one."""
    assert features.check("raqm"), "the reference needs Pillow with Raqm"
    font = ImageFont.truetype(str(font_file), size)
    image = Image.new("RGB", (size * (len(text) + 2), size * 2), "black")
    ImageDraw.Draw(image).text((size // 2, size // 3), text, font=font, fill="white", direction=direction,
                               embedded_color=embedded_color)
    return image


def draw_unordered(text: str, font_file: Path, size: int = 96) -> Image.Image:
    """``text`` one character at a time from the left: logical order shown left to right, unjoined
    (what a renderer without bidi and shaping shows for Hebrew/Arabic)."""
    font = ImageFont.truetype(str(font_file), size)
    image = Image.new("RGB", (size * (len(text) + 2), size * 2), "black")
    draw, x = ImageDraw.Draw(image), size // 2
    for ch in text:
        draw.text((x, size // 3), ch, font=font, fill="white", direction="ltr")
        x += int(font.getlength(ch, direction="ltr"))
    return image


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def judge(crop: Image.Image, text: str, reference_font: Path, rtl: bool = False,
          embedded_color: bool = False, size: int = 96, display_font: Path | None = None) -> Verdict:
    """How near ``crop`` is to ``text`` drawn right, in tofu boxes, and (``rtl``) left to right.

    The tofu is Poppins's missing-glyph box, and ``display_font``'s too when given (the face the
    renderer would have used without a fallback: its box may look different)."""
    seen = ink_mask(crop)
    drawn = draw_reference(text, reference_font, "rtl" if rtl else None, 109 if embedded_color else size,
                           embedded_color)
    right = ink_mask(drawn, 40 if embedded_color else 150)  # a colour emoji: all of it, dark parts too
    boxes = [ink_mask(draw_reference(text, f, None, size)) for f in (font_path("Poppins"), display_font) if f]
    wrong = ink_mask(draw_unordered(text, reference_font, size)) if rtl else None
    grey = np.asarray(crop.convert("RGB")).max(axis=2) > 150
    return Verdict(distance(seen, right), min(distance(seen, box) for box in boxes),
                   None if wrong is None else distance(seen, wrong), float(grey.sum()))


def changed(image: Image.Image, blank: Image.Image, box: tuple[int, int, int, int], least: int = 60) -> Image.Image:
    """White where ``image`` differs from ``blank`` (the same card without the text) inside ``box``:
    the text as a light-on-dark crop whatever its colours."""
    a = np.asarray(image.convert("RGB").crop(box), np.int16)
    b = np.asarray(blank.convert("RGB").crop(box), np.int16)
    return Image.fromarray(((np.abs(a - b).max(axis=2) > least) * 255).astype(np.uint8)).convert("RGB")
