"""Relighting a product composite: a key light's direction, warmth, contrast and a rim light, in numpy.

No model draws light here: the product's cut-out alpha stands in for its shape.
The mask's distance transform (how far each pixel lies inside the silhouette,
``dome``) is read as a dome: flat-on in the middle, turning away toward the
edge, so each pixel gets a pseudo surface normal (pointing outward across the
silhouette, tilted by how near the edge it is). The key light's Lambert term
against that normal, less the flat-on term (a product facing the camera keeps
its own exposure), brightens the flank facing the light and darkens the other,
by the preset's ``key``. A rim light is a thin band along the silhouette on the
side facing the light, screen-blended in the light's colour. Then the whole
frame: a gentle falloff away from the light (the backdrop too), warmth (red up,
blue down) and contrast around the frame's mean luminance. The cast shadow
(cutout.soft_shadow) falls on the side away from the same direction.

Presets are seed 002's ``lighting`` values (``LIGHTS``): studio, natural, dramatic,
soft, golden-hour; each has a direction, which ``DIRECTIONS`` (the tool's
``light_direction``: left, upper-left, top, upper-right, right) may override.

Example::

    shot = composite(product, studio_white((1600, 1200)), placement)   # RGB
    alpha = product_alpha(product, shot.size, placement)               # "L", where the product is
    relight(shot, alpha, LIGHTS["golden-hour"]).save("warm.jpg")
    relight(shot, alpha, LIGHTS["dramatic"].facing("right"))           # the key from the right
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

__all__ = ["DIRECTIONS", "LIGHTS", "Light", "dome", "relight"]

# the tool's light_direction → degrees counter-clockwise from the right (the key's side, seen from the camera)
DIRECTIONS: dict[str, float] = {"left": 165.0, "upper-left": 135.0, "top": 95.0, "upper-right": 45.0,
                                "right": 15.0}
DOME_SIDE = 256  # the distance transform runs on the mask shrunk to this side: normals are smooth anyway


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

    def facing(self, side: str | None) -> Light:
        """The same light from one of ``DIRECTIONS`` (None: unchanged): ``LIGHTS["soft"].facing("right")``."""
        return self if side is None else replace(self, direction=DIRECTIONS[side])

    def vector(self) -> tuple[float, float]:
        """The way to the light in image axes (x right, y down), unit length: ``Light(direction=180).vector()``
        is ``(-1.0, -0.0)``; a cast shadow falls along its opposite."""
        return math.cos(math.radians(self.direction)), -math.sin(math.radians(self.direction))


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
    lx, ly = light.vector()
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
    a = np.asarray(alpha, np.float32) / 255.0
    nx, ny, nz, depth = dome(alpha)
    lz = 0.8  # the key stands a little in front of the product, so its far flank is dimmer, not black
    ln = math.sqrt(lx * lx + ly * ly + lz * lz)
    lambert = np.clip((nx * lx + ny * ly + nz * lz) / ln, 0.0, 1.0)
    shade = 1.0 + light.key * 1.2 * (lambert - lz / ln)  # facing the camera (n = z): unchanged
    out = rgb * (1.0 + (shade - 1.0) * a)[..., None]
    if light.rim > 0:
        side = float(min(alpha.size))
        band = a * np.clip(1.0 - depth / max(2.0, 0.025 * side), 0.0, 1.0)  # a thin band inside the edge
        flat = np.sqrt(nx * nx + ny * ny) + 1e-6
        toward = np.clip((nx * lx + ny * ly) / flat, 0.0, 1.0)  # the silhouette's side facing the key
        amount = (light.rim * band * toward * toward)[..., None]
        colour = np.array(light.rim_colour, np.float32) / 255.0
        out = out + amount * colour * (1.0 - out)  # screen: brightens, never clips a white product to grey
    return out


def dome(alpha: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pseudo normals of a silhouette read as a dome: ``(nx, ny, nz, depth)`` float32 at the alpha's size.

    ``depth`` is the distance (pixels) from each pixel to the silhouette's edge. With ``t = depth / max``
    the surface's height is a circular profile, ``sqrt(1 - (1 - t)²)``: upright in the middle, edge-on at
    the rim. The height is blurred a little (the distance transform's ridges would show as creases, a
    roof rather than a dome) and its slope gives the normal, ``(-dh/dx, -dh/dy, 1)`` normalised.
    Example: for a disc, ``nx`` is about -1 at its left edge, 0 in the middle, +1 at its right edge.
    """
    w, h = alpha.size
    step = max(1.0, max(w, h) / DOME_SIDE)
    small = alpha.resize((max(1, round(w / step)), max(1, round(h / step))), Image.Resampling.BILINEAR)
    inside = np.asarray(small) > 127
    depth_small = _distance(inside)
    reach = max(1.0, float(depth_small.max()))
    t = np.clip(depth_small / reach, 0.0, 1.0)
    height = reach * np.sqrt(np.clip(1.0 - (1.0 - t) ** 2, 0.0, 1.0)) * inside
    sigma = max(1.0, 0.12 * reach)
    smooth = _gaussian(height.shape[0], sigma) @ height.astype(np.float32) @ _gaussian(height.shape[1], sigma).T
    gy, gx = np.gradient(smooth)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    normals = [Image.fromarray((v / norm).astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR)
               for v in (-gx, -gy, np.ones_like(gx))]
    nx, ny, nz = (np.asarray(n, np.float32) for n in normals)
    depth = np.asarray(Image.fromarray(depth_small * step, "F").resize((w, h), Image.Resampling.BILINEAR),
                       np.float32)
    return nx, ny, nz, depth


