"""Product cut-outs: the background removed with ISNet, the product placed on a new backdrop.

Plain typed functions on Pillow images, no jobs, no HTTP: the video-ad and
photoshoot tools call them. The steps:

- ``segment``: ISNet's foreground probability (inference/models/isnet.py),
  refined by ``refine``: a threshold (the model's soft edge is a band of
  ~3 px), blobs under 2 % of the largest one dropped (a stray highlight
  must not stretch the crop), then feathered with a Gaussian of ~0.15 % of the diagonal so the
  edge is not a staircase; the confidence is how decided the pixels are.
- ``cut_out``: the photo with that alpha, cropped to the mask's tight box,
  the soft edge recoloured from the product's own pixels (``defringe``).
- ``soft_shadow``: a floor shadow (contact + ambient ellipse under the
  product) or a drop shadow (offset, blurred; for top-down flat lays).
- ``composite``: the cut-out scaled and placed on a backdrop (``Placement``),
  shadow under it, optional floor reflection.
- backdrops: ``studio_white``, ``flat_lay``, ``colour``, ``gradient``,
  ``blurred`` (the original scene out of focus), ``product_colour``
  (products/backdrops.py, re-exported here).

Example::

    product = cut_out(Image.open("mug.jpg"), models)            # RGBA, tight to the mug
    shot = composite(product, studio_white((1080, 1350)), Placement(scale=0.6))
    shot.save("mug-studio.png")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.isnet import IsNet
from noxus_local.inference.models.ppocr import regions
from noxus_local.products.backdrops import blurred, colour, flat_lay, gradient, product_colour, studio_white

__all__ = ["Mask", "NoForeground", "Placement", "Shadow", "apply_mask", "blurred", "colour", "composite", "cut_out",
           "defringe", "flat_lay", "footprint", "gradient", "paste_layer", "place", "product_colour", "refine",
           "reflection", "segment", "soft_shadow", "studio_white"]

THRESHOLD = 0.5
MIN_COVERAGE = 0.001  # a foreground under 0.1 % of the frame is no product
SPECK = 0.02  # blobs under 2 % of the largest one are noise
ShadowKind = Literal["floor", "drop", "none"]


class NoForeground(ValueError):
    """The model found nothing separable from the background (a blank wall, a pattern)."""


@dataclass(frozen=True)
class Mask:
    """A refined foreground mask at the photo's size.

    ``alpha`` is "L" (255 = product); ``box`` its tight (x, y, w, h), None when
    empty; ``confidence`` 0..1, the mean decidedness ``|2p − 1|`` of the
    model's probability (a clean product shot ~0.98, a busy scene with no
    object far lower); ``coverage`` the share of the frame that is product.
    """

    alpha: Image.Image
    box: tuple[int, int, int, int] | None
    confidence: float
    coverage: float


@dataclass(frozen=True)
class Placement:
    """Where a cut-out goes on a backdrop, as fractions of the backdrop.

    ``scale``: the product fits in ``scale`` × the backdrop's height and
    0.9 × its width; ``x``: the product's centre; ``floor``: where its bottom
    edge stands; ``shadow``: floor, drop or none; ``reflection``: opacity of
    a mirrored copy under it (0 = none).

    Example: ``Placement(scale=0.5, x=0.3)`` — half the height, on the left third.
    """

    scale: float = 0.62
    x: float = 0.5
    floor: float = 0.86
    shadow: ShadowKind = "floor"
    reflection: float = 0.0
    shadow_strength: float = 0.45

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1 or not 0 <= self.reflection <= 1 or not 0 <= self.shadow_strength <= 1:
            raise ValueError(f"placement out of range: {self}")
        if self.shadow not in ("floor", "drop", "none"):
            raise ValueError(f"shadow is floor, drop or none, not {self.shadow!r}")


@dataclass(frozen=True)
class Shadow:
    """An RGBA shadow and where its top-left goes relative to the cut-out's top-left."""

    image: Image.Image
    offset: tuple[int, int]


def refine(prob: np.ndarray, threshold: float = THRESHOLD) -> Mask:
    """ISNet's probability (float ``[h, w]`` 0..1) → a thresholded, cleaned, feathered mask.

    Example: ``refine(np.pad(np.ones((50, 50)), 25)).box == (25, 25, 50, 50)``.
    """
    h, w = prob.shape
    hard = Image.fromarray(_drop_specks(prob >= threshold).astype(np.uint8) * 255, "L")
    box = hard.getbbox()
    coverage = float(np.count_nonzero(np.asarray(hard))) / (w * h)
    confidence = float(np.mean(np.abs(prob * 2.0 - 1.0)))
    if box is None or coverage < MIN_COVERAGE:
        return Mask(Image.new("L", (w, h), 0), None, confidence, 0.0)
    radius = max(0.6, 0.0015 * float(np.hypot(w, h)))
    alpha = hard.filter(ImageFilter.GaussianBlur(radius))
    x1, y1, x2, y2 = box
    return Mask(alpha, (x1, y1, x2 - x1, y2 - y1), confidence, coverage)


