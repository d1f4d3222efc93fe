"""Relighting a photoshoot (issue 24 item 2, ``lighting``): the cast shadow follows the key light, the
product is shaded from its mask's dome normals with a rim on the lit side, and the studio-white mask still
matches a drawn product. Everything is measured on pixels of a product the test draws."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from noxus_local.products.photoshoot import DIRECTIONS, backdrop, shoot, variation
from noxus_local.products.relight import Light, dome, relight
from noxus_local.products.shadows import cast_shadow

SIZE = (900, 700)
GREY = (150, 150, 150)


def bottle() -> Image.Image:
    """A flat grey bottle (body and neck), opaque on transparent: no shading of its own."""
    img = Image.new("RGBA", (220, 440), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 120, 219, 439), radius=50, fill=(*GREY, 255))
    draw.rectangle((75, 0, 144, 140), fill=(*GREY, 255))
    return img


def shot(side: str, lighting: str = "studio", angle: str = "front") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the photo, the same frame with no product, the product's mask) for a key from ``side``."""
    look = variation(0, 1, angle, lighting, side)
    base = backdrop("studio-white", SIZE, look)
    photo = shoot(bottle(), base, look)
    ghost = Image.new("RGBA", bottle().size, (0, 0, 0, 0))  # the backdrop lit the same, nothing on it
    empty = shoot(ghost, base, look)
    mask = np.asarray(shoot(Image.new("RGBA", bottle().size, (255, 255, 255, 255)),
                            Image.new("RGB", SIZE, (0, 0, 0)), look).convert("L")) > 60
    return np.asarray(photo, np.float32).mean(axis=2), np.asarray(empty, np.float32).mean(axis=2), mask


def centroid_x(weights: np.ndarray) -> float:
    return float((weights * np.arange(weights.shape[1])[None, :]).sum() / weights.sum())


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("lighting", ["studio", "dramatic", "golden-hour"])
def test_the_cast_shadow_falls_on_the_side_away_from_the_light(side, lighting):
    photo, empty, mask = shot(side, lighting)
    darker = np.clip(empty - photo, 0, None) * ~mask  # the shadow: the backdrop darkened, off the product
    assert darker.sum() > 1000
    product_x, shadow_x = centroid_x(mask.astype(np.float32)), centroid_x(darker)
    if side == "left":
        assert shadow_x > product_x + 20, (shadow_x, product_x)
    else:
        assert shadow_x < product_x - 20, (shadow_x, product_x)


@pytest.mark.parametrize("side", ["left", "right"])
def test_the_side_facing_the_light_is_brighter_than_the_far_side(side):
    photo, _, mask = shot(side, "dramatic")
    ys, xs = np.nonzero(mask)
    mid = (xs.min() + xs.max()) / 2
    body = ys > ys.min() + 0.4 * (ys.max() - ys.min())  # the body, not the neck
    left = photo[ys[body & (xs < mid)], xs[body & (xs < mid)]].mean()
    right = photo[ys[body & (xs > mid)], xs[body & (xs > mid)]].mean()
    lit, far = (left, right) if side == "left" else (right, left)
    assert lit > far + 8, (lit, far)


def test_the_drop_shadow_of_a_flat_lay_goes_away_from_the_light():
    product = bottle()
    for direction, sign in ((165.0, 1), (15.0, -1)):
        s = cast_shadow(product, "drop", 0.5, direction)
        alpha = np.asarray(s.image.getchannel("A"), np.float32)
        shadow_centre = s.offset[0] + centroid_x(alpha)
        assert (shadow_centre - product.width / 2) * sign > 5


def test_a_light_from_above_casts_its_shadow_under_the_product_not_beside_it():
    s = cast_shadow(bottle(), "floor", 0.5, DIRECTIONS["top"])
    alpha = np.asarray(s.image.getchannel("A"), np.float32)
    assert abs(s.offset[0] + centroid_x(alpha) - bottle().width / 2) < 12
    assert s.image.height < bottle().height * 0.5  # lies on the floor


def test_dome_normals_point_outward_and_face_the_camera_in_the_middle():
    alpha = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(alpha).ellipse((20, 20, 279, 279), fill=255)
    nx, ny, nz, depth = dome(alpha)
    assert nx[150, 25] < -0.8 and nx[150, 274] > 0.8 and ny[25, 150] < -0.8 and ny[274, 150] > 0.8
    assert nz[150, 150] > 0.95 and abs(nx[150, 150]) < 0.1
    assert depth[150, 150] == pytest.approx(130, abs=4) and depth[5, 5] == 0


def test_the_rim_light_is_on_the_side_facing_the_light_only():
    photo = Image.new("RGB", (400, 300), (100, 100, 100))
    alpha = Image.new("L", (400, 300), 0)
    ImageDraw.Draw(alpha).rounded_rectangle((100, 50, 300, 250), radius=40, fill=255)
    lit = np.asarray(relight(photo, alpha, Light(direction=0, key=0.0, rim=1.0, falloff=0.0)), np.float32)
    assert lit[150, 298].mean() > 150  # the right edge, facing a key on the right
    assert abs(lit[150, 102].mean() - 100) < 3 and abs(lit[150, 200].mean() - 100) < 3


def test_presets_keep_their_own_direction_and_light_direction_overrides_it():
    assert variation(0, 1, "front", "studio").light.direction == 135
    assert variation(0, 1, "front", "studio", "right").light.direction == DIRECTIONS["right"]
    assert variation(0, 1, "45-degree", "soft").light.direction != variation(0, 1, "front", "soft").light.direction
    for i in range(1, 4):  # variations move the light up and down, never across to the other side
        assert 90 < variation(i, 9, "front", "studio", "left").light.direction < 200
        assert -20 < variation(i, 9, "front", "studio", "right").light.direction < 90
