"""A video engine's animated GIF or WebP to H.264 MP4 (media/animation.py) against bare ffmpeg, in one process.

The engine-like animation: 832×480, 16 fps, 81 frames (about 5 s, a Wan clip's length), a moving gradient
with a bar, made by Pillow as an animated GIF and an animated WebP. Timings are the best of ``--runs`` (the
2-core machine is shared: the least disturbed run says what the code costs):

- ``gif_baseline``: one bare ffmpeg run, GIF → MP4 with the same encode settings;
  ``gif_ours``: ``animation.to_mp4`` on the GIF (Pillow counts its frames, then the same ffmpeg run);
- ``webp_ours``: ``animation.to_mp4`` on the WebP (Pillow decodes each frame and pipes it to the same
  encode); ``webp_baseline``: bare ffmpeg on the WebP itself, which the bundled FFmpeg 9 can decode (older
  builds cannot, which is why ours does not rely on it; ``bundled_ffmpeg_decodes_animated_webp`` says
  whether this one did); ``webp_raw_baseline``: bare ffmpeg encoding the same frames already decoded (a
  raw RGB file), the least any server must do.

Example::

    PYTHONPATH=. .venv/bin/python scripts/bench/bench_animation.py            # ~1 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
from PIL import Image

from noxus_local.media import animation
from noxus_local.runtime.cancel import CancelToken

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
W, H, FRAMES, MS = 832, 480, 81, 62


def frames() -> list[Image.Image]:
    x = np.linspace(0, 255, W, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, H, dtype=np.float32)[:, None, None]
    out = []
    for i in range(FRAMES):
        rgb = np.concatenate([(x + 3 * i) % 256 + 0 * y, (y + 2 * i) % 256 + 0 * x, np.full((H, W, 1), 128.0)], 2)
        rgb[200:280, (i * 9) % (W - 60):(i * 9) % (W - 60) + 60] = 255
        out.append(Image.fromarray(rgb.astype(np.uint8)))
    return out


def encode_args(src: list[str], out: Path) -> list[str]:
    return [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *src, "-an", "-vf",
            f"{animation.EVEN},format=yuv420p", *animation.ENCODE, str(out)]


def timed(fn: object, *args: object) -> float:
    t0 = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = frames()
        gif, webp, raw = folder / "a.gif", folder / "a.webp", folder / "a.rgb"
        made[0].save(gif, save_all=True, append_images=made[1:], duration=MS, loop=0)
        made[0].save(webp, save_all=True, append_images=made[1:], duration=MS, loop=0, quality=80)
        raw.write_bytes(b"".join(f.tobytes() for f in made))
        cancel = CancelToken()

        def run(cmd: list[str]) -> None:
            subprocess.run(cmd, check=True)

        gif_base = min(timed(run, encode_args(["-i", str(gif)], folder / "g.mp4")) for _ in range(args.runs))
        gif_ours = min(timed(animation.to_mp4, gif, folder / "G.mp4", cancel) for _ in range(args.runs))
        rawsrc = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "16", "-i", str(raw)]
        webp_raw = min(timed(run, encode_args(rawsrc, folder / "w.mp4")) for _ in range(args.runs))
        webp_ours = min(timed(animation.to_mp4, webp, folder / "W.mp4", cancel) for _ in range(args.runs))
        webp_base = min(timed(run, encode_args(["-i", str(webp)], folder / "v.mp4")) for _ in range(args.runs))
        with av.open(str(folder / "v.mp4")) as container:
            decodes = sum(1 for _ in container.decode(video=0)) == FRAMES
    print(json.dumps({"gif_baseline_s": round(gif_base, 3), "gif_ours_s": round(gif_ours, 3),
                      "gif_ratio": round(gif_ours / gif_base, 3), "webp_baseline_s": round(webp_base, 3),
                      "webp_ours_s": round(webp_ours, 3), "webp_ratio": round(webp_ours / webp_base, 3),
                      "webp_raw_baseline_s": round(webp_raw, 3), "webp_raw_ratio": round(webp_ours / webp_raw, 3),
                      "bundled_ffmpeg_decodes_animated_webp": decodes}))


if __name__ == "__main__":
    main()
