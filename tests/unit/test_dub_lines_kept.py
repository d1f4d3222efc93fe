"""The faster dub keeps every line, in order, and never lets one run over the next (issue 24, speed).

Two changes made dubbing faster and each could lose a line: the text model now translates lines in
numbered batches (a batch answer that skips or merges a line would shift every translation after
it), and a line a little too long is now stretched instead of spoken again (a stretch that
overshoots would run into the next line). Both are run for real here: the 1.5B text model
(fetched through the registry, as ``make test`` does) on lines that each carry their own number,
across several batches, and Kokoro speaking lines into tight slots, fitted and placed by the
real bundled ffmpeg, judged on the mixed voice track.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from noxus_local.config import Config, load_config
from noxus_local.dubbing.fit import fit_line, tempo_change
from noxus_local.dubbing.mix import Placed, voice_track
from noxus_local.dubbing.segments import GAP, Line
from noxus_local.dubbing.translate import llm_lines, numbered_lines
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech import tts

# each line says a number no other line says: a line dropped or shifted shows as a number out of place
LINES = ("Tengo 3 gatos en casa.", "Mi hermana compró 7 libros ayer.", "El autobús tarda 12 minutos.",
         "Sí.", "Ana corre 5 kilómetros cada día.", "La tienda abre a las 9 de la mañana.",
         "Pagamos 40 euros por la cena.", "Hay 26 alumnos en la clase.", "Gracias a todos.",
         "Nos vemos en 2 semanas.")
NUMBERS = ("3", "7", "12", None, "5", "9", "40", "26", None, "2")
# the 1.5B model sometimes spells a small number out even when asked again (a warning, not a lost line)
WORDS = {"2": "two", "3": "three", "5": "five", "7": "seven", "9": "nine", "12": "twelve"}


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("dubkept") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch([cfg.llm.model, "kokoro-82m", "kokoro-voice-af-heart"])
    return cfg


def test_numbered_answers_are_read_by_number_and_a_missing_one_is_not_made_up() -> None:
    answer = '```\n1. "Hello."\n3) Goodbye.\n2. Thanks\n7. stray\n```'
    assert numbered_lines(answer, 3) == {1: "Hello.", 2: "Thanks", 3: "Goodbye."}
    assert numbered_lines("1. Hello.\n3. Bye.", 3) == {1: "Hello.", 3: "Bye."}  # line 2 is asked again alone
    assert numbered_lines("Hello.\nBye.", 2) == {}


def test_batched_translation_keeps_every_line_in_its_place(cfg: Config) -> None:
    from noxus_local.generate.llm.models import text_models

    llm = text_models(cfg).llm(cfg.llm.model, ModelCache(cfg))
    seen: list[float] = []
    out = llm_lines(llm, LINES, "es", "English", progress=seen.append, batch=4)  # batches of 4, 4 and 2
    assert len(out.texts) == len(LINES) and all(t.strip() for t in out.texts), out
    for i, (text, number) in enumerate(zip(out.texts, NUMBERS, strict=True)):
        others = {n for n in NUMBERS if n is not None and n != number}
        said = set(text.lower().replace(",", " ").replace(".", " ").split())
        if number is not None:
            assert number in said or WORDS.get(number) in said, (i, text)
        assert not others & said, (i, text)  # not another line's translation
    assert "Ana" in out.texts[4]
    assert out.calls >= 3 and seen[-1] == 1.0  # three batches at least; progress reaches the end


def test_fitted_lines_never_run_into_the_next_and_none_is_lost(cfg: Config, tmp_path: Path) -> None:
    texts = ("Hello everyone, and welcome to the market.", "I walk three kilometres every morning.",
             "Today I bought oranges and a very big loaf of bread.", "See you tomorrow.")
    # tight slots: the first three need a stretch or a faster voice, and each is followed closely
    spans = ((0.3, 2.2), (2.5, 4.4), (4.6, 6.6), (7.0, 7.9))
    lines = [Line(i, a, b, "", round((spans[i + 1][0] if i + 1 < len(spans) else 9.0) - GAP, 3))
             for i, (a, b) in enumerate(spans)]
    placed, fits = [], []
    with tts.open_voice(ModelCache(cfg), {"af_heart": 1.0}, "en-us") as voice:
        def synth(text: str, speed: float) -> np.ndarray:
            return tts.speak(text, voice, speed, cancel=CancelToken()).samples

        for line, text in zip(lines, texts, strict=True):
            fitted = fit_line(text, line, synth, tts.SAMPLE_RATE, stretch=tempo_change)
            fits.append(fitted)
            placed.append(Placed(line.start, fitted.samples, fitted.rate, line.end))
    assert any(f.tempo > 1.0 for f in fits)  # the stretch path was taken
    for p, line in zip(placed, lines, strict=True):
        assert p.end <= line.room_end + 1e-3
    for a, b in zip(placed, placed[1:], strict=False):
        assert a.end < b.start  # never over the next line
    rate = tts.SAMPLE_RATE
    track = voice_track(placed, int(9.5 * rate), rate)
    for line in lines:  # every line is in the track, inside its own slot
        inside = track[int(line.start * rate):int(line.end * rate)]
        assert np.sqrt(np.mean(np.square(inside))) > 0.02, line
