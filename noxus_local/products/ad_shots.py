"""The pictures of a video ad: each scene's product shot in a few variants, the best one picked, and its motion.

A variant is the cut-out on a backdrop at a framing: the backdrop the
``edit_style`` asks for first (studio, gradient, flat lay or the blurred
original), then the others in turn, each with its own scale, position,
shadow and reflection. ``score`` rates a variant by how well the product
stands out from what is around it (colour distance) and how well it fills
the frame, so the pick is reproducible and recorded. Without a cut-out (the
model found no product: ``NoForeground``) the shot is the original photo,
whole, over a blurred copy of itself.

``motion`` gives each scene a camera path for compose's Ken Burns: a push-in,
a pan or a pull-out, stronger with an energetic ``emotion``.

Example::

    shots = variants(cutout, photo, (720, 1280), style="gradient", colour="#FF5500", count=2, seed=0)
    best = max(shots, key=lambda s: s.score)
    best.image.save("scene-0.png")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from noxus_local.compose.timeline import KenBurns
from noxus_local.products import backdrops
from noxus_local.products.cutout import Placement, composite

Size = tuple[int, int]
BACKDROPS = ("studio", "gradient", "flat_lay", "blurred")
_STYLE_WORDS = {
    "gradient": ("gradient", "degradado", "colour", "color", "vibrant", "bold", "neon"),
    "flat_lay": ("flat", "lay", "table", "mesa", "surface", "wood", "linen", "top-down"),
    "blurred": ("blur", "lifestyle", "scene", "real", "bokeh", "depth of field", "original"),
    "studio": ("studio", "white", "clean", "minimal", "estudio", "blanco"),
}
_FRAMINGS = (Placement(scale=0.55, x=0.5, floor=0.78, shadow="floor", reflection=0.0),
             Placement(scale=0.62, x=0.5, floor=0.8, shadow="floor", reflection=0.25),
             Placement(scale=0.5, x=0.5, floor=0.74, shadow="drop", reflection=0.0))
_CALM = ("calm", "soft", "gentle", "relax", "serene", "tranquil", "elegant", "luxury", "calma", "suave")
_ENERGETIC = ("excit", "energ", "hype", "dynamic", "fast", "punch", "bold", "upbeat", "energía", "emoción")


@dataclass(frozen=True)
class Shot:
    image: Image.Image
    backdrop: str
    framing: int
    score: float

    def describe(self) -> dict[str, object]:
        return {"backdrop": self.backdrop, "framing": self.framing, "score": round(self.score, 3)}


def backdrop_order(style: str) -> tuple[str, ...]:
    """The backdrops in the order variants use them: the style's first.

    Example: ``backdrop_order("lifestyle shot with depth of field")[0] == "blurred"``.
    """
    text = style.lower()
    first = next((name for name, words in _STYLE_WORDS.items() if any(w in text for w in words)), "studio")
    return (first, *(b for b in BACKDROPS if b != first))


def backdrop(name: str, photo: Image.Image, cutout: Image.Image, size: Size, colour: str | None,
             seed: int) -> Image.Image:
    """One backdrop at ``size``: ``colour`` (gradientColor) tints the gradient, else the product's own hue."""
    r, g, b = backdrops.product_colour(cutout)
    if name == "gradient":
        start = colour or _hex(_soft((r, g, b), 0.55))
        return backdrops.gradient(size, start, _hex(_soft((r, g, b), 0.1)), angle=60)
    if name == "flat_lay":
        return backdrops.flat_lay(size, _hex(_soft((r, g, b), 0.85)), seed=seed)
    if name == "blurred":
        return backdrops.blurred(photo, size)
    return backdrops.studio_white(size)


def variants(cutout: Image.Image, photo: Image.Image, size: Size, *, style: str, colour: str | None, count: int,
             seed: int) -> list[Shot]:
    """``count`` shots of the product: backdrops in ``backdrop_order(style)``, framings turning with ``seed``."""
    order = backdrop_order(style)
    shots = []
    for i in range(count):
        name = order[i % len(order)]
        framing = (seed + i) % len(_FRAMINGS)
        picture = composite(cutout, backdrop(name, photo, cutout, size, colour, seed + i), _FRAMINGS[framing])
        preferred = 0.1 if i == 0 else 0.0  # what the caller asked for wins a near tie
        shots.append(Shot(picture, name, framing, score(picture, cutout, _FRAMINGS[framing]) + preferred))
    return shots


def score(picture: Image.Image, cutout: Image.Image, placement: Placement) -> float:
    """0..~1.3: the product's contrast with the backdrop around it (colour distance, 0..1) plus how well it
    fills the frame (best near 55 % of the height). Example: a red bottle on white ≈ 1.0, on red ≈ 0.3."""
    product = np.array(backdrops.product_colour(cutout), np.float32)
    w, h = picture.size
    ring = np.asarray(picture.crop((0, int(h * 0.1), w, int(h * 0.3))).convert("RGB"), np.float32)
    around = ring.reshape(-1, 3).mean(axis=0)
    contrast = float(np.linalg.norm(product - around) / np.linalg.norm([255, 255, 255]))
    fill = 1 - abs(placement.scale - 0.55) * 2
    return min(1.0, contrast * 2) * 0.8 + 0.5 * fill


def uncut(photo: Image.Image, size: Size) -> Image.Image:
    """The photo whole, fitted inside ``size`` over a blurred copy of itself: the shot when nothing cuts out."""
    canvas = backdrops.blurred(photo, size)
    inner = ImageOps.contain(photo.convert("RGB"), (round(size[0] * 0.9), round(size[1] * 0.8)))
    canvas.paste(inner, ((size[0] - inner.width) // 2, (size[1] - inner.height) // 2))
    return canvas


def energy(emotion: str) -> float:
    """0.6 (calm) .. 1.6 (excited); 1 when the emotion says neither. Example: ``energy("excitement") == 1.6``."""
    text = emotion.lower()
    if any(w in text for w in _ENERGETIC):
        return 1.6
    if any(w in text for w in _CALM):
        return 0.6
    return 1.0


def motion(index: int, emotion: str) -> KenBurns:
    """Scene ``index``'s camera: push-in, pan across, pull-out, push-in to the product's base, in turn.

    Example: ``motion(0, "excitement")`` → a push-in from 1.0 to 1.19.
    """
    k = 0.12 * energy(emotion)
    paths = (KenBurns(1.0, 1.0 + k),
             KenBurns(1.0 + k, 1.0 + k, 0.5 - k / 2, 0.5, 0.5 + k / 2, 0.5),
             KenBurns(1.0 + k, 1.0),
             KenBurns(1.0, 1.0 + k, 0.5, 0.5, 0.5, 0.5 + k / 2))
    return paths[index % len(paths)]


def _soft(rgb: tuple[int, int, int], toward_white: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (255 - c) * toward_white) for c in rgb)
    return r, g, b


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)
