"""open_nsfw and NudeNet 320n through the registry, the model cache and the one session factory (issue 9 item 3).

The model comes through the registry and the shared download cache
(``$NOXUS_MODEL_CACHE``, default ~/.cache/noxus-local/models), so only the
first run on a machine downloads them (24 + 12 MB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from noxus_local.analysis.features import analyse
from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.nudenet import NudeNet, decode
from noxus_local.inference.models.open_nsfw import OpenNsfw
from noxus_local.inference.registry.installed import ModelRegistry


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("nsfw") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["open-nsfw", "nudenet-320n"])
    return cfg


def landscape(seed: int = 3) -> Image.Image:
    """Sky, green hills, a lake and a sun: nothing a classifier should flag."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (400, 300), "#87ceeb")
    draw = ImageDraw.Draw(img)
    draw.ellipse((300, 30, 360, 90), fill="#ffd700")
    for i in range(4):
        top = 140 + 25 * i + int(rng.integers(0, 20))
        draw.polygon([(0, 300), (0, top), (200, top - 40), (400, top), (400, 300)],
                     fill=(34 + 10 * i, 139 - 15 * i, 34))
    draw.rectangle((0, 250, 400, 300), fill="#1e6091")
    return img


def test_a_landscape_scores_low_and_batches_agree_with_single_runs(cfg) -> None:  # type: ignore[no-untyped-def]
    model = OpenNsfw.from_config(cfg)
    single = [float(model.predict([landscape(s)])[0]) for s in (3, 4)]
    batch = model.predict([landscape(3), landscape(4)])
    assert all(score < 0.2 for score in single), single
    assert batch.shape == (2,) and np.allclose(batch, single, atol=1e-4)  # N images, one session.run
    assert model.load().providers_used == ["CPUExecutionProvider"]


def test_safety_feature_runs_through_the_model_cache(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    landscape().save(tmp_path / "paisaje.jpg")
    result = analyse(tmp_path / "paisaje.jpg", ("safety", "hash"), 40_000_000, ModelCache(cfg))
    assert result["safety"]["nsfw_score"] < 0.2 and result["safety"]["nsfw"] is False
    assert result["safety"]["detections"] == [] and result["safety"]["detection_model"] == "nudenet-320n"
    assert len(result["hash"]["phash"]) == 16


def test_without_the_model_safety_is_unavailable_with_the_install_command(tmp_path: Path) -> None:
    bare = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "bare")})
    landscape().save(tmp_path / "a.png")
    result = analyse(tmp_path / "a.png", ("safety", "quality"), 40_000_000, ModelCache(bare))
    assert result["safety"]["unavailable"] is True
    assert result["safety"]["install"] == "noxus-local models fetch open-nsfw"
    assert result["safety"]["detections"]["install"] == "noxus-local models fetch nudenet-320n"
    assert "sharpness" in result["quality"]  # the rest still ran


def test_nudenet_decodes_boxes_in_image_pixels_and_suppresses_overlaps(cfg) -> None:  # type: ignore[no-untyped-def]
    """The decoding on a hand-made output: two overlapping anchors of one class and one weak anchor."""
    out = np.zeros((22, 3), dtype=np.float32)
    out[:4, 0], out[5, 0] = [160, 160, 100, 50], 0.9    # FACE_FEMALE at the centre
    out[:4, 1], out[5, 1] = [162, 161, 100, 50], 0.7    # the same face again: suppressed
    out[:4, 2], out[12, 2] = [40, 40, 20, 20], 0.1      # below the score cut
    found = decode(out, scale=2.0, width=640, height=400)
    assert found == [{"label": "FACE_FEMALE", "score": 0.9, "box": [220, 270, 200, 100]}]
    assert NudeNet.from_config(cfg).predict([landscape(3), landscape(4)]) == [[], []]  # one run, two images
