"""Chinese and Japanese text made speakable for Kokoro, where espeak-ng alone fails.

espeak-ng reads a Japanese kanji as the words "Chinese letter" (only kana are
read), and its Mandarin IPA marks tones with digits Kokoro's vocabulary lacks,
so Kokoro's ``jf_*`` / ``zf_*`` voices spoke noise from it (Whisper heard
Burmese). Kokoro-82M was trained on misaki's phonemes; for those two languages
this module gives them:

- ``chinese_words``: the sentence's numbers in Chinese numerals (cn2an), its
  words cut by jieba, each word's pinyin (pypinyin) turned into Kokoro's IPA
  with tone arrows (misaki's ``ZHG2P.word2ipa``), punctuation in ASCII.
- ``japanese_words``: the sentence's words (fugashi with the UniDic-lite
  dictionary) with their pronunciation in hiragana, which espeak-ng's Japanese
  voice reads well; speech/phonemes.py phonemizes that and keeps the written word.

Both return None when their packages are not installed (the ``cjk`` extra of
pyproject.toml), and phonemes.py falls back to espeak-ng alone. Full-width
punctuation becomes ASCII (``ascii_punctuation``) so clauses and pauses are found.

Example::

    chinese_words("你好，我叫安娜。")   # [("你好,", "ni↓xau↓,"), ("我", "wo↓"), ("叫", "ʨjau↘"), ("安娜.", "an→na↘.")]
    japanese_words("私はアナです。")     # [("私", "わたし"), ("は", "わ"), ("アナ", "あな"), ("です.", "です.")]
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["ascii_punctuation", "chinese_words", "japanese_words"]

_FULL_WIDTH = str.maketrans({"、": ", ", "，": ", ", "。": ". ", "．": ". ", "！": "! ", "？": "? ", "：": ": ",
                             "；": "; ", "（": " (", "）": ") ", "「": " “", "」": "” ", "『": " “", "』": "” ",
                             "《": " “", "》": "” ", "【": " “", "】": "” ", "〜": "~", "・": " ", "　": " "})
_PUNCT = set(",;:.!?…—()“”\"'~-")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACE_BEFORE = re.compile(r"\s+([,.!?;:])")


def ascii_punctuation(text: str) -> str:
    """Full-width CJK punctuation as ASCII followed by a space: ``"你好，世界。"`` → ``"你好, 世界."``."""
    return _SPACE_BEFORE.sub(r"\1", " ".join(text.translate(_FULL_WIDTH).split()))


@cache
def _chinese() -> Any:
    try:
        import cn2an
        import jieba
        from misaki.zh import ZHG2P
    except ImportError:
        return None
    jieba.setLogLevel(60)  # its "building prefix dict" chatter goes to stderr otherwise
    return cn2an, jieba, ZHG2P


@cache
def _tagger() -> Any:
    try:
        import fugashi

        return fugashi.Tagger()  # finds the unidic-lite dictionary when installed
    except (ImportError, RuntimeError):
        return None


def chinese_words(sentence: str) -> list[tuple[str, str]] | None:
    """(written word, Kokoro phonemes) per word, punctuation on the word before it; None without the packages.
    Latin words are left to the caller (their phonemes empty) — Kokoro's Chinese voices read none."""
    parts = _chinese()
    if parts is None:
        return None
    cn2an, jieba, g2p = parts
    text = ascii_punctuation(cn2an.transform(sentence, "an2cn"))
    out: list[tuple[str, str]] = []
    for token in jieba.lcut(text, cut_all=False):
        token = token.strip()
        if not token:
            continue
        if all(ch in _PUNCT for ch in token):
            if out:
                out[-1] = (out[-1][0] + token, out[-1][1] + token)
            continue
        ipa = g2p.word2ipa(token) if _HAN.search(token) else ""
        out.append((token, ipa.replace(chr(815), "")))
    return out


def japanese_words(sentence: str) -> list[tuple[str, str]] | None:
    """(written word, its reading in hiragana) per word, punctuation on the word before it; None without
    fugashi and its dictionary. A word the dictionary has no reading for keeps its own spelling."""
    tagger = _tagger()
    if tagger is None:
        return None
    out: list[tuple[str, str]] = []
    for word in tagger(ascii_punctuation(sentence)):
        surface = word.surface.strip()
        if not surface:
            continue
        if all(ch in _PUNCT for ch in surface):
            if out:
                out[-1] = (out[-1][0] + surface, out[-1][1] + surface)
            continue
        reading = _reading(word) if not _LATIN.search(surface) else surface
        out.append((surface, _hiragana(reading)))
    return out


def _reading(word: Any) -> str:
    """UniDic's pronunciation (``pron``: long vowels as ー, は as わ), else its kana, else the spelling."""
    feature = word.feature
    for name in ("pron", "kana"):
        value = getattr(feature, name, None)
        if value and value != "*":
            return str(value)
    return str(word.surface)


def _hiragana(text: str) -> str:
    """Katakana as hiragana (espeak-ng's Japanese rules read both; hiragana more reliably): ``"アナ"`` → ``"あな"``."""
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in text)
