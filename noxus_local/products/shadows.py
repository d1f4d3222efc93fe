"""A product's shadow cast away from its key light: the photoshoot's floor and drop shadows with a direction.

``cutout.soft_shadow`` draws a shadow as if lit from above-left, whatever the light.
Here the light's direction (``relight.Light.direction``: degrees counter-clockwise
from the right, 90 = from above) decides where the shadow falls:

- ``floor`` (a product standing on a surface): the contact shadow, a small dark
  ellipse under the base, nudged away from the light, plus the silhouette cast on
  the floor: squashed to ``FLOOR_DEPTH`` of its height (the floor recedes) and
  sheared sideways, away from the light, the further the lower the light (a key
  from straight above casts almost nothing beside the product; one from the side, a
  long shadow), fading and softening with distance from the base.
- ``drop`` (a flat lay seen from above): the silhouette, blurred, offset along the
  opposite of the light's direction.
- ``none``: nothing.

Example::

    s = cast_shadow(product, "floor", 0.45, LIGHTS["studio"].direction)    # key upper left → shadow right
    paste_layer(canvas, s.image, (x + s.offset[0], y + s.offset[1]))       # before the product itself
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.products.cutout import Shadow, ShadowKind, footprint, soft_shadow

FLOOR_DEPTH = 0.22  # the cast silhouette's height on the floor, as a share of the product's
MAX_SHEAR = 1.2  # the cast shadow reaches at most this × the product's height sideways
MIN_ELEVATION = 0.3  # a light at the horizon would cast an endless shadow: lift it to ~17°


def cast_shadow(cutout: Image.Image, kind: ShadowKind, strength: float, direction: float) -> Shadow:
    """The shadow of an RGBA cut-out lit from ``direction`` degrees; its offset is from the cut-out's top-left.

    Example: ``cast_shadow(bottle, "floor", 0.5, 165.0)`` — a key from the left, a long shadow to the right.
    """
    w, h = cutout.size
    if kind == "none" or w == 0 or h == 0 or strength <= 0:
        return soft_shadow(cutout, "none")
    lx, ly = math.cos(math.radians(direction)), -math.sin(math.radians(direction))
    if kind == "drop":
        return _drop(cutout, strength, -lx, -ly)
    return _floor(cutout, strength, lx, max(MIN_ELEVATION, -ly))


def _drop(cutout: Image.Image, strength: float, dx: float, dy: float) -> Shadow:
    w, h = cutout.size
    blur = max(2, round(0.04 * max(w, h)))
    pad = blur * 3
    sil = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    sil.paste(cutout.getchannel("A").point(lambda v: round(v * strength)), (pad, pad))
    shadow = Image.new("RGBA", sil.size, (0, 0, 0, 0))
    shadow.putalpha(sil.filter(ImageFilter.GaussianBlur(blur)))
    shift = max(2.0, 0.05 * max(w, h))
    return Shadow(shadow, (round(shift * dx) - pad, round(shift * dy) - pad))


def _floor(cutout: Image.Image, strength: float, lx: float, elevation: float) -> Shadow:
    """Cast silhouette + contact ellipse on one layer. ``lx`` > 0: the light is on the right."""
    w, h = cutout.size
    shear = max(-MAX_SHEAR, min(MAX_SHEAR, -lx / elevation * 0.5))  # sideways per unit of height, away from it
    depth = max(2.0, FLOOR_DEPTH * h)
    blur = max(2.0, 0.02 * h)
    pad = round(3 * blur) + 2
    reach = abs(shear) * h
    left = pad + (reach if shear < 0 else 0.0)  # where the cut-out's left edge lies on the layer
    base = pad + depth  # where its base line lies
    size = (round(w + reach + 2 * pad), round(depth + 2 * pad + 0.08 * h))
    # the layer point (u, v) shows the cut-out's point at height z = (base - v) / FLOOR_DEPTH above its base,
    # shifted sideways by shear × z: x = u - left - shear·z, y = h - z
    k = h / depth
    coeffs = (1.0, shear * k, -left - shear * k * base, 0.0, k, h - k * base)
    sil = cutout.getchannel("A").transform(size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR,
                                           fillcolor=0)
    fade = np.clip(1.0 - (base - np.arange(size[1], dtype=np.float32)) / depth, 0.25, 1.0)  # lighter far away
    cast = np.asarray(sil, np.float32) * fade[:, None] * (0.55 * strength)
    soft = np.asarray(Image.fromarray(cast.astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(blur)),
                      np.float32)
    contact = Image.new("L", size, 0)
    foot = footprint(cutout)
    cw, ch = (foot[1] - foot[0]) * 0.95, max(3.0, 0.05 * h)
    cx = left + (foot[0] + foot[1]) / 2 - lx * 0.08 * cw  # nudged away from the light
    ImageDraw.Draw(contact).ellipse((cx - cw / 2, base - ch / 2, cx + cw / 2, base + ch / 2),
                                    fill=round(255 * strength))
    near = np.asarray(contact.filter(ImageFilter.GaussianBlur(max(2.0, ch / 2))), np.float32)
    alpha = np.maximum(soft, near).clip(0, 255).astype(np.uint8)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    layer.putalpha(Image.fromarray(alpha, "L"))
    return Shadow(layer, (round(-left), round(h - base)))
