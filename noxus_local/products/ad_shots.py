"""The pictures of a video ad: each scene's product shot in a few variants, the best one picked, and its motion.

A variant is the cut-out on a backdrop at a framing: the backdrop the
``edit_style`` asks for first (studio, gradient, flat lay or the blurred
original), then the others in turn, each with its own scale, position,
shadow and reflection. ``score`` rates a variant with products/shot_score.py
(our sharpness and exposure measures from analysis/cheap.py, the product's
contrast with the backdrop around it, its area and place in the frame, and
how much of it the frame cuts off), so the pick is reproducible and each
variant's parts are recorded. Without a cut-out (the
model found no product: ``NoForeground``) the shot is the original photo,
whole, over a blurred copy of itself.

``motion`` gives each scene a camera path for compose's Ken Burns: a push-in,
a pan or a pull-out, stronger with an energetic ``emotion``.

Example::

    shots = variants(cutout, photo, (720, 1280), style="gradient", colour="#FF5500", count=2, seed=0)
    best = max(shots, key=lambda s: s.score)
    best.image.save("scene-0.png")
    best.describe()   # {"backdrop": "gradient", "framing": 0, "score": 0.93, "parts": {"sharpness": 0.9, ...}}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

from noxus_local.compose.timeline import KenBurns
from noxus_local.products import backdrops
from noxus_local.products.cutout import Placement, composite, place
from noxus_local.products.shot_score import Judged
from noxus_local.products.shot_score import score as judge

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


PREFERRED = 0.05  # the backdrop the caller's edit_style asked for wins a near tie


@dataclass(frozen=True)
class Shot:
    image: Image.Image
    backdrop: str
    framing: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    # the backdrop alone and where the product sits on it: the motion engine moves them as two layers
    layer: Image.Image | None = field(default=None, compare=False, repr=False)
    placement: Placement | None = None

    def describe(self) -> dict[str, object]:
        return {"backdrop": self.backdrop, "framing": self.framing, "score": round(self.score, 3),
                "parts": dict(self.parts)}


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
        back = backdrop(name, photo, cutout, size, colour, seed + i)
        picture = composite(cutout, back, _FRAMINGS[framing])
        judged = score(picture, cutout, _FRAMINGS[framing])
        preferred = PREFERRED if i == 0 else 0.0
        parts = {**judged.parts, "preferred": preferred}
        shots.append(Shot(picture, name, framing, round(judged.total + preferred, 4), parts, back,
                          _FRAMINGS[framing]))
    return shots


def score(picture: Image.Image, cutout: Image.Image, placement: Placement) -> Judged:
    """``picture`` judged by products/shot_score.py with the product where ``placement`` put it.

    Example: ``score(composite(red_bottle, white, p), red_bottle, p).parts["contrast"]`` ≈ 0.9; on a red
    backdrop ≈ 0.1.
    """
    product, at = place(cutout, picture.size, placement)
    return judge(picture, product, at)


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
    """Scene ``index``'s camera: push-in, a pan (the parallax scene's backdrop), pull-out, a pan back, in turn.

    Example: ``motion(0, "excitement")`` → a push-in from 1.0 to 1.19.
    """
    k = 0.12 * energy(emotion)
    paths = (KenBurns(1.0, 1.0 + k),
             KenBurns(1.0 + k, 1.0 + k, 0.5 - k / 2, 0.5, 0.5 + k / 2, 0.5),
             KenBurns(1.0 + k, 1.0),
             KenBurns(1.0 + k, 1.0 + k, 0.5 + k / 2, 0.5, 0.5 - k / 2, 0.5))
    return paths[index % len(paths)]


def motion_kind(index: int) -> str:
    """Scene ``index``'s move for the motion engine (products/ad_motion.py), matching ``motion``'s camera:
    push-in, parallax (the product slides over the panning backdrop), pull-out, pan.

    Example: ``motion_kind(1) == "parallax"``.
    """
    return ("push_in", "parallax", "pull_out", "pan")[index % 4]


def punch_amount(emotion: str) -> float:
    """A beat punch's peak scale by the emotion's energy: 0.036 (calm), 0.06, 0.096 (excited)."""
    return round(0.06 * energy(emotion), 4)


def _soft(rgb: tuple[int, int, int], toward_white: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (255 - c) * toward_white) for c in rgb)
    return r, g, b


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)
