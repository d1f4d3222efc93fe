"""One ffmpeg pass per clip: trim, the moving crop, the blurred fill, captions and the hook title.

The crop's left edge follows the camera keys (clips/camera.py) as a piecewise
linear expression of ``t`` that ffmpeg's crop filter evaluates every frame:
``x0 + Σ Δxᵢ · clip((t − tᵢ) / (tᵢ₊₁ − tᵢ), 0, 1)`` — flat, no nested ``if``,
and a still camera is one term. Where the keys say no face is framed, the
whole picture is shown over a blurred, scaled copy of itself (overlay with an
``enable`` window). Captions are cut from the clip's own word timings
(captions/cues.py) and drawn in any preset at the output size; the hook title
is a separate ASS style at the top, its text escaped as captions are (literal,
never override tags).

Example::

    frame = Framing.for_aspect((1280, 720), "9:16", 1280)   # crop 404x720 → 720x1280
    render_clip(source, 12.0, 42.5, frame, keys, ass_text, out, fonts, cancel)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from noxus_local.captions.cues import CueRules, cues_from_words, default_max_chars, wrap
from noxus_local.captions.styles import CaptionStyle, ass_colour, render_ass
from noxus_local.captions.subtitles import ass_escape, ass_time
from noxus_local.captions.video import CRF, PRESET
from noxus_local.clips.camera import CameraKey
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.fonts import LibassFonts
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Word

ASPECTS = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9)}
BLUR_SHRINK = 4  # the blurred fill is made at a quarter of the size: same look, a fraction of the cost


def _even(v: float) -> int:
    return max(2, int(round(v / 2)) * 2)


@dataclass(frozen=True)
class Framing:
    source: tuple[int, int]
    crop: tuple[int, int]  # width, height of the crop window in source pixels
    output: tuple[int, int]

    @classmethod
    def for_aspect(cls, source: tuple[int, int], aspect: str, side: int) -> Framing:
        """The largest window of ``aspect`` in ``source``, and the output size whose longer side is ``side``.

        Example: ``Framing.for_aspect((1280, 720), "9:16", 1280)`` → crop (404, 720), output (720, 1280).
        """
        aw, ah = ASPECTS[aspect]
        short = _even(side * 9 / 16)
        output = {"9:16": (short, side), "1:1": (short, short), "16:9": (side, short)}[aspect]
        sw, sh = source
        if sw * ah > sh * aw:
            crop = (min(sw, _even(sh * aw / ah)), sh)
        else:
            crop = (sw, min(sh, _even(sw * ah / aw)))
        return cls(source, crop, output)

    @property
    def upscales(self) -> bool:
        """The crop window has fewer pixels than the output: the source is enlarged (and the result says so)."""
        return self.crop[1] < self.output[1] or self.crop[0] < self.output[0]

    @property
    def pans(self) -> bool:
        return self.crop[0] < self.source[0]


def x_expression(keys: Sequence[CameraKey], offset: float) -> str:
    """The crop's x as a function of the clip's ``t`` (source time minus ``offset``).

    Example: keys (0 s, 100), (2 s, 300) → ``"100.0+200.0*clip((t-0.000)/2.000,0,1)"``.
    """
    if not keys:
        return "0"
    terms = [f"{keys[0].x:.1f}"]
    for a, b in zip(keys, keys[1:], strict=False):
        if abs(b.x - a.x) < 0.05:
            continue
        span = max(b.t - a.t, 0.001)
        terms.append(f"{b.x - a.x:+.1f}*clip((t-{a.t - offset:.3f})/{span:.3f},0,1)")
    return "".join(terms)


def framed_windows(keys: Sequence[CameraKey], start: float, end: float) -> list[tuple[float, float]]:
    """The spans (clip time) where a face is framed; the rest shows the whole picture."""
    spans: list[tuple[float, float]] = []
    for i, key in enumerate(keys):
        if not key.framed:
            continue
        a = max(key.t, start) - start
        b = (min(keys[i + 1].t, end) if i + 1 < len(keys) else end) - start
        if b <= a:
            continue
        if spans and abs(spans[-1][1] - a) < 1e-6:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def filter_graph(frame: Framing, keys: Sequence[CameraKey], start: float, end: float, ass: str | None) -> str:
    """The clip's -filter_complex: ``[0:v]`` in, ``[v]`` out."""
    (cw, ch), (sw, sh), (ow, oh) = frame.crop, frame.source, frame.output
    inside = [k for k in keys if start - 1.0 <= k.t <= end + 1.0]
    x = x_expression(inside, start) if frame.pans else str((sw - cw) // 2)
    crop = f"crop={cw}:{ch}:x='{x}':y={(sh - ch) // 2},scale={ow}:{oh},setsar=1"
    framed = framed_windows(inside, start, end) if frame.pans else [(0.0, end - start)]
    tail = f",{ass}[v]" if ass else "[v]"
    if framed and framed[0][0] <= 0.01 and framed[-1][1] >= end - start - 0.01 and len(framed) == 1:
        return f"[0:v]{crop}{tail}"
    enable = "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in framed) or "0"
    small = (_even(ow / BLUR_SHRINK), _even(oh / BLUR_SHRINK))
    return (f"[0:v]split=3[a][b][c];[a]{crop}[fg];"
            f"[b]scale={small[0]}:{small[1]}:force_original_aspect_ratio=increase,crop={small[0]}:{small[1]},"
            f"boxblur=8:2,scale={ow}:{oh},setsar=1[bg];"
            f"[c]scale={ow}:{oh}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[fit];"
            f"[bg][fit]overlay=(W-w)/2:(H-h)/2[wide];[wide][fg]overlay=0:0:enable='{enable}'{tail}")


def clip_words(words: Sequence[Word], start: float, end: float) -> list[Word]:
    """The words inside ``[start, end]``, timed from the clip's start."""
    return [Word(w.word, max(0.0, w.start - start), min(end, w.end) - start, w.probability)
            for w in words if w.start >= start - 0.01 and w.end <= end + 0.01]


def caption_rules(size: tuple[int, int]) -> CueRules:
    return CueRules(max_chars_per_line=default_max_chars(*size))


def hook_style(style: CaptionStyle, size: tuple[int, int]) -> str:
    """A boxed, bold title at the top centre (ASS alignment 8), in the captions' font."""
    w, h = size
    cells = ["Hook", style.font, round(h * 0.045), ass_colour("#FFFFFF"), ass_colour("#FFFFFF"),
             ass_colour("#000000C0"), ass_colour("#000000C0"), -1, 0, 0, 0, 100, 100, 0, 0, 3,
             round(h * 0.012), 0, 8, round(w * 0.06), round(w * 0.06), round(h * 0.08), 1]
    return "Style: " + ",".join(str(c) for c in cells)


def clip_ass(words: Sequence[Word], style: CaptionStyle, size: tuple[int, int], captions: bool,
             title: str | None, title_seconds: float) -> str:
    """The clip's .ass: its captions (if asked) and the hook title over its first seconds (if any)."""
    cues = cues_from_words(words, caption_rules(size)) if captions else []
    doc = render_ass(cues, style, *size)
    if not title:
        return doc
    chars = max(12, default_max_chars(*size) - 6)
    lines = wrap(title.split(), CueRules(max_chars_per_line=chars))[:3]
    text = "\\N".join(ass_escape(line) for line in lines)
    doc = doc.replace("\n\n[Events]", f"\n{hook_style(style, size)}\n\n[Events]", 1)
    return doc + f"Dialogue: 1,{ass_time(0)},{ass_time(title_seconds)},Hook,,0,0,0,,{text}\n"


def render_clip(source: Path, start: float, end: float, frame: Framing, keys: Sequence[CameraKey],
                ass_path: Path | None, out: Path, fonts: LibassFonts | None, cancel: CancelToken,
                progress: Callable[[float], None] = lambda f: None, threads: int | None = None) -> Path:
    """Write ``out`` (H.264 + AAC MP4, ``frame.output`` pixels, ``end − start`` seconds)."""
    ass = fonts.ass_filter(ass_path) if fonts is not None and ass_path is not None else None
    graph = filter_graph(frame, keys, start, end, ass)
    duration = end - start
    args = ["-ss", f"{start:.3f}", "-t", f"{duration:.3f}", "-i", str(source), "-filter_complex", graph,
            "-map", "[v]", "-map", "0:a:0?", "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF),
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
    if threads:
        args += ["-threads", str(threads)]
    run_ffmpeg([*args, str(out)], cancel, progress=lambda t: progress(min(0.99, t / max(duration, 0.01))),
               env=fonts.env() if fonts is not None else None)
    return out
