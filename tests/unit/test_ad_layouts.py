"""instant-ad's image layouts (issue 24 item 3): every style at every platform size, read back by PP-OCR.

The words an ad must carry (the page's product name and price, the CTA) are judged by our OCR model,
not by what the renderer says it drew; the styles must look different from each other; a text-only ad
(no product image) still carries them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from noxus_local.config import Config, load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.ppocr import PpOcr
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.products.ad_layouts import PLATFORMS, STYLES, AdContent, orientation, render_ad

CONTENT = AdContent("Hot drinks, cool mug", "Keeps your coffee warm for six hours.", "Shop now", "Glow Mug",
                    "$24.90", "Acme Home")
COLOURS = ["#1d6fd8", "#e63946"]


@pytest.fixture(scope="module")
def ocr(tmp_path_factory: pytest.TempPathFactory) -> PpOcr:
    cfg: Config = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("layouts") / "data"),
                                     "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["ppocr-v6-tiny"])
    return ModelCache(cfg).get(PpOcr)


@pytest.fixture(scope="module")
def product() -> Image.Image:
    cut = Image.new("RGBA", (300, 500), (0, 0, 0, 0))
    draw = ImageDraw.Draw(cut)
    draw.rounded_rectangle((40, 80, 260, 495), radius=40, fill=(200, 30, 40, 255))
    draw.rectangle((110, 0, 190, 85), fill=(60, 60, 60, 255))
    return cut


def squash(text: str) -> str:
    return "".join(text.casefold().split())


def read(ocr: PpOcr, img: Image.Image) -> str:
    return squash(ocr.predict([img])[0]["text"])


def test_platform_sizes_and_orientations():
    assert PLATFORMS["instagram"] == (1080, 1080) and PLATFORMS["tiktok"] == (1080, 1920)
    assert PLATFORMS["facebook"] == (1200, 628) and PLATFORMS["linkedin"] == (1200, 627)
    assert [orientation(PLATFORMS[p]) for p in ("instagram", "instagram-story", "facebook")] == \
        ["square", "portrait", "landscape"]


@pytest.mark.parametrize("platform", ["instagram", "tiktok", "facebook", "linkedin"])
@pytest.mark.parametrize("style", STYLES)
def test_each_style_renders_at_the_platform_size_with_name_price_and_cta_readable(ocr, product, style, platform):
    ad = render_ad(CONTENT, style, PLATFORMS[platform], COLOURS, product=product)
    assert ad.size == PLATFORMS[platform] and ad.mode == "RGB"
    seen = read(ocr, ad)
    assert "glowmug" in seen and "24.90" in seen and "shopnow" in seen, seen
    red = np.asarray(ad)[..., 0].astype(int) - np.asarray(ad)[..., 1]
    assert (red > 120).mean() > 0.01  # the product's red is on the ad


def test_a_text_only_ad_and_a_framed_photo_carry_the_same_words(ocr):
    text_only = render_ad(CONTENT, "bold", PLATFORMS["instagram"], COLOURS)
    photo = Image.new("RGB", (800, 600), (240, 240, 240))
    ImageDraw.Draw(photo).ellipse((250, 150, 550, 450), fill=(30, 160, 60))
    framed = render_ad(CONTENT, "minimal", PLATFORMS["tiktok"], COLOURS, photo=photo)
    for ad in (text_only, framed):
        seen = read(ocr, ad)
        assert "glowmug" in seen and "24.90" in seen, seen
    assert (np.asarray(framed)[..., 1].astype(int) - np.asarray(framed)[..., 0] > 80).mean() > 0.01


def test_the_five_styles_differ_pairwise(product):
    ads = [np.asarray(render_ad(CONTENT, s, PLATFORMS["instagram"], COLOURS, product=product), np.float32)
           for s in STYLES]
    for i in range(len(ads)):
        for j in range(i + 1, len(ads)):
            assert np.abs(ads[i] - ads[j]).mean() > 12, (STYLES[i], STYLES[j])


def test_a_logo_replaces_the_brand_name_and_brand_colours_paint_the_ad(ocr, product):
    logo = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((0, 0, 99, 99), fill=(255, 200, 0, 255))
    ad = render_ad(CONTENT, "bold", PLATFORMS["instagram"], ["#1d6fd8"], product=product, logo=logo)
    pixels = np.asarray(ad).reshape(-1, 3).astype(int)
    blue = (np.abs(pixels - (29, 111, 216)).sum(axis=1) < 30).mean()
    assert blue > 0.4  # bold: the brand's accent full bleed
    assert "acmehome" not in read(ocr, ad)


def test_an_unknown_style_is_a_value_error():
    with pytest.raises(ValueError, match="styles"):
        render_ad(CONTENT, "grunge", (1080, 1080), COLOURS)
