"""An animated GIF or WebP (what a ComfyUI workflow's ``SaveAnimatedWEBP`` or a ``VHS_VideoCombine`` in a gif
format writes) as an H.264 MP4 every later step can read.

Why two paths: ffmpeg's GIF demuxer decodes an animation with its frame delays, so a GIF goes straight to
one ffmpeg encode. Older ffmpeg builds (before 8.0; the bundled FFmpeg 9 can) read a WebP still but not
an animation (the ``ANIM``/``ANMF`` chunks), so, whatever ffmpeg the server has, a WebP's frames are
decoded by Pillow (``ImageSequence``: each frame already composed on the
canvas), laid on a constant frame grid from their durations (a frame shown 125 ms at 8 fps takes one
slot, one shown 250 ms takes two) and piped raw to the same encode. Either way the sides are padded to
even numbers (H.264 4:2:0) and the result is ``yuv420p``. A file with one frame is not an animation
(``NotAnimated``): a still is no video.

Example::

    if animation.kind_of(path):                        # "gif" or "webp" (magic bytes), else None
        animation.to_mp4(path, workdir / "clip.mp4", cancel)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from PIL import Image, ImageSequence, UnidentifiedImageError

from noxus_local.errors import InvalidMedia, Text
from noxus_local.locale import t
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

GIF_MAGIC = (b"GIF87a", b"GIF89a")
DEFAULT_FRAME_MS = 100  # what browsers show for a frame without a delay (or one under 20 ms)
MIN_FPS, MAX_FPS = 1, 60
MAX_FRAMES = 10_000
EVEN = "pad=ceil(iw/2)*2:ceil(ih/2)*2"
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]


class NotAnimated(InvalidMedia):
    """The GIF or WebP holds a single frame (or cannot be read as an animation)."""


def kind_of(path: Path) -> str | None:
    """``"gif"`` or ``"webp"`` from the file's first bytes, else None: ``kind_of(Path("a.gif")) == "gif"``."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:6] in GIF_MAGIC:
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def frame_count(path: Path) -> int:
    """How many frames Pillow finds (1 for a still); ``NotAnimated`` when it cannot open the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                return int(getattr(img, "n_frames", 1))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        raise _not_animated(t("animation.animation_cannot_read")) from None


def frame_ms(duration: object) -> int:
    """One frame's delay as browsers show it: ``frame_ms(0) == 100``, ``frame_ms(62.5) == 62``."""
    ms = int(duration) if isinstance(duration, int | float) else 0
    return ms if ms >= 20 else DEFAULT_FRAME_MS


def rate_for(first_ms: int) -> int:
    """The grid's frames per second from the first frame's delay: ``rate_for(62) == 16``, clamped 1-60."""
    return max(MIN_FPS, min(MAX_FPS, round(1000 / first_ms)))


def grid(durations_ms: list[int], fps: int) -> list[int]:
    """For each output frame on a ``fps`` grid, the source frame shown at its middle.

    Example: ``grid([125, 250, 125], 8) == [0, 1, 1, 2]``.
    """
    out, end, k, step = [], 0.0, 0, 1000 / fps
    for i, ms in enumerate(durations_ms):
        end += ms
        while (k + 0.5) * step < end:
            out.append(i)
            k += 1
    return out or [0] * bool(durations_ms)


def to_mp4(src: Path, out: Path, cancel: CancelToken) -> Path:
    """``src`` (an animated GIF or WebP) as an H.264 MP4 at ``out``; ``NotAnimated`` for a still or garbage."""
    kind = kind_of(src)
    if kind is None:
        raise _not_animated(t("animation.neither_gif_nor_webp"))
    frames = frame_count(src)
    if frames < 2:
        raise _not_animated(t("animation.still_image_not_animation"))
    if frames > MAX_FRAMES:
        raise _not_animated(t("animation.has_over_frames", max_frames=MAX_FRAMES))
    if kind == "gif":
        run_ffmpeg(["-i", str(src), "-map", "0:v:0", "-an", "-vf", f"{EVEN},format=yuv420p", *ENCODE, str(out)],
                   cancel)
        return out
    with Image.open(src) as img:
        img.load()  # a WebP frame's duration is known once it is decoded
        width, height = img.size
        fps = rate_for(frame_ms(img.info.get("duration")))
        run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
                    "-i", "pipe:0", "-an", "-vf", f"{EVEN},format=yuv420p", *ENCODE, str(out)], cancel,
                   feed=lambda pipe: _write_frames(img, fps, pipe, cancel))
    return out


def _write_frames(img: Image.Image, fps: int, pipe: IO[bytes], cancel: CancelToken) -> None:
    """Each composed frame as raw RGB, as many times as the grid shows it (``grid``, streamed: one frame
    in memory at a time)."""
    end, k, step, last = 0.0, 0, 1000 / fps, b""
    for frame in _frames(img):
        if cancel.cancelled:
            return
        last = frame.convert("RGB").tobytes()  # decodes it: its duration is known after
        end += frame_ms(frame.info.get("duration"))
        while (k + 0.5) * step < end:
            pipe.write(last)
            k += 1
    if k == 0 and last:
        pipe.write(last)


def _frames(img: Image.Image) -> Iterator[Image.Image]:
    yield from ImageSequence.Iterator(img)


def _not_animated(why: Text) -> NotAnimated:
    return NotAnimated(t("animation.unusable", why=why),
                       details={"reason": "not_animated"})
