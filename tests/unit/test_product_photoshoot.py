"""The product-photoshoot pipeline and tool without the server (issue 24 item 2): the mask against a shape
the test draws, framing and perspective, relighting, variations, backdrops, outputs and bad input.

ISNet (88 MB, ``isnet-general``) comes through the registry and the shared download cache, as in
tests/unit/test_cutout.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.config import Config, load_config
from noxus_local.errors import InvalidMedia, ToolUnavailable, ValidationError
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.products.cutout import segment
from noxus_local.products.photoshoot import (
    ANGLES,
    Custom,
    backdrop,
    parse_custom,
    perspective,
    shoot,
    variation,
)
from noxus_local.products.relight import LIGHTS, Light, relight
from noxus_local.tools.base import InputFile, Limits, ToolContext
from noxus_local.tools.product_photoshoot import ProductPhotoshootTool, _request_size
from tests.media_samples import gradient as grey_ramp

TOOL = ProductPhotoshootTool()


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("shoot") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["isnet-general"])
    return cfg


@pytest.fixture(scope="module")
def models(cfg: Config) -> ModelCache:
    return ModelCache(cfg)


def drawn_product(size: tuple[int, int] = (960, 720), seed: int = 11) -> tuple[Image.Image, Image.Image]:
    """A teal rounded object (a jar: rounded body, round lid) shaded left to right, on a textured backdrop
    (a woven warm-grey pattern with grain and a few coloured blobs), and its true mask."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    weave = 14 * np.sin(x / 6.0) * np.sin(y / 6.0) + 9 * np.sin((x + y) / 29.0)
    table = np.stack([178 + weave, 168 + weave, 152 + weave], -1) + rng.normal(0, 10, (h, w, 3))
    photo = Image.fromarray(np.clip(table, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    blobs = ImageDraw.Draw(photo)
    for _ in range(12):
        cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(6, 22))
        blobs.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(110, 220, 3)))
    truth = Image.new("L", size, 0)
    shape = ImageDraw.Draw(truth)
    bx, by, bw, bh = int(w * 0.38), int(h * 0.3), int(w * 0.25), int(h * 0.5)
    shape.rounded_rectangle((bx, by, bx + bw, by + bh), radius=bw // 4, fill=255)
    shape.ellipse((bx + bw * 0.15, by - h * 0.07, bx + bw * 0.85, by + h * 0.05), fill=255)
    across = np.cos((x - (bx + bw * 0.4)) / bw * 2.0).clip(0, 1)
    body = np.stack([10 + 30 * across, 110 + 100 * across, 120 + 95 * across], -1)
    jar = Image.fromarray(np.clip(body, 0, 255).astype(np.uint8))
    return Image.composite(jar, photo, truth), truth


def iou(alpha: Image.Image, truth: Image.Image) -> float:
    a, t = np.asarray(alpha) > 127, np.asarray(truth) > 127
    return float((a & t).sum() / (a | t).sum())


def save(img: Image.Image, path: Path) -> dict[str, InputFile]:
    img.save(path)
    return {"image": InputFile(path, path.name, "image/png", path.stat().st_size)}


def run(models: ModelCache, cfg: Config, files: dict[str, InputFile], workdir: Path, **fields: Any) -> Any:
    params = TOOL.validate(fields, files, Limits())
    TOOL.check_installed(params, TOOL.plan(TOOL.typed(params), files, Limits()), cfg)
    return TOOL.call(ToolContext(params=params, files=files, limits=Limits(), workdir=workdir, models=models,
                                 settings=cfg))


def test_the_mask_of_a_drawn_rounded_object_on_a_textured_backdrop_matches_it(models):
    photo, truth = drawn_product()
    mask = segment(photo, models)
    assert iou(mask.alpha, truth) >= 0.9
    assert mask.confidence > 0.8


def test_the_tool_makes_count_distinct_photos_at_the_inputs_size_as_png_and_jpeg(models, cfg, tmp_path):
    photo, _ = drawn_product((800, 600))
    out = run(models, cfg, save(photo, tmp_path / "jar.png"), tmp_path, count="2", angle="45-degree",
              lighting="golden-hour", seed="5")
    files = {f.name: f for f in out.files()}
    assert set(files) == {"primary", "photo-1-jpeg", "photo-2", "photo-2-jpeg", "cutout"}
    assert [files[n].filename for n in ("primary", "photo-1-jpeg", "photo-2", "photo-2-jpeg")] == \
        ["photo-1.png", "photo-1.jpg", "photo-2.png", "photo-2.jpg"]
    decoded = {n: Image.open(io.BytesIO(f.data)) for n, f in files.items() if isinstance(f.data, bytes)}
    for name in ("primary", "photo-1-jpeg", "photo-2", "photo-2-jpeg"):
        assert decoded[name].size == (800, 600), name
    assert decoded["primary"].format == "PNG" and decoded["photo-1-jpeg"].format == "JPEG"
    assert decoded["cutout"].mode == "RGBA" and decoded["cutout"].width < 300
    one = np.asarray(decoded["primary"].convert("RGB"), np.float32)
    two = np.asarray(decoded["photo-2"].convert("RGB"), np.float32)
    assert np.abs(one - two).mean() > 3.0  # different framing, light and backdrop tone
    assert out.units == 2.0 and out.result["count"] == 2 and out.result["seed"] == 5
    assert out.result["mask"]["confidence"] > 0.8 and out.result["backdrop_source"] == "drawn"
    assert [p["png"] for p in out.result["photos"]] == ["photo-1.png", "photo-2.png"]
    # the product sits where the studio sweep is not: its teal shows in the photo
    assert (np.abs(one[..., 1] - one[..., 0]) > 60).mean() > 0.02


def test_the_same_seed_gives_the_same_photos_and_another_differs():
    product = Image.new("RGBA", (120, 240), (200, 40, 40, 255))
    base = (400, 300)
    a = shoot(product, backdrop("studio-white", base, variation(1, 3, "front", "studio")),
              variation(1, 3, "front", "studio"))
    b = shoot(product, backdrop("studio-white", base, variation(1, 3, "front", "studio")),
              variation(1, 3, "front", "studio"))
    c = shoot(product, backdrop("studio-white", base, variation(1, 4, "front", "studio")),
              variation(1, 4, "front", "studio"))
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    assert variation(0, 3, "hero", "soft").framing == ANGLES["hero"]


def test_angles_warp_and_frame_the_cut_out():
    product = Image.new("RGBA", (200, 400), (30, 90, 200, 255))
    hero = np.asarray(perspective(product, ANGLES["hero"]).getchannel("A")) > 127
    assert hero[2].sum() < hero[-3].sum() * 0.95  # the top recedes: narrower than the base
    turned = np.asarray(perspective(product, ANGLES["45-degree"]).getchannel("A")) > 127
    assert turned[:, 2].sum() > turned[:, -3].sum() * 1.05  # the near (left) edge is taller than the far one
    top = perspective(product, ANGLES["top-down"])
    assert top.height < 400 * 0.85  # foreshortened
    assert perspective(product, ANGLES["front"]) is product
    size = (600, 400)
    close = shoot(product, backdrop("custom", size, variation(0, 1, "close-up", "studio"), Custom("#F4D35E")),
                  variation(0, 1, "close-up", "studio"))
    blue = (np.asarray(close)[..., 2].astype(int) - np.asarray(close)[..., 0]) > 60
    assert blue[-1].any() and blue.sum() / blue.size > 0.15  # big, and running off the bottom edge


def test_relighting_brightens_the_side_facing_the_light_and_warms():
    photo = Image.new("RGB", (400, 300), (128, 128, 128))
    alpha = Image.new("L", (400, 300), 0)
    ImageDraw.Draw(alpha).rounded_rectangle((100, 50, 300, 250), radius=40, fill=255)
    left = relight(photo, alpha, Light(direction=180, key=0.6, rim=0.0, falloff=0.0, contrast=1.0))
    px = np.asarray(left, np.float32).mean(axis=2)
    assert px[150, 120:160].mean() > px[150, 240:280].mean() + 10  # lit from the left
    warm = np.asarray(relight(photo, alpha, Light(key=0.0, rim=0.0, warmth=1.0, falloff=0.0)), np.float32)
    assert warm[10, 10, 0] > warm[10, 10, 2] + 20
    rim = np.asarray(relight(photo, alpha, Light(direction=0, key=0.0, rim=1.0, falloff=0.0)), np.float32)
    assert rim[150, 298].mean() > 150 and abs(rim[150, 200].mean() - 128) < 3  # only the edge facing the key
    dramatic = np.asarray(relight(photo, alpha, LIGHTS["dramatic"]), np.float32)
    assert dramatic[5, 395].mean() < dramatic[150, 200].mean()  # falls off into the far corner


def test_custom_backgrounds_read_colours_gradients_or_a_description():
    assert parse_custom("#F4D35E") == Custom("#F4D35E")
    assert parse_custom("#FF5500, #7A1FA2") == Custom("#FF5500", "#7A1FA2")
    assert parse_custom("coral to navy") == Custom("coral", "navy")
    assert parse_custom("a marble bathroom shelf with towels") == Custom()
    assert parse_custom("") == Custom()
    look = variation(0, 1, "front", "studio")
    flat = np.asarray(backdrop("custom", (64, 48), look, Custom("#F4D35E")))
    assert tuple(flat[10, 10]) == (0xF4, 0xD3, 0x5E)
    ramp = np.asarray(backdrop("custom", (64, 48), look, Custom("#FF0000", "#0000FF")))
    assert ramp[0, 0, 0] > 200 and ramp[-1, -1, 2] > 200
    picture = Image.new("RGB", (100, 100), (1, 2, 3))
    assert backdrop("lifestyle", (80, 40), look, picture=picture).size == (80, 40)
    assert _request_size((1600, 1200)) == (1024, 768) and _request_size((300, 500)) == (320, 512)


def test_a_picture_with_nothing_to_cut_out_is_a_400_with_the_masks_confidence(models, cfg, tmp_path):
    ramp = grey_ramp(tmp_path / "ramp.png")
    files = {"image": InputFile(ramp, "ramp.png", "image/png", ramp.stat().st_size)}
    with pytest.raises(InvalidMedia) as caught:
        run(models, cfg, files, tmp_path)
    assert caught.value.status == 400
    assert caught.value.details["reason"] == "no_foreground" and caught.value.details["mask_confidence"] > 0.9


def test_bad_input_is_refused_before_the_run(cfg, tmp_path):
    files = save(Image.new("RGB", (64, 64), "red"), tmp_path / "p.png")
    for fields, field in (({"count": "5"}, "count"), ({"count": "0"}, "count"),
                          ({"background": "space"}, "background"), ({"angle": "upside-down"}, "angle"),
                          ({"background": "custom"}, "custom_background")):
        with pytest.raises(ValidationError) as caught:
            TOOL.validate(fields, files, Limits())
        assert field in caught.value.details["field_errors"], fields
    both = {**files, "background_image": files["image"]}
    with pytest.raises(ValidationError) as caught:
        TOOL.validate({"background": "studio-white"}, both, Limits())
    assert "background_image" in caught.value.details["field_errors"]
    for fields in ({"background": "lifestyle"}, {"background": "outdoor"},
                   {"background": "custom", "custom_background": "a sunny beach at noon"}):
        params = TOOL.validate(fields, files, Limits())
        with pytest.raises(ToolUnavailable, match=r"\[generators\.<nombre>\]"):
            TOOL.check_installed(params, TOOL.plan(TOOL.typed(params), files, Limits()), cfg)
    colours = TOOL.validate({"background": "custom", "custom_background": "#112233"}, files, Limits())
    TOOL.check_installed(colours, TOOL.plan(TOOL.typed(colours), files, Limits()), cfg)  # no generator: a colour
    assert colours["source"] == "colours" and colours.get("generator") is None
    plan = TOOL.plan(TOOL.typed({**colours, "count": 3}), files, Limits())
    assert plan.units == 3.0 and plan.models == ("isnet-general",)


def test_a_configured_generator_is_frozen_into_the_params(cfg, tmp_path):
    import copy

    from noxus_local.config import GeneratorSettings

    cfg = copy.deepcopy(cfg)
    cfg.generators.entries["flux-2-pro"] = GeneratorSettings(kind="openai_images", url="http://127.0.0.1:9")
    files = save(Image.new("RGB", (64, 64), "red"), tmp_path / "p.png")
    params = TOOL.validate({"background": "outdoor"}, files, Limits())
    plan = TOOL.plan(TOOL.typed(params), files, Limits())
    TOOL.check_installed(params, plan, cfg)
    assert params["model"] == "flux-2-pro" and params["generator"]["name"] == "flux-2-pro"
    assert params["source"] == "generator"
    with pytest.raises(ValidationError):
        TOOL.check_installed({**params, "model": "ideogram-v3"}, plan, cfg)


def test_a_lifestyle_backdrop_is_the_configured_generators_scene(models, cfg, tmp_path):
    """Through tests/generator_fixture.py's fake ComfyUI (the one outside service a test may stand in for):
    one scene per photo, asked at the photo's aspect, each seeded, the prompt naming the scene and the light."""
    import copy

    from noxus_local.config import GeneratorSettings
    from tests.generator_fixture import COLOUR, WORKFLOW, fake_engine

    workflow = tmp_path / "workflow.json"
    workflow.write_text(WORKFLOW)
    photo, _ = drawn_product((640, 480))
    files = save(photo, tmp_path / "jar.png")
    with fake_engine() as engine:
        cfg = copy.deepcopy(cfg)
        cfg.generators.allow_hosts = ["127.0.0.1"]
        cfg.generators.entries["comfy"] = GeneratorSettings(
            kind="comfyui", url=f"http://127.0.0.1:{engine.server_address[1]}", workflow=str(workflow))
        out = run(models, cfg, files, tmp_path, background="lifestyle", lighting="natural", count="2", seed="40")
        prompts = [s[2]["prompt"] for s in engine.seen if s[1] == "/prompt"]
    assert len(prompts) == 2
    assert [p["3"]["inputs"]["seed"] for p in prompts] == [40, 41]
    assert (prompts[0]["5"]["inputs"]["width"], prompts[0]["5"]["inputs"]["height"]) == (640, 512)  # 64-px steps
    assert "home interior" in prompts[0]["6"]["inputs"]["text"] and "daylight" in prompts[0]["6"]["inputs"]["text"]
    shot = Image.open(io.BytesIO(out.data))
    assert shot.size == (640, 480)
    corner = np.asarray(shot.convert("RGB"), np.float32)[5:25, 5:25].mean(axis=(0, 1))
    assert np.abs(corner - np.array(COLOUR)).max() < 45  # the engine's scene (relit a little) behind the product
    assert out.result["generator"] == "comfy" and out.result["backdrop_source"] == "generator"


def test_a_transparent_png_is_laid_on_white_before_the_model_sees_it(models, cfg, tmp_path):
    """A product already cut out (alpha 0 around it, black underneath): flattened on white, not on black."""
    cut = Image.new("RGBA", (480, 360), (0, 0, 0, 0))
    ImageDraw.Draw(cut).rounded_rectangle((180, 80, 300, 320), radius=30, fill=(200, 30, 40, 255))
    path = tmp_path / "cut.png"
    cut.save(path)
    files = {"image": InputFile(path, path.name, "image/png", path.stat().st_size)}
    out = run(models, cfg, files, tmp_path, seed="1")
    truth_share = (120 * 240) / (480 * 360)
    assert out.result["mask"]["confidence"] > 0.8
    assert abs(out.result["mask"]["coverage"] - truth_share) < 0.3 * truth_share
    shot = np.asarray(Image.open(io.BytesIO(out.data)).convert("RGB"), np.int32)
    assert ((shot[..., 0] - shot[..., 1]) > 100).mean() > 0.03  # the red product on the studio sweep
