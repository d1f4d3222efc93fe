"""Relighting a product composite: a key light's direction, warmth, contrast and a rim light, in numpy.

No model draws light here: the product's cut-out alpha stands in for its shape.
Blurring the alpha gives a soft "height" (high in the middle of the product, falling
to its edge); its gradient is a pseudo surface normal, so a key light from the
upper left brightens the product's upper-left flank and darkens the other
(Lambert's cosine against the flat-on term, so a product facing the camera keeps
its own exposure). A rim light is a thin band along the silhouette, strongest on
the side away from the key, screen-blended in the light's colour. Then the whole
frame: a gentle falloff away from the light (the backdrop too), warmth (red up,
blue down) and contrast around the frame's mean luminance.

Presets are seed 002's ``lighting`` values (``LIGHTS``): studio, natural, dramatic,
soft, golden-hour.

Example::

    shot = composite(product, studio_white((1600, 1200)), placement)   # RGB
    alpha = product_alpha(product, shot.size, placement)               # "L", where the product is
    relight(shot, alpha, LIGHTS["golden-hour"]).save("warm.jpg")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["LIGHTS", "Light", "relight"]


@dataclass(frozen=True)
class Light:
    """One lighting set-up.

    ``direction``: where the key light comes from, degrees counter-clockwise from the right
    (90 = from above, 135 = upper left, 180 = from the left); ``key``: how strongly it shapes
    the product (0..1); ``warmth``: −1 cool … +1 warm; ``contrast``: 1 = unchanged; ``rim``:
    the rim light's strength (0..1) and ``rim_colour`` its colour; ``falloff``: how much the
    frame darkens away from the light (0..1).

    Example: ``replace(LIGHTS["studio"], direction=150)`` — the same light, a little lower on the left.
    """

    direction: float = 135.0
    key: float = 0.3
    warmth: float = 0.0
    contrast: float = 1.0
    rim: float = 0.2
    rim_colour: tuple[int, int, int] = (255, 255, 255)
    falloff: float = 0.15

    def __post_init__(self) -> None:
        if not (0 <= self.key <= 1 and -1 <= self.warmth <= 1 and 0.5 <= self.contrast <= 2
                and 0 <= self.rim <= 1 and 0 <= self.falloff <= 1):
            raise ValueError(f"light out of range: {self}")

    def turned(self, degrees: float) -> Light:
        """The same light moved round the product: ``LIGHTS["soft"].turned(-20).direction == 80``."""
        return replace(self, direction=self.direction + degrees)


LIGHTS: dict[str, Light] = {
    "studio": Light(direction=135, key=0.3, warmth=0.0, contrast=1.05, rim=0.25, falloff=0.12),
    "natural": Light(direction=120, key=0.25, warmth=0.12, contrast=1.0, rim=0.1, falloff=0.18,
                     rim_colour=(255, 250, 240)),
    "dramatic": Light(direction=165, key=0.6, warmth=-0.05, contrast=1.25, rim=0.6, falloff=0.45,
                      rim_colour=(235, 242, 255)),
    "soft": Light(direction=105, key=0.15, warmth=0.04, contrast=0.92, rim=0.08, falloff=0.08),
    "golden-hour": Light(direction=170, key=0.45, warmth=0.5, contrast=1.08, rim=0.55, falloff=0.3,
                         rim_colour=(255, 196, 120)),
}


def relight(photo: Image.Image, alpha: Image.Image, light: Light) -> Image.Image:
    """``photo`` (RGB) lit by ``light``; ``alpha`` ("L", the photo's size) says where the product is.

    Example: ``relight(shot, alpha, LIGHTS["dramatic"])`` — the product's far side darker, a cool rim
    on it, the backdrop falling off away from the light, more contrast.
    """
    if alpha.size != photo.size:
        raise ValueError(f"alpha {alpha.size} is not the photo's size {photo.size}")
    rgb = np.asarray(photo.convert("RGB"), np.float32) / 255.0
    lx, ly = math.cos(math.radians(light.direction)), -math.sin(math.radians(light.direction))  # y grows down
    box = alpha.getbbox()
    if box is not None and (light.key > 0 or light.rim > 0):
        x1, y1, x2, y2 = box
        rgb[y1:y2, x1:x2] = _shape(rgb[y1:y2, x1:x2], alpha.crop(box), light, lx, ly)
    # in place from here: a 40 Mpx photo (a tier's limit) is 480 MB as float32 RGB, so no extra copies of it
    if light.falloff:
        rgb *= _falloff(photo.size, light.falloff, lx, ly)[..., None]
    if light.warmth:
        rgb *= np.array([1 + 0.10 * light.warmth, 1 + 0.02 * light.warmth, 1 - 0.10 * light.warmth], np.float32)
    if light.contrast != 1.0:
        mean = float((rgb @ np.array([0.299, 0.587, 0.114], np.float32)).mean())
        rgb -= mean
        rgb *= light.contrast
        rgb += mean
    np.clip(rgb, 0.0, 1.0, out=rgb)
    rgb *= 255.0
    rgb += 0.5
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def _shape(rgb: np.ndarray, alpha: Image.Image, light: Light, lx: float, ly: float) -> np.ndarray:
    """The key light and the rim on the product's box (``rgb`` float [h, w, 3], ``alpha`` its "L")."""
    w, h = alpha.size
    a = np.asarray(alpha, np.float32) / 255.0
    side = float(min(w, h))
    height = _blurred(alpha, max(1.0, 0.12 * side))
    gy, gx = np.gradient(height)
    nx, ny = -gx * side * 0.5, -gy * side * 0.5  # a slope of 1/radius becomes a normal tilted ~45°
    nz = np.ones_like(nx)
    norm = np.sqrt(nx * nx + ny * ny + nz * nz)
    lz = 0.8
    ln = math.sqrt(lx * lx + ly * ly + lz * lz)
    lambert = np.clip((nx * lx + ny * ly + nz * lz) / (norm * ln), 0.0, 1.0)
    shade = 1.0 + light.key * 1.2 * (lambert - lz / ln)  # facing the camera: unchanged
    out = rgb * (1.0 + (shade - 1.0) * a)[..., None]
    if light.rim > 0:
        inner = _blurred(alpha, max(1.0, 0.015 * side))
        band = a * np.clip((1.0 - inner) * 2.5, 0.0, 1.0)
        flat = np.sqrt(nx * nx + ny * ny) + 1e-6
        away = np.clip(-(nx * lx + ny * ly) / flat, 0.0, 1.0)  # the silhouette's side facing away from the key
        amount = (light.rim * band * (0.35 + 0.65 * away))[..., None]
        colour = np.array(light.rim_colour, np.float32) / 255.0
        out = out + amount * colour * (1.0 - out)  # screen: brightens, never clips a white product to grey
    return out


def _blurred(alpha: Image.Image, radius: float) -> np.ndarray:
    """The alpha blurred as if nothing were around the box (Pillow extends edge pixels, which would make a
    product touching its box flat there): zero-padded by three radii, blurred, cut back. float32 0..1."""
    pad = int(3 * radius) + 1
    framed = Image.new("L", (alpha.width + 2 * pad, alpha.height + 2 * pad), 0)
    framed.paste(alpha, (pad, pad))
    soft = framed.filter(ImageFilter.GaussianBlur(radius)).crop((pad, pad, pad + alpha.width, pad + alpha.height))
    return np.asarray(soft, np.float32) / 255.0


def _falloff(size: tuple[int, int], strength: float, lx: float, ly: float) -> np.ndarray:
    """Brighter toward the light, darker away from it and in the far corners: float32 [h, w] around 1."""
    w, h = size
    xs = np.linspace(-1.0, 1.0, w, dtype=np.float32)
    ys = np.linspace(-1.0, 1.0, h, dtype=np.float32)
    toward = ys[:, None] * np.float32(ly) + xs[None, :] * np.float32(lx)
    corners = (xs[None, :] ** 2 + ys[:, None] ** 2) * np.float32(0.5)
    return (1.0 + strength * (0.18 * toward - 0.22 * corners)).astype(np.float32)
