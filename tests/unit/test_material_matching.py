"""Materials matched to scenes by what they show (issue 20 item 3a), on the real tagger and OCR models.

The photos are scikit-image's bundled data (coffee, chelsea the cat, a rocket launch, a motorcycle:
CC0 / public domain), taken out of the scikit-image wheel through the registry as tests/unit/test_tags.py
does, and given meaningless names. A video material is one of them encoded by our ffmpeg.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from noxus_local.analysis.materials import describe, keyframes
from noxus_local.compose import lexicon
from noxus_local.compose.cache import PartCache
from noxus_local.compose.visuals import Material, match, match_materials
from noxus_local.config import Config, load_config
from noxus_local.generate.scenes import plan_scenes
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import ModelFile, ModelSpec, default_cache_dir
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.base import InputFile, Limits, ToolContext
from noxus_local.tools.script_to_video import analyse_materials
from tests.unit.test_script_to_video import ScriptedLlm

WHEEL = "pypi:scikit-image==0.26.0#skimage/data/"
PHOTOS = ModelSpec("test-photos-materials", "test-image", "CC0", False, (
    ModelFile("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", 466706,
              (WHEEL + "coffee.png",)),
    ModelFile("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", 240512,
              (WHEEL + "chelsea.png",)),
    ModelFile("rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", 112525,
              (WHEEL + "rocket.jpg",)),
    ModelFile("motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179", 644701,
              (WHEEL + "motorcycle_left.png",)),
))


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("mat") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["efficientnet-lite0", "ppocr-v6-tiny"])
    return cfg


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    ModelRegistry(folder, [PHOTOS], default_cache_dir(os.environ)).fetch([PHOTOS.id])
    return folder / PHOTOS.id


@pytest.fixture(scope="module")
def models(cfg: Config) -> ModelCache:
    return ModelCache(cfg)


def test_the_normaliser_and_the_bilingual_concepts_bridge_spanish_words_and_imagenet_labels():
    assert lexicon.normalise("Ciudades") == "ciudad" and lexicon.normalise("gatas") == lexicon.normalise("gato")
    assert lexicon.normalise("Cafés") == lexicon.normalise("café") == lexicon.normalise("cafe")
    assert "@cat" in lexicon.keys("Un gato duerme") & lexicon.label_keys("Egyptian Mau")
    assert "@coffee" in lexicon.keys("taza de café") & lexicon.label_keys("espresso")
    assert "@rocket" in lexicon.keys("el cohete despega") & lexicon.label_keys("missile")
    assert "@motorcycle" in lexicon.keys("una moto roja") & lexicon.label_keys("moped")
    assert lexicon.label_keys("Dobermann", 179) >= {"@dog"}  # a breed is a dog by its index range
    assert not lexicon.keys("Un gato duerme") & lexicon.label_keys("space shuttle")


def test_each_material_is_used_once_per_round_the_best_pairs_first_then_the_order_given():
    mats = [Material(Path("a"), "IMG_1.jpg", ("missile", "space shuttle")),
            Material(Path("b"), "IMG_2.jpg", ("moped",)),
            Material(Path("c"), "IMG_3.jpg", ("tabby cat", "lynx")),
            Material(Path("d"), "IMG_4.jpg", ("espresso", "tea cup"))]
    found = match([("gato",), ("taza", "café"), ("cohete",), ("moto",), ("gato",), ("nada",)], mats)
    assert [m.index for m in found] == [2, 3, 0, 1, 2, 0]  # type: ignore[union-attr]
    assert [m.by for m in found] == ["content"] * 5 + ["order"]  # type: ignore[union-attr]
    assert found[0].terms == ("gato",) and found[0].found == ("tabby cat",)  # type: ignore[union-attr]
    # nothing in common: the order given; a name still counts (the old behaviour)
    assert match_materials([(), (), ()], mats[:2]) == [0, 1, 0]
    named = [Material(Path("a"), "ciudad-noche.jpg"), Material(Path("b"), "playas.mp4")]
    assert [(m.index, m.by) for m in match([("playa",), ("ciudad",)], named)] == [(1, "name"), (0, "name")]  # type: ignore[union-attr]
    # a word of the scene's text that is not a search term counts too (half)
    halves = match([("atigrado",), ("enorme",)], [mats[3], mats[2]], texts=["Un gato atigrado.", "Un café enorme."])
    assert [(m.index, m.by, m.terms) for m in halves] == [(1, "content", ("gato",)), (0, "content", ("café",))]  # type: ignore[union-attr]


def test_the_real_models_describe_photos_and_the_scenes_find_them_by_content(models, photos, tmp_path):
    order = ["rocket.jpg", "motorcycle_left.png", "chelsea.png", "coffee.png"]
    facts = [describe(photos / name, "image", models, CancelToken(), tmp_path) for name in order]
    assert all(f.missing == () for f in facts)
    assert facts[3].tags[0][0] == "espresso" and facts[0].tags[0][0] == "missile"
    mats = [Material(photos / n, f"IMG_000{i}.jpg", tuple(t for t, _ in f.tags), f.text)
            for i, (n, f) in enumerate(zip(order, facts, strict=True), start=1)]
    script = ("Un gato atigrado duerme tranquilo al sol de la tarde junto a la ventana de casa. "
              "Una taza de café caliente espera sobre la mesa de la cocina cada mañana temprano. "
              "Un cohete enorme despega hacia el espacio entre nubes de humo y fuego brillante. "
              "Una moto roja espera aparcada en la calle, lista para un largo viaje por carretera.")
    plan = plan_scenes(script, "es", None)
    assert len(plan.scenes) == 4
    found = match([s.terms() for s in plan.scenes], mats, texts=[s.text for s in plan.scenes])
    assert [order[m.index] for m in found] == ["chelsea.png", "coffee.png", "rocket.jpg",  # type: ignore[union-attr]
                                               "motorcycle_left.png"]
    assert {m.by for m in found} == {"content"}  # type: ignore[union-attr]


def test_a_video_is_described_by_its_keyframes(models, photos, tmp_path):
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(["-loop", "1", "-t", "3", "-i", str(photos / "chelsea.png"), "-vf", "scale=480:-2,format=yuv420p",
                "-r", "10", "-c:v", "libx264", "-preset", "ultrafast", str(clip)], CancelToken())
    assert len(keyframes(clip, tmp_path / "k", CancelToken())) == 3
    facts = describe(clip, "video", models, CancelToken(), tmp_path / "k2")
    assert "@cat" in lexicon.label_keys(facts.tags[0][0], None) | lexicon.keys(" ".join(t for t, _ in facts.tags))


def test_ocr_text_is_part_of_what_a_material_shows(models, tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    from noxus_local.media import fonts

    img = Image.new("RGB", (900, 300), "white")
    font = ImageFont.truetype(str(fonts.font_path(fonts.DEFAULT_FAMILY, 700)), 120)
    ImageDraw.Draw(img).text((60, 70), "PLAYAS", fill="black", font=font)
    img.save(tmp_path / "cartel.png")
    facts = describe(tmp_path / "cartel.png", "image", models, CancelToken(), tmp_path)
    assert "playa" in facts.text.lower(), facts
    mats = [Material(Path("x"), "IMG_1.png", ("espresso",)), Material(tmp_path / "cartel.png", "IMG_2.png",
                                                                      (), facts.text)]
    assert [(m.index, m.by) for m in match([("playa", "sol")], mats)] == [(1, "content")]  # type: ignore[union-attr]


def test_without_the_models_the_analysis_says_what_is_missing_and_never_fails(photos, tmp_path):
    bare = ModelCache(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "bare")}))
    facts = describe(photos / "coffee.png", "image", bare, CancelToken(), tmp_path)
    assert facts.tags == () and set(facts.missing) == {"efficientnet-lite0", "ppocr-v6-tiny"}


def test_the_planner_gives_english_search_terms_and_the_fallback_still_plans():
    answer = ('{"scenes": [{"scene": 1, "visual": "a cat asleep", "search": "gato, sol", '
              '"search_en": "cat, sun"}]}')
    plan = plan_scenes("Un gato duerme al sol de la tarde.", "es", ScriptedLlm([answer]))
    assert plan.scenes[0].search == ("gato", "sol") and plan.scenes[0].search_en == ("cat", "sun")
    assert plan.scenes[0].terms() == ("gato", "sol", "cat", "sun")
    old = plan_scenes("Un gato duerme.", "es", ScriptedLlm(['{"scenes": [{"scene": 1, "visual": "x", '
                                                             '"search": "gato"}]}']))
    assert old.scenes[0].search_en == ()  # search_en is optional: a model that leaves it out still plans
    assert plan_scenes("Un gato duerme.", "es", None).scenes[0].search_en == ()


def _context(tmp_path: Path, models: ModelCache, files: list[tuple[Path, str]], account: str = "") -> ToolContext:
    work = tmp_path / "job"
    work.mkdir(exist_ok=True)
    return ToolContext({}, {f"materials_{i}": InputFile(p, name, None, p.stat().st_size)
                            for i, (p, name) in enumerate(files)}, Limits(), work, models=models, account_id=account)


def test_the_tool_analyses_each_file_once_and_a_later_job_reads_it_from_the_cache(models, photos, tmp_path):
    cache = PartCache(tmp_path / "cache", 2**20)
    files = [(photos / "rocket.jpg", "IMG_0001.jpg"), (photos / "chelsea.png", "IMG_0002.png")]
    warnings: list[str] = []
    seen: list[float] = []
    first = analyse_materials(_context(tmp_path, models, files, "acct_1"), cache, warnings, seen.append)
    assert (first.made, first.reused, warnings, seen) == (2, 0, [], [0.5, 1.0])
    assert first.materials[0].tags[0] == "missile" and first.labels and len(first.labels) == 1000
    again = analyse_materials(_context(tmp_path, models, files[::-1], "acct_1"), cache, warnings, seen.append)
    assert (again.made, again.reused) == (0, 2)
    assert again.materials[1].tags == first.materials[0].tags  # the same file, the same facts, from the cache


def test_the_tool_without_the_models_or_with_an_unreadable_file_matches_by_name_and_order(photos, tmp_path):
    bare = ModelCache(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "bare")}))
    cache = PartCache(tmp_path / "cache", 2**20)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    files = [(photos / "coffee.png", "IMG_1.png"), (photos / "chelsea.png", "gato.png"), (broken, "IMG_3.png")]
    warnings: list[str] = []
    found = analyse_materials(_context(tmp_path, bare, files, "acct_2"), cache, warnings, lambda f: None)
    assert [m.tags for m in found.materials] == [(), (), ()]
    assert any("noxus-local models fetch efficientnet-lite0 ppocr-v6-tiny" in w for w in warnings), warnings
    picks = match([("gato",), ("taza",), ("sol",)], found.materials, found.labels)
    assert [(m.index, m.by) for m in picks] == [(1, "name"), (0, "order"), (2, "order")]  # type: ignore[union-attr]
    assert not list((tmp_path / "cache").rglob("facts.json"))  # facts without the models are not kept