def _drop_specks(hard: np.ndarray, keep: float = SPECK) -> np.ndarray:
    """``hard`` without the 8-connected blobs smaller than ``keep`` × the largest one (a stray
    highlight in a corner would otherwise stretch the crop box across the frame)."""
    boxes = regions(hard)
    if len(boxes) < 2:
        return hard
    areas = np.array([np.count_nonzero(hard[y1:y2, x1:x2]) for x1, y1, x2, y2 in boxes])
    kept = boxes[areas >= keep * areas.max()]
    out = hard.copy()
    for x1, y1, x2, y2 in boxes[areas < keep * areas.max()]:
        overlaps = (kept[:, 0] < x2) & (x1 < kept[:, 2]) & (kept[:, 1] < y2) & (y1 < kept[:, 3])
        if not overlaps.any():  # a speck inside a kept blob's box may be a part of it: leave it
            out[y1:y2, x1:x2] = False
    return out


def segment(image: Image.Image, models: ModelCache) -> Mask:
    """The product's mask in ``image`` with the registry's ISNet (blocking: a worker thread).

    Example: ``mask = segment(photo, cache)``; ``mask.box`` → ``(432, 144, 337, 577)``, ``mask.alpha``
    at the photo's size; ``ModelNotInstalled`` names ``noxus-local models fetch isnet-general``.
    """
    with models.use(IsNet) as net:
        prob = net.probability(image)
    return refine(prob)


def apply_mask(image: Image.Image, mask: Mask) -> Image.Image:
    """The photo with the mask as its alpha, cropped to the mask's box; NoForeground when empty.

    Example: ``apply_mask(photo, segment(photo, cache)).size`` ≈ the mask's box plus a few pixels.
    """
    if mask.box is None:
        raise NoForeground(f"no foreground found (mask confidence {mask.confidence:.2f})")
    rgba = image.convert("RGBA")
    rgba.putalpha(mask.alpha)
    x, y, w, h = mask.box
    pad = max(2, round(0.004 * max(image.size)))  # the feather reaches a little past the hard box
    return defringe(rgba.crop((max(0, x - pad), max(0, y - pad), min(image.width, x + w + pad),
                               min(image.height, y + h + pad))))


def defringe(cutout: Image.Image, reach: int = 0) -> Image.Image:
    """The soft edge recoloured from the product's own solid pixels nearby, so the old background
    (a grey table, a green wall) does not show as a halo on the new one. Alpha is unchanged.

    A normalised blur: the solid pixels' colours blurred, divided by the blurred solid mask
    (Pillow's C blur on 8-bit images: ~20 ms per Mpx). Example: a red disc cut from a green field
    keeps red, not brown, along its rim.
    """
    alpha = np.asarray(cutout.getchannel("A"))
    band = (alpha > 0) & (alpha < 250)
    if not band.any():
        return cutout
    reach = reach or max(4, round(0.02 * max(cutout.size)))
    solid = Image.fromarray(((alpha >= 250) * 255).astype(np.uint8), "L")
    rgb = cutout.convert("RGB")
    spread = ImageFilter.GaussianBlur(reach)
    colours = np.asarray(Image.composite(rgb, Image.new("RGB", rgb.size), solid).filter(spread), np.float32)
    weight = np.asarray(solid.filter(spread), np.float32) / 255.0
    use = band & (weight > 0.05)  # further out the 8-bit blur is too coarse to divide; alpha is ~0 there
    out = np.asarray(rgb).copy()
    out[use] = np.clip(colours[use] / weight[use][:, None] + 0.5, 0, 255).astype(np.uint8)
    result = Image.fromarray(out, "RGB")
    result.putalpha(cutout.getchannel("A"))
    return result


def cut_out(image: Image.Image, models: ModelCache) -> Image.Image:
    """The product alone: RGBA, transparent around it, tight to it.

    Example: ``cut_out(Image.open("bottle.jpg"), models).getbbox()`` is the bottle.
    """
    return apply_mask(image, segment(image, models))


def soft_shadow(cutout: Image.Image, kind: ShadowKind = "floor", strength: float = 0.45) -> Shadow:
    """A soft shadow for an RGBA cut-out: ``floor`` (an ellipse under its base, darkest where it
    touches) or ``drop`` (its silhouette offset down-right and blurred, as lit from above-left).

    Example: ``s = soft_shadow(product); backdrop.alpha_composite(s.image, (x + s.offset[0], y + s.offset[1]))``.
    """
    w, h = cutout.size
    if kind == "none" or w == 0 or h == 0:
        return Shadow(Image.new("RGBA", (1, 1), (0, 0, 0, 0)), (0, 0))
    if kind == "drop":
        return _drop_shadow(cutout, strength)
    return _floor_shadow(cutout, strength)


