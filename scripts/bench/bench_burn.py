"""The burn step (captions/video.py) against a bare ``ffmpeg -vf ass=...`` of the same .ass file.

Same clip (720p H.264 + AAC, made by the bundled ffmpeg), same ASS (a styled
cue every ~2 s from captions/styles.py), same fonts folder. Three timings, the
median of N runs each, in one process:

- ``ours``: ``fonts.prepare_fonts`` + ``video.burn_ass`` (cancel watcher, progress
  parsing, FONTCONFIG_FILE env), as the auto-subtitles render step runs it;
- ``bare-same``: the bundled ffmpeg run directly by subprocess with the same
  encoder arguments (``video.burn_args``) — the baseline of the ≤ 1.1× target;
- ``bare-default``: ``ffmpeg -i in -vf ass=...:fontsdir=... out.mp4`` with
  ffmpeg's own defaults (x264 ``medium``, audio re-encoded), for context.

The font fallback chain (issues 20/21: Hebrew, Arabic, Devanagari, emoji) is
timed too, each the same burn as ``bare-same``:

- ``no-fallback``: a fonts folder with the display faces only (what we shipped
  before), the Latin .ass — the baseline of the fallback ratio;
- ``bare-same`` (with the fallback folder, Latin .ass) / ``no-fallback``: what
  the bigger folder costs Latin captions;
- ``mixed-fallback``: every cue with a Hebrew, an Arabic word and an emoji
  (libass falls back to Heebo, Noto Sans Arabic, Symbola), fallback folder.

Example::

    .venv/bin/python scripts/bench/bench_burn.py            # ~1-2 min on 2 cores
    .venv/bin/python scripts/bench/bench_burn.py --seconds 5 --runs 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from noxus_local.captions import styles, video
from noxus_local.captions.cues import CueRules, build_cues
from noxus_local.media import fonts
from noxus_local.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Segment, Word


def make_clip(path: Path, seconds: float) -> None:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={seconds}", "-f", "lavfi",
                "-i", f"sine=f=440:d={seconds}", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac",
                "-shortest", str(path)], CancelToken())


def make_ass(path: Path, seconds: float, style: str) -> None:
    text = ("hola a todos y bienvenidas al canal de hoy vamos a ver cómo se hace esto paso a paso " * 20).split()
    words = [Word(w, i * 0.35, i * 0.35 + 0.3, 0.9) for i, w in enumerate(text) if i * 0.35 + 0.3 < seconds]
    cues = build_cues([Segment(0, 0.0, seconds, "", tuple(words), 0.0, 0.0)], CueRules(max_chars_per_line=42))
    path.write_text(styles.render_ass(cues, styles.resolve_style(style), 1280, 720), "utf-8")


def make_mixed_ass(path: Path, seconds: float, style: str) -> None:
    """The Latin cues with a Hebrew word, an Arabic word and an emoji in each."""
    extra = ["שלום", "مرحبا", "🙂"]
    text = ("hola a todos y bienvenidas al canal de hoy vamos a ver cómo se hace esto paso a paso " * 20).split()
    text = [w if i % 4 else f"{w} {extra[(i // 4) % 3]}" for i, w in enumerate(text)]
    words = [Word(w, i * 0.35, i * 0.35 + 0.3, 0.9) for i, w in enumerate(text) if i * 0.35 + 0.3 < seconds]
    cues = build_cues([Segment(0, 0.0, seconds, "", tuple(words), 0.0, 0.0)], CueRules(max_chars_per_line=42))
    path.write_text(styles.render_ass(cues, styles.resolve_style(style), 1280, 720), "utf-8")


def display_only(directory: Path) -> fonts.LibassFonts:
    """A fonts folder without the script and emoji fallbacks: the folder as it was before them."""
    directory.mkdir(parents=True, exist_ok=True)
    for family in fonts.FAMILIES:  # the display faces only
        for face in fonts.faces(family):
            shutil.copyfile(face.path, directory / face.path.name)
    config = directory / "fonts.conf"
    config.write_text(fonts._fontconfig_xml(directory), "utf-8")
    return fonts.LibassFonts(directory, config)


def timed(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--style", default="yellow_punch", choices=sorted(styles.PRESETS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-burn-") as tmp:
        d = Path(tmp)
        clip, ass = d / "clip.mp4", d / "subs.ass"
        make_clip(clip, args.seconds)
        make_ass(ass, args.seconds, args.style)
        lib = fonts.prepare_fonts(d / "fonts")

        def ours() -> None:
            video.burn_ass(clip, ass, d / "ours.mp4", fonts.prepare_fonts(d / "fonts"), CancelToken(),
                      duration=args.seconds, progress=lambda pct: None)

        def bare_same() -> None:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *video.burn_args(clip, ass, d / "b.mp4", lib)]
            subprocess.run(cmd, check=True, capture_output=True, env=lib.env())

        def bare_default() -> None:
            subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-i", str(clip), "-vf",
                            lib.ass_filter(ass), str(d / "c.mp4")], check=True, capture_output=True, env=lib.env())

        mixed, plain = d / "mixed.ass", display_only(d / "plain-fonts")
        make_mixed_ass(mixed, args.seconds, args.style)

        def same_burn(subs: Path, folder: fonts.LibassFonts) -> None:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *video.burn_args(clip, subs, d / "f.mp4", folder)]
            subprocess.run(cmd, check=True, capture_output=True, env=folder.env())

        results = {"bare-same": timed(bare_same, args.runs), "ours": timed(ours, args.runs),
                   "bare-default": timed(bare_default, args.runs),
                   "no-fallback": timed(lambda: same_burn(ass, plain), args.runs),
                   "mixed-fallback": timed(lambda: same_burn(mixed, lib), args.runs)}
    base = results["bare-same"]
    print(f"clip {args.seconds:g} s 1280x720, style {args.style}, {args.runs} runs, median, "
          f"{os.cpu_count()} CPUs")
    for name, seconds in results.items():
        print(f"  {name:13s} {seconds:7.2f} s  {seconds / base:5.2f}x bare-same  "
              f"({seconds / args.seconds:.2f} s per media second)")
    print(f"ours / bare-same = {results['ours'] / base:.3f} (target <= 1.1)")
    print(f"fallback folder, Latin / no-fallback = {base / results['no-fallback']:.3f}; "
          f"mixed scripts + emoji / no-fallback = {results['mixed-fallback'] / results['no-fallback']:.3f}")


if __name__ == "__main__":
    main()
