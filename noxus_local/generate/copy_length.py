"""Length limits of ad copy: what is over them, and a cut at a word boundary when asking again did not help.

A 1.5B model often writes a 10-word headline when asked for 6; the ad layouts
would shrink the type to fit, which reads badly. ``LIMITS`` are the prompt's
own (prompts/instant_ad.*: a headline of at most 6 words, a body of one
sentence of at most 18 words, a CTA of 2 or 3 words) with a character cap each
(long words make long lines). ``over`` names what breaks them, in words the
model is shown on its retry; ``shorten`` cuts what is still over: whole words
only (never mid-word), then drops what would dangle at the end (a comma, a
dash, an opening bracket, an "and" / "the" / "y" / "de"), keeping a final
``.``/``!``/``?`` only when the sentence really ended there.

Example::

    over("headline", "The best steel bottle you will ever own, for real")    # "headline: 10 words (at most 6)"
    shorten("headline", "The best steel bottle you will ever own, for real")  # "The best steel bottle you will"
    shorten("body", "Cold for 24 hours, leak-proof and light, so it goes wherever you go, from the gym "
                    "to the office and the long weekend hike.")               # "... from the gym to the office"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LIMITS", "Limit", "fit_words", "over", "shorten"]


@dataclass(frozen=True)
class Limit:
    """At most ``words`` words and ``chars`` characters."""

    words: int
    chars: int


LIMITS: dict[str, Limit] = {"headline": Limit(6, 48), "body": Limit(18, 140), "cta": Limit(3, 24)}
# what a cut must not end on: punctuation that opens or joins, and the small words that join (en, es)
_DANGLING_MARKS = ",;:-–—/&+(\"'«“‘[{·"
_DANGLING_WORDS = frozenset("""a an and as at but by for from in into of on or so than that the to with your our
y e o u ni de del la el los las un una unos unas en con por para que al su sus tu tus más""".split())
_WORD = re.compile(r"\S+")


def over(field: str, text: str) -> str | None:
    """What breaks ``field``'s limit in ``text`` (for the model's retry), or None when it is within it.

    Example: ``over("cta", "Shop now")`` is None; ``over("cta", "Click here to shop now")`` is
    ``"cta: 5 words (at most 3)"``.
    """
    limit = LIMITS[field]
    words = len(_WORD.findall(text))
    if words > limit.words:
        return f"{field}: {words} words (at most {limit.words})"
    if len(text) > limit.chars:
        return f"{field}: {len(text)} characters (at most {limit.chars})"
    return None


def shorten(field: str, text: str) -> str:
    """``text`` cut to ``field``'s limit at a word boundary, nothing dangling at its end; unchanged when it
    fits. A first word longer than the whole limit is kept whole (a word is never cut).

    Example: ``shorten("cta", "Get yours today, while stocks last")`` → ``"Get yours today"``.
    """
    if over(field, text) is None:
        return text
    limit = LIMITS[field]
    kept: list[str] = []
    for word in _WORD.findall(text):
        if len(kept) == limit.words or (kept and len(" ".join([*kept, word])) > limit.chars):
            break
        kept.append(word)
    while len(kept) > 1:
        last = kept[-1].rstrip(_DANGLING_MARKS)
        if not last or last.lower().strip(".!?…") in _DANGLING_WORDS:
            kept.pop()
            continue
        kept[-1] = last
        break
    out = " ".join(kept).rstrip(_DANGLING_MARKS + " ")
    return _balanced(out)


def _balanced(text: str) -> str:
    """Without an opening bracket or quote whose closing one was cut off: ``'Cold (all day'`` → ``'Cold all day'``."""
    for opening, closing in ("()", "[]", "{}", "“”", "«»"):
        if text.count(opening) > text.count(closing):
            text = text.replace(opening, "", text.count(opening) - text.count(closing))
    if text.count('"') % 2:
        text = text.replace('"', "", 1)
    return " ".join(text.split())


def fit_words(text: str, budget: int) -> str:
    """A scene's voice-over cut to about ``budget`` words: whole sentences while they fit (the first one
    always), a first sentence far over the budget cut at a word boundary and closed with a full stop. A 1.5B
    model asked for 31 words in 3 scenes writes 60-80; the voice-over would then be read too fast or lose
    whole scenes (and, with two left, fail the job).

    Example: ``fit_words("Cold all day. Light and strong. Buy it now.", 6) == "Cold all day. Light and strong."``
    """
    sentences = [x for x in re.split(r"(?<=[.!?…])\s+", text.strip()) if x]
    kept: list[str] = []
    for sentence in sentences:
        if kept and len(" ".join([*kept, sentence]).split()) > budget:
            break
        kept.append(sentence)
    out = " ".join(kept)
    words = out.split()
    if len(words) > round(budget * 1.5):  # one long sentence: cut it, never mid-word
        cut = words[:budget]
        joints = [i for i, w in enumerate(cut) if w.endswith((",", ";", ":")) and i + 1 >= budget // 2]
        if joints:  # end at the last clause that fits: "… cold all day, perfect for" → "… cold all day."
            cut = cut[:joints[-1] + 1]
        while len(cut) > 2 and cut[-1].lower().strip(",;:—–-") in _DANGLING_WORDS:
            cut.pop()
        out = " ".join(cut).rstrip(",;:—–-") + "."
    return out
