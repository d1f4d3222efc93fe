"""Text → speech with Kokoro: sentences in order, pause tags, paragraph breaks, word timings.

The text is cut at ``[pause:0.8]`` tags and blank lines (a paragraph break is a
0.6 s pause), then into sentences; each sentence is phonemized (espeak-ng) and
synthesised in one model call, or in several when its phonemes exceed Kokoro's
510 tokens (cut between words). Words are timed from the model's own
predicted durations (inference/models/kokoro.py adds them as a graph output): each
token of ``[pad, word, space, word, …, pad]`` lasts a whole number of 600-sample
frames, so a word starts where its first phoneme's frames start and ends where
its last phoneme's end (its trailing punctuation, a pause, and the spaces
between words belong to no word) — ``timing_source = "model_durations"``.
Where the graph does not expose them (another export, Piper), the sentence's
voiced stretch (its leading and trailing silence trimmed) is shared out over
its words in proportion to their phonemes (``"estimated_per_phoneme"``).

This is the engine below speech/tts.py (``speak``, ``stream``), which callers use.

Example::

    plan("Hola. [pause:0.5] ¿Qué tal?")          # ["Hola.", 0.5, "¿Qué tal?"]
    for audio, sentence, words in pieces(kokoro, style, "Hola.", "es"):
        words                                    # [("Hola.", 0.2, 0.6)], seconds within the piece
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from noxus_local.errors import LimitExceeded
from noxus_local.inference.models.kokoro import FRAME_SAMPLES, MAX_TOKENS, SAMPLE_RATE, Kokoro
from noxus_local.speech.phonemes import phonemize_words

PAUSE_RE = re.compile(r"\[pause:\s*(\d+(?:\.\d+)?)\s*\]|\n\s*\n", re.IGNORECASE)
SENTENCE_RE = re.compile(r"(?<=[.!?…])\s+")
PARAGRAPH_PAUSE_S = 0.6
MAX_PAUSE_S = 10.0
SILENCE = 0.01  # |sample| under this is silence when trimming a sentence's edges
TIMING_SOURCE = "estimated_per_phoneme"
MODEL_DURATIONS = "model_durations"
# the audio leads the token grid by ~3 frames (75 ms): measured here on word onsets after
# pauses (4 voices), and the offset hexgrad/kokoro's own timestamps subtract
LEAD_FRAMES = 3
PUNCTUATION = set(",;:.!?…—\"()“”")  # Kokoro's punctuation symbols: pauses and intonation, not a word's sound
# faster than any voice reads (measured on ef_dora, em_alex, af_heart, bm_george: 12.7-15.7 characters
# a second at speed 1, 24.8-28.8 at speed 2, where this floor assumes 50): the estimate before the hold
# is a floor, so it refuses only what is surely too long; synthesis checks the rest
FAST_CHARS_PER_SECOND = 25.0


def plan(text: str) -> list[str | float]:
    """The text as sentences and pauses (seconds), in order.

    Example: ``plan("Uno. Dos.\\n\\nTres [pause:1] cuatro")`` →
    ``["Uno.", "Dos.", 0.6, "Tres", 1.0, "cuatro"]``.
    """
    out: list[str | float] = []
    pos = 0
    for match in PAUSE_RE.finditer(text):
        out.extend(_sentences(text[pos:match.start()]))
        seconds = float(match.group(1)) if match.group(1) else PARAGRAPH_PAUSE_S
        out.append(min(seconds, MAX_PAUSE_S))
        pos = match.end()
    out.extend(_sentences(text[pos:]))
    return out


def _sentences(chunk: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.split(" ".join(chunk.split())) if s.strip()]


def estimate_seconds(text: str, speed: float = 1.0) -> float:
    """A floor for the speech ``text`` makes: its pauses plus its characters at a fast reading rate.

    Example: ``estimate_seconds("a" + "[pause:10]" * 999)`` → 9990.04 (999 pauses of 10 s and
    one character at 25 a second); ``estimate_seconds("Hola. Adiós.", speed=2.0)`` → 0.22.
    """
    items = plan(text)
    pauses = sum(item for item in items if isinstance(item, float))
    chars = sum(len(item) for item in items if isinstance(item, str))
    return pauses + chars / (FAST_CHARS_PER_SECOND * speed)


def over_audio_limit(max_seconds: float, seconds: float, measured: str) -> LimitExceeded:
    """The 413 of speech longer than the tier allows; ``measured`` says whether it was estimated."""
    return LimitExceeded(
        f"el audio duraría más de {max_seconds:g} s / the speech would last more than {max_seconds:g} s "
        f"(max_audio_seconds); acorta el texto o las pausas / shorten the text or its pauses",
        details={"limit": "max_audio_seconds", "max": max_seconds, measured: round(seconds, 2)})


def has_words(text: str) -> bool:
    """Whether the text holds something speakable (a letter or a digit, once tags are removed)."""
    return any(ch.isalnum() for ch in PAUSE_RE.sub(" ", text))


def _timed_by_model(model: Any) -> bool:
    return isinstance(model, Kokoro) and model.has_durations


Piece = tuple[np.ndarray, str | None, list[tuple[str, float, float]]]


def pieces(kokoro: Kokoro, style: np.ndarray | None, text: str, language: str, speed: float = 1.0,
           progress: Callable[[float], None] = lambda _: None,
           check_cancel: Callable[[], None] = lambda: None) -> Iterator[Piece]:
    """Yields (audio, sentence or None for a pause, [(word, start, end) within the piece]) in order;
    ``progress`` gets percent. speech/tts.py ``stream`` makes typed chunks of them."""
    items = plan(text)
    for i, item in enumerate(items):
        check_cancel()
        if isinstance(item, float):
            yield np.zeros(int(item * SAMPLE_RATE), dtype=np.float32), None, []
        else:
            audio, words = _sentence(kokoro, style, item, language, speed, check_cancel)
            if len(audio):
                yield audio, item, words
        progress(100 * (i + 1) / len(items))


def _sentence(kokoro: Kokoro, style: np.ndarray, sentence: str, language: str, speed: float,
              check_cancel: Callable[[], None]) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    pairs = phonemize_words(sentence, language)
    audio_parts, words, offset = [], [], 0
    for chunk in _chunks(kokoro, pairs):
        check_cancel()
        tokens = kokoro.tokenize(" ".join(ipa for _, ipa in chunk if ipa))
        frames = None
        if _timed_by_model(kokoro):
            audio, frames = kokoro.predict(tokens, style, speed, durations=True)
        else:
            audio = kokoro.predict(tokens, style, speed)
        base = offset / SAMPLE_RATE
        timed = (model_word_times(kokoro, chunk, frames, audio) if frames is not None
                 else word_times(kokoro, chunk, audio))
        words.extend((w, base + a, base + b) for w, a, b in timed)
        audio_parts.append(audio)
        offset += len(audio)
    audio = np.concatenate(audio_parts) if audio_parts else np.zeros(0, dtype=np.float32)
    return audio, words


def _chunks(kokoro: Kokoro, pairs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Consecutive words whose phonemes fit one model call (a word longer than that is cut)."""
    chunks: list[list[tuple[str, str]]] = [[]]
    used = 0
    for word, ipa in pairs:
        n = len(kokoro.tokenize(ipa)) + 1
        if n > MAX_TOKENS:
            ipa, n = ipa[:MAX_TOKENS - 1], MAX_TOKENS
        if used + n > MAX_TOKENS and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append((word, ipa))
        used += n
    return [c for c in chunks if c]


