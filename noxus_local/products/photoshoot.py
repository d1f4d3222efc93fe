"""Product photoshoots: a cut-out product framed, placed on a backdrop, shadowed and relit, in variations.

Typed functions on Pillow images, no jobs or HTTP (tools/product_photoshoot.py adapts to them):

- ``ANGLES``: seed 002's ``angle`` as framing and perspective of the cut-out (``Framing``):
  ``front`` (straight on), ``hero`` (a low camera: larger, the top receding), ``45-degree`` /
  ``three-quarter`` (a horizontal keystone, the near side taller, a little narrower),
  ``top-down`` (seen from above: foreshortened, a drop shadow), ``close-up`` (the upper part
  filling the frame, the base cropped off by the frame's edge), ``lifestyle`` (smaller, on a
  third, room for the scene).
- ``variation``: shot ``index`` of a shoot, seeded: index 0 is the preset itself, the others
  move the framing (scale, position), the key light round the product, the shadow and the
  backdrop's tone, so ``count`` photos are distinct and a re-run with the same seed is the same.
- ``backdrop``: studio-white (a seamless sweep in a white of the variation's tone), flat-lay
  (a textured surface seen from above), or custom: a colour or a gradient
  (``parse_custom("#F4D35E")``, ``parse_custom("#FF5500, #7A1FA2")``); a supplied picture
  (an upload, or what a configured generator drew for lifestyle / outdoor / a custom prompt)
  is cropped to cover the frame.
- ``shoot``: one photo: the cut-out warped and placed (cutout.place), its shadow cast away from the
  key light (products/shadows.py), then relit (products/relight.py: shading from the mask's dome
  normals, a rim on the lit side) with the product's alpha where it landed.

Example::

    product = cut_out(Image.open("mug.jpg"), models)
    for i in range(3):
        look = variation(i, seed=7, angle="45-degree", lighting="golden-hour")
        shot = shoot(product, backdrop("studio-white", (1600, 1200), look), look)
        shot.save(f"mug-{i + 1}.jpg", quality=92)
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps

from noxus_local.products.backdrops import colour, flat_lay, gradient, rgb, studio_white
from noxus_local.products.cutout import Placement, ShadowKind, paste_layer, place, reflection
from noxus_local.products.relight import DIRECTIONS, LIGHTS, Light, relight
from noxus_local.products.shadows import cast_shadow

__all__ = ["ANGLES", "BACKGROUNDS", "DIRECTIONS", "GENERATED", "LIGHTS", "Custom", "Framing", "Look", "backdrop",
           "close_up", "parse_custom", "perspective", "shoot", "variation"]

Size = tuple[int, int]
BACKGROUNDS = ("studio-white", "lifestyle", "outdoor", "flat-lay", "custom")
GENERATED = ("lifestyle", "outdoor")  # drawn by a configured image generator
STUDIO_TINTS = ("#FFFFFF", "#F8F5F0", "#F2F5F9", "#FAF7F2")
SURFACES = ("#E8DCC8", "#DAD5CD", "#E9D6C6", "#D2DBD6")


@dataclass(frozen=True)
class Framing:
    """How the cut-out sits in the frame, as fractions.

    ``scale``, ``x``, ``floor``, ``shadow``, ``reflection``: as ``cutout.Placement``; ``top`` /
    ``bottom``: the width of the cut-out's top and bottom edge after a perspective warp (1 = as
    shot); ``near`` / ``far``: the height of its left and right edge; ``narrow``: its width;
    ``squash``: its height; ``crop``: the share of its height kept from the top (a close-up); ``turn``: how
    far the angle moves the key light round the product (degrees, + toward the left), e.g. a hero's low
    camera sees it higher, a three-quarter view keeps it on the near side.

    Example: ``Framing(scale=0.6, near=1.0, far=0.9, narrow=0.88)`` — turned a little away, to the right.
    """

    scale: float = 0.62
    x: float = 0.5
    floor: float = 0.86
    shadow: ShadowKind = "floor"
    reflection: float = 0.0
    top: float = 1.0
    bottom: float = 1.0
    near: float = 1.0
    far: float = 1.0
    narrow: float = 1.0
    squash: float = 1.0
    crop: float = 1.0
    turn: float = 0.0


ANGLES: dict[str, Framing] = {
    "front": Framing(),
    "hero": Framing(scale=0.8, floor=0.93, top=0.9, reflection=0.12, turn=-15.0),
    "45-degree": Framing(scale=0.62, x=0.47, near=1.0, far=0.88, narrow=0.86, turn=10.0),
    "three-quarter": Framing(scale=0.62, x=0.47, near=1.0, far=0.88, narrow=0.86, turn=10.0),
    "top-down": Framing(scale=0.55, floor=0.8, bottom=0.88, squash=0.82, shadow="drop"),
    "close-up": Framing(scale=0.94, floor=1.0, shadow="none", crop=0.72),
    "lifestyle": Framing(scale=0.46, x=0.36, floor=0.84),
}


@dataclass(frozen=True)
class Look:
    """One photo of a shoot: its framing, light, shadow strength and backdrop tone (an index into the
    tints and surfaces, or a hue shift of a custom colour)."""

    index: int
    framing: Framing
    light: Light
    shadow_strength: float = 0.45
    tone: int = 0

    def describe(self) -> dict[str, float | int]:
        """What a job's result says about it: ``{"index": 1, "scale": 0.66, "light_direction": 150, ...}``."""
        return {"index": self.index, "scale": round(self.framing.scale, 3), "x": round(self.framing.x, 3),
                "light_direction": round(self.light.direction, 1), "shadow": round(self.shadow_strength, 2),
                "tone": self.tone}


