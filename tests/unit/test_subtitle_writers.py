"""Subtitle files and caption styles (issue 10, items 2 and 5): re-read with real parsers."""

from __future__ import annotations

import io
import json

import pytest
import srt
import webvtt

from noxus_local.captions import styles, subtitles
from noxus_local.captions.cues import CueRules, build_cues
from noxus_local.errors import ValidationError
from noxus_local.speech.types import Segment, Word


def _cues() -> list:
    words = [Word(w, 0.5 + i * 0.4, 0.5 + i * 0.4 + 0.3, 0.9) for i, w in
             enumerate("Hola & bienvenidos, {amigos} míos. Ñandú rápido <b> aquí.".split())]
    return build_cues([Segment(0, 0.5, 4.0, "", tuple(words), -0.1, 0.0)], CueRules(max_chars_per_line=20))


def test_srt_reparses_with_srt_library() -> None:
    cues = _cues()
    parsed = list(srt.parse(subtitles.srt_text(cues)))
    assert [p.content for p in parsed] == ["\n".join(c.lines) for c in cues]
    assert [round(p.start.total_seconds(), 3) for p in parsed] == [round(c.start, 3) for c in cues]
    assert subtitles.srt_time(3661.5) == "01:01:01,500"


def test_vtt_reparses_with_webvtt() -> None:
    cues = _cues()
    parsed = webvtt.from_buffer(io.StringIO(subtitles.vtt_text(cues)))
    assert [p.text for p in parsed] == ["\n".join(c.lines).replace("&", "&amp;").replace("<", "&lt;")
                                        .replace(">", "&gt;") for c in cues]
    assert parsed[0].start == subtitles.vtt_time(cues[0].start) == "00:00:00.500"


def test_json_tsv_txt() -> None:
    cues = _cues()
    data = json.loads(subtitles.json_text(cues, {"language": "es"}))
    assert data["language"] == "es" and data["segments"][0]["words"][0]["word"] == "Hola"
    tsv = subtitles.tsv_text(cues).splitlines()
    assert tsv[0] == "start\tend\ttext" and tsv[1].startswith("500\t")
    assert subtitles.txt_text(cues).splitlines()[0] == cues[0].text


@pytest.mark.parametrize("name", sorted(styles.PRESETS))
def test_every_preset_renders_ass(name: str) -> None:
    text = styles.render_ass(_cues(), styles.resolve_style(name), 320, 240)
    assert "PlayResX: 320" in text and f"Style: {name}," in text
    dialogue = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert dialogue and "{amigos}" not in text  # braces in speech never become override tags


def test_style_modes() -> None:
    cues = _cues()
    karaoke = styles.render_ass(cues, styles.resolve_style("karaoke"), 320, 240)
    assert "\\kf" in karaoke
    pop = styles.render_ass(cues, styles.resolve_style("word_pop"), 320, 240)
    n_words = sum(len(c.words) for c in cues)
    assert pop.count("Dialogue:") == n_words and "\\fscx125" in pop
    one = styles.render_ass(cues, styles.resolve_style("one_word"), 320, 240)
    assert one.count("Dialogue:") == n_words and "\\an5\\pos(160,120)" not in one  # named place, no \pos
    boxed = styles.resolve_style("boxed")
    assert ",3," in styles.render_ass(cues, boxed, 320, 240).split("Style: boxed,")[1]
    assert "\\blur" in styles.render_ass(cues, styles.resolve_style("neon"), 320, 240)
    punch = styles.render_ass(cues, styles.resolve_style("yellow_punch"), 320, 240)
    assert "HOLA" in punch and "&H0000E6FF" in punch and "\\pos(160,168)" in punch


def test_options_and_refusals() -> None:
    s = styles.resolve_style("classic", {"position": "top_left", "font": "Oswald", "primary_color": "#FF0000",
                                         "uppercase": True, "font_size": 10})
    text = styles.render_ass(_cues(), s, 320, 240)
    assert ",Oswald,24,&H000000FF," in text and ",7,16,16,14,1" in text and "HOLA" in text
    assert styles.ass_colour("#00FF0080") == "&H7F00FF00"
    for bad in ({"font": "Comic Sans"}, {"position": "under"}, {"primary_color": "mauve-ish"}):
        with pytest.raises(ValidationError) as err:
            styles.resolve_style("classic", bad)
        assert err.value.details["allowed"]
    with pytest.raises(ValidationError) as err:
        styles.resolve_style("sparkly")
    assert "yellow_punch" in err.value.details["allowed"]["style"]
    assert len(styles.catalog()) >= 8 and all(c["looks_like"] for c in styles.catalog())
