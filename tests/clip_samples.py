"""A long test video for auto-clip: narrated segments (espeak-ng) over coloured backgrounds, a face
that moves across the frame, a second face that speaks later, and a segment with nobody in frame.

The face is scikit-image's ``astronaut.png`` (public domain; fetched through the registry and the
shared cache as tests/unit/test_faces_ocr.py does); the second face is the same photo mirrored and
darkened. Each segment starts on a new background colour, so each boundary is a shot cut.

Example::

    video, segments = build_talk(folder, astronaut_png)
    segments[1].text      # the segment built to be the most engaging
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageEnhance, ImageOps

from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import ModelFile, ModelSpec, default_cache_dir
from noxus_local.speech.espeak_process import speak_wav

ASTRONAUT = ModelSpec("test-photo-astronaut", "test-image", "public-domain", False, (ModelFile(
    "astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", 791555,
    ("pypi:scikit-image==0.26.0#skimage/data/astronaut.png",)),))
FACE_SIDE = 100  # px of the face picture in a 640x360 frame


@dataclass(frozen=True)
class Segment:
    text: str
    colour: str
    face: str  # "moving", "second" or "none"
    start: float = 0.0
    end: float = 0.0


SCRIPT = (
    Segment("Hello and welcome back to the channel. Today I am going to talk a little bit about my week. "
            "It was a normal week at the office. We had some meetings and some coffee.", "0x335577", "still"),
    Segment("Why do ninety percent of new startups fail in their first three years? There are three reasons. "
            "First, they run out of money! Second, they build something nobody wants. "
            "Third, the founders stop talking to each other!", "0x884422", "moving"),
    Segment("And then it was kind of the same as before. It went on for a while. "
            "It was fine, I guess, and nothing much happened after that.", "0x226633", "second"),
    Segment("The weather outside was grey and calm this morning. The streets were quiet and the shops were "
            "closed. Later the sun came out for a short time.", "0x555555", "none"),
)


SPANISH = (
    Segment("Buenos días a todos. Hoy quiero contaros cómo fue mi semana en la oficina. Fue una semana normal.",
            "0x335577", "still"),
    Segment("¿Sabías que tres de cada diez personas cambian de trabajo cada año? Hay dos razones. "
            "Primero, el sueldo. Segundo, el horario.", "0x884422", "moving"),
    Segment("Y luego todo siguió más o menos igual. No pasó nada más durante la tarde.", "0x226633", "none"),
)


def astronaut(folder: Path) -> Path:
    ModelRegistry(folder, [ASTRONAUT], default_cache_dir(os.environ)).fetch([ASTRONAUT.id])
    return folder / ASTRONAUT.id / "astronaut.png"


def _faces(photo: Path, folder: Path) -> tuple[Path, Path]:
    head = Image.open(photo).convert("RGB").crop((110, 0, 310, 200)).resize((FACE_SIDE, FACE_SIDE))
    first, second = folder / "face1.png", folder / "face2.png"
    head.save(first)
    ImageOps.mirror(ImageEnhance.Brightness(head).enhance(0.8)).save(second)
    return first, second


def _probe_seconds(wav: Path) -> float:
    import wave

    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def build_talk(folder: Path, photo: Path, size: tuple[int, int] = (640, 360), gap: float = 0.8,
               script: tuple[Segment, ...] = SCRIPT, voice: str = "en") -> tuple[Path, list[Segment]]:
    """The MP4 (H.264 + AAC) and its segments with their times."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    face1, face2 = _faces(photo, folder)
    segments, t, parts = [], 0.0, []
    for i, seg in enumerate(script):
        wav = folder / f"seg{i}.wav"
        speak_wav(seg.text, voice, wav)
        d = _probe_seconds(wav) + gap
        segments.append(Segment(seg.text, seg.colour, seg.face, round(t, 3), round(t + d - gap, 3)))
        parts.append((wav, d))
        t += d
    w, h = size
    args = [ffmpeg, "-v", "error", "-y"]
    for seg, (_, d) in zip(segments, parts, strict=True):
        args += ["-f", "lavfi", "-i", f"color=c={seg.colour}:s={w}x{h}:r=25:d={d:.3f}"]
    for wav, _ in parts:
        args += ["-i", str(wav)]
    n = len(segments)
    args += ["-loop", "1", "-i", str(face1), "-loop", "1", "-i", str(face2)]
    chain = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0[bg];"
    chain += "".join(f"[{n + i}:a]apad=pad_dur={gap}[a{i}];" for i in range(n))
    chain += "".join(f"[a{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1[aud];"
    overlays, last = [], "bg"
    for i, seg in enumerate(segments):
        if seg.face == "none":
            continue
        a, b = seg.start, seg.end + gap
        if seg.face == "moving":
            x = f"40+({w - FACE_SIDE - 80})*(t-{a:.3f})/{b - a:.3f}"
        elif seg.face == "second":
            x = str(w - FACE_SIDE - 60)
        else:
            x = str((w - FACE_SIDE) // 2)
        overlays.append(f"[{last}][f{i}]overlay=x='{x}':y={(h - FACE_SIDE) // 2}:"
                        f"enable='between(t,{a:.3f},{b - 0.04:.3f})':shortest=1[v{i}]")
        last = f"v{i}"
    faces_used = [i for i, s in enumerate(segments) if s.face != "none"]
    splits = {1: [], 2: []}
    for i in faces_used:
        splits[2 if segments[i].face == "second" else 1].append(i)
    for k, used in splits.items():
        if used:
            chain += f"[{2 * n + k - 1}:v]split={len(used)}" + "".join(f"[f{i}]" for i in used) + ";"
    chain += ";".join(overlays) + ";" if overlays else ""
    chain += f"[{last}]null[vout]"
    out = folder / "talk.mp4"
    args += ["-filter_complex", chain, "-map", "[vout]", "-map", "[aud]", "-t", f"{t:.3f}", "-c:v", "libx264",
             "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    subprocess.run(args, check=True)
    return out, segments


def build_two_faces(folder: Path, photo: Path, text: str, size: tuple[int, int] = (640, 360)) -> tuple[Path, int, int]:
    """A two-person shot: a larger silent face on the left, a smaller one on the right whose mouth
    opens and closes (a dark bar flickering over it) while the narration plays. Returns the MP4 and
    the centres (x, source pixels) of the silent and the talking face."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    face1, face2 = _faces(photo, folder)
    wav = folder / "two.wav"
    speak_wav(text, "en", wav)
    seconds = _probe_seconds(wav) + 0.5
    w, h = size
    big, small = 130, 110
    left, right = 60, w - small - 70
    top_big, top_small = (h - big) // 2, (h - small) // 2
    mouth = (right + int(0.33 * small), top_small + int(0.66 * small), int(0.34 * small), int(0.12 * small))
    chain = (f"[1:v]scale={big}:{big}[a];[2:v]scale={small}:{small}[b];"
             f"[0:v][a]overlay={left}:{top_big}:shortest=1[v1];[v1][b]overlay={right}:{top_small}:shortest=1[v2];"
             f"[v2]drawbox=x={mouth[0]}:y={mouth[1]}:w={mouth[2]}:h={mouth[3]}:color=black:t=fill:"
             f"enable='lt(mod(t,0.7),0.35)'[v]")
    out = folder / "two.mp4"
    background = f"color=c=0x446688:s={w}x{h}:r=25:d={seconds:.3f}"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", background,
                    "-loop", "1", "-i", str(face1), "-loop", "1", "-i", str(face2), "-i", str(wav),
                    "-filter_complex", chain, "-map", "[v]", "-map", "3:a", "-t", f"{seconds:.3f}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], check=True)
    return out, left + big // 2, right + small // 2