def variation(index: int, seed: int, angle: str, lighting: str, light_direction: str | None = None) -> Look:
    """Photo ``index`` of a shoot: the preset for 0, a seeded change of framing, light, shadow and tone after.

    The key's direction is the ``lighting`` preset's, or ``light_direction``'s (``DIRECTIONS``) when given,
    moved by the angle's ``turn``. Example: ``variation(0, 7, "front", "studio").framing == ANGLES["front"]``;
    ``variation(1, 7, "front", "studio").light.direction != 135``;
    ``variation(0, 7, "front", "soft", "right").light.direction == 15``.
    """
    framing = ANGLES[angle]
    light = LIGHTS[lighting].facing(light_direction).turned(framing.turn)
    if index == 0:
        return Look(0, framing, light)
    rng = np.random.default_rng([seed, index])
    grow = 1.0 + float(rng.uniform(-0.1, 0.1))
    scale = min(0.97 if angle == "close-up" else 0.9, framing.scale * grow)
    x = framing.x + (0.0 if angle == "close-up" else float(rng.uniform(-0.07, 0.07)))
    turn = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(12.0, 28.0))
    if light_direction is not None:  # asked for a side: vary the height of the light, never the side
        turn = float(np.clip(turn, -12.0, 12.0))
    return Look(index, replace(framing, scale=scale, x=x), light.turned(turn),
                shadow_strength=float(rng.uniform(0.32, 0.58)), tone=index % len(STUDIO_TINTS))


@dataclass(frozen=True)
class Custom:
    """A custom backdrop: one colour, two colours (a gradient), or neither (a prompt or a picture)."""

    start: str | None = None
    end: str | None = None


_SPLIT = re.compile(r"\s*(?:,|;|→|->|\bto\b|\bto\s)\s*", re.IGNORECASE)


def parse_custom(text: str | None) -> Custom:
    """``customBackground`` read as colours when it is colours: ``"#F4D35E"`` → one, ``"#FF5500, #7A1FA2"`` or
    ``"coral to navy"`` → a gradient; anything else (a description) → ``Custom()`` (a generator's prompt).

    Example: ``parse_custom("navy").start == "navy"``; ``parse_custom("a marble bathroom shelf") == Custom()``.
    """
    if not text or not text.strip():
        return Custom()
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if not 1 <= len(parts) <= 2:
        return Custom()
    try:
        for part in parts:
            rgb(part)
    except ValueError:
        return Custom()
    return Custom(parts[0], parts[1] if len(parts) == 2 else None)


def backdrop(kind: str, size: Size, look: Look, custom: Custom | None = None,
             picture: Image.Image | None = None) -> Image.Image:
    """The backdrop of one photo, RGB at ``size``.

    ``picture`` (an uploaded backdrop or a generated scene) is cropped to cover the frame whatever
    ``kind`` says; else studio-white and flat-lay are drawn in the look's tone, custom from its colours.
    Example: ``backdrop("flat-lay", (1200, 1200), variation(2, 7, "top-down", "soft"))``.
    """
    if picture is not None:
        return ImageOps.fit(picture.convert("RGB"), size, Image.Resampling.LANCZOS)
    if kind == "studio-white":
        return studio_white(size, STUDIO_TINTS[look.tone % len(STUDIO_TINTS)])
    if kind == "flat-lay":
        return flat_lay(size, SURFACES[look.tone % len(SURFACES)], seed=look.index)
    custom = custom or Custom()
    if custom.start is None:
        raise ValueError(f"a {kind} backdrop needs a picture or a colour")
    if custom.end is not None:
        return gradient(size, custom.start, custom.end, angle=45.0 + 30.0 * look.index)
    if look.index == 0:
        return colour(size, custom.start)
    # the same colour, lit: a soft gradient from a little lighter to a little darker, turning per photo
    return gradient(size, _shade(custom.start, 0.07), _shade(custom.start, -0.07), angle=60.0 + 40.0 * look.index)


