"""Painting helpers for end cards: colours and contrast, glows, buttons, logos, frosted panels.

Example::

    ink_on((255, 85, 0))                    # (0, 0, 0): black reads better on that orange
    readable((255, 221, 0), (250, 250, 247))   # the yellow darkened until it reads on white
    paste_logo(card, logo, (40, 40, 300, 120), align="left")
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.media.images import decode, open_image, orient
from noxus_local.products.lettering import RGB, Align, Block, draw_block

Box = tuple[float, float, float, float]  # x, y, w, h
LOGO_MAX_PIXELS = 40_000_000


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``t`` of the way from ``a`` to ``b``. Example: ``mix((0, 0, 0), (255, 255, 255), 0.5) == (128, 128, 128)``."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def luminance(c: RGB) -> float:
    """WCAG relative luminance, 0 (black) .. 1 (white)."""
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1 .. 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(background: RGB) -> RGB:
    """Black or white, whichever reads better on ``background``."""
    black, white = (12, 12, 12), (255, 255, 255)
    return black if contrast(black, background) >= contrast(white, background) else white


def readable(colour: RGB, background: RGB, ratio: float = 4.5) -> RGB:
    """``colour`` moved toward black or white (whichever the background is not) until it reaches
    ``ratio`` against ``background``; the hue stays."""
    target = (0, 0, 0) if luminance(background) > 0.4 else (255, 255, 255)
    for step in range(21):
        tried = mix(colour, target, step / 20)
        if contrast(tried, background) >= ratio:
            return tried
    return target


def shift_hue(c: RGB, turn: float, value: float = 1.0) -> RGB:
    """The colour with its hue turned by ``turn`` (0..1 = a full turn) and brightness × ``value``."""
    h, s, v = colorsys.rgb_to_hsv(*(x / 255 for x in c))
    r, g, b = colorsys.hsv_to_rgb((h + turn) % 1.0, s, min(1.0, v * value))
    return round(r * 255), round(g * 255), round(b * 255)


def glow(canvas: Image.Image, paint: Callable[[ImageDraw.ImageDraw], None], colour: RGB,
         radii: tuple[float, ...], strength: float = 1.0) -> None:
    """A light halo: ``paint`` draws shapes (fill 255) on a mask, blurred at each radius and laid on in ``colour``.

    Example: ``glow(card, lambda d: d.ellipse((100, 100, 300, 300), outline=255, width=6), (0, 229, 255), (8, 24))``.
    """
    mask = Image.new("L", canvas.size, 0)
    paint(ImageDraw.Draw(mask))
    for radius in radii:
        halo = mask.filter(ImageFilter.GaussianBlur(radius)).point(lambda v: min(255, round(v * 1.6 * strength)))
        layer = Image.new("RGBA", canvas.size, (*colour, 0))
        layer.putalpha(halo)
        canvas.alpha_composite(layer)


def text(canvas: Image.Image, block: Block, box: Box, fill: RGB | tuple[int, int, int, int],
         align: Align = "center", valign: float = 0.5) -> Box:
    """``block`` drawn into ``box`` on an RGBA canvas; the box it covers.

    Example: ``text(card, fit(FaceChain.of("Anton"), "Glow", (800, 200), 160), (140, 600, 800, 200), (255, 255, 255))``.
    """
    return draw_block(ImageDraw.Draw(canvas), block, box, fill, align, valign)


def button(canvas: Image.Image, block: Block, at: tuple[float, float], fill: RGB | None, ink: RGB,
           *, radius: float = 0.5, outline: RGB | None = None, width: int = 0, pad: float = 0.6,
           anchor: Align = "center") -> Box:
    """A button sized to ``block``: ``at`` is its top edge's centre (or left/right end, per ``anchor``);
    ``radius`` a fraction of its height (0.5 = a pill). Returns its box.

    Example: ``button(card, cta_block, (540, 1400), (12, 12, 12), (255, 85, 0))`` — a black pill, orange text.
    """
    px, py = block.size * pad * 1.6, block.size * pad
    bw, bh = block.width + 2 * px, block.height + 2 * py
    x = {"center": at[0] - bw / 2, "left": at[0], "right": at[0] - bw}[anchor]
    rect = (x, at[1], x + bw, at[1] + bh)
    ImageDraw.Draw(canvas).rounded_rectangle(rect, radius=bh * radius, fill=fill, outline=outline, width=width)
    text(canvas, block, (x + px, at[1] + py, block.width, block.height), ink, "center")
    return x, at[1], bw, bh


def load_logo(path: Path | None, box: tuple[int, int]) -> Image.Image | None:
    """The logo as RGBA (an SVG drawn to fit ``box``; a photo upright), or None without one.

    Example: ``load_logo(Path("logo.svg"), (540, 480)).mode == "RGBA"``; not an image → ``InvalidMedia``.
    """
    if path is None:
        return None
    img = open_image(path, LOGO_MAX_PIXELS, svg_box=box)
    return orient(decode(img)).convert("RGBA")


def paste_logo(canvas: Image.Image, logo: Image.Image | None, box: Box, align: Align = "center") -> Box | None:
    """``logo`` scaled to fit ``box`` (never up more than 4×), aligned horizontally, centred vertically."""
    if logo is None:
        return None
    x, y, w, h = box
    factor = min(w / logo.width, h / logo.height, 4.0)
    size = (max(1, round(logo.width * factor)), max(1, round(logo.height * factor)))
    scaled = logo.resize(size, Image.Resampling.LANCZOS)
    left = {"left": x, "center": x + (w - size[0]) / 2, "right": x + w - size[0]}[align]
    top = y + (h - size[1]) / 2
    canvas.alpha_composite(scaled, (round(left), round(top)))
    return left, top, size[0], size[1]


def frosted(canvas: Image.Image, box: Box, radius: float, blur: float, tint: tuple[int, int, int, int],
            border: tuple[int, int, int, int], width: int) -> None:
    """A frosted-glass panel: what is under ``box`` blurred, tinted, with a rounded light border.

    Example: ``frosted(card, (86, 540, 908, 845), 54, 54, (255, 255, 255, 40), (255, 255, 255, 150), 3)``.
    """
    x, y, w, h = (round(v) for v in box)
    region = canvas.crop((x, y, x + w, y + h)).filter(ImageFilter.GaussianBlur(blur))
    region.alpha_composite(Image.new("RGBA", region.size, tint))
    mask = Image.new("L", region.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=255)
    canvas.paste(region, (x, y), mask)
    ImageDraw.Draw(canvas).rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=radius, outline=border, width=width)


def blobs(size: tuple[int, int], base: RGB, colours: list[tuple[RGB, tuple[float, float], float]]) -> Image.Image:
    """A dark field with soft colour blobs: (colour, centre as fractions, radius as a fraction of the short side).

    Example: ``blobs((1080, 1920), (20, 10, 30), [((255, 85, 0), (0.2, 0.25), 0.35)])``.
    """
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.broadcast_to(np.array(base, np.float32), (h, w, 3)).copy()
    short = min(w, h)
    for colour, (cx, cy), r in colours:
        weight = np.exp(-(((x - cx * w) ** 2 + (y - cy * h) ** 2) / (2 * (r * short) ** 2)))[..., None]
        out = out * (1 - weight) + np.array(colour, np.float32) * weight
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
