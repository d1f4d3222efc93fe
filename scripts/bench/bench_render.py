"""The timeline renderer (compose/render.py) against one hand-written ffmpeg graph and MoviePy 2.

The same timeline three ways, in one run (issue 20's render benchmark): six
scenes of stills with a Ken Burns zoom and 0.5 s cross-fades, a 60 s narration,
burned captions from word timings, the bundled music (ducked where the engine
can), 720×1280 at 30 fps, libx264 ``veryfast`` crf 23 + AAC.

- ``ours``: ``compose.render`` as a tool will call it (loudness measured first,
  fonts folder, cancel watcher, progress);
- ``single-graph``: one hand-written ffmpeg command with one filter graph (zoompan,
  xfade, ass, one-pass loudnorm, sidechaincompress): the practical limit, target
  ours ≤ 1.15× its time;
- ``moviepy``: MoviePy 2.2.1 (MoneyPrinterTurbo's engine) in a throwaway venv
  (``--moviepy /tmp/mpy-venv/bin/python``; skipped without it): stills resized per
  frame for the zoom, cross-fades, caption TextClips, music at a fixed volume
  (it has no ducking); target ours ≥ 10× faster.

The narration is a synthetic speech-like signal with word timings every 0.35 s
(what the render does with it does not depend on what it says), so the bench
needs no speech model. Run it twice and quote both.

Example::

    .venv/bin/python scripts/bench/bench_render.py --moviepy /tmp/mpy-venv/bin/python
    .venv/bin/python scripts/bench/bench_render.py --seconds 12      # a quick look, no MoviePy
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from noxus_local.captions.cues import CueRules, cues_from_words
from noxus_local.compose import Captions, Music, Scene, Timeline, Transition, Visual, render
from noxus_local.compose.filters import PATHS, quote
from noxus_local.compose.music import MODEL_ID, MusicLibrary
from noxus_local.compose.render import write_captions
from noxus_local.config import load_config
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from noxus_local.media.fonts import LibassFonts, font_path, prepare_fonts
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Word

W, H, FPS, SCENES, FADE = 720, 1280, 30, 6, 0.5
TEXT = ("hoy vamos a ver cómo cambia la montaña con las estaciones del año y por qué el río baja rápido "
        "hacia el pueblo cuando llega la primavera ").split()


def materials(root: Path, seconds: float) -> tuple[list[Path], Path, list[Word]]:
    """Six 1600×1200 stills, a speech-like narration WAV and its word timings."""
    from PIL import Image

    rng = np.random.default_rng(7)
    stills = []
    for i in range(SCENES):
        y, x = np.mgrid[0:1200, 0:1600]
        base = np.stack([(x * (i + 2)) % 256, (y * (7 - i)) % 256, (x + y) // 12 % 256], -1).astype(float)
        noise = rng.normal(0, 12, base.shape)
        stills.append(root / f"still{i}.jpg")
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(stills[-1], quality=90)
    wav = root / "narration.wav"
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=f=220:sample_rate=24000:d={seconds}", "-af",
                "volume='0.3*(0.6+0.4*sin(2*PI*3*t))*gt(mod(t,5),0.6)':eval=frame", str(wav)], CancelToken())
    words = [Word(TEXT[i % len(TEXT)], round(i * 0.35, 3), round(i * 0.35 + 0.3, 3), 1.0)
             for i in range(int(seconds / 0.35)) if (i * 0.35) % 5 > 0.6 and i * 0.35 + 0.3 < seconds]
    return stills, wav, words


def timeline(stills: list[Path], wav: Path, words: list[Word], music: Path, seconds: float) -> Timeline:
    cut = seconds / SCENES
    scenes = tuple(Scene(i, "", round(i * cut, 3), round((i + 1) * cut, 3), Visual("material", stills[i]),
                         tuple(w for w in words if i * cut <= w.start < (i + 1) * cut)) for i in range(SCENES))
    return Timeline(W, H, FPS, scenes, narration=wav, captions=Captions("classic"), music=Music(music, 0.35),
                    transition=Transition("fade", FADE))


def single_graph(tl: Timeline, work: Path, out: Path) -> tuple[list[str], LibassFonts]:
    """The hand-written command: what a person writes for this video with one filter graph."""
    fonts = prepare_fonts(work / "fonts")
    ass = write_captions(tl, work / "hand.ass")
    assert ass is not None and tl.music is not None and tl.narration is not None
    inputs, chains, cut = [], [], tl.scenes[0].duration
    for i, scene in enumerate(tl.scenes):
        frames = round((cut + (FADE if i < SCENES - 1 else 0)) * FPS)
        kb = PATHS[i % len(PATHS)]
        inputs += ["-i", str(scene.visual.source)]
        chains.append(f"[{i}:v]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,"
                      f"zoompan=z='{kb.zoom_start}+({kb.zoom_end - kb.zoom_start:.3f})*on/{frames}'"
                      f":x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={frames}:s={W}x{H}:fps={FPS}[s{i}]")
    last = "s0"
    for i in range(1, SCENES):
        chains.append(f"[{last}][s{i}]xfade=transition=fade:duration={FADE}:offset={i * cut:.3f}[x{i}]")
        last = f"x{i}"
    chains.append(f"[{last}]ass={quote(ass)}:fontsdir={quote(fonts.directory)},format=yuv420p[vout]")
    inputs += ["-i", str(tl.narration), "-stream_loop", "-1", "-i", str(tl.music.source)]
    chains.append(f"[{SCENES}:a]loudnorm=I=-16:TP=-1.5,aresample=48000,asplit[v1][v2]")
    chains.append(f"[{SCENES + 1}:a]volume=0.35,afade=t=in:d=1,afade=t=out:st={tl.duration - 2}:d=2[m]")
    chains.append("[m][v2]sidechaincompress=threshold=0.02:ratio=20[d];[v1][d]amix=inputs=2:normalize=0[aout]")
    script = work / "hand_graph.txt"
    script.write_text(";".join(chains), "utf-8")
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *inputs, "-/filter_complex", str(script),
            "-map", "[vout]", "-map", "[aout]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
            "-c:a", "aac", "-b:a", "160k", "-t", f"{tl.duration:.3f}", "-movflags", "+faststart", str(out)], fonts


MOVIEPY = textwrap.dedent("""
    import json, sys
    from moviepy import (AudioFileClip, CompositeAudioClip, CompositeVideoClip, ImageClip, TextClip,
                         afx, vfx)
    job = json.loads(open(sys.argv[1]).read())
    W, H, FADE, cut = job["w"], job["h"], job["fade"], job["cut"]
    clips = []
    for i, path in enumerate(job["stills"]):
        dur = cut + (FADE if i < len(job["stills"]) - 1 else 0)
        img = ImageClip(path).with_duration(dur)
        scale = max(W / img.w, H / img.h)
        img = img.resized(lambda t, s=scale, d=dur: s * (1 + 0.12 * t / d)).with_position("center")
        clip = CompositeVideoClip([img], size=(W, H)).with_start(i * cut)
        if i:
            clip = clip.with_effects([vfx.CrossFadeIn(FADE)])
        clips.append(clip)
    for c in job["cues"]:
        clips.append(TextClip(font=job["font"], text=c["text"], font_size=44, color="white", stroke_color="black",
                              stroke_width=3, method="caption", size=(W - 80, None))
                     .with_start(c["start"]).with_end(c["end"]).with_position(("center", H * 0.8)))
    video = CompositeVideoClip(clips, size=(W, H)).with_duration(job["seconds"])
    voice = AudioFileClip(job["narration"])
    music = AudioFileClip(job["music"]).with_effects([afx.AudioLoop(duration=job["seconds"]),
                                                     afx.MultiplyVolume(0.35), afx.AudioFadeOut(3)])
    video = video.with_audio(CompositeAudioClip([voice, music]).with_duration(job["seconds"]))
    video.write_videofile(job["out"], fps=job["fps"], codec="libx264", preset="veryfast", audio_codec="aac",
                          ffmpeg_params=["-crf", "23"], threads=2, logger=None)
