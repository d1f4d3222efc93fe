"""products/shot_score.py: each part of a video ad's variant score moves the right way (issue 21 item 3).

A drawn product (a red rounded bottle with a grey cap, its own alpha) is composited
with the real compositor; each test changes one thing and checks that part, and the
total, go down.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.products import backdrops
from noxus_local.products.ad_shots import score, variants
from noxus_local.products.cutout import Placement, composite

SIZE = (360, 640)
RED = (210, 30, 40)


@pytest.fixture(scope="module")
def bottle() -> Image.Image:
    img = Image.new("RGBA", (180, 500), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 90, 179, 499), radius=40, fill=(*RED, 255))
    draw.rectangle((55, 0, 125, 95), fill=(60, 60, 60, 255))
    for y in range(130, 470, 24):  # a label's stripes: detail for the sharpness measure
        draw.line((20, y, 160, y), fill=(250, 240, 230, 255), width=3)
    return img


def judged(cut: Image.Image, backdrop: Image.Image, placement: Placement, blur: float = 0.0):  # noqa: ANN201
    picture = composite(cut, backdrop, placement)
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(blur))
    return score(picture, cut, placement)


CENTRED = Placement(scale=0.55, x=0.5, floor=0.78, shadow="floor")


def test_a_product_cut_off_at_the_frame_edge_scores_lower(bottle):
    whole = judged(bottle, backdrops.studio_white(SIZE), CENTRED)
    cut = judged(bottle, backdrops.studio_white(SIZE), Placement(scale=0.55, x=0.97, floor=0.78, shadow="floor"))
    assert whole.parts["edges"] == 1.0 and cut.parts["edges"] < 0.2, (whole.parts, cut.parts)
    assert cut.total < whole.total - 0.2


def test_a_low_contrast_backdrop_scores_lower(bottle):
    white = judged(bottle, backdrops.studio_white(SIZE), CENTRED)
    red = judged(bottle, Image.new("RGB", SIZE, (190, 40, 45)), CENTRED)
    assert red.parts["contrast"] < 0.2 < 0.6 < white.parts["contrast"], (white.parts, red.parts)
    assert red.total < white.total


def test_a_blurred_variant_scores_lower(bottle):
    sharp = judged(bottle, backdrops.studio_white(SIZE), CENTRED)
    blurred = judged(bottle, backdrops.studio_white(SIZE), CENTRED, blur=4)
    assert blurred.parts["sharpness"] < sharp.parts["sharpness"] - 0.2, (sharp.parts, blurred.parts)
    assert blurred.total < sharp.total


def test_a_product_too_small_or_off_the_anchors_scores_lower_on_framing(bottle):
    good = judged(bottle, backdrops.studio_white(SIZE), CENTRED)
    tiny = judged(bottle, backdrops.studio_white(SIZE), Placement(scale=0.12, x=0.12, floor=0.2, shadow="none"))
    assert tiny.parts["framing"] < good.parts["framing"] - 0.3, (good.parts, tiny.parts)


def test_a_dark_frame_scores_lower_on_exposure(bottle):
    bright = judged(bottle, backdrops.studio_white(SIZE), CENTRED)
    dark = judged(bottle, Image.new("RGB", SIZE, (4, 4, 6)), CENTRED)
    assert dark.parts["exposure"] < bright.parts["exposure"], (bright.parts, dark.parts)


def test_variants_record_every_part_and_the_pick_is_the_best_total(bottle):
    photo = Image.new("RGB", (400, 600), (250, 250, 250))
    photo.paste(bottle, (110, 50), bottle)
    shots = variants(bottle, photo, SIZE, style="", colour=None, count=3, seed=0)
    for s in shots:
        d = s.describe()
        assert set(d["parts"]) == {"sharpness", "exposure", "contrast", "framing", "edges", "preferred"}
        parts = {k: v for k, v in d["parts"].items() if k != "preferred"}
        assert all(0.0 <= v <= 1.0 for v in parts.values())
    best = max(shots, key=lambda s: s.score)
    assert best.score == max(s.score for s in shots)
    assert np.asarray(best.image).shape == (SIZE[1], SIZE[0], 3)
