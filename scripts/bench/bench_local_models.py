"""What do ``objects`` and ``embedding`` add around the admin's model? Our pre/post-processing per image.

No COCO detector or image encoder exists offline (STACK.md), so the model's
own time cannot be measured here; what is ours can: the letterbox into a
640² YOLO input, the decoding + per-class NMS of a YOLO11n-sized output
(``[84, 8400]``, 60 anchors above the cut-off), CLIP's 224 px resize, crop and
normalisation, each on ≤ 512 px copies of 1280×960 photos (what
``features.decode`` hands the models). Then the whole ``objects`` +
``embedding`` path through ``run_batch`` at batch 1 and 16 with the tiny
graphs of the tests (their run costs ~0), decode of the JPEGs included.
Needs ``onnx`` (the test extra). Target: pre + post ≤ 10 ms per image.

    .venv/bin/python scripts/bench/bench_local_models.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.analysis.batch import plan_item, run_batch  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.detector import decode, letterbox  # noqa: E402
from noxus_local.inference.models.embedder import CLIP_MEAN, CLIP_STD, preprocess  # noqa: E402
from noxus_local.inference.registry.local import add_local_model  # noqa: E402
from noxus_local.inference.registry.manifest import models_dir  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402
from tests.unit.test_local_models import tiny_detector, tiny_encoder  # noqa: E402

N, REPEAT = 16, 5


def ms(fn: object, n: int = REPEAT * N) -> float:
    """CPU ms per call (process time: the machine is shared, wall time swings with the others' load)."""
    started = time.process_time()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.process_time() - started) / n * 1000


def main() -> int:
    rng = np.random.default_rng(1)
    photos = [Image.fromarray(rng.integers(0, 255, (960, 1280, 3), dtype=np.uint8)) for _ in range(N)]
    small = [p.resize((512, 384)) for p in photos]
    out = np.zeros((84, 8400), np.float32)
    out[:4] = rng.uniform(10, 600, (4, 8400))
    out[4:] = rng.uniform(0, 0.05, (80, 8400))
    hot = rng.choice(8400, 60, replace=False)
    out[4 + rng.integers(0, 80, 60), hot] = rng.uniform(0.3, 0.95, 60)
    lb = ms(lambda: letterbox(small[0], 640, 640))
    dec = ms(lambda: decode(out, 1.25, 0, 80, (512, 384), []))
    clip = ms(lambda: preprocess(small[0], 224, 224, CLIP_MEAN, CLIP_STD))
    print(f"letterbox 512×384 → 640²: {lb:.2f} ms; decode + NMS of [84, 8400]: {dec:.2f} ms; "
          f"CLIP preprocess → 224²: {clip:.2f} CPU ms per image")
    with tempfile.TemporaryDirectory(prefix="bench-local-") as work:
        root = Path(work)
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false",
                                 "NOXUS_INFERENCE_THREADS": "1", **os.environ})
        add_local_model(models_dir(cfg), "det", "object-detector", tiny_detector(root / "d.onnx"))
        add_local_model(models_dir(cfg), "enc", "image-embedding", tiny_encoder(root / "e.onnx"))
        files = {}
        for n, photo in enumerate(photos):
            files[f"p{n}"] = root / f"p{n}.jpg"
            photo.save(files[f"p{n}"], quality=85)
        cache = ModelCache(cfg)
        for features in (("hash",), ("objects", "embedding")):
            for size in (1, N):
                items = [plan_item(n, f"p{n}", f"p{n}", None) for n in range(N)]
                run_batch(items, files, features, 40_000_000, CancelToken(), models=cache, group_size=size)
                started = time.process_time()
                report = run_batch(items, files, features, 40_000_000, CancelToken(), models=cache, group_size=size)
                took = (time.process_time() - started) / N * 1000
                assert report.succeeded == N
                name = "+".join(features)
                print(f"run_batch {name:<18} batch {size:>2}: {took:6.1f} ms per image CPU (JPEG decode incl.)")
    verdict = "OK" if lb + dec + clip <= 10 else "over"
    print(f"pre + post per image {lb + dec + clip:.1f} ms (target ≤ 10): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
