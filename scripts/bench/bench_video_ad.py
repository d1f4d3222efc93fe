"""A whole video-ad job (issue 21's performance target), through the tool's own code, per step.

The test's product photo (a red bottle on a cluttered table, ``tests/media_samples.product_photo``)
and a small logo go through ``VideoAdTool.validate``, ``check_installed`` and ``run`` with a real
ModelCache (ISNet, Kokoro af_heart, the bundled music; the text model when ``--llm`` names one,
else the template writes the copy), fetched through the registry into a temp data dir from the
shared download cache. With ``--runs 2`` the second run is what a warm server does. The job's
recorded steps give the per-step times. Target (issue 21): 15 s ad with 2 variants ≤ 2 min on a
2-core CPU, 30 s ≤ 3.5 min; each run prints its wall time as a ratio of that target. First, the
variant score (products/shot_score.py) is timed against the baseline of compositing the variant it
judges (products/cutout.py ``composite``), both measured here on the same drawn product.

Example::

    .venv/bin/python scripts/bench/bench_video_ad.py                         # 15 s, 2 variants, 1 run
    .venv/bin/python scripts/bench/bench_video_ad.py --duration 30 --runs 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.media.probe import probe  # noqa: E402
from noxus_local.runtime.steps import StepTracker  # noqa: E402
from noxus_local.tools.base import InputFile, Limits, ToolContext  # noqa: E402
from noxus_local.tools.video_ad import VideoAdTool  # noqa: E402
from tests.media_samples import product_photo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=15, choices=(15, 30, 60))
    ap.add_argument("--variants", type=int, default=2, choices=(1, 2, 3))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--llm", default="none", help="a text model id to write the copy, or none")
    args = ap.parse_args()
    root = scratch_dir("bench-vad-")
    env = {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"}
    if args.llm != "none":
        env["NOXUS_LLM_MODEL"] = args.llm
    cfg = load_config(None, env)
    wanted = ["isnet-general", "kokoro-82m", "kokoro-voice-af-heart", "music-immich-memories"]
    ModelRegistry.from_config(cfg).fetch(wanted + ([] if args.llm == "none" else [args.llm]))
    cache, tool = ModelCache(cfg), VideoAdTool().bind(cfg)
    _score_vs_composite()
    target = {15: 120.0, 30: 210.0}.get(args.duration)
    for run in range(1, args.runs + 1):
        work = root / f"run{run}"
        work.mkdir()
        product_photo()[0].save(work / "in_images_0", "PNG")
        logo = Image.new("RGBA", (200, 80), (0, 0, 0, 0))
        ImageDraw.Draw(logo).ellipse((0, 0, 79, 79), fill=(30, 60, 200, 255))
        logo.save(work / "in_logo", "PNG")
        files = {"images_0": InputFile(work / "in_images_0", "bottle.png", "image/png", 0),
                 "logo": InputFile(work / "in_logo", "logo.png", "image/png", 0)}
        started = time.monotonic()
        params = tool.validate({"prompt": "Premium red water bottle — keeps drinks cold all day",
                                "duration": args.duration, "quality_loop_variants": args.variants,
                                "company_name": "SoundWave Audio", "cta_design": "bold", "emotion": "excitement",
                                "music_mood": "energetic"}, files, Limits())
        plan = tool.plan(tool.typed(params), files, Limits())
        tool.check_installed(params, plan, cfg)
        steps = StepTracker(tool.steps)
        out = tool.execute(ToolContext(params, files, Limits(), work, models=cache, steps=steps), plan)
        wall = time.monotonic() - started
        video = probe(Path(out.data)).duration or 0.0
        print(f"run {run}: {args.duration} s ad, {len(out.result['scenes'])} scenes × {args.variants} variants, "
              f"copy by {out.result['writer']}, video {video:.2f} s, wall {wall:.1f} s")
        for warning in out.result.get("warnings", []):
            print(f"  warning: {warning}")
        for s in steps.snapshot():
            print(f"  {s['name']:16} {s['status']:9} {_seconds(s):6.1f} s")
        if target:
            print(f"  ratio to the issue's target ({target:.0f} s): {wall / target:.2f}")


def _score_vs_composite(rounds: int = 5) -> None:
    """The score's cost against compositing the 720×1280 variant it judges (the baseline), same product."""
    from noxus_local.products import backdrops
    from noxus_local.products.ad_shots import score
    from noxus_local.products.cutout import Placement, composite

    cut = Image.new("RGBA", (360, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(cut).rounded_rectangle((0, 90, 359, 999), radius=40, fill=(200, 30, 40, 255))
    placement, backdrop = Placement(scale=0.55, x=0.5, floor=0.78), backdrops.studio_white((720, 1280))
    started = time.perf_counter()
    for _ in range(rounds):
        picture = composite(cut, backdrop, placement)
    base = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        score(picture, cut, placement)
    ours = (time.perf_counter() - started) / rounds
    print(f"variant score {ours * 1000:.0f} ms vs composite (baseline) {base * 1000:.0f} ms per 720x1280 variant: "
          f"ratio {ours / base:.2f}")


def _seconds(step: dict) -> float:
    if not step.get("started_at") or not step.get("finished_at"):
        return 0.0
    return float(step["finished_at"]) - float(step["started_at"])


if __name__ == "__main__":
    main()
