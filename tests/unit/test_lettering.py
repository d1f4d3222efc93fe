"""media/lettering.py: which face draws each character, and the order runs are laid out in."""

from __future__ import annotations

from noxus_local.media import fonts
from noxus_local.media.lettering import FaceChain, visual_order


def order(text: str, rtl_line: bool) -> list[str]:
    sized = FaceChain.of("Anton", 400).at(60)
    return [run for run, _ in visual_order(sized.runs(text), rtl_line)]


def test_an_rtl_stretch_in_a_latin_line_reads_from_its_right():
    # logical: Café, then Hebrew, then Arabic; on screen the RTL stretch is reversed as a whole
    assert order("Café שלום مرحبا 🙂", rtl_line=False) == ["Café", " ", "مرحبا", " ", "שלום", " ", "🙂"]


def test_a_latin_word_in_an_rtl_line_stays_left_to_right_at_the_left():
    assert order("שלום مرحبا Café", rtl_line=True) == ["Café", " ", "مرحبا", " ", "שלום"]


def test_each_script_is_drawn_by_its_fallback_face():
    chain = FaceChain.of("Anton", 400)
    names = {ch: chain.files[chain.face_for(ch)].name for ch in ("a", "ש", "م", "न", "🙂")}
    assert names["a"].startswith("Anton")
    assert names["ש"] == fonts.font_path("Heebo").name
    assert names["م"] == fonts.font_path("Noto Sans Arabic").name
    assert names["🙂"] == "NotoColorEmoji.ttf"
    assert names["न"] != names["a"]  # Poppins or Noto Sans Devanagari: a face that has it


def test_an_emoji_with_a_skin_tone_is_one_glyph_and_scales_with_the_line():
    sized = FaceChain.of("Poppins", 700).at(50)
    one, toned = sized.getlength("👍"), sized.getlength("👍🏽")
    assert 0.8 * 50 < one < 1.6 * 50       # scaled from the 109 px strike to the line's size
    assert toned < 1.3 * one               # the modifier joins the emoji: one glyph, not two
