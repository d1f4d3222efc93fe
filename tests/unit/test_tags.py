"""ImageNet tags (EfficientNet-Lite0, converted from PyTorch to ONNX at fetch time) on the real model (issue 9).

The model comes through the registry and the shared download cache
(``$NOXUS_MODEL_CACHE``): the first fetch downloads the 17 MB checkpoint and
converts it (~4 s), later ones copy the verified ONNX file. The photos are
scikit-image's ``coffee.png`` (Rachel Michetti, CC0) and ``chelsea.png``
(Stéfan van der Walt's cat, CC0), taken out of the scikit-image wheel through
the registry, as ``test_faces_ocr.py`` takes the astronaut.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from noxus_local.analysis.features import analyse, analyse_many
from noxus_local.config import Config, load_config
from noxus_local.inference.cache import ModelCache, model_class
from noxus_local.inference.models import efficientnet
from noxus_local.inference.models.efficientnet import CheckpointError, EfficientNetLite0, read_state_dict
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import ModelFile, ModelSpec, default_cache_dir, load_manifest
from noxus_local.inference.registry.manifest import manifest_path as shipped_manifest
from noxus_local.inference.registry.sources import FetchError
from tests.media_samples import gradient

MAX_PIXELS = 40_000_000
PHOTOS = ModelSpec("test-photos-coffee-cat", "test-image", "CC0", False, (
    ModelFile("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", 466706,
              ("pypi:scikit-image==0.26.0#skimage/data/coffee.png",)),
    ModelFile("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", 240512,
              ("pypi:scikit-image==0.26.0#skimage/data/chelsea.png",)),
))
CAT_LABELS = {"tabby cat", "a cat having a striped coat", "Egyptian Mau", "tiger"}


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("tags") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["efficientnet-lite0"])
    return cfg


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    ModelRegistry(folder, [PHOTOS], default_cache_dir(os.environ)).fetch([PHOTOS.id])
    return folder / PHOTOS.id


@pytest.fixture(scope="module")
def models(cfg: Config) -> ModelCache:
    return ModelCache(cfg)


def test_the_coffee_photo_is_tagged_espresso(models: ModelCache, photos: Path) -> None:
    tags = analyse(photos / "coffee.png", ("tags",), MAX_PIXELS, models)["tags"]
    assert len(tags) == 5 and [set(t) for t in tags] == [{"label", "score"}] * 5
    assert tags[0]["label"] == "espresso" and tags[0]["score"] > 0.9, tags  # STACK.md: 0.96
    assert [t["score"] for t in tags] == sorted((t["score"] for t in tags), reverse=True)
    assert {"espresso", "tea cup", "cup"} & {t["label"] for t in tags[:3]}


def test_the_cat_is_a_cat_and_a_plain_gradient_is_nothing_in_particular(
        models: ModelCache, photos: Path, tmp_path: Path) -> None:
    cat = analyse(photos / "chelsea.png", ("tags",), MAX_PIXELS, models)["tags"]
    assert cat[0]["label"] in CAT_LABELS and sum(t["score"] for t in cat[:3]) > 0.8, cat
    flat = analyse(gradient(tmp_path / "g.png"), ("tags",), MAX_PIXELS, models)["tags"]
    assert flat[0]["score"] < 0.3, flat


def test_tags_batched_in_one_run_match_one_by_one(models: ModelCache, photos: Path, tmp_path: Path) -> None:
    paths = [photos / "coffee.png", photos / "chelsea.png", gradient(tmp_path / "g.png")]
    together = analyse_many([(p, ("tags", "hash")) for p in paths], MAX_PIXELS, models, per_run=3)
    alone = [analyse(p, ("tags",), MAX_PIXELS, models)["tags"] for p in paths]
    for batched, single in zip(together, alone, strict=True):
        assert isinstance(batched, dict) and list(batched) == ["tags", "hash"]
        assert [t["label"] for t in batched["tags"][:3]] == [t["label"] for t in single[:3]]
        assert batched["tags"][0]["score"] == pytest.approx(single[0]["score"], abs=2e-3)


def test_the_model_cache_knows_the_tagger_and_a_missing_model_says_how_to_fetch_it(tmp_path: Path) -> None:
    assert model_class("efficientnet-lite0") is EfficientNetLite0
    bare = ModelCache(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "bare")}))
    tags = analyse(gradient(tmp_path / "g.png"), ("tags", "quality"), MAX_PIXELS, bare)["tags"]
    assert tags["unavailable"] is True and tags["install"] == "noxus-local models fetch efficientnet-lite0"


def test_the_conversion_is_deterministic_and_checked_against_the_manifest(cfg: Config, tmp_path: Path) -> None:
    """The same checkpoint gives the same bytes; a manifest expecting other bytes refuses them."""
    spec = {s.id: s for s in load_manifest(shipped_manifest())}["efficientnet-lite0"]  # type: ignore[arg-type]
    onnx_file = spec.files[0]
    assert (onnx_file.convert, spec.default) == ("efficientnet-lite0", True)
    source = default_cache_dir(os.environ) / onnx_file.source_sha256 / "efficientnet-lite0-57934424.pth"  # type: ignore[operator]
    assert source.is_file()  # the fixture's fetch cached the checkpoint under its own sha256
    efficientnet.convert_checkpoint(source, tmp_path / "again.onnx")
    installed = cfg.data_dir / "models" / "efficientnet-lite0" / "model.onnx"
    assert (tmp_path / "again.onnx").read_bytes() == installed.read_bytes()

    wrong = ModelSpec("lite0-wrong", "image-tagging", "Apache-2.0", False,
                      (ModelFile("model.onnx", "0" * 64, None, onnx_file.sources, onnx_file.convert,
                                 onnx_file.source_sha256),))
    reg = ModelRegistry(tmp_path / "models", [wrong], tmp_path / "cache")
    (tmp_path / "cache" / onnx_file.source_sha256).mkdir(parents=True)  # type: ignore[operator]
    (tmp_path / "cache" / onnx_file.source_sha256 / source.name).write_bytes(source.read_bytes())  # type: ignore[operator]
    lines: list[str] = []
    with pytest.raises(FetchError, match="conversion gave other bytes than the manifest's"):
        reg.fetch(["lite0-wrong"], lines.append)
    assert lines[1].startswith("  source from the cache")  # the checkpoint was not downloaded again
    assert not (tmp_path / "models" / "lite0-wrong" / "model.onnx").exists()


def test_the_checkpoint_reader_runs_no_code_from_the_pickle(tmp_path: Path) -> None:
    """A .pth is a pickle: anything but tensors, storages and OrderedDict is refused, never called."""
    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as out:
        for part in (efficientnet.LEGACY_MAGIC, efficientnet.LEGACY_PROTOCOL, {"little_endian": True}):
            pickle.dump(part, out)
        out.write(b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR.")
    with pytest.raises(CheckpointError, match="asks for os.system"):
        read_state_dict(evil)
    assert not (tmp_path / "pwned").exists()
    (tmp_path / "evil-header.pth").write_bytes(b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR.")
    with pytest.raises(CheckpointError, match="header asks for os.system"):
        read_state_dict(tmp_path / "evil-header.pth")
    assert not (tmp_path / "pwned").exists()
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="not a legacy PyTorch checkpoint"):
        read_state_dict(tmp_path / "text.pth")