""")


def run_moviepy(python: str, tl: Timeline, work: Path, seconds: float) -> float:
    rules = CueRules(max_chars_per_line=32, fps=FPS)
    cues = [{"text": c.text, "start": c.start, "end": c.end} for c in cues_from_words(tl.words, rules)]
    assert tl.music is not None and tl.narration is not None
    job = {"w": W, "h": H, "fps": FPS, "fade": FADE, "cut": tl.scenes[0].duration, "seconds": seconds,
           "stills": [str(s.visual.source) for s in tl.scenes], "cues": cues, "font": str(font_path("Poppins", 700)),
           "narration": str(tl.narration), "music": str(tl.music.source), "out": str(work / "moviepy.mp4")}
    (work / "job.json").write_text(json.dumps(job), "utf-8")
    (work / "mpy.py").write_text(MOVIEPY, "utf-8")
    start = time.perf_counter()
    # in the work folder: MoviePy writes its temporary sound file (moviepyTEMP_…) into the current folder
    subprocess.run([python, str(work / "mpy.py"), str(work / "job.json")], check=True, cwd=work)
    return time.perf_counter() - start


def music_track(work: Path) -> Path:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(work / "data")})
    ModelRegistry.from_config(cfg).fetch([MODEL_ID])
    return MusicLibrary(models_dir(cfg) / MODEL_ID).pick("calm", "bench").path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--moviepy", help="a Python with moviepy==2.2.1 installed (a throwaway venv)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stills, wav, words = materials(work, args.seconds)
        tl = timeline(stills, wav, words, music_track(work), args.seconds)
        start = time.perf_counter()
        render(tl, work / "ours.mp4", workdir=work / "ours", cancel=CancelToken())
        ours = time.perf_counter() - start
        command, fonts = single_graph(tl, work, work / "hand.mp4")
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=fonts.env())
        hand = time.perf_counter() - start
        print(f"timeline: {SCENES} stills, Ken Burns, {FADE} s fades, captions, music; {args.seconds:.0f} s "
              f"{W}x{H}@{FPS}, libx264 veryfast crf 23")
        print(f"ours          {ours:7.1f} s")
        print(f"single graph  {hand:7.1f} s   ours / single graph = {ours / hand:.2f}x (target <= 1.15x)")
        if args.moviepy:
            mpy = run_moviepy(args.moviepy, tl, work, args.seconds)
            print(f"moviepy 2     {mpy:7.1f} s   moviepy / ours = {mpy / ours:.1f}x faster (target >= 10x)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
