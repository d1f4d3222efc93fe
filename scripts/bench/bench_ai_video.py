"""ai-video-generate's own work against a bare ffmpeg call on the same clip, in one process.

A fake ComfyUI on loopback (tests/comfy_video_fixture.py) serves a real engine-like clip: 832×480, 16 fps,
5 s WebM (VP8), as Wan workflows make. Three timings, each the best of ``--runs`` (the 2-core machine is
shared: the least disturbed run says what the code costs):

- ``baseline``: one bare ffmpeg run on that WebM to a 720×1280 H.264 yuv420p MP4 (scale to cover, crop), the
  least any server must do to hand the client the asked shape;
- ``fit``: media/fit_video.py alone on the same file (the same encode, plus constant fps and +faststart);
- ``tool``: the whole tool run: queue on the fake ComfyUI, poll its history, download and probe the clip,
  then the fit. ``ratio`` = tool / baseline: our overhead over the encode itself.

Example::

    PYTHONPATH=. .venv/bin/python scripts/bench/bench_ai_video.py            # ~30 s on 2 cores
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

from noxus_local.config import load_config
from noxus_local.media.fit_video import fit_video
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.ai_video_generate import AiVideoGenerateTool
from noxus_local.tools.base import Limits, ToolContext
from tests import comfy_video_fixture
from tests.comfy_video_fixture import VIDEO_WORKFLOW, start

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def engine_clip(folder: Path) -> bytes:
    out = folder / "engine.webm"
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=832x480:r=16:d=5", "-c:v", "libvpx", "-b:v", "1M", str(out)], check=True)
    return out.read_bytes()


def baseline(src: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-t", "5",
                    "-vf", "scale=720:1280:force_original_aspect_ratio=increase,crop=720:1280",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(out)],
                   check=True)
    return time.perf_counter() - t0


def fit(src: Path, out: Path) -> float:
    t0 = time.perf_counter()
    fit_video(src, out, 720, 1280, 5.0, source_seconds=5.0, has_audio=False, fps=16, cancel=CancelToken())
    return time.perf_counter() - t0


def tool_run(folder: Path, port: int, n: int) -> float:
    flow = folder / "flow.json"
    flow.write_text(VIDEO_WORKFLOW)
    config = folder / "c.toml"
    config.write_text(f'[generators]\nallow_hosts = ["127.0.0.1"]\n[generators.wan]\nkind = "video"\n'
                      f'url = "http://127.0.0.1:{port}"\nworkflow = "{flow}"\n')
    cfg = load_config(config)
    tool = AiVideoGenerateTool().bind(cfg)
    raw = tool.validate({"prompt": "a lighthouse", "duration": 5, "aspect_ratio": "9:16", "resolution": "720p"},
                        {}, Limits())
    plan = tool.plan(tool.typed(raw), {}, Limits())
    tool.check_installed(raw, plan, cfg)
    t0 = time.perf_counter()
    tool.execute(ToolContext(tool.typed(raw), {}, Limits(), folder / f"work{n}"), plan)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = engine_clip(folder)
        src = folder / "src.webm"
        src.write_bytes(data)
        comfy_video_fixture.clip.cache_clear()
        server = start()
        server.mode = "webm"
        original = comfy_video_fixture.clip
        comfy_video_fixture.clip = lambda kind="mp4": data  # type: ignore[assignment]
        try:
            base = min(baseline(src, folder / f"b{i}.mp4") for i in range(args.runs))
            ours_fit = min(fit(src, folder / f"f{i}.mp4") for i in range(args.runs))
            times = []
            for i in range(args.runs):
                server.polls = 5  # the history is ready at the first poll: no simulated render wait
                times.append(tool_run(folder, server.server_address[1], i))
            ours = min(times)
        finally:
            comfy_video_fixture.clip = original
            server.shutdown()
            server.server_close()
    print(json.dumps({"baseline_s": round(base, 3), "fit_s": round(ours_fit, 3), "tool_s": round(ours, 3),
                      "fit_ratio": round(ours_fit / base, 3), "ratio": round(ours / base, 3)}))


if __name__ == "__main__":
    main()
