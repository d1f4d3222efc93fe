"""What image analysis costs per image: the default feature set at batch 1 and 16, per feature, vs baselines.

In-process (no HTTP: the API's own cost is what ``bench_tools.py`` measures),
on 16 synthetic 1280×960 JPEG photos drawn here, each with a line of Spanish
text (so OCR has something to read):

- **default set** (metadata, colors, hash, quality) through ``run_batch`` at
  batch 1 and batch 16, ms per image; baseline in the same run: only decoding
  the same files (Pillow open + load), so the ratio is what the features add
  to the decode every analysis has to pay anyway.
- **per feature** through ``run_batch`` with that one feature, at batch 1
  and 16 (decode included); for the model features (safety, faces, ocr, tags)
  also batch 16 with 16 images forced into each ``session.run`` (the CUDA
  default; the CPU default is one per run), so the columns show what
  batching buys on this machine; then the full set (every feature with a
  model) at batch 16. Wall and CPU ms: on a loaded machine the CPU figure
  is what an idle one would show.
- **safety** (open_nsfw): 16 images in one ``session.run`` vs the same ONNX
  model called directly one image at a time.
- which execution providers each model's session really runs on.

The models are fetched through the registry (and its download cache) into a
temp data dir; ``[inference] threads`` is each model's own (1).

Example::

    .venv/bin/python scripts/bench/bench_analysis.py            # ~2 min on 2 cores
    .venv/bin/python scripts/bench/bench_analysis.py --rounds 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from noxus_local.analysis.batch import plan_item, run_batch
from noxus_local.analysis.features import DEFAULT_FEATURES, FEATURES, LOCAL_FEATURES, MODEL_FEATURES
from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache, model_class
from noxus_local.inference.models.open_nsfw import OpenNsfw, preprocess
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.media.fonts import font_path
from noxus_local.runtime.cancel import CancelToken

MAX_PIXELS = 40_000_000
TARGET_MS_BATCH16 = 60.0
MODELS = ["open-nsfw", "nudenet-320n", "centerface", "ppocr-v6-tiny", "efficientnet-lite0"]
CAPTIONS = ("Mañana en Bogotá", "Señales de tráfico", "Año nuevo, vida nueva", "Información turística")


def photos(folder: Path, count: int) -> list[Path]:
    """Busy 1280×960 JPEGs: shapes, a gradient and sensor-like noise, each different."""
    paths = []
    font = ImageFont.truetype(str(font_path("Poppins", 400)), 56)
    for n in range(count):
        rng = np.random.default_rng(n)
        img = Image.new("RGB", (1280, 960), tuple(int(c) for c in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(img)
        for _ in range(60):
            x, y = int(rng.integers(0, 1200)), int(rng.integers(0, 900))
            draw.ellipse((x, y, x + int(rng.integers(20, 300)), y + int(rng.integers(20, 300))),
                         fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        draw.rectangle((60, 820, 900, 910), fill="white")
        draw.text((80, 830), f"{CAPTIONS[n % len(CAPTIONS)]} {n}", font=font, fill="black")
        noisy = np.asarray(img.filter(ImageFilter.GaussianBlur(1)), dtype=np.int16)
        noisy = noisy + rng.normal(0, 6, noisy.shape).astype(np.int16)
        path = folder / f"photo_{n}.jpg"
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=88)
        paths.append(path)
    return paths


def best_ms(fn: Callable[[], object], rounds: int, per: int) -> float:
    """The fastest of ``rounds`` runs, in ms per item (the least disturbed by other load)."""
    return timed(fn, rounds, per)[0]


def timed(fn: Callable[[], object], rounds: int, per: int) -> tuple[float, float]:
    """(wall, CPU) ms per item of the fastest round. The process's CPU time barely moves when
    other programs load the machine, so it says what the wall time would be on an idle one."""
    best = (float("inf"), 0.0)
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - start, time.process_time() - cpu))
    return 1000 * best[0] / per, 1000 * best[1] / per


def batch_ms(paths: list[Path], size: int, features: tuple[str, ...], rounds: int, models: object) -> float:
    return batch_timed(paths, size, features, rounds, models)[0]


def batch_timed(paths: list[Path], size: int, features: tuple[str, ...], rounds: int,
                models: object, per_run: int | None = None) -> tuple[float, float]:
    chosen = paths[:size]
    items = [plan_item(i, str(i), f"f{i}", None) for i in range(len(chosen))]
    files = {f"f{i}": p for i, p in enumerate(chosen)}
    if size == 1:  # 16 batches of one: the same images, one job each
        def run() -> None:
            for p in paths:
                run_batch([plan_item(0, "0", "f", None)], {"f": p}, features, MAX_PIXELS, CancelToken(),
                          models=models)
        return timed(run, rounds, len(paths))
    return timed(lambda: run_batch(items, files, features, MAX_PIXELS, CancelToken(), models=models,
                                   per_run=per_run), rounds, len(chosen))


def decode_only(paths: list[Path]) -> None:
    for p in paths:
        with Image.open(p) as img:
            img.load()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--features", default="", help="only these per-feature rows, e.g. tags (skips the rest)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = photos(folder, 16)
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(folder / "data"), "NOXUS_INFERENCE_PREFER_GPU": "true"})
        ModelRegistry.from_config(cfg).fetch(MODELS)
        models = ModelCache(cfg)
        for identity in MODELS:  # load outside the timings: a server loads once per process
            models.get(model_class(identity))
        if args.features:
            report_features(paths, args.rounds, models, tuple(args.features.split(",")))
            report_providers(models)
            return
        report_default(paths, args.rounds, models)
        report_features(paths, args.rounds, models)
        report_safety(paths, args.rounds, cfg)
        report_providers(models)


def report_default(paths: list[Path], rounds: int, models: ModelCache) -> None:
    decode = best_ms(lambda: decode_only(paths), rounds, len(paths))
    one, one_cpu = batch_timed(paths, 1, DEFAULT_FEATURES, rounds, models)
    sixteen, sixteen_cpu = batch_timed(paths, 16, DEFAULT_FEATURES, rounds, models)
    print(f"default set {','.join(DEFAULT_FEATURES)} on 16 x 1280x960 JPEG (wall ms/image, CPU ms/image)")
    print(f"  batch 1 : {one:7.1f}  cpu {one_cpu:7.1f}")
    print(f"  batch 16: {sixteen:7.1f}  cpu {sixteen_cpu:7.1f}   target <= {TARGET_MS_BATCH16:.0f}: "
          f"{'met' if sixteen <= TARGET_MS_BATCH16 else 'NOT met'}")
    print(f"  baseline decode only:    {decode:7.1f} ms/image   batch16/decode = {sixteen / decode:.2f}x")


def report_features(paths: list[Path], rounds: int, models: ModelCache, only: tuple[str, ...] = ()) -> None:
    print("per feature (run_batch with that one feature, decode included), ms/image, wall (CPU);")
    print("  'batch 16' runs each model at its provider's default per session.run (CPU 1, CUDA 16),")
    print("  '16/run' forces 16 images per session.run:")
    print(f"  {'feature':9s} {'batch 1':>16s} {'batch 16':>16s} {'16/run':>16s}")
    for name in only or (*DEFAULT_FEATURES, *MODEL_FEATURES):
        one = batch_timed(paths, 1, (name,), rounds, models)
        sixteen = batch_timed(paths, 16, (name,), rounds, models)
        forced = batch_timed(paths, 16, (name,), rounds, models, per_run=16) if name in MODEL_FEATURES else None
        extra = f" {forced[0]:7.1f} ({forced[1]:6.1f})" if forced else ""
        print(f"  {name:9s} {one[0]:7.1f} ({one[1]:6.1f}) {sixteen[0]:7.1f} ({sixteen[1]:6.1f}){extra}")
    if only:
        return
    full = tuple(f for f in FEATURES if f not in LOCAL_FEATURES)
    wall, cpu = batch_timed(paths, 16, full, rounds, models)
    print(f"full set {','.join(full)}: batch 16 {wall:.1f} ms/image (CPU {cpu:.1f})")


def report_safety(paths: list[Path], rounds: int, cfg: object) -> None:
    model = OpenNsfw.from_config(cfg)  # type: ignore[arg-type]
    images = [Image.open(p).convert("RGB") for p in paths]
    model.predict(images[:1])  # warm-up: session creation is not inference
    session = model.session
    name = session.get_inputs()[0].name
    tensors = [preprocess(img)[np.newaxis] for img in images]
    batched = best_ms(lambda: session.run(None, {name: np.concatenate(tensors)}), rounds, len(images))
    single = best_ms(lambda: [session.run(None, {name: t}) for t in tensors], rounds, len(images))
    prep = best_ms(lambda: [preprocess(img) for img in images], rounds, len(images))
    print(f"safety (open_nsfw), providers {model.load().providers_used}:")
    print(f"  pre-processing     {prep:7.1f} ms/image")
    print(f"  16 in one run      {batched:7.1f} ms/image")
    print(f"  baseline 1 per run {single:7.1f} ms/image   batched/single = {batched / single:.2f}x")
    print(f"  scores median {statistics.median(float(s) for s in model.predict(images)):.3f}")


def report_providers(models: ModelCache) -> None:
    print("providers that ran:")
    for identity in MODELS:
        print(f"  {identity:14s} {models.get(model_class(identity)).load().providers_used}")


if __name__ == "__main__":
    main()
