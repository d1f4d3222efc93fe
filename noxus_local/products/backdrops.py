"""Backdrops for product cut-outs: a studio sweep, a flat-lay surface, a colour, a gradient.

Each is a function of the size (and colours) returning an RGB image;
deterministic (a seed, not the clock), so a re-render is the same picture.

Example::

    studio_white((1080, 1350))                       # white seamless sweep, a soft pool of light
    flat_lay((1080, 1080), "#D9C7A7", seed=3)        # top-down linen-like surface
    gradient((1080, 1920), "#FF5500", "#7A1FA2")      # diagonal, top-left → bottom-right
    blurred(photo, (1080, 1920))                      # the original scene, out of focus
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageColor

Size = tuple[int, int]


def rgb(value: str) -> tuple[int, int, int]:
    """``"#FF5500"`` → ``(255, 85, 0)``; a named colour works too (ValueError when unknown)."""
    r, g, b = ImageColor.getrgb(value)[:3]
    return r, g, b


def colour(size: Size, value: str = "#FFFFFF") -> Image.Image:
    """One flat colour. Example: ``colour((800, 800), "#F4D35E")``."""
    return Image.new("RGB", size, rgb(value))


def gradient(size: Size, start: str, end: str, angle: float = 45.0) -> Image.Image:
    """A linear gradient from ``start`` to ``end`` along ``angle`` degrees (0 = left → right,
    90 = top → bottom). Example: ``gradient((1920, 1080), "#FF5500", "#2B1055")``."""
    w, h = size
    theta = np.deg2rad(angle)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    t = x * np.cos(theta) + y * np.sin(theta)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    a, b = np.array(rgb(start), np.float32), np.array(rgb(end), np.float32)
    return _image(a + (b - a) * t[..., None])


def studio_white(size: Size, tint: str = "#FFFFFF") -> Image.Image:
    """A seamless studio sweep: light grey wall at the top curving into a white floor, a soft
    pool of light where the product stands and a gentle vignette."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    v = y / max(1, h - 1)
    sweep = 0.86 + 0.14 * _smoothstep(0.35, 0.8, v)  # wall → floor, no visible seam
    pool = np.exp(-(((x - w / 2) / (0.45 * w)) ** 2 + ((v - 0.8) / 0.28) ** 2))
    vignette = 1 - 0.08 * (((x - w / 2) / (w / 2)) ** 2)
    light = np.clip(sweep * vignette + 0.05 * pool, 0, 1)
    return _image(light[..., None] * np.array(rgb(tint), np.float32))


def flat_lay(size: Size, surface: str = "#E8DCC8", seed: int = 0) -> Image.Image:
    """A top-down surface: the colour with soft blotches, a fine weave and grain (linen, paper)."""
    w, h = size
    rng = np.random.default_rng(seed)
    blotch = np.asarray(Image.fromarray(rng.normal(0, 1, (8, 8)).astype(np.float32), "F")
                        .resize((w, h), Image.Resampling.BICUBIC))
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    step = max(3.0, min(w, h) / 180)
    weave = 0.5 * np.sin(x * np.pi / step) * np.sin(y * np.pi / step)
    grain = rng.normal(0, 1, (h, w)).astype(np.float32)
    shade = 1 + 0.035 * blotch + 0.02 * weave + 0.015 * grain
    return _image(shade[..., None] * np.array(rgb(surface), np.float32))


def blurred(photo: Image.Image, size: Size, radius: float = 0.04, dim: float = 0.85) -> Image.Image:
    """The original photo, cropped to cover ``size``, blurred (``radius`` × the short side) and dimmed:
    the product's own scene, out of focus behind it. Example: ``blurred(Image.open("shot.jpg"), (1080, 1920))``."""
    from PIL import ImageFilter, ImageOps

    cover = ImageOps.fit(photo.convert("RGB"), size, Image.Resampling.BILINEAR)
    soft = cover.filter(ImageFilter.GaussianBlur(max(1.0, radius * min(size))))
    return Image.eval(soft, lambda v: round(v * dim))


def product_colour(cutout: Image.Image) -> tuple[int, int, int]:
    """The mean colour of a cut-out's opaque pixels, for a backdrop in the product's own colours.
    Example: ``product_colour(red_bottle) == (201, 24, 28)``."""
    pixels = np.asarray(cutout.convert("RGBA"), np.float32).reshape(-1, 4)
    solid = pixels[pixels[:, 3] >= 250, :3]
    if solid.size == 0:
        return 128, 128, 128
    r, g, b = (round(float(v)) for v in solid.mean(axis=0))
    return r, g, b


def _smoothstep(lo: float, hi: float, v: np.ndarray) -> np.ndarray:
    t = np.clip((v - lo) / (hi - lo), 0, 1)
    return t * t * (3 - 2 * t)


def _image(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), "RGB")