def _groups(kokoro: Kokoro, chunk: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """Words spoken as one (espeak-ng folded a word with no phonemes of its own into the next)
    and their phonemes; trailing words without phonemes join the last group."""
    groups: list[tuple[list[str], str]] = []
    pending: list[str] = []
    for word, ipa in chunk:
        pending.append(word)
        if ipa:
            groups.append((pending, ipa))
            pending = []
    if pending and groups:
        groups[-1][0].extend(pending)
    elif pending:
        groups.append((pending, ""))
    return groups


def _share(group: list[str], start: float, end: float) -> list[tuple[str, float, float]]:
    """A group's span shared by its words in proportion to their letters."""
    letters = sum(len(w) for w in group) or 1
    out, at = [], start
    for w in group:
        part = (end - start) * len(w) / letters
        out.append((w, at, at + part))
        at += part
    return out


def model_word_times(kokoro: Kokoro, chunk: list[tuple[str, str]], frames: np.ndarray,
                     audio: np.ndarray) -> list[tuple[str, float, float]]:
    """Each word's (start, end) seconds from the model's frames per token of ``[0, *tokens, 0]``.

    The tokens were ``tokenize(" ".join(ipas))``, so walking the same phonemes
    word by word (a space token between words) finds each word's tokens; a
    word spans its phonemes' frames, without leading or trailing punctuation
    (a comma's frames are the pause after the word). The sound comes
    ``LEAD_FRAMES`` before its tokens' frames, and a call's last phoneme is
    often given frames of silence, so ends stop where the audio goes quiet.
    Example: frames ``[8, 2, 2, 3, 4, 3, 1]`` for ``[pad, ˈ, o, l, a, ",", pad]``
    time "Hola," from frame 8 - 3 to 19 - 3: 0.125 s to 0.4 s.
    """
    frame_s = FRAME_SAMPLES / SAMPLE_RATE
    bounds = np.maximum(np.concatenate([[0], np.cumsum(frames)]) - LEAD_FRAMES, 0) * frame_s
    loud = np.flatnonzero(np.abs(audio) > SILENCE)
    quiet_after = (loud[-1] + 1) / SAMPLE_RATE if len(loud) else 0.0
    space = len(kokoro.tokenize(" "))
    out: list[tuple[str, float, float]] = []
    at = 1  # the leading pad
    for i, (group, ipa) in enumerate(_groups(kokoro, chunk)):
        at += space if i else 0
        symbols = [ch for ch in ipa if ch in kokoro.vocab]
        first, last = 0, len(symbols)
        while first < last and symbols[first] in PUNCTUATION:
            first += 1
        while last > first and symbols[last - 1] in PUNCTUATION:
            last -= 1
        if first == last:  # only punctuation: the whole stretch
            first, last = 0, len(symbols)
        lo, hi = min(at + first, len(bounds) - 1), min(at + last, len(bounds) - 1)
        start = float(bounds[lo])
        out.extend(_share(group, start, max(min(float(bounds[hi]), quiet_after), start + frame_s)))
        at += len(symbols)
    return out


def word_times(kokoro: Kokoro, chunk: list[tuple[str, str]], audio: np.ndarray) -> list[tuple[str, float, float]]:
    """Each word's (start, end) seconds in ``audio``: its voiced stretch shared by phoneme count.

    Words espeak-ng folded into the next one (no phonemes of their own) share that
    word's span by letters, so every word gets a span.
    """
    loud = np.flatnonzero(np.abs(audio) > SILENCE)
    if not len(loud):
        return []
    first, last = loud[0] / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE
    groups: list[tuple[list[str], int]] = []  # words spoken as one, their token count
    pending: list[str] = []
    for word, ipa in chunk:
        pending.append(word)
        if ipa:
            groups.append((pending, len(kokoro.tokenize(ipa)) + 1))
            pending = []
    if pending:
        groups.append((pending, 1)) if not groups else groups[-1][0].extend(pending)
    total = sum(n for _, n in groups)
    out, at = [], first
    for group, n in groups:
        span = (last - first) * n / total
        letters = sum(len(w) for w in group)
        for w in group:
            part = span * len(w) / letters
            out.append((w, at, at + part))
            at += part
    return out
