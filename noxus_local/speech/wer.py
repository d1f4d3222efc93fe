"""Word error rate: how intelligible synthesised speech is, read back by the ASR engine.

Both texts are normalised the same way first (lower case, accents kept,
punctuation dropped: "¿Qué tal?" and "que tal" differ only by the accent), then
WER = (substitutions + deletions + insertions) / words of the reference, by
Levenshtein distance over words.

Example::

    wer("Hola, ¿qué tal?", "hola que tal")     # 1/3: "qué" ≠ "que"
    wer("Good morning.", "good morning")       # 0.0
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words(text: str) -> list[str]:
    """Lower-case words, punctuation dropped (``"It's"`` stays one word)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)
