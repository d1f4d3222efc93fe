"""Videos with known answers, built with the bundled ffmpeg: the evidence for video analysis.

``shots_clip`` strings still pictures (Pillow-drawn, one colour and a few
shapes each) into an H.264 MP4 with hard cuts and one fade through black,
and lays espeak-ng speech at known seconds on its AAC track; ``tone_clip``
is a still with a 1 kHz sine whose EBU R128 loudness is computed, not
measured: a mono sine of peak amplitude ``A`` reads ``20·log10(A) − 3.01``
LUFS (K-weighting is ≈ 0 dB at 1 kHz), so −23 LUFS is ``A = 10^(−19.99/20)``.

Example::

    clip = shots_clip(tmp_path / "shots.mp4")
    clip.cuts, clip.fades, clip.speech     # [2.5, 11.0], [8.0], [(1.0, 2.3), (5.6, 7.1)]
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from noxus_local.speech.espeak_process import speak_wav

RATE = 48_000
# (colour, seconds, fade out at the end, fade in at the start)
SHOTS = (("#c0392b", 2.5, 0.0, 0.0), ("#27ae60", 2.5, 0.0, 0.0), ("#2e86de", 3.0, 0.8, 0.0),
         ("#f1c40f", 3.0, 0.0, 0.8), ("#8e44ad", 2.0, 0.0, 0.0))
SPEECH = (("es", 1.0, "Hola, esto es una prueba del análisis de video."),
          ("en", 5.6, "And this is the second sentence, in English."))


@dataclass(frozen=True)
class Clip:
    path: Path
    duration: float
    cuts: list[float]
    fades: list[float]
    speech: list[tuple[float, float]]


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def picture(colour: str, size: tuple[int, int], seed: int) -> Image.Image:
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    rng = np.random.default_rng(seed)
    w, h = size
    for _ in range(6):
        x, y = int(rng.integers(0, w - w // 5)), int(rng.integers(0, h - h // 5))
        shade = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle((x, y, x + w // 6, y + h // 6), fill=shade)
    return img


def spoken(voice: str, text: str, workdir: Path) -> np.ndarray:
    """espeak-ng's words at RATE, trimmed to where they are audible."""
    wav = workdir / f"say-{voice}.wav"
    speak_wav(text, voice, wav)
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-f", "f32le",
                          "-ac", "1", "-ar", str(RATE), "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, dtype=np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0]:loud[-1] + 1] * 0.5


def shots_clip(dest: Path, size: tuple[int, int] = (640, 360), fps: int = 30, speech: bool = True,
               shots: tuple[tuple[str, float, float, float], ...] = SHOTS, crf: int = 23) -> Clip:
    """The still shots as one MP4 (H.264 + AAC); the answers it was built with."""
    work = dest.parent / f"{dest.stem}-parts"
    work.mkdir(exist_ok=True)
    inputs: list[str] = []
    chains: list[str] = []
    cuts, fades, t = [], [], 0.0
    for n, (colour, seconds, fade_out, fade_in) in enumerate(shots):
        png = work / f"shot{n}.png"
        picture(colour, size, n).save(png)
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(png)]
        chain = f"[{n}:v]format=yuv420p"
        if fade_in:
            chain += f",fade=t=in:st=0:d={fade_in}"
        if fade_out:
            chain += f",fade=t=out:st={seconds - fade_out}:d={fade_out}"
        chains.append(chain + f",setsar=1[v{n}]")
        if n:
            (fades if shots[n - 1][2] and fade_in else cuts).append(round(t, 3))
        t += seconds
    duration = t
    graph = ";".join(chains) + ";" + "".join(f"[v{n}]" for n in range(len(shots))) + \
        f"concat=n={len(shots)}:v=1:a=0[v]"
    said: list[tuple[float, float]] = []
    audio_args: list[str] = []
    if speech:
        track = np.zeros(int(duration * RATE), dtype=np.float32)
        for voice, at, text in SPEECH:
            words = spoken(voice, text, work)
            start = int(at * RATE)
            track[start:start + len(words)] = words[:len(track) - start]
            said.append((at, round(at + len(words) / RATE, 3)))
        raw = work / "speech.f32"
        track.astype("<f4").tofile(raw)
        audio_args = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(raw)]
    maps = ["-map", "[v]"] + (["-map", f"{len(shots)}:a", "-c:a", "aac", "-b:a", "128k"] if speech else [])
    ffmpeg(*inputs, *audio_args, "-filter_complex", graph, *maps, "-c:v", "libx264", "-preset", "veryfast",
           "-crf", str(crf), "-r", str(fps), "-pix_fmt", "yuv420p", "-t", str(duration), str(dest))
    return Clip(dest, duration, cuts, fades, said)


def tone_clip(dest: Path, lufs: float = -23.0, seconds: float = 6.0) -> Path:
    """A still picture over a mono 1 kHz sine of ``lufs`` integrated loudness."""
    amplitude = 10 ** ((lufs + 3.0103) / 20)
    png = dest.with_suffix(".png")
    picture("#34495e", (320, 180), 7).save(png)
    ffmpeg("-loop", "1", "-framerate", "25", "-t", str(seconds), "-i", str(png),
           "-f", "lavfi", "-i", f"aevalsrc={amplitude:.6f}*sin(2*PI*1000*t):s={RATE}:d={seconds}",
           "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le",
           "-t", str(seconds), str(dest.with_suffix(".mov")))
    return dest.with_suffix(".mov")
