"""``objects`` and ``embedding`` on models the admin adds (issue 9 §2): tiny graphs built here with ``onnx``.

No COCO detector or image encoder exists offline (STACK.md), so the tests
build graphs whose answers are known: a "detector" whose output is a constant
``[N, 6, 8]`` tensor (two classes, eight anchors, boxes in input pixels), so
the letterbox, decoding, per-class NMS and the way back to original pixels
are checked to the pixel; and an "encoder" (global average pool + MatMul), so
the normalisation and the L2 norm are checked against numpy. They are
installed through the real ``noxus-local models add`` into a temp data dir.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from noxus_local.analysis.batch import plan_item, run_batch
from noxus_local.analysis.features import analyse, analyse_many
from noxus_local.cli.main import main
from noxus_local.config import Config, load_config
from noxus_local.errors import say
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.detector import decode, detector_class, letterbox, metadata_names
from noxus_local.inference.models.embedder import CLIP_MEAN, CLIP_STD
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.local import LOCAL_FILE, active_model, load_local
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.runtime.cancel import CancelToken

MAX_PIXELS = 40_000_000
SIDE = 64  # the tiny detector's input: [N, 3, 64, 64]
# [4 + 2 classes, 8 anchors]: cx, cy, w, h in input pixels, then the scores of "cat" and "dog"
ANCHORS = np.zeros((6, 8), dtype=np.float32)
ANCHORS[:, 0] = [32, 32, 32, 16, 0.9, 0.0]   # cat
ANCHORS[:, 1] = [33, 32, 32, 16, 0.8, 0.0]   # the same cat, lower: suppressed
ANCHORS[:, 2] = [32, 32, 32, 16, 0.0, 0.7]   # a dog on the cat's box: another class, kept
ANCHORS[:, 3] = [8, 24, 8, 8, 0.1, 0.0]      # under the 0.25 cut-off
ANCHORS[:, 4] = [56, 40, 8, 8, 0.0, 0.5]     # a small dog
W_EMBED = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)


def tiny_detector(path: Path, names: str | None = "{0: 'cat', 1: 'dog'}", batch: str | int = "N") -> Path:
    """Output = ANCHORS + 0 × mean(image): constant, yet fed from the input like a real detector."""
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, SIDE, SIDE])
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, [batch, 6, 8])
    nodes = [helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=1),
             helper.make_node("Reshape", ["m", "shape"], ["m3"]),
             helper.make_node("Mul", ["m3", "zero"], ["z"]),
             helper.make_node("Add", ["z", "anchors"], ["output0"])]
    inits = [numpy_helper.from_array(np.array([-1, 1, 1], dtype=np.int64), "shape"),
             numpy_helper.from_array(np.zeros((1,), dtype=np.float32), "zero"),
             numpy_helper.from_array(ANCHORS[None], "anchors")]
    model = helper.make_model(helper.make_graph(nodes, "tiny-detector", [image], [out], inits),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    if names:
        helper.set_model_props(model, {"names": names})
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def tiny_encoder(path: Path, meta: dict[str, str] | None = None) -> Path:
    """``[N, 3, 32, 32]`` → global average pool → ``[N, 3]`` @ W_EMBED → ``[N, 8]``."""
    image = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["N", 3, 32, 32])
    out = helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["N", 8])
    nodes = [helper.make_node("GlobalAveragePool", ["pixel_values"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
             helper.make_node("MatMul", ["flat", "w"], ["image_embeds"])]
    model = helper.make_model(helper.make_graph(nodes, "tiny-encoder", [image], [out],
                                                [numpy_helper.from_array(W_EMBED, "w")]),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    if meta:
        helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def models_cli(cfg: Config, *args: str) -> int:
    return main(["models", *args, "--config", str(cfg.data_dir.parent / "cfg.toml")])


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    env = {"NOXUS_DATA_DIR": str(tmp_path / "data"), "NOXUS_MODEL_CACHE": str(tmp_path / "cache"),
           "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "cfg.toml").write_text("")
    return load_config(None, env)


def expected_embedding(rgb: tuple[int, int, int], mean: Any = CLIP_MEAN, std: Any = CLIP_STD) -> np.ndarray:
    pooled = (np.array(rgb, dtype=np.float32) / 255 - np.array(mean)) / np.array(std)
    vector = pooled @ W_EMBED
    return vector / np.linalg.norm(vector)


def test_before_a_model_is_added_the_features_say_how_to_add_one(cfg: Config, tmp_path: Path) -> None:
    Image.new("RGB", (40, 30), "red").save(tmp_path / "a.png")
    result = analyse(tmp_path / "a.png", ("objects", "embedding", "hash"), MAX_PIXELS, ModelCache(cfg))
    assert result["objects"]["unavailable"] is True
    assert "no object-detection model" in say(result["objects"]["reason"], "en")
    assert result["objects"]["install"].startswith("noxus-local models add ")
    assert "--kind object-detector" in result["objects"]["install"]
    assert "--kind image-embedding" in result["embedding"]["install"]
    assert result["hash"]["phash"]  # the rest still runs


def test_letterbox_and_decode_put_the_boxes_back_in_original_pixels() -> None:
    img = Image.new("RGB", (256, 128), "white")
    pixels, scale, pad_x, pad_y = letterbox(img, SIDE, SIDE)
    assert (scale, pad_x, pad_y) == (0.25, 0.0, 16.0)  # 256×128 → 64×32, centred: 16 px of grey above
    assert pixels.shape == (3, SIDE, SIDE) and pixels[0, 0, 0] == pytest.approx(114 / 255)
    assert pixels[:, 16:48].min() == 1.0  # the image itself, white, between the bands
    found = decode(ANCHORS, scale, pad_x, pad_y, img.size, ["cat", "dog"])
    # input (x - pad) / scale: the cat's box 16..48 × 24..40 → 64..192 × 32..96
    assert found == [{"label": "cat", "score": 0.9, "box": [64, 32, 128, 64]},
                     {"label": "dog", "score": 0.7, "box": [64, 32, 128, 64]},
                     {"label": "dog", "score": 0.5, "box": [208, 80, 32, 32]}]
    assert decode(ANCHORS, scale, pad_x, pad_y, img.size, [])[0]["label"] == "class_0"


def test_names_come_from_ultralytics_metadata() -> None:
    assert metadata_names({"names": "{0: 'person', 1: 'bicycle', 2: 'car'}"}) == ["person", "bicycle", "car"]
    assert metadata_names({"names": "['a', 'b']"}) == ["a", "b"]
    assert metadata_names({"names": "__import__('os')"}) == []  # literal_eval: never code
    assert metadata_names({}) == []


def test_an_added_detector_finds_its_boxes_through_the_batch(cfg: Config, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    graph = tiny_detector(tmp_path / "det.onnx")
    assert models_cli(cfg, "add", "tiny-yolo", "--kind", "object-detector", "--file", str(graph)) == 0
    assert "serves the `objects` feature" in capsys.readouterr().out
    assert (models_dir(cfg) / "tiny-yolo" / "model.onnx").read_bytes() == graph.read_bytes()
    # 1024×512 is reduced to 512×256 for the model, then the boxes are scaled back ×2
    Image.new("RGB", (1024, 512), "white").save(tmp_path / "big.png")
    Image.new("RGB", (256, 128), "black").save(tmp_path / "small.png")
    files = {"big": tmp_path / "big.png", "small": tmp_path / "small.png"}
    items = [plan_item(0, "big", "big", None), plan_item(1, "small", "small", None)]
    report = run_batch(items, files, ("objects",), MAX_PIXELS, CancelToken(), models=ModelCache(cfg), per_run=2)
    assert report.succeeded == 2
    big, small = (v["result"]["objects"] for v in report.items)
    assert big == [{"label": "cat", "score": 0.9, "box": [256, 128, 512, 256]},
                   {"label": "dog", "score": 0.7, "box": [256, 128, 512, 256]},
                   {"label": "dog", "score": 0.5, "box": [832, 320, 128, 128]}]
    assert [d["box"] for d in small] == [[64, 32, 128, 64], [64, 32, 128, 64], [208, 80, 32, 32]]


def test_a_detector_fixed_at_batch_one_with_a_labels_file(cfg: Config, tmp_path: Path) -> None:
    graph = tiny_detector(tmp_path / "det1.onnx", names=None, batch=1)
    (tmp_path / "labels.txt").write_text("gato\nperro\n", encoding="utf-8")
    assert models_cli(cfg, "add", "det1", "--kind", "object-detector", "--file", str(graph),
                      "--labels", str(tmp_path / "labels.txt")) == 0
    Image.new("RGB", (256, 128), "white").save(tmp_path / "a.png")
    results = analyse_many([(tmp_path / "a.png", ("objects",))] * 3, MAX_PIXELS, ModelCache(cfg), per_run=3)
    assert all([d["label"] for d in r["objects"]] == ["gato", "perro", "perro"] for r in results)  # type: ignore[index]


def test_an_added_encoder_gives_unit_vectors_similar_images_closer(cfg: Config, tmp_path: Path) -> None:
    assert models_cli(cfg, "add", "tiny-enc", "--kind", "image-embedding",
                      "--file", str(tiny_encoder(tmp_path / "enc.onnx"))) == 0
    colours = {"red": (250, 10, 10), "red2": (225, 40, 25), "blue": (10, 20, 250)}
    for name, rgb in colours.items():
        Image.new("RGB", (300, 200), rgb).save(tmp_path / f"{name}.png")
    results = analyse_many([(tmp_path / f"{n}.png", ("embedding",)) for n in colours], MAX_PIXELS,
                           ModelCache(cfg), per_run=3)
    vectors = {n: np.array(r["embedding"]["vector"]) for n, r in zip(colours, results, strict=True)}  # type: ignore[index]
    assert all(r["embedding"]["dim"] == 8 and r["embedding"]["model"] == "tiny-enc" for r in results)  # type: ignore[index]
    for name, rgb in colours.items():
        assert np.linalg.norm(vectors[name]) == pytest.approx(1.0, abs=1e-5)
        assert vectors[name] == pytest.approx(expected_embedding(rgb), abs=1e-4)  # CLIP's mean/std by default
    assert vectors["red"] @ vectors["red2"] > 0.95 > vectors["red"] @ vectors["blue"]


def test_mean_and_std_come_from_the_graphs_metadata(cfg: Config, tmp_path: Path) -> None:
    graph = tiny_encoder(tmp_path / "enc.onnx", {"mean": "[0.5, 0.5, 0.5]", "std": "0.25,0.25,0.25"})
    assert models_cli(cfg, "add", "enc-meta", "--kind", "image-embedding", "--file", str(graph)) == 0
    Image.new("RGB", (32, 32), (200, 100, 30)).save(tmp_path / "a.png")
    vector = analyse(tmp_path / "a.png", ("embedding",), MAX_PIXELS, ModelCache(cfg))["embedding"]["vector"]
    assert np.array(vector) == pytest.approx(expected_embedding((200, 100, 30), (0.5,) * 3, (0.25,) * 3), abs=1e-4)


def test_added_models_are_listed_verified_refetched_and_removed(cfg: Config, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    graph = tiny_detector(tmp_path / "det.onnx")
    assert models_cli(cfg, "add", "old-yolo", "--kind", "object-detector", "--file", str(graph)) == 0
    assert models_cli(cfg, "add", "new-yolo", "--kind", "object-detector", "--file", str(graph)) == 0
    assert active_model(models_dir(cfg), "object-detector").id == "new-yolo"  # type: ignore[union-attr]
    capsys.readouterr()
    assert models_cli(cfg, "list") == 0
    listing = capsys.readouterr().out
    assert "new-yolo" in listing and "object-detector" in listing and "silero-vad" in listing
    statuses = {s.spec.id: s for s in ModelRegistry.from_config(cfg).verify(["new-yolo"])}
    assert statuses["new-yolo"].installed
    installed = models_dir(cfg) / "new-yolo" / "model.onnx"
    installed.write_bytes(installed.read_bytes()[:-1] + b"x")  # same size, other bytes
    assert models_cli(cfg, "verify", "new-yolo") == 1
    assert "sha256 mismatch" in capsys.readouterr().out
    installed.unlink()
    assert active_model(models_dir(cfg), "object-detector").id == "old-yolo"  # type: ignore[union-attr]
    assert models_cli(cfg, "fetch", "new-yolo") == 0  # copied again from its file: source
    assert installed.read_bytes() == graph.read_bytes()
    assert models_cli(cfg, "remove", "new-yolo") == 0
    assert not installed.parent.exists() and [s.id for s in load_local(models_dir(cfg))] == ["old-yolo"]


def test_bad_files_ids_and_digests_are_refused_and_nothing_is_installed(cfg: Config, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.onnx").write_bytes(b"not a graph at all")
    assert models_cli(cfg, "add", "junk", "--kind", "object-detector", "--file", str(tmp_path / "junk.onnx")) == 1
    assert "ONNX Runtime cannot open it" in capsys.readouterr().err
    encoder = tiny_encoder(tmp_path / "enc.onnx")
    assert models_cli(cfg, "add", "enc", "--kind", "object-detector", "--file", str(encoder)) == 1
    assert "[N, 4 + classes, anchors]" in capsys.readouterr().err  # a vector is no detector output
    assert models_cli(cfg, "add", "enc", "--kind", "image-embedding", "--file", str(encoder),
                      "--sha256", "0" * 64) == 1
    assert "instead of the expected" in capsys.readouterr().err
    assert models_cli(cfg, "add", "silero-vad", "--kind", "image-embedding", "--file", str(encoder)) == 1
    assert "models/manifest.toml" in capsys.readouterr().err
    assert models_cli(cfg, "add", "Bad Id", "--kind", "image-embedding", "--file", str(encoder)) == 1
    assert models_cli(cfg, "add", "gone", "--kind", "image-embedding", "--file", str(tmp_path / "no.onnx")) == 1
    assert not (models_dir(cfg) / LOCAL_FILE).exists()
    assert not [p for p in models_dir(cfg).glob("*") if p.name in ("junk", "enc", "silero-vad", "gone")]


def test_the_detector_class_is_one_per_model_id() -> None:
    assert detector_class("a") is detector_class("a") and detector_class("a") is not detector_class("b")
    assert detector_class("a").identity == "a"


def test_a_manifest_entry_may_name_a_file_source(tmp_path: Path) -> None:
    from noxus_local.inference.registry.manifest import load_manifest
    from noxus_local.inference.registry.sources import FileSource, parse_source
    from noxus_local.runtime.digest import sha256_of

    graph = tiny_encoder(tmp_path / "enc.onnx")
    assert parse_source(f"file:{graph}") == FileSource(str(graph))
    with pytest.raises(ValueError, match="file:/ABSOLUTE/PATH"):
        parse_source("file:relative/enc.onnx")
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(f'[[models]]\nid = "enc"\ntask = "image-embedding"\n[[models.files]]\nname = "model.onnx"\n'
                        f'sha256 = "{sha256_of(graph)}"\nsources = ["file:{graph}"]\n')
    registry = ModelRegistry(tmp_path / "models", load_manifest(manifest), tmp_path / "cache")
    registry.fetch(["enc"])
    assert (tmp_path / "models" / "enc" / "model.onnx").read_bytes() == graph.read_bytes()


def test_nms_matrix_and_round_by_round_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from noxus_local.inference.models import boxes

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 300, (200, 2))
    candidates = np.concatenate([xy, xy + rng.uniform(5, 80, (200, 2))], axis=1)
    scores = rng.uniform(0, 1, 200)
    by_matrix = boxes.nms(candidates, scores, 0.5)
    monkeypatch.setattr(boxes, "MATRIX_MAX", 0)
    assert boxes.nms(candidates, scores, 0.5) == by_matrix and 20 < len(by_matrix) < 200
    assert boxes.nms(np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60]]),
                     np.array([0.9, 0.8, 0.7]), 0.45) == [0, 2]
