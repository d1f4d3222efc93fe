"""The video ad's motion engine (products/ad_motion.py) against the existing push-in, same scene, same run.

Baseline: the flattened product shot moved by compose's Ken Burns push-in (``compose.filters.still_chain``:
ffmpeg's zoompan) into an MP4. Ours: the same shot as two layers — a parallax scene (the product sliding
over its panning backdrop) with two zoom punches, frames drawn with Pillow and piped into ffmpeg — and a
push-in through the same engine. Both encode with the engine's intermediate settings (libx264 ultrafast,
CRF 17) at 720×1280, 25 fps. Prints each time and the ratio to the baseline.

Example::

    .venv/bin/python scripts/bench/bench_ad_motion.py --seconds 4
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import scratch_dir  # noqa: E402

from noxus_local.compose.filters import still_chain  # noqa: E402
from noxus_local.media.ffmpeg import run_ffmpeg  # noqa: E402
from noxus_local.products.ad_motion import CRF, PRESET, Layers, Move, product_layer, render_clip  # noqa: E402
from noxus_local.products.ad_shots import backdrop, motion  # noqa: E402
from noxus_local.products.cutout import Placement, composite  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402

SIZE, FPS = (720, 1280), 25


def product() -> Image.Image:
    cut = Image.new("RGBA", (360, 720), (0, 0, 0, 0))
    draw = ImageDraw.Draw(cut)
    draw.rounded_rectangle((40, 120, 320, 700), radius=60, fill=(210, 30, 40, 255))
    draw.rectangle((130, 10, 230, 125), fill=(60, 60, 60, 255))
    return cut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    root = scratch_dir("bench-ad-motion-")
    cut = product()
    placement = Placement(scale=0.55, x=0.5, floor=0.78, shadow="floor", reflection=0.25)
    back = backdrop("gradient", cut.convert("RGB"), cut, SIZE, "#FF5500", 0)
    shot = root / "shot.png"
    composite(cut, back, placement).save(shot)
    layers = Layers(back, product_layer(cut, SIZE, placement))

    started = time.perf_counter()
    chain = still_chain(motion(0, ""), SIZE[0], SIZE[1], FPS, args.seconds)
    run_ffmpeg(["-loglevel", "error", "-i", str(shot), "-filter_complex", f"[0:v]{chain}[v]", "-map", "[v]",
                "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), str(root / "zoompan.mp4")], CancelToken())
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    render_clip(layers, Move("push_in", motion(0, "")), SIZE, FPS, args.seconds, root / "push.mp4")
    push = time.perf_counter() - started

    started = time.perf_counter()
    render_clip(layers, Move("parallax", motion(1, ""), punches=(0.4, args.seconds / 2)), SIZE, FPS, args.seconds,
                root / "parallax.mp4")
    parallax = time.perf_counter() - started

    load = os.getloadavg()[0]
    print(f"{args.seconds:.1f} s scene at {SIZE[0]}x{SIZE[1]}, {FPS} fps; load average {load:.1f}")
    print(f"baseline push-in (compose zoompan on the flattened shot): {baseline:.2f} s")
    print(f"engine push-in (two layers, Pillow frames):               {push:.2f} s  ratio {push / baseline:.2f}x")
    print(f"engine parallax + 2 punches:                               {parallax:.2f} s  "
          f"ratio {parallax / baseline:.2f}x")


if __name__ == "__main__":
    main()
