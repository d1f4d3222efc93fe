"""Burn an .ass file into a video with libass, or render one styled frame.

H.264 (yuv420p, ``+faststart`` so a browser plays it while it downloads) with
the original audio stream copied untouched. ffmpeg auto-rotates while decoding,
so the filter draws on the picture as it is shown and the output carries the
displayed size with no rotation tag: the same picture the caller sees.
Fonts come only from our folder (``LibassFonts``), never the system.

Example::

    burn(Path("in.mp4"), Path("subs.ass"), Path("out.mp4"), fonts, ctx.cancel, duration=12.0)
    preview(Path("in.mp4"), Path("subs.ass"), 3.5, Path("frame.png"), fonts, ctx.cancel)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.fonts import LibassFonts
from noxus_local.runtime.cancel import CancelToken

# x264 speed/quality: on 10 s of 720p30 testsrc2 on 2 cores, veryfast crf 20 took 7.7 CPU-s (3.5 MB),
# superfast crf 21 ~5.9 CPU-s (~5.9 MB), ultrafast 3.3 CPU-s but 9.5 MB and no deblocking. superfast
# keeps CABAC and deblocking (clean caption edges) at ~0.75x veryfast's time: the burn is half a job.
PRESET = "superfast"
CRF = 21


def burn_args(video: Path, ass: Path, out: Path, fonts: LibassFonts, threads: int | None = None,
              limit: float | None = None) -> list[str]:
    """ffmpeg's arguments (after ``-y``): one video filter, audio copied if there is any; at most
    ``limit`` seconds written (what the job held for, media/decoded.py ``decode_limit``)."""
    args = ["-i", str(video), "-map", "0:v:0", "-map", "0:a?", "-vf", fonts.ass_filter(ass),
            "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
            "-c:a", "copy", "-movflags", "+faststart"]
    if threads:
        args += ["-threads", str(threads)]
    if limit:
        args += ["-t", f"{limit:.3f}"]
    return [*args, str(out)]


def burn(video: Path, ass: Path, out: Path, fonts: LibassFonts, cancel: CancelToken, *,
         duration: float | None = None, progress: Callable[[int], None] | None = None,
         threads: int | None = None, limit: float | None = None) -> Path:
    """Write ``out`` (MP4), at most ``limit`` seconds of it; ``progress`` gets 0–100 from ffmpeg's
    ``time=`` against ``duration``."""
    def seconds(t: float) -> None:
        if progress and duration:
            progress(min(99, int(100 * t / duration)))

    run_ffmpeg(burn_args(video, ass, out, fonts, threads, limit), cancel, progress=seconds, env=fonts.env())
    return out


def preview(video: Path, ass: Path, at: float, out: Path, fonts: LibassFonts, cancel: CancelToken) -> Path:
    """One PNG of the frame at ``at`` seconds with the captions drawn as they would be then.

    ``-ss`` after ``-copyts`` keeps the frame's own timestamp, so libass shows the cue of
    that moment rather than the one at 0 s.
    """
    args = ["-copyts", "-ss", f"{max(0.0, at):.3f}", "-i", str(video), "-vf", fonts.ass_filter(ass),
            "-frames:v", "1", "-update", "1", str(out)]
    run_ffmpeg(args, cancel, env=fonts.env())
    return out
