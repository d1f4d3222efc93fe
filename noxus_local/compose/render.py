"""Render a ``Timeline`` to an MP4: captions laid out, narration measured, then ONE ffmpeg run.

The final frames are encoded once (H.264 yuv420p + AAC 48 kHz, ``+faststart``,
exactly ``width``×``height`` at ``fps`` for exactly the timeline's length): no
intermediate clips, so no generation loss and no second encode. The filter
graph goes to ffmpeg as a file (``-/filter_complex``) and holds no timeline
text; the captions' .ass and the designed scenes' text files sit in ``workdir``.

A plain pipeline function: no jobs, no HTTP. ``cancel`` kills ffmpeg (the media
runner watches it), ``progress`` gets 0.0–1.0 from ffmpeg's clock.

Example::

    render(timeline, Path("out.mp4"), workdir=job_dir / "work", cancel=token, progress=print)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from noxus_local.captions.cues import CueRules, cues_from_words, default_max_chars
from noxus_local.captions.styles import render_ass, resolve_style
from noxus_local.compose.graph import build
from noxus_local.compose.loudness import measure
from noxus_local.compose.timeline import Timeline
from noxus_local.errors import ValidationError
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.fonts import prepare_fonts
from noxus_local.runtime.cancel import CancelToken

PRESET = "veryfast"
CRF = 23
AUDIO_BITRATE = "160k"
Progress = Callable[[float], None]


def _ignore(_: float) -> None:
    return None


def render(tl: Timeline, out: Path, *, workdir: Path, cancel: CancelToken, progress: Progress = _ignore,
           preset: str = PRESET, crf: int = CRF, threads: int | None = None) -> Path:
    """Write ``out`` from ``tl``; returns ``out``. ``workdir`` holds the graph, .ass and text files."""
    if not tl.scenes:
        raise ValidationError("timeline: scenes: at least one scene is needed")
    workdir.mkdir(parents=True, exist_ok=True)
    fonts = prepare_fonts(workdir / "fonts")
    ass = write_captions(tl, workdir / "captions.ass")
    voice = measure(tl.narration, cancel) if tl.narration is not None else None
    graph = build(tl, workdir, fonts, ass, voice)
    script = workdir / "graph.txt"
    script.write_text(graph.script, "utf-8")
    run_ffmpeg(command(graph.inputs, script, out, tl, preset, crf, threads), cancel, env=fonts.env(),
               progress=lambda t: progress(min(0.99, t / tl.duration)))
    progress(1.0)
    return out


def command(inputs: list[str], script: Path, out: Path, tl: Timeline, preset: str = PRESET, crf: int = CRF,
            threads: int | None = None) -> list[str]:
    """ffmpeg's arguments after ``-y``: inputs, the graph file, one encode of each stream."""
    thread_args = ["-threads", str(threads)] if threads else []
    return [*inputs, "-/filter_complex", str(script), "-map", "[vout]", "-map", "[aout]",
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-r", str(tl.fps),
            *thread_args, "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "48000",
            "-t", f"{tl.duration:.3f}", "-movflags", "+faststart", str(out)]


def write_captions(tl: Timeline, path: Path) -> Path | None:
    """The .ass of the timeline's words in its caption style, or None (no captions, no words)."""
    words = tl.words
    if tl.captions is None or not words:
        return None
    rules = CueRules(max_chars_per_line=default_max_chars(tl.width, tl.height), fps=float(tl.fps))
    style = resolve_style(tl.captions.style, tl.captions.options)
    path.write_text(render_ass(cues_from_words(words, rules), style, tl.width, tl.height), "utf-8")
    return path

