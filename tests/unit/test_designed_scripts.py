"""A designed scene's words in Hebrew, Arabic and emoji are drawn as themselves (issues 20/21).

``drawtext`` has one font and no fallback, so text the display face lacks is
set by media/lettering.py (script fonts, colour emoji, bidi, Raqm shaping) on a
PNG the graph overlays. Judged on the decoded video frame: the pixels that
differ from the same scene rendered without text are compared with Pillow/Raqm
references (tests/glyph_judge.py), not with tofu boxes or the unordered word.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from noxus_local.compose import Scene, Timeline, Transition, Visual, render
from noxus_local.compose.designed import needs_fallback
from noxus_local.media import fonts
from noxus_local.runtime.cancel import CancelToken
from tests.glyph_judge import changed, judge

W, H, FPS = 320, 568, 10
WORDS = [("שלום", "Heebo", True, False), ("مرحبا", "Noto Sans Arabic", True, False), ("🙂", None, False, True)]


def frames(texts: list[str], workdir: Path) -> list[np.ndarray]:
    scenes = tuple(Scene(i, t, float(i), float(i + 1), Visual("designed", text=t), ()) for i, t in enumerate(texts))
    out = render(Timeline(W, H, FPS, scenes, transition=Transition("cut", 0.0)), workdir / "out.mp4",
                 workdir=workdir / "w", cancel=CancelToken())
    with av.open(str(out)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return [decoded[i * FPS + 8] for i in range(len(texts))]  # 0.8 s into each scene: faded in


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[np.ndarray], list[np.ndarray]]:
    root = tmp_path_factory.mktemp("designed")
    (root / "a").mkdir()
    (root / "b").mkdir()
    return frames([w for w, *_ in WORDS], root / "a"), frames([" "] * len(WORDS), root / "b")


@pytest.mark.parametrize("n", range(len(WORDS)))
def test_the_word_is_drawn_not_boxes(shown, n: int) -> None:
    from PIL import Image

    word, family, rtl, color = WORDS[n]
    reference = fonts.font_path(family) if family else fonts.emoji_font(color=True)
    assert reference is not None, "no colour emoji font: run scripts/setup_system.sh (fonts-noto-color-emoji)"
    with_text, blank = (Image.fromarray(f[n]) for f in shown)
    verdict = judge(changed(with_text, blank, (0, 0, W, H)), word, reference, rtl=rtl, embedded_color=color,
                    display_font=fonts.font_path("Anton"))
    assert verdict.ok, verdict
    if color:  # the emoji's own yellow where the blank scene has none
        def yellow(a: np.ndarray) -> np.ndarray:
            a = a.astype(np.int16)
            return (a[..., 0] > 200) & (a[..., 1] > 150) & (a[..., 2] < 90)
        assert (yellow(shown[0][n]) & ~yellow(shown[1][n])).sum() > 200


def test_latin_keeps_drawtext_and_other_scripts_leave_it() -> None:
    anton = fonts.font_path("Anton")
    assert not needs_fallback("¡Canción rápida, año!", anton)
    assert all(needs_fallback(w, anton) for w, *_ in WORDS)
