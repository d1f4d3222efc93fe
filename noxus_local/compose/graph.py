"""The whole timeline as ONE ffmpeg command: inputs and a single filter graph, encoded once.

Pictures: one chain per scene (filters.py, designed.py), each ``transition``
long past its scene's end so that ``xfade`` (fade, slide) starts exactly at the
next scene's start and the joined picture is exactly the timeline's length
(``concat`` for cuts); then the captions (``ass`` with our fonts folder) and
the logo (``overlay`` with the opacity in its alpha).

Sound: the narration normalised to the timeline's EBU R128 target with
``loudnorm`` in linear mode (measured first by loudness.py), padded to the
length; the music looped (an input option), trimmed, faded in and out and
ducked under the narration with ``sidechaincompress`` (the voice is the key),
then the two mixed without amix's halving.

The graph holds numbers, labels and paths of files we wrote: no text of the
timeline (scene text goes to drawtext files and the .ass file).

Example::

    plan = build(tl, workdir, fonts, ass_file, measured)
    run_ffmpeg([*plan.inputs, "-/filter_complex", str(script), "-map", "[vout]", "-map", "[aout]", ...])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from noxus_local.compose.designed import FONT, designed_chain
from noxus_local.compose.filters import material, quote
from noxus_local.compose.loudness import Loudness
from noxus_local.compose.timeline import Timeline
from noxus_local.media.fonts import LibassFonts, font_path

XFADE = {"fade": "fade", "slide": "slideleft"}
DUCK = "threshold=0.02:ratio=20:attack=20:release=400:makeup=1:detection=rms"
LOGO_MARGIN = 0.04  # of the shorter side


@dataclass
class Graph:
    inputs: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    count: int = 0

    def add_input(self, args: list[str]) -> int:
        self.inputs += args
        self.count += 1
        return self.count - 1

    @property
    def script(self) -> str:
        return ";\n".join(self.chains) + "\n"


def build(tl: Timeline, workdir: Path, fonts: LibassFonts | None, ass: Path | None,
          voice: Loudness | None) -> Graph:
    """Inputs and chains ending in ``[vout]`` and ``[aout]``."""
    g = Graph()
    _pictures(g, tl, workdir)
    last = "vjoin"
    if ass is not None and fonts is not None:
        g.chains.append(f"[{last}]ass={quote(ass)}:fontsdir={quote(fonts.directory)}[vcap]")
        last = "vcap"
    if tl.logo is not None:
        last = _logo(g, tl, last)
    g.chains.append(f"[{last}]format=yuv420p[vout]")
    _sound(g, tl, voice)
    return g


def _pictures(g: Graph, tl: Timeline, workdir: Path) -> None:
    kind, fade = tl.transition.kind, tl.transition.duration
    fade = 0.0 if kind == "cut" or len(tl.scenes) < 2 else min(fade, *(s.duration for s in tl.scenes))
    font = font_path(FONT)
    for i, scene in enumerate(tl.scenes):
        seconds = scene.duration + (fade if i < len(tl.scenes) - 1 else 0.0)
        if scene.visual.kind == "designed":
            g.chains.append(f"{designed_chain(scene, tl.width, tl.height, tl.fps, seconds, workdir, font)}[s{i}]")
        else:
            args, chain = material(scene, tl.width, tl.height, tl.fps, seconds)
            g.chains.append(f"[{g.add_input(args)}:v]{chain}[s{i}]")
    if fade == 0.0:
        labels = "".join(f"[s{i}]" for i in range(len(tl.scenes)))
        g.chains.append(f"{labels}concat=n={len(tl.scenes)}:v=1:a=0[vjoin]")
        return
    joined = "s0"
    for i, scene in enumerate(tl.scenes[1:], start=1):
        out = "vjoin" if i == len(tl.scenes) - 1 else f"x{i}"
        offset = scene.start - tl.scenes[0].start
        g.chains.append(f"[{joined}][s{i}]xfade=transition={XFADE[kind]}:duration={fade:.3f}"
                        f":offset={offset:.3f}[{out}]")
        joined = out


def _logo(g: Graph, tl: Timeline, last: str) -> str:
    logo = tl.logo
    assert logo is not None
    n = g.add_input(["-loop", "1", "-framerate", str(tl.fps), "-t", f"{tl.duration:.3f}", "-i", str(logo.source)])
    margin = round(min(tl.width, tl.height) * LOGO_MARGIN)
    x = str(margin) if logo.position.endswith("left") else f"W-w-{margin}"
    y = str(margin) if logo.position.startswith("top") else f"H-h-{margin}"
    g.chains.append(f"[{n}:v]scale={_even(tl.width * logo.width)}:-2,format=rgba,"
                    f"colorchannelmixer=aa={logo.opacity:.3f}[logo]")
    g.chains.append(f"[{last}][logo]overlay=x={x}:y={y}:shortest=1:format=auto[vlogo]")
    return "vlogo"


def _sound(g: Graph, tl: Timeline, voice: Loudness | None) -> None:
    d = f"{tl.duration:.3f}"
    stereo = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    if tl.narration is not None:
        n = g.add_input(["-i", str(tl.narration)])
        norm = voice.filter(tl.loudness) + "," if voice is not None else ""
        g.chains.append(f"[{n}:a]{norm}{stereo},apad=whole_dur={d},atrim=0:{d}[voice]")
    else:
        g.chains.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{d},{stereo}[voice]")
    if tl.music is None:
        g.chains.append("[voice]anull[aout]")
        return
    m, music = g.add_input(["-stream_loop", "-1", "-i", str(tl.music.source)]), tl.music
    fade_out = min(music.fade_out, tl.duration / 2)
    g.chains.append(f"[{m}:a]{stereo},atrim=0:{d},asetpts=N/SR/TB,volume={music.volume:.3f},"
                    f"afade=t=in:d={min(music.fade_in, tl.duration / 2):.3f},"
                    f"afade=t=out:st={tl.duration - fade_out:.3f}:d={fade_out:.3f}[music]")
    if music.duck and tl.narration is not None:
        g.chains.append("[voice]asplit=2[vmix][vkey]")
        g.chains.append(f"[music][vkey]sidechaincompress={DUCK}[ducked]")
        g.chains.append("[vmix][ducked]amix=inputs=2:duration=first:normalize=0[aout]")
    else:
        g.chains.append("[voice][music]amix=inputs=2:duration=first:normalize=0[aout]")


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
