"""Captions in Hebrew, Arabic and emoji are burned as the words, not as boxes (issues 20/21).

libass reads our fontconfig folder (media/fonts.py): the style's face first,
then by glyph coverage the script fallbacks (Heebo, Noto Sans Arabic) and the
outline emoji font; the bundled ffmpeg's libass shapes with HarfBuzz and
orders with FriBiDi. Judged on the burned frame against Pillow/Raqm references
(tests/glyph_judge.py): nearer the right rendering than the tofu boxes and
than the unshaped left-to-right order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from noxus_local.captions import styles, video
from noxus_local.captions.cues import Cue
from noxus_local.media import fonts
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from tests.glyph_judge import judge

CASES = [("שלום", "Heebo", True, False), ("مرحبا", "Noto Sans Arabic", True, False), ("🙂", None, False, False)]


@pytest.fixture(scope="module")
def black_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "black.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=640x360:r=10:d=1", "-c:v", "libx264", "-preset",
                "ultrafast", "-pix_fmt", "yuv420p", str(path)], CancelToken())
    return path


def burned_frame(clip: Path, text: str, workdir: Path) -> Image.Image:
    style = styles.resolve_style("minimal", {"position": "middle_center", "font_size": 12.0, "shadow": 0.0})
    cue = Cue(1, 0.0, 1.0, (text,), ())
    out = workdir / "frame.png"
    video.preview(clip, [cue], style, 0.5, out, cancel=CancelToken(), size=(640, 360))
    return Image.open(out).convert("RGB")


@pytest.mark.parametrize(("text", "family", "rtl", "color"), CASES)
def test_burned_caption_is_the_words(black_clip: Path, tmp_path: Path, text: str, family: str | None,
                                     rtl: bool, color: bool) -> None:
    reference = fonts.font_path(family) if family else fonts.emoji_font(color=False)
    if reference is None:
        pytest.fail("no emoji font installed: run scripts/setup_system.sh (fonts-symbola)")
    frame = burned_frame(black_clip, text, tmp_path)
    verdict = judge(frame, text, reference, rtl=rtl)
    assert verdict.ok, (text, verdict)


def test_latin_with_accents_keeps_its_face(black_clip: Path, tmp_path: Path) -> None:
    """A Spanish line is still drawn in the style's own face (Poppins), not a fallback."""
    text = "¡Canción año!"
    frame = burned_frame(black_clip, text, tmp_path)
    own = judge(frame, text, fonts.font_path("Poppins"))
    other = judge(frame, text, fonts.font_path("Anton"))
    assert own.ink >= 100 and own.to_reference < 0.15 and own.to_reference < other.to_reference, (own, other)


def test_fonts_folder_holds_the_fallbacks(tmp_path: Path) -> None:
    lib = fonts.prepare_fonts(tmp_path / "fonts")
    names = {p.name for p in lib.directory.iterdir()}
    for family in fonts.SCRIPT_FALLBACKS:
        assert fonts.font_path(family).name in names
    outline = fonts.emoji_font(color=False)
    assert outline is not None and outline.name in names