def _floor_shadow(cutout: Image.Image, strength: float) -> Shadow:
    w, h = cutout.size
    base = footprint(cutout)
    sw, sh = round(base[1] - base[0]) + w // 5, max(6, h // 9)
    pad = max(4, sh)
    layer = Image.new("L", (sw + 2 * pad, sh + 2 * pad), 0)
    ambient = Image.new("L", (sw, sh), 0)
    ImageDraw.Draw(ambient).ellipse((0, 0, sw - 1, sh - 1), fill=round(255 * strength * 0.6))
    layer.paste(ambient, (pad, pad))
    contact = Image.new("L", layer.size, 0)
    cw, ch = round((base[1] - base[0]) * 0.9), max(3, sh // 3)
    cx, cy = pad + (sw - cw) // 2, pad + sh // 2 - ch // 2
    ImageDraw.Draw(contact).ellipse((cx, cy, cx + cw, cy + ch), fill=round(255 * strength))
    alpha = Image.fromarray(np.maximum(np.asarray(layer), np.asarray(contact)), "L")
    alpha = alpha.filter(ImageFilter.GaussianBlur(max(2, sh / 3)))
    shadow = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    shadow.putalpha(alpha)
    centre = (base[0] + base[1]) / 2
    return Shadow(shadow, (round(centre - layer.width / 2), h - pad - sh // 2))


def _drop_shadow(cutout: Image.Image, strength: float) -> Shadow:
    w, h = cutout.size
    blur = max(2, round(0.04 * max(w, h)))
    pad = blur * 3
    sil = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    sil.paste(cutout.getchannel("A").point(lambda v: round(v * strength)), (pad, pad))
    shadow = Image.new("RGBA", sil.size, (0, 0, 0, 0))
    shadow.putalpha(sil.filter(ImageFilter.GaussianBlur(blur)))
    shift = max(2, round(0.035 * max(w, h)))
    return Shadow(shadow, (shift - pad, shift - pad))


def footprint(cutout: Image.Image) -> tuple[float, float]:
    """The x-range of the product's bottom tenth: where it stands on the floor."""
    alpha = np.asarray(cutout.getchannel("A"))
    rows = alpha[-max(1, alpha.shape[0] // 10):]
    cols = np.nonzero(rows.max(axis=0) > 127)[0]
    if cols.size == 0:
        return 0.0, float(cutout.width)
    return float(cols[0]), float(cols[-1] + 1)


def composite(cutout: Image.Image, backdrop: Image.Image, placement: Placement | None = None) -> Image.Image:
    """The cut-out scaled into ``placement`` on ``backdrop`` with its shadow; RGB at the backdrop's size.

    Example: ``composite(product, colour((1080, 1080), "#F4D35E"), Placement(shadow="drop"))``.
    """
    placement = placement or Placement()
    canvas = backdrop.convert("RGBA")
    product, (x, y) = place(cutout, canvas.size, placement)
    if placement.reflection > 0:
        paste_layer(canvas, reflection(product, placement.reflection), (x, y + product.height))
    shadow = soft_shadow(product, placement.shadow, placement.shadow_strength)
    paste_layer(canvas, shadow.image, (x + shadow.offset[0], y + shadow.offset[1]))
    paste_layer(canvas, product, (x, y))
    return canvas.convert("RGB")


def place(cutout: Image.Image, size: tuple[int, int], placement: Placement) -> tuple[Image.Image, tuple[int, int]]:
    """The cut-out scaled for ``placement`` on a backdrop of ``size``, and its top-left there (``composite``
    pastes it; the photoshoot relights where it landed).

    Example: ``place(product, (1000, 1000), Placement(scale=0.5))`` → (a 500 px tall cut-out, (x, 360)).
    """
    product = _scaled(cutout, size, placement.scale)
    x = round(placement.x * size[0] - product.width / 2)
    y = round(placement.floor * size[1] - product.height)
    return product, (x, y)


def _scaled(cutout: Image.Image, size: tuple[int, int], scale: float) -> Image.Image:
    factor = min(scale * size[1] / cutout.height, 0.9 * size[0] / cutout.width)
    target = (max(1, round(cutout.width * factor)), max(1, round(cutout.height * factor)))
    return cutout.resize(target, Image.Resampling.LANCZOS)


def reflection(product: Image.Image, opacity: float) -> Image.Image:
    """The product mirrored under itself, fading out over a third of its height."""
    mirrored = product.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    fade = np.clip(1.0 - np.arange(product.height) / max(1.0, product.height / 3), 0.0, 1.0) * opacity
    alpha = np.asarray(mirrored.getchannel("A"), dtype=np.float32) * fade[:, None]
    mirrored.putalpha(Image.fromarray(alpha.astype(np.uint8), "L"))
    return mirrored


def paste_layer(canvas: Image.Image, layer: Image.Image, at: tuple[int, int]) -> None:
    """alpha_composite that accepts a layer partly (or wholly) outside the canvas."""
    x, y = at
    left, top = max(0, -x), max(0, -y)
    right, bottom = min(layer.width, canvas.width - x), min(layer.height, canvas.height - y)
    if right > left and bottom > top:
        canvas.alpha_composite(layer.crop((left, top, right, bottom)), (x + left, y + top))