def _shade(value: str, amount: float) -> str:
    """A colour made lighter (``amount`` > 0) or darker in HLS: ``_shade("#808080", 0.1) == "#999999"``."""
    r, g, b = (v / 255.0 for v in rgb(value))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    r, g, b = colorsys.hls_to_rgb(h, min(1.0, max(0.0, lum + amount)), s)
    return "#{:02X}{:02X}{:02X}".format(*(round(v * 255) for v in (r, g, b)))


def perspective(cutout: Image.Image, framing: Framing) -> Image.Image:
    """The cut-out seen from the framing's angle: its edges shortened (a keystone warp), squashed or
    narrowed, then cropped tight to what is left. RGBA in, RGBA out; no warp → the same image.

    Example: ``perspective(bottle, ANGLES["hero"]).width`` == the bottle's (only its top got narrower).
    """
    f = framing
    if (f.top, f.bottom, f.near, f.far, f.narrow, f.squash) == (1.0, 1.0, 1.0, 1.0, 1.0, 1.0):
        return cutout
    w, h = cutout.size
    big_w, big_h = max(1, round(w * f.narrow)), max(1, round(h * f.squash))
    inset_t, inset_b = (1 - f.top) / 2 * big_w, (1 - f.bottom) / 2 * big_w
    inset_l, inset_r = (1 - f.near) / 2 * big_h, (1 - f.far) / 2 * big_h
    quad = [(inset_t, inset_l), (big_w - inset_t, inset_r), (big_w - inset_b, big_h - inset_r),
            (inset_b, big_h - inset_l)]
    coeffs = _coefficients(quad, [(0, 0), (w, 0), (w, h), (0, h)])
    warped = cutout.convert("RGBA").transform((big_w, big_h), Image.Transform.PERSPECTIVE, coeffs,
                                              Image.Resampling.BICUBIC, fillcolor=(0, 0, 0, 0))
    box = warped.getchannel("A").getbbox()
    return warped.crop(box) if box else warped


def _coefficients(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> tuple[float, ...]:
    """Pillow's 8 perspective coefficients taking each output point of ``dst`` to the input point of ``src``."""
    rows, values = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        values += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.array(rows, float), np.array(values, float)))


def close_up(cutout: Image.Image, keep: float) -> Image.Image:
    """The top ``keep`` share of the cut-out (its base goes past the frame's bottom edge).

    Example: ``close_up(bottle, 0.72).height == round(bottle.height * 0.72)``.
    """
    if keep >= 1.0:
        return cutout
    return cutout.crop((0, 0, cutout.width, max(1, round(cutout.height * keep))))


def shoot(cutout: Image.Image, base: Image.Image, look: Look) -> Image.Image:
    """One photo: the cut-out (RGBA, tight) framed by ``look`` on ``base`` (RGB), shadowed, relit. RGB at
    ``base``'s size.

    Example: ``shoot(product, studio_white((1600, 1200)), variation(0, 1, "front", "studio"))``.
    """
    f = look.framing
    product = close_up(perspective(cutout, f), f.crop)
    placement = Placement(scale=min(1.0, f.scale), x=f.x, floor=f.floor, shadow=f.shadow, reflection=f.reflection,
                          shadow_strength=look.shadow_strength)
    canvas = base.convert("RGBA")
    scaled, (x, y) = place(product, canvas.size, placement)
    if f.crop < 1.0:  # a close-up's cut edge lies on the frame's bottom edge, never inside the photo
        y = canvas.height - scaled.height
    if placement.reflection > 0:
        paste_layer(canvas, reflection(scaled, placement.reflection), (x, y + scaled.height))
    shadow = cast_shadow(scaled, placement.shadow, placement.shadow_strength, look.light.direction)
    paste_layer(canvas, shadow.image, (x + shadow.offset[0], y + shadow.offset[1]))
    paste_layer(canvas, scaled, (x, y))
    where = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    paste_layer(where, scaled, (x, y))
    return relight(canvas.convert("RGB"), where.getchannel("A"), look.light)