def _gaussian(n: int, sigma: float) -> np.ndarray:
    """The ``n`` × ``n`` matrix of a 1-D Gaussian blur (zero outside): ``G @ a @ G.T`` blurs a small float
    array both ways (Pillow's blur takes no float images). ``_gaussian(3, 1.0).sum(axis=1)`` ≤ 1."""
    xs = np.arange(n, dtype=np.float32)
    kernel = np.exp(-((xs[:, None] - xs[None, :]) ** 2) / np.float32(2 * sigma * sigma))
    return (kernel / np.float32(sigma * math.sqrt(2 * math.pi))).astype(np.float32)


def _distance(inside: np.ndarray) -> np.ndarray:
    """The exact Euclidean distance from each inside pixel to the nearest outside one (or the image's
    border), float32; 0 outside. Separable: per column the distance to the nearest outside pixel, then per
    row the minimum over columns of ``(x - x')² + g(x')²``, a broadcast over a small (≤ 256 px) mask.
    (scipy's ``distance_transform_edt`` does this; the stack has no scipy for one call.)
    Example: ``_distance(np.ones((5, 5), bool))[2, 2] == 3.0`` (three steps to the border's outside).
    """
    h, w = inside.shape
    big = np.float32(h + w + 2)
    g = np.empty((h, w), np.float32)
    run = np.zeros(w, np.float32)  # down the columns: distance to the nearest outside pixel above
    for y in range(h):
        run = np.where(inside[y], run + 1, 0).astype(np.float32)
        g[y] = run
    run = np.zeros(w, np.float32)  # and below
    for y in range(h - 1, -1, -1):
        run = np.where(inside[y], run + 1, 0).astype(np.float32)
        g[y] = np.minimum(g[y], run)
    g = np.where(inside, g, 0).astype(np.float32)
    g = np.minimum(g, big)
    xs = np.arange(w, dtype=np.float32)
    gap = (xs[:, None] - xs[None, :]) ** 2  # [x, x']
    out = np.empty((h, w), np.float32)
    # columns outside the image count as outside: distance to them is x + 1 or w - x
    edge = np.minimum(xs + 1, w - xs) ** 2
    for y0 in range(0, h, 32):
        rows = g[y0:y0 + 32]  # [r, x']
        best = (gap[None, :, :] + (rows * rows)[:, None, :]).min(axis=2)
        out[y0:y0 + 32] = np.sqrt(np.minimum(best, edge[None, :]))
    return np.where(inside, out, 0).astype(np.float32)


def _falloff(size: tuple[int, int], strength: float, lx: float, ly: float) -> np.ndarray:
    """Brighter toward the light, darker away from it and in the far corners: float32 [h, w] around 1."""
    w, h = size
    xs = np.linspace(-1.0, 1.0, w, dtype=np.float32)
    ys = np.linspace(-1.0, 1.0, h, dtype=np.float32)
    toward = ys[:, None] * np.float32(ly) + xs[None, :] * np.float32(lx)
    corners = (xs[None, :] ** 2 + ys[:, None] ** 2) * np.float32(0.5)
    return (1.0 + strength * (0.18 * toward - 0.22 * corners)).astype(np.float32)
