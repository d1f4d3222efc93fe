"""How good one product shot is: our image quality measures plus its composition, each part recorded.

A video ad keeps the best of a scene's variants (products/ad_shots.py); this
is the judge, so the pick is reproducible and explainable. Five parts, each
0..1, weighted into ``total``:

- ``sharpness`` — analysis/cheap.py ``quality`` (the Laplacian variance that
  image-analyze reports) of the product's own box, on a log scale: a soft or
  blurred product scores low even when its backdrop is meant to be blurred;
- ``exposure`` — the same measure's brightness of the whole frame, best near
  mid-grey, and the share of clipped (pure black or white) pixels;
- ``contrast`` — the product's mean colour against the ring of backdrop just
  around it (colour distance): a red bottle on a red wall disappears;
- ``framing`` — the product's share of the frame (best near ``TARGET_AREA``)
  and where its centre sits (the centre or a rule-of-thirds point);
- ``edges`` — how much of the product is inside the frame: a product cut off
  at the frame's edge scores low, however well the rest does.

Example::

    product, at = place(cutout, picture.size, placement)
    judged = score(picture, product, at)
    judged.total              # 0.83
    judged.parts              # {"sharpness": 0.94, "exposure": 0.71, "contrast": 0.9, "framing": 0.8, "edges": 1.0}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from noxus_local.analysis.cheap import quality

WEIGHTS = {"sharpness": 0.2, "exposure": 0.1, "contrast": 0.25, "framing": 0.2, "edges": 0.25}
TARGET_AREA = 0.14  # a product filling ~14 % of a 9:16 frame reads well on a phone and leaves room around it
SHARP = 1000.0  # a Laplacian variance this high (on ≤512 px) is fully sharp; 10 is a smear
ANCHORS = ((0.5, 0.5), (1 / 3, 1 / 3), (2 / 3, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 2 / 3), (0.5, 2 / 3))


@dataclass(frozen=True)
class Judged:
    total: float
    parts: dict[str, float]


def score(picture: Image.Image, product: Image.Image, at: tuple[int, int]) -> Judged:
    """``picture`` (RGB) with ``product`` (the scaled RGBA cut-out) pasted with its top-left at ``at``."""
    mask, inside = _mask(product, at, picture.size)
    parts = {"sharpness": _sharpness(picture, mask), "exposure": _exposure(picture),
             "contrast": _contrast(picture, mask), "framing": _framing(mask), "edges": _edges(inside)}
    parts = {k: round(v, 3) for k, v in parts.items()}
    return Judged(round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4), parts)


def _mask(product: Image.Image, at: tuple[int, int], size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The product's alpha (0..1) at the picture's size, and the share of its alpha that lands inside."""
    alpha = product.getchannel("A")
    canvas = Image.new("L", size, 0)
    canvas.paste(alpha, at)
    total = float(np.asarray(alpha, np.float32).sum())
    mask = np.asarray(canvas, np.float32) / 255.0
    return mask, (float(mask.sum()) * 255.0 / total) if total > 0 else 0.0


def _box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.flatnonzero((mask > 0.5).any(axis=1)), np.flatnonzero((mask > 0.5).any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _sharpness(picture: Image.Image, mask: np.ndarray) -> float:
    box = _box(mask)
    if box is None:
        return 0.0
    sharp = float(quality(picture.crop(box))["sharpness"])
    return min(1.0, math.log10(1 + sharp) / math.log10(1 + SHARP))


def _exposure(picture: Image.Image) -> float:
    small = picture.reduce(4)  # brightness and clipping of a 9:16 720 px frame are the same at 180 px
    brightness = float(quality(small)["brightness"])
    grey = np.asarray(small.convert("L"), np.uint8)
    clipped = float(((grey <= 2) | (grey >= 253)).mean())
    # a studio-white backdrop is meant to be bright: only the extremes and heavy clipping cost much
    level = 1.0 - max(0.0, abs(brightness - 0.55) - 0.2) * 2.5
    return max(0.0, min(1.0, level) - 0.5 * max(0.0, clipped - 0.5))


def _contrast(picture: Image.Image, mask: np.ndarray, step: int = 4) -> float:
    """On a quarter-size copy: mean colours need no full resolution, and the ring's blur costs 16× less."""
    small = mask[::step, ::step]
    solid = small > 0.9
    if not solid.any():
        return 0.0
    hard = Image.fromarray((small > 0.1).astype(np.uint8) * 255, "L")
    reach = max(2, round(0.03 * max(picture.size) / step))
    grown = np.asarray(hard.filter(ImageFilter.GaussianBlur(reach)), np.uint8) > 8  # a fast dilation
    ring = grown & (small <= 0.1)
    if not ring.any():
        return 1.0  # the product fills the frame: nothing around it to blend into
    rgb = np.asarray(picture.convert("RGB"))[::step, ::step].astype(np.float32)
    distance = float(np.linalg.norm(rgb[solid].mean(axis=0) - rgb[ring].mean(axis=0)))
    return min(1.0, distance / (0.45 * math.sqrt(3) * 255))


def _framing(mask: np.ndarray) -> float:
    h, w = mask.shape
    share = float(mask.sum()) / (w * h)
    if share <= 0:
        return 0.0
    area = max(0.0, 1.0 - abs(math.log(share / TARGET_AREA)) / math.log(4))
    total = float(mask.sum())
    cx = float(mask.sum(axis=0) @ np.arange(w)) / total / w  # the alpha-weighted centre
    cy = float(mask.sum(axis=1) @ np.arange(h)) / total / h
    near = min(math.hypot(cx - ax, cy - ay) for ax, ay in ANCHORS)
    placed = max(0.0, 1.0 - near / 0.25)
    return 0.6 * area + 0.4 * placed


def _edges(inside: float) -> float:
    """All of the product in frame: 1; a tenth cut off: ~0.5; a third: ~0.1."""
    return max(0.0, min(1.0, inside)) ** 7
