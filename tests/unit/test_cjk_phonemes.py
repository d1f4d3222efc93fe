"""Chinese and Japanese phonemes for Kokoro (issue 24: dubbing into ja and zh). espeak-ng alone reads a
kanji as "Chinese letter" and writes Mandarin tones as digits Kokoro lacks; speech/cjk.py gives misaki's
pinyin IPA with tone arrows and kanji read as hiragana. Skipped where the ``cjk`` extra is not installed."""

from __future__ import annotations

from noxus_local.speech import cjk
from noxus_local.speech.phonemes import phonemize_words

# the packages are dependencies (pyproject): a missing one fails these tests, never skips them


def test_the_cjk_packages_are_installed():
    assert cjk.chinese_words("你") is not None, "jieba/pypinyin/cn2an/misaki are dependencies"
    assert cjk.japanese_words("私") is not None, "fugashi/unidic-lite are dependencies"


def test_full_width_punctuation_becomes_ascii_so_clauses_are_found():
    assert cjk.ascii_punctuation("你好，世界。你呢？") == "你好, 世界. 你呢?"
    assert cjk.ascii_punctuation("「こんにちは」、元気？") == "“こんにちは”, 元気?"


def test_chinese_words_are_cut_by_jieba_and_carry_pinyin_ipa_with_tone_arrows():
    words = cjk.chinese_words("你好，我住在马德里。我有3个苹果。")
    assert words is not None
    assert [w for w, _ in words][:2] == ["你好,", "我"]
    assert dict(words)["马德里."] == "ma↓tɤ↗li↓."  # third, second, third tone
    assert any(w.startswith("三") for w, _ in words)  # the digit is read as a Chinese numeral
    assert not any(ch.isdigit() for _, ipa in words for ch in ipa)


def test_chinese_phonemes_keep_latin_names_spelt_in_english():
    pairs = phonemize_words("我叫Ana。", "zh")
    assert [w for w, _ in pairs] == ["我", "叫", "Ana."]
    assert pairs[2][1].rstrip(".") and pairs[2][1].endswith(".")


def test_japanese_kanji_are_read_in_hiragana_and_phonemised_word_by_word():
    words = cjk.japanese_words("私の名前はアナです。")
    assert words is not None and words[0] == ("私", "わたくし") and ("アナ", "あな") in words
    pairs = phonemize_words("こんにちは、私の名前はアナです。", "ja")
    assert [w for w, _ in pairs] == ["こんにちは,", "私", "の", "名前", "は", "アナ", "です."]
    spoken = " ".join(ipa for _, ipa in pairs)
    assert "tʃ" not in spoken.replace("tɕ", "") and "lˈɛt" not in spoken  # no "Chinese letter" spelt out
    assert pairs[3][1].startswith("näm")  # 名前: namae


def test_dub_subtitles_of_chinese_or_japanese_wrap_at_half_the_width():
    from noxus_local.dubbing.files import LINE_CHARS, wrap

    assert wrap("你" * 30) == ("你" * (LINE_CHARS // 2), "你" * (30 - LINE_CHARS // 2))
    assert wrap("Hello there, " * 3).__len__() == 1 and wrap("") == ("",)
