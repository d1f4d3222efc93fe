"""Product cut-outs (issues 21 and 24): ISNet from the registry, the mask against the shape the
test drew, backdrops, shadows and the composite.

The model (88 MB, ``isnet-general``) comes through the registry and the shared download cache
(``$NOXUS_MODEL_CACHE``), as `make test`'s test-models fetch it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from noxus_local.config import Config, load_config
from noxus_local.inference.cache import ModelCache, model_class
from noxus_local.inference.models.isnet import SIDE, IsNet, tensor
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.products.cutout import (
    Mask,
    NoForeground,
    Placement,
    apply_mask,
    colour,
    composite,
    cut_out,
    flat_lay,
    gradient,
    refine,
    segment,
    soft_shadow,
    studio_white,
)
from tests.media_samples import gradient as grey_ramp
from tests.media_samples import product_photo


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("cutout") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["isnet-general"])
    return cfg


@pytest.fixture(scope="module")
def models(cfg: Config) -> ModelCache:
    return ModelCache(cfg)


@pytest.fixture(scope="module")
def cluttered(models: ModelCache) -> tuple[Image.Image, Image.Image, Mask]:
    photo, truth = product_photo(background="cluttered")
    return photo, truth, segment(photo, models)


def iou(alpha: Image.Image, truth: Image.Image) -> float:
    a, t = np.asarray(alpha) > 127, np.asarray(truth) > 127
    return float((a & t).sum() / (a | t).sum())


def test_the_cache_knows_isnet_and_its_input_is_the_packages_normalisation():
    assert model_class("isnet-general") is IsNet
    x = tensor(Image.new("RGB", (300, 200), (0, 128, 255)))
    assert x.shape == (1, 3, SIDE, SIDE) and x.dtype == np.float32
    assert x[0, :, 0, 0].tolist() == [-0.5, 0.0, 127 / 256]


def test_the_mask_of_a_product_on_a_cluttered_table_matches_the_drawn_shape(cluttered):
    photo, truth, mask = cluttered
    assert mask.alpha.size == photo.size
    assert iou(mask.alpha, truth) >= 0.9
    assert mask.confidence > 0.8 and 0.1 < mask.coverage < 0.25


def test_the_mask_of_a_product_on_white_matches_the_drawn_shape(models):
    photo, truth = product_photo(background="white", size=(900, 1200))
    assert iou(segment(photo, models).alpha, truth) >= 0.9


def test_the_cut_out_is_tight_to_the_product_and_transparent_around_it(cluttered):
    photo, truth, mask = cluttered
    product = apply_mask(photo, mask)
    tx, ty, tx2, ty2 = truth.getbbox()
    assert product.mode == "RGBA"
    assert abs(product.width - (tx2 - tx)) <= 20 and abs(product.height - (ty2 - ty)) <= 20
    alpha = np.asarray(product.getchannel("A"))
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # rounded corners: background
    r, g, b, a = product.getpixel((product.width // 2, product.height // 2))
    assert a == 255 and r > 150 and g < 80  # the red body, opaque


def test_cut_out_through_the_model_cache_loads_once(models):
    photo, _ = product_photo(size=(600, 450), seed=5)
    product = cut_out(photo, models)
    assert product.mode == "RGBA" and product.width < 300
    assert models.stats()["isnet-general"]["loads"] == 1


def test_a_picture_with_nothing_to_cut_out_is_no_foreground(models, tmp_path):
    """A grey ramp (no object): the model is sure it is all background; cut_out says so (issue 24's
    "image without a separable foreground": the tool answers a clear error carrying the confidence)."""
    ramp = Image.open(grey_ramp(tmp_path / "ramp.png"))
    mask = segment(ramp, models)
    assert mask.box is None and mask.coverage == 0.0 and mask.confidence > 0.9
    with pytest.raises(NoForeground, match="no foreground found"):
        cut_out(ramp, models)


def test_refine_thresholds_removes_specks_and_feathers():
    prob = np.zeros((200, 200), np.float32)
    prob[50:150, 60:140] = 0.97
    prob[10, 10] = 0.99  # a one-pixel speck
    mask = refine(prob)
    assert mask.box == (60, 50, 80, 100)
    alpha = np.asarray(mask.alpha)
    assert alpha[100, 100] == 255 and alpha[10, 10] == 0
    assert 0 < alpha[100, 60] < 255  # the feathered edge


def test_an_empty_mask_is_no_foreground_with_its_confidence():
    mask = refine(np.full((100, 100), 0.02, np.float32))
    assert mask.box is None and mask.coverage == 0.0 and mask.confidence > 0.9
    with pytest.raises(NoForeground, match="confidence 0.96"):
        apply_mask(Image.new("RGB", (100, 100)), mask)


def red_square(side: int = 100) -> Image.Image:
    product = Image.new("RGBA", (side, side * 2), (220, 20, 30, 255))
    return product


def test_composite_on_studio_white_has_the_product_a_floor_shadow_and_the_sweep():
    backdrop = studio_white((540, 960))
    shot = composite(red_square(), backdrop, Placement(scale=0.5, floor=0.8))
    assert shot.size == (540, 960) and shot.mode == "RGB"
    assert shot.getpixel((270, 960 * 0.8 - 120)) == (220, 20, 30)  # the product, untouched
    assert shot.getpixel((10, 10)) == backdrop.getpixel((10, 10))  # the backdrop, untouched
    under = np.mean(np.asarray(shot)[int(960 * 0.8) + 2, 200:340])
    beside = np.mean(np.asarray(backdrop)[int(960 * 0.8) + 2, 200:340])
    assert under < beside - 15  # the floor shadow under it
    top, floor = np.asarray(backdrop)[20, 270], np.asarray(backdrop)[900, 270]
    assert top.mean() < floor.mean()  # the sweep: grey wall into white floor


def test_flat_lay_has_texture_and_a_drop_shadow_down_right():
    backdrop = flat_lay((600, 600), "#D9C7A7", seed=1)
    assert np.asarray(backdrop).std() > 2  # texture, not a flat colour
    shot = np.asarray(composite(red_square(), backdrop, Placement(scale=0.4, floor=0.7, shadow="drop")))
    right, left = shot[300, 370:380].mean(), shot[300, 220:230].mean()
    assert shot[300, 300].tolist() == [220, 20, 30] and right < left - 10


def test_colour_and_gradient_backdrops_and_a_reflection():
    assert colour((10, 10), "#F4D35E").getpixel((5, 5)) == (244, 211, 94)
    g = gradient((200, 100), "#FF5500", "#000000", angle=0)
    assert g.getpixel((0, 50)) == (255, 85, 0) and g.getpixel((199, 50)) == (0, 0, 0)
    shot = np.asarray(composite(red_square(), colour((400, 400), "#FFFFFF"),
                                Placement(scale=0.4, floor=0.6, shadow="none", reflection=0.4)))
    assert 150 < shot[245, 200, 1] < 250  # a faded red copy under the product


def test_soft_shadow_none_is_empty():
    assert soft_shadow(red_square(), "none").image.getbbox() is None


def test_defringe_recolours_the_soft_edge_from_the_product_not_the_old_background():
    from PIL import ImageDraw, ImageFilter

    from noxus_local.products.cutout import defringe

    disc = Image.new("RGBA", (200, 200), (0, 200, 0, 255))  # a red disc cut from a green field
    ImageDraw.Draw(disc).ellipse((40, 40, 160, 160), fill=(220, 20, 20, 255))
    alpha = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(alpha).ellipse((40, 40, 160, 160), fill=255)
    disc.putalpha(alpha.filter(ImageFilter.GaussianBlur(2)))
    clean = defringe(disc)
    assert clean.getchannel("A").tobytes() == disc.getchannel("A").tobytes()
    for y in (37, 38, 39):  # alpha 28..103 on the rim: green before, red after
        r, g, _, _ = clean.getpixel((100, y))
        assert disc.getpixel((100, y))[1] == 200 and r > 200 and g < 40


def test_a_blurred_original_backdrop_and_the_products_own_colour():
    from noxus_local.products.cutout import blurred, product_colour

    photo, _ = product_photo(size=(800, 600))
    back = blurred(photo, (540, 960))
    assert back.size == (540, 960)
    edges = np.abs(np.diff(np.asarray(back.convert("L"), np.float32), axis=1)).mean()
    assert edges < np.abs(np.diff(np.asarray(photo.convert("L"), np.float32), axis=1)).mean() / 3  # out of focus
    r, g, b = product_colour(red_square())
    assert (r, g, b) == (220, 20, 30)
    with pytest.raises(ValueError):
        Placement(scale=1.5)
