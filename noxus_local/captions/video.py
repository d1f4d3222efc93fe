"""Captions onto a picture: burn cues into a video with libass, or render one styled frame.

H.264 (yuv420p, ``+faststart`` so a browser plays it while it downloads) with
the original audio stream copied untouched, or another soundtrack muxed in
(``audio``: speech made for this picture). ffmpeg auto-rotates while decoding,
so the filter draws on the picture as it is shown and the output carries the
displayed size with no rotation tag: the same picture the caller sees.
Fonts come only from our folder (``LibassFonts``), never the system.

``burn`` and ``preview`` take cues and a style and know nothing of jobs: a
tool, or a composite one, calls them with its own cancel token and a progress
callback that gets a fraction. ``burn_ass`` is the step below, for a ready
.ass file.

Example::

    style = resolve_style("word_pop")
    burn(Path("in.mp4"), cues, style, Path("out.mp4"), cancel=token, progress=print)   # 0.25, 0.5, ...
    preview(Path("in.mp4"), cues, style, 3.5, Path("frame.png"), cancel=token)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from noxus_local.captions.cues import Cue
from noxus_local.captions.styles import CaptionStyle, render_ass
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.fonts import LibassFonts, prepare_fonts
from noxus_local.media.probe import probe
from noxus_local.runtime.cancel import CancelToken

# x264 speed/quality: on 10 s of 720p30 testsrc2 on 2 cores, veryfast crf 20 took 7.7 CPU-s (3.5 MB),
# superfast crf 21 ~5.9 CPU-s (~5.9 MB), ultrafast 3.3 CPU-s but 9.5 MB and no deblocking. superfast
# keeps CABAC and deblocking (clean caption edges) at ~0.75x veryfast's time: the burn is half a job.
PRESET = "superfast"
CRF = 21
DEFAULT_SIZE = (1920, 1080)  # what an audio-only source's captions are laid out for
Progress = Callable[[float], None]


def _ignore(_: float) -> None:
    return None


def burn(video: Path, cues: Sequence[Cue], style: CaptionStyle, out: Path, *, cancel: CancelToken,
         progress: Progress = _ignore, size: tuple[int, int] | None = None, duration: float | None = None,
         limit: float | None = None, audio: Path | None = None, threads: int | None = None) -> Path:
    """Write ``out`` (MP4): ``video`` with ``cues`` drawn in ``style``; ``progress`` gets 0.0–1.0.

    ``size`` and ``duration`` are probed when not given (the picture the captions are laid out
    on, the length progress is measured against); at most ``limit`` seconds are written (what a
    job held for); ``audio`` replaces the video's own sound. The .ass file and the fonts folder
    are written beside ``out``.
    """
    if size is None or duration is None:
        info = probe(video)
        shown = info.video.display_size if info.video is not None else None
        size, duration = size or shown or DEFAULT_SIZE, duration or info.duration
    ass = write_ass(cues, style, size, out.with_suffix(".ass"))
    lib = prepare_fonts(out.parent / "fonts")
    return burn_ass(video, ass, out, lib, cancel, duration=duration, progress=progress, threads=threads,
                    limit=limit, audio=audio)


def preview(video: Path, cues: Sequence[Cue], style: CaptionStyle, at: float, out: Path, *,
            cancel: CancelToken, size: tuple[int, int] | None = None) -> Path:
    """One PNG of the frame at ``at`` seconds with the captions drawn as they would be then."""
    if size is None:
        info = probe(video)
        size = (info.video.display_size if info.video is not None else None) or DEFAULT_SIZE
    ass = write_ass(cues, style, size, out.with_suffix(".ass"))
    return preview_ass(video, ass, at, out, prepare_fonts(out.parent / "fonts"), cancel)


def write_ass(cues: Sequence[Cue], style: CaptionStyle, size: tuple[int, int], path: Path) -> Path:
    """The .ass document for ``cues`` on a ``size`` picture, UTF-8 (what libass reads)."""
    path.write_text(render_ass(cues, style, *size), "utf-8")
    return path


def burn_args(video: Path, ass: Path, out: Path, fonts: LibassFonts, threads: int | None = None,
              limit: float | None = None, audio: Path | None = None) -> list[str]:
    """ffmpeg's arguments (after ``-y``): one video filter, audio copied if there is any (or
    ``audio`` encoded to AAC, cut to the picture); at most ``limit`` seconds written (what the
    job held for, media/decoded.py ``decode_limit``)."""
    sound = (["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k", "-shortest"]
             if audio else ["-map", "0:v:0", "-map", "0:a?", "-c:a", "copy"])
    args = ["-i", str(video), *sound, "-vf", fonts.ass_filter(ass),
            "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart"]
    if threads:
        args += ["-threads", str(threads)]
    if limit:
        args += ["-t", f"{limit:.3f}"]
    return [*args, str(out)]


def burn_ass(video: Path, ass: Path, out: Path, fonts: LibassFonts, cancel: CancelToken, *,
             duration: float | None = None, progress: Progress = _ignore, threads: int | None = None,
             limit: float | None = None, audio: Path | None = None) -> Path:
    """Write ``out`` (MP4) from a ready .ass file; ``progress`` gets 0.0–0.99 from ffmpeg's
    ``time=`` against ``duration`` (the last hundredth is the file being finished)."""
    def seconds(t: float) -> None:
        if duration:
            progress(min(0.99, t / duration))

    run_ffmpeg(burn_args(video, ass, out, fonts, threads, limit, audio), cancel, progress=seconds,
               env=fonts.env())
    return out


def preview_ass(video: Path, ass: Path, at: float, out: Path, fonts: LibassFonts, cancel: CancelToken) -> Path:
    """One PNG of the frame at ``at`` seconds drawn with a ready .ass file.

    ``-ss`` after ``-copyts`` keeps the frame's own timestamp, so libass shows the cue of
    that moment rather than the one at 0 s.
    """
    args = ["-copyts", "-ss", f"{max(0.0, at):.3f}", "-i", str(video), "-vf", fonts.ass_filter(ass),
            "-frames:v", "1", "-update", "1", str(out)]
    run_ffmpeg(args, cancel, env=fonts.env())
    return out
