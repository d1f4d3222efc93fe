"""Filter and subtitle syntax in a script is drawn as the characters themselves (issue 20, Bad input).

A designed scene whose words are ``[0:v];[1:a] a:b it's {\\pos(0,0)}`` and captions of the same pieces
(``\\n`` too) go through the real renderer; the decoded frame is read back by our OCR model (PP-OCR, an
independent decoder): the brackets, colons, the apostrophe, the braces and the backslashes are on the
picture, the ASS tag did not move the caption (it stays at the bottom, where the style puts it), and the
filter labels did not reach the graph (the video has the size and length asked for). A second designed
scene in Spanish is read back with its accents and its ñ and ü (issue 20 item 3c).
"""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from noxus_local.compose import Captions, Scene, Timeline, Transition, Visual, render
from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.ppocr import PpOcr
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Word

W, H, FPS = 640, 360, 10
DESIGNED = "[0:v];[1:a] a:b it's {\\pos(0,0)}"
CAPTION = ("[0:v];[1:a]", "a:b", "it's", "{\\pos(0,0)}", "x\\n;y")
SPANISH = "¡Canción rápida: año, pingüino!"


@pytest.fixture(scope="module")
def ocr(tmp_path_factory: pytest.TempPathFactory) -> PpOcr:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("ocr") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["ppocr-v6-tiny"])
    return ModelCache(cfg).get(PpOcr)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    work = tmp_path_factory.mktemp("hostile")
    words = tuple(Word(w, 0.2 + 0.5 * i, 0.6 + 0.5 * i, 1.0) for i, w in enumerate(CAPTION))
    tl = Timeline(W, H, FPS, (Scene(0, DESIGNED, 0.0, 3.0, Visual("designed", text=DESIGNED), words),
                              Scene(1, SPANISH, 3.0, 5.0, Visual("designed", text=SPANISH), ())),
                  captions=Captions("classic"), transition=Transition("cut", 0.0))
    out = render(tl, work / "out.mp4", workdir=work / "w", cancel=CancelToken())
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (W, H)
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) == 5 * FPS
    return decoded[22], decoded[42]  # 2.2 s: the words faded in, the whole caption on screen; 4.2 s: Spanish


def read(ocr: PpOcr, img: np.ndarray) -> str:
    return "".join(ocr.predict([Image.fromarray(img)])[0]["text"].split())


def test_the_caption_shows_the_syntax_as_characters_where_the_style_puts_it(ocr, frames):
    frame = frames[0]
    caption = read(ocr, frame[int(0.8 * H):])
    print("caption OCR:", caption)
    for piece in ("[1:a]", "a:b", "it's", "{\\pos(0,0)}", "\\n"):
        assert piece in caption, (piece, caption)
    assert read(ocr, frame[: int(0.15 * H)]).count("pos") == 0  # \pos(0,0) did not move it to the top


def test_the_designed_scene_shows_the_syntax_as_characters(ocr, frames):
    frame = frames[0]
    designed = read(ocr, frame[int(0.3 * H): int(0.7 * H)])
    print("designed OCR:", designed)
    for piece in ("[1:a]", "a:b", "it's", "pos(0,0"):
        assert piece in designed, (piece, designed)


def test_a_designed_scenes_spanish_keeps_its_accents(ocr, frames):
    spanish = read(ocr, frames[1][int(0.25 * H): int(0.75 * H)]).casefold()
    print("spanish OCR:", spanish)
    for piece in ("canción", "rápida", "año", "pingüino"):
        assert piece in spanish, (piece, spanish)
