"""What does our cut-out cost over the model itself? ``cut_out`` vs ISNet run directly by onnxruntime.

Ours: ``products.cutout.cut_out`` on a 1024 × 1024 product photo (the
test's red bottle on a cluttered table) through the model cache — resize to
1024², normalise, ``session.run``, the mask back at the photo's size,
threshold, speck removal, feather, alpha and tight crop. Direct: a bare
``onnxruntime.InferenceSession`` on the same ``isnet.onnx``, the same
threads and provider, fed the same normalised tensor made with numpy and
Pillow, asking for the same output. Rounds alternate ours / direct (and which goes
first) after a warm-up of each; wall time and process CPU time (both threads) per image,
medians, and the ratio. The model comes through the registry (88 MB, cached).
Target (issue 21): ours / direct ≤ 1.1.

    .venv/bin/python scripts/bench/bench_cutout.py            # ~1 min on 2 cores
    .venv/bin/python scripts/bench/bench_cutout.py --rounds 3 --size 1448   # a 2 Mpx photo
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.isnet import (
    IsNet,  # noqa: E402
    probability,  # noqa: E402
)
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.products.cutout import apply_mask, cut_out, refine  # noqa: E402
from tests.media_samples import product_photo  # noqa: E402


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def direct_session(path: Path, threads: int) -> Callable[[Image.Image], np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(img: Image.Image) -> np.ndarray:
        x = np.asarray(img.convert("RGB").resize((1024, 1024), Image.Resampling.BILINEAR), np.float32)
        x = ((x - 128.0) / 256.0).transpose(2, 0, 1)[None]
        return session.run(["output"], {"input": x})[0]

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--size", type=int, default=1024, help="the photo's side in px")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cutout-") as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(Path(tmp) / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"})
        ModelRegistry.from_config(cfg).fetch(["isnet-general"])
        models = ModelCache(cfg)
        photo, _ = product_photo((args.size, args.size))
        model = models.get(IsNet)
        direct = direct_session(model.model_dir / IsNet.files[0], model.session_threads)
        print(f"isnet-general, {args.size}x{args.size} photo, {model.session_threads} threads, "
              f"providers {model.load().providers_used}")
        timed(lambda: cut_out(photo, models))
        timed(lambda: direct(photo))
        ours, bare = [], []
        for n in range(args.rounds):
            if n % 2:  # the order alternates too: on a shared machine the second run of a pair often waits
                bare.append(timed(lambda: direct(photo)))
                ours.append(timed(lambda: cut_out(photo, models)))
            else:
                ours.append(timed(lambda: cut_out(photo, models)))
                bare.append(timed(lambda: direct(photo)))
            print(f"  round {n + 1}: ours {ours[-1][0]:.2f} s wall / {ours[-1][1]:.2f} s cpu, "
                  f"direct {bare[-1][0]:.2f} s wall / {bare[-1][1]:.2f} s cpu")
        ow, oc = (statistics.median(t[i] for t in ours) for i in (0, 1))
        dw, dc = (statistics.median(t[i] for t in bare) for i in (0, 1))
        per_round = statistics.median(o[1] / d[1] for o, d in zip(ours, bare, strict=True))
        print(f"median per image: ours {ow:.2f} s wall, {oc:.2f} s cpu; direct {dw:.2f} s wall, {dc:.2f} s cpu")
        raw = direct(photo)
        post = statistics.median(timed(lambda: apply_mask(photo, refine(probability(raw, photo.size))))[1]
                                 for _ in range(5))
        print(f"ours beyond the model run: {post * 1000:.0f} ms cpu (mask back to size, refine, crop)")
        print(f"ours/direct: wall {ow / dw:.3f}, cpu {oc / dc:.3f} (median of per-round cpu ratios "
              f"{per_round:.3f}); target <= 1.1: {'met' if oc / dc <= 1.1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
