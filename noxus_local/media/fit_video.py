"""Any clip an engine made, as the MP4 a client asked for: H.264, yuv420p, this size, this many seconds.

A video engine answers what its workflow makes: a WebM, a GIF, 832×480 at 16 fps, 81 frames. A client
asked for 9:16 at 720p and 5 seconds, so one ffmpeg pass fixes all of it: scaled to cover the
requested size and centre-cropped (the aspect is the client's, never stretched), the frame rate made
constant (the caller passes the engine's own rate when it is a usual one: no frames invented), looped
(``-stream_loop``) when the clip is shorter than asked and cut (``-t``) when longer,
encoded H.264 ``yuv420p`` (every player) with ``+faststart``; an audio track (a talking head's
voice) is kept as AAC, silence is not added.

Example::

    fit_video(Path("wan.webm"), Path("out.mp4"), 720, 1280, 5.0, source_seconds=5.06, has_audio=False, fps=16,
              cancel=token)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

PRESET, CRF = "veryfast", 20


def even(value: float) -> int:
    """The nearest even size of at least 2 (H.264 4:2:0 needs even sides): ``even(853.3) == 854``."""
    return max(2, int(round(value / 2)) * 2)


def fit_args(src: Path, out: Path, width: int, height: int, seconds: float, source_seconds: float,
             has_audio: bool, fps: int) -> list[str]:
    """The ffmpeg arguments (without ``-y``): loop only when the source is shorter than ``seconds``."""
    if width % 2 or height % 2:
        raise ValueError("width and height must be even")
    loops = ["-stream_loop", str(max(0, math.ceil(seconds / source_seconds) - 1))] \
        if source_seconds and source_seconds < seconds else []
    vf = (f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic,"
          f"crop={width}:{height},setsar=1,fps={fps},format=yuv420p")
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k"] if has_audio else ["-an"]
    return [*loops, "-i", str(src), "-t", f"{seconds:.3f}", "-map", "0:v:0", *audio, "-vf", vf,
            "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(out)]


def fit_video(src: Path, out: Path, width: int, height: int, seconds: float, *, source_seconds: float,
              has_audio: bool, fps: int, cancel: CancelToken,
              progress: Callable[[float], None] | None = None) -> Path:
    """``src`` as ``out`` (see the module's docstring); ``progress`` gets the fraction done."""
    report = (lambda done: progress(min(1.0, done / seconds))) if progress else None
    run_ffmpeg(fit_args(src, out, width, height, seconds, source_seconds, has_audio, fps), cancel, progress=report)
    return out
