"""Designed scenes: a moving colour field with the scene's key words, for a scene with no picture.

Never empty: ffmpeg's ``gradients`` source turns a palette (3 colours) slowly,
and ``drawtext`` sets the key words in a bundled display face (Anton, from
media/fonts.py) that fades in and drifts. Deterministic: the palette and the
gradient's seed come from the scene index, so a re-render looks the same.

Text stays text: the words are laid out here (Pillow measures them in the same
font, lines wrapped, an over-long word cut into pieces that fit) and written to
a UTF-8 file that ``drawtext`` reads with ``expansion=none``; the filter graph
holds only that file's path, so ``[0:v];'\\`` or ``%{pts}`` in a script can
never change the graph.

Text the display face cannot draw (Hebrew, Arabic, Devanagari, emoji) is
not given to ``drawtext`` (one font, no fallback: it would draw boxes); it is
set by media/lettering.py (the bundled script fonts, colour emoji, bidi order,
Raqm shaping) into a transparent PNG that ``movie`` reads and ``overlay``
places with the same fade-in and drift. Latin text keeps the drawtext path.

Example::

    chain = designed_chain(scene, 720, 1280, 25, 3.5, workdir, font)
    # "gradients=s=720x1280:r=25:d=3.5:...,drawtext=fontfile='...':textfile='...':expansion=none:..."
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from noxus_local.compose.filters import frame_tail, quote
from noxus_local.compose.timeline import Scene
from noxus_local.media.lettering import Block, FaceChain, draw_block

PALETTES = (("#1B2A49", "#4B3F72", "#E26D5C"), ("#0B3C49", "#1F7A8C", "#F4D35E"),
            ("#2D1E2F", "#7A306C", "#F7B267"), ("#102542", "#1E6F5C", "#F87060"),
            ("#22223B", "#4A4E69", "#C9ADA7"))
FONT = "Anton"
MAX_KEY_CHARS = 60
_WORD = re.compile(r"\S+")


def key_words(text: str, most: int = 5) -> str:
    """What a designed scene shows: a short text whole, else its longest words in order.

    Example: ``key_words("¡Canción rápida: año, pingüino!") == "¡Canción rápida: año, pingüino!"``.
    """
    text = " ".join(text.split())
    if len(text) <= MAX_KEY_CHARS:
        return text
    words = _WORD.findall(text)
    keep = set(sorted(range(len(words)), key=lambda i: -len(words[i]))[:most])
    return " ".join(w for i, w in enumerate(words) if i in keep)


def palette(scene: Scene) -> tuple[str, ...]:
    return scene.visual.palette or PALETTES[scene.index % len(PALETTES)]


def layout(text: str, font_file: Path, width: int, height: int) -> tuple[list[str], int]:
    """Lines and a font size so the block fits 84 % of the width and 60 % of the height.

    Example: ``layout("Hola mundo", anton, 360, 640)`` → ``(["Hola mundo"], 54)``.
    """
    from PIL import ImageFont

    return fit_lines(text, lambda size: ImageFont.truetype(str(font_file), size), width * 0.84, height * 0.6,
                     max(12, int(height * 0.085)))


def fit_lines(text: str, font_at: Callable[[int], Any], room_w: float, room_h: float, start: int,
              least: int = 12, leading: float = 1.25) -> tuple[list[str], int]:
    """Wrap ``text`` and shrink from ``start`` (× 0.88 a step) until it fits ``room_w`` × ``room_h``.

    ``font_at(size)`` gives anything with ``getlength(str)`` (a Pillow font, a fallback chain);
    a line is ``size × leading`` tall. Over-long words are cut into pieces that fit, so the
    width always fits; at ``least`` the height may not (the caller picks ``least`` small enough).
    Example: ``fit_lines("Hola mundo", lambda s: ImageFont.truetype(anton, s), 300, 80, 60)``.
    """
    size = start
    while True:
        font = font_at(size)
        lines = _wrap(text, font, room_w)
        tall = len(lines) * size * leading
        if (tall <= room_h and max(font.getlength(ln) for ln in lines) <= room_w) or size <= least:
            return lines, size
        size = max(least, int(size * 0.88))


def _wrap(text: str, font: object, room: float) -> list[str]:
    length = font.getlength  # type: ignore[attr-defined]
    lines: list[str] = []
    for word in _pieces(text.split() or [" "], length, room):
        if lines and length(lines[-1] + " " + word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _pieces(words: list[str], length: object, room: float) -> list[str]:
    """Words cut where one alone is wider than a line (a 300-letter word still fits)."""
    out = []
    for word in words:
        while length(word) > room and len(word) > 1:  # type: ignore[operator]
            cut = max(1, next(i for i in range(len(word), 0, -1) if length(word[:i]) <= room or i == 1))
            out.append(word[:cut])
            word = word[cut:]
        out.append(word)
    return out


def designed_chain(scene: Scene, width: int, height: int, fps: int, seconds: float, workdir: Path,
                   font_file: Path) -> str:
    """The filter chain (a source, no input) that draws ``scene`` for ``seconds``."""
    c0, c1, c2 = (palette(scene) * 3)[:3]
    text = scene.visual.text or key_words(scene.text) or " "
    background = (f"gradients=s={width}x{height}:r={fps}:d={seconds:.3f}:n=3:c0={c0}:c1={c1}:c2={c2}"
                  f":seed={scene.index + 1}:speed=0.015")
    drift = max(2, height // 60)
    if needs_fallback(text, font_file):
        return _picture_text_chain(scene, text, background, width, height, fps, seconds, workdir, font_file, drift)
    lines, size = layout(text, font_file, width, height)
    text_file = workdir / f"scene{scene.index}.txt"
    text_file.write_text("\n".join(lines), "utf-8")
    return (f"{background},"
            f"drawtext=fontfile={quote(font_file)}:textfile={quote(text_file)}:expansion=none"
            f":fontsize={size}:fontcolor=white:line_spacing={size // 4}:text_align=C"
            f":borderw={max(1, size // 24)}:bordercolor=black@0.35:shadowx=0:shadowy={max(1, size // 16)}"
            f":shadowcolor=black@0.4:x=(w-text_w)/2:y=(h-text_h)/2+{drift}*sin(t*1.3)"
            f":alpha='min(1,t/0.5)',{frame_tail(fps, seconds)}")


def needs_fallback(text: str, font_file: Path) -> bool:
    """Whether some visible character of ``text`` is missing from ``font_file`` (then Pillow sets it).

    Example: ``needs_fallback("¡Año!", anton) is False``; ``needs_fallback("שלום", anton) is True``.
    """
    chain = FaceChain((font_file,))
    return any(not ch.isspace() and not chain.covers(0, ch) for ch in text)


def text_picture(text: str, font_file: Path, width: int, height: int, dest: Path) -> Path:
    """``text`` fitted like ``layout`` and drawn white with a soft shadow on a transparent PNG."""
    from PIL import Image, ImageDraw

    chain = FaceChain.of_file(font_file)
    lines, size = fit_lines(text, chain.at, width * 0.84, height * 0.6, max(12, int(height * 0.085)))
    block = Block(lines, size, chain, 1.25)
    box = (width * 0.08, height * 0.2, width * 0.84, height * 0.6)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shadow = max(1, size // 16)
    draw = ImageDraw.Draw(image)
    draw_block(draw, block, (box[0], box[1] + shadow, box[2], box[3]), (0, 0, 0, 100))
    draw_block(draw, block, box, (255, 255, 255, 255))
    image.save(dest, "PNG")
    return dest


def _picture_text_chain(scene: Scene, text: str, background: str, width: int, height: int, fps: int,
                        seconds: float, workdir: Path, font_file: Path, drift: int) -> str:
    picture = text_picture(text, font_file, width, height, workdir / f"scene{scene.index}-text.png")
    bg, fg = f"dbg{scene.index}", f"dtx{scene.index}"
    return (f"{background}[{bg}];"
            f"movie={quote(picture)},loop=loop=-1:size=1,setpts=N/({fps}*TB),format=rgba,"
            f"fade=t=in:st=0:d=0.5:alpha=1[{fg}];"
            f"[{bg}][{fg}]overlay=x=0:y={drift}*sin(t*1.3):shortest=1:eval=frame,{frame_tail(fps, seconds)}")
