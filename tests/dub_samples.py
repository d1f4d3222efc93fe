"""A short Spanish narrated video for the dubbing tests and benchmark: Kokoro's ef_dora over colour.

Each sentence is spoken by our Kokoro (speech/tts.py) with silence between them, and laid over a
640×360 colour clip by the bundled ffmpeg (H.264 + AAC). The sentences' times are returned, known
by construction.

Example::

    path, spans = spanish_video(tmp_path, cfg)     # cfg: a Config whose data dir has kokoro + ef_dora
    spans[0]                                        # (0.5, 3.1, "Hola, me llamo Ana y vivo en Madrid.")
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

SENTENCES = ("Hola, me llamo Ana y vivo en Madrid.",
             "Cada mañana camino tres kilómetros hasta el mercado.",
             "Hoy compré naranjas y un pan muy grande.")
ENGLISH = ("Hello, my name is Ana and I live in Madrid.",
           "Every morning I walk three kilometres to the market.",
           "Today I bought oranges and a very big loaf of bread.")
LEAD, GAP, TAIL = 0.5, 0.9, 0.8
RATE = 24_000


def spanish_speech(cfg: object, sentences: tuple[str, ...] = SENTENCES, repeat: int = 1,
                   voice_id: str = "ef_dora", language: str = "es") \
        -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The narration (24 kHz mono float32) and each sentence's (start, end, text); another language
    with ``voice_id`` and ``language`` (``english_video``)."""
    from noxus_local.inference.cache import ModelCache
    from noxus_local.runtime.cancel import CancelToken
    from noxus_local.speech.tts import open_voice, speak

    parts = [np.zeros(int(LEAD * RATE), dtype=np.float32)]
    spans, t = [], LEAD
    with open_voice(ModelCache(cfg), {voice_id: 1.0}, language) as voice:  # type: ignore[arg-type]
        for text in sentences * repeat:
            audio = speak(text, voice, 0.95, cancel=CancelToken()).samples
            loud = np.flatnonzero(np.abs(audio) > 0.01)
            audio = audio[loud[0]:loud[-1] + 1]
            spans.append((round(t, 3), round(t + len(audio) / RATE, 3), text))
            parts += [audio, np.zeros(int(GAP * RATE), dtype=np.float32)]
            t += len(audio) / RATE + GAP
    parts[-1] = np.zeros(int(TAIL * RATE), dtype=np.float32)
    return np.concatenate(parts), spans


def spanish_video(folder: Path, cfg: object, repeat: int = 1, colour: str = "0x2a6f97") \
        -> tuple[Path, list[tuple[float, float, str]]]:
    """The MP4 and its sentences' spans (see the module)."""
    return _video(folder, spanish_speech(cfg, repeat=repeat), colour)


def english_video(folder: Path, cfg: object, repeat: int = 1, colour: str = "0x6f972a") \
        -> tuple[Path, list[tuple[float, float, str]]]:
    """The same narration in English (af_heart), for dubbing into Spanish (kokoro-voice-af-heart)."""
    return _video(folder, spanish_speech(cfg, ENGLISH, repeat, "af_heart", "en-us"), colour)


def _video(folder: Path, speech: tuple[np.ndarray, list[tuple[float, float, str]]], colour: str) \
        -> tuple[Path, list[tuple[float, float, str]]]:
    pcm, spans = speech
    raw = folder / "narration.f32"
    pcm.astype("<f4").tofile(raw)
    out = folder / "charla.mp4"
    seconds = len(pcm) / RATE
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c={colour}:s=640x360:r=25:d={seconds:.3f}",
                    "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(raw),
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
                    "-shortest", str(out)], check=True, timeout=120)
    raw.unlink()
    return out, spans


def silent_video(folder: Path, seconds: float = 3.0) -> Path:
    """A colour clip with a silent AAC track: a video without speech."""
    out = folder / "silencio.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c=black:s=320x240:r=25:d={seconds}",
                    "-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(out)], check=True, timeout=60)
    return out


# two speakers taking turns: a woman (ef_dora, median F0 ≈ 180 Hz) and a man (em_alex, ≈ 125-135 Hz
# on these lines; on short exclamations Kokoro's Spanish men rise to 150 Hz, "unknown")
DIALOGUE = (("ef_dora", "Hola, me llamo Ana y vivo en Madrid."),
            ("em_alex", "Yo me llamo Pedro y trabajo en una panadería."),
            ("ef_dora", "Cada mañana camino tres kilómetros hasta el mercado."),
            ("em_alex", "Y yo cada tarde preparo el pan para el barrio."))


def dialogue_video(folder: Path, cfg: object, lines: tuple[tuple[str, str], ...] = DIALOGUE, gap: float = GAP) \
        -> tuple[Path, list[tuple[float, float, str]]]:
    """A Spanish dialogue of a female and a male Kokoro voice (``DIALOGUE``) over colour, and each line's span.

    Turns are ``gap`` seconds apart (Whisper may hear them all as one segment: dubbing/segments.py splits it
    at the silences)."""
    parts: list[np.ndarray] = [np.zeros(int(LEAD * RATE), dtype=np.float32)]
    spans: list[tuple[float, float, str]] = []
    t = LEAD
    for voice, text in lines:
        audio, _one = spanish_speech(cfg, (text,), voice_id=voice, language="es")
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        audio = audio[loud[0]:loud[-1] + 1]
        spans.append((round(t, 3), round(t + len(audio) / RATE, 3), text))
        parts += [audio, np.zeros(int(gap * RATE), dtype=np.float32)]
        t += len(audio) / RATE + gap
    parts[-1] = np.zeros(int(TAIL * RATE), dtype=np.float32)
    return _video(folder, (np.concatenate(parts), spans), "0x972a6f")
