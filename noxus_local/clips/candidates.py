"""Candidate clips from timed words: whole sentences, inside the duration bounds, never a cut word.

A sentence ends at a word that ends with ``.?!…`` (captions/cues.py ``SENTENCE_END``)
or before a pause of ``LONG_PAUSE`` seconds (Whisper leaves out a full stop now and
then). A window starts at a sentence start that follows a pause (or the start of
the speech) and ends at a later sentence end, so it is ``min_duration`` to
``max_duration`` long; its times are its first word's start and its last
word's end, so no word is cut. ``select`` keeps the best-scored windows that do
not overlap, greedily, best first.

Example::

    sentences = split_sentences(transcript.words)
    windows = candidate_windows(sentences, 15.0, 60.0)
    best = select(scored, key=lambda c: c.score, max_clips=3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from noxus_local.captions.cues import SENTENCE_END
from noxus_local.speech.types import Word

LONG_PAUSE = 1.2  # a silence this long ends a sentence even without punctuation
START_PAUSE = 0.15  # a window starts only after at least this much silence (or at the very first word)
# Whisper's word times abut (the next word starts where the last ended, silence or not) and are off
# by a tenth or two, so the silence between two sentences is looked for in the sound this far around it
SLACK = 0.35
EDGE = 0.3  # a clip's first and last sentences keep up to this much of the silence around them
TRAIL = ("\"", "'", ")", "»", "”", "’")


@dataclass(frozen=True)
class Sentence:
    words: tuple[Word, ...]
    pause_before: float  # seconds of silence before the first word (inf for the first sentence)
    cut_before: float | None = None  # where a clip starting here starts: inside the silence before it
    cut_after: float | None = None  # where a clip ending here ends: inside the silence after it

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return " ".join(w.word.strip() for w in self.words).strip()


@dataclass(frozen=True)
class Window:
    """A run of whole sentences: ``sentences[first:last + 1]`` of the source."""

    sentences: tuple[Sentence, ...]

    @property
    def start(self) -> float:
        first = self.sentences[0]
        return first.start if first.cut_before is None else first.cut_before

    @property
    def end(self) -> float:
        last = self.sentences[-1]
        return last.end if last.cut_after is None else last.cut_after

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.sentences for w in s.words)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


def ends_sentence(word: str) -> bool:
    """``"mundo."`` and ``"¿qué?"`` end a sentence; ``"3.5"`` inside a sentence does not end it."""
    return word.strip().rstrip("".join(TRAIL)).endswith(SENTENCE_END)


def split_sentences(words: Sequence[Word]) -> list[Sentence]:
    """Sentences of ``words`` in order; every word lands in exactly one sentence.

    Example: words of ``"Hola. ¿Qué tal?"`` → two sentences, ``"Hola."`` and ``"¿Qué tal?"``.
    """
    sentences: list[Sentence] = []
    current: list[Word] = []
    for i, word in enumerate(words):
        if not word.word.strip():
            continue
        current.append(word)
        gap = words[i + 1].start - word.end if i + 1 < len(words) else 0.0
        if ends_sentence(word.word) or gap >= LONG_PAUSE or i + 1 == len(words):
            before = current[0].start - sentences[-1].end if sentences else float("inf")
            sentences.append(Sentence(tuple(current), before))
            current = []
    return sentences


def quiet_spans(times: Sequence[float], db: Sequence[float], step: float, below_speech: float = 25.0,
                min_seconds: float = 0.1) -> list[tuple[float, float]]:
    """The silences of a level track (dBFS every ``step`` s): frames ``below_speech`` dB under the
    speech level (the 90th percentile), at least ``min_seconds`` long.

    Example: levels −20 dB with a −90 dB run from 2.0 to 2.5 s → ``[(2.0, 2.5)]``.
    """
    if not len(db):
        return []
    ordered = sorted(db)
    floor = ordered[int(0.9 * (len(ordered) - 1))] - below_speech
    spans: list[tuple[float, float]] = []
    begin: float | None = None
    for t, level in zip(times, db, strict=True):
        if level < floor and begin is None:
            begin = float(t)
        elif level >= floor and begin is not None:
            spans.append((begin, float(t)))
            begin = None
    if begin is not None:
        spans.append((begin, float(times[-1]) + step))
    return [(a, b) for a, b in spans if b - a >= min_seconds - 1e-9]


def _silence_between(end: float, start: float, quiet: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The largest silence overlapping ``[end − SLACK, start + SLACK]``, clipped to it."""
    lo, hi = end - SLACK, start + SLACK
    best = max(((max(a, lo), min(b, hi)) for a, b in quiet if a < hi and b > lo), key=lambda s: s[1] - s[0],
               default=None)
    return best if best is not None and best[1] > best[0] else None


def with_pauses(sentences: Sequence[Sentence], quiet: Sequence[tuple[float, float]],
                total: float | None = None) -> list[Sentence]:
    """Sentences whose pauses and cut points come from the sound's silences (``quiet_spans``):
    the cut between two sentences is the middle of the silence between them, so no word is cut
    however the recogniser timed it. ``total`` (the audio's seconds) bounds the last cut.
    """
    out: list[Sentence] = []
    for i, sentence in enumerate(sentences):
        if i == 0:
            out.append(replace(sentence, cut_before=max(0.0, sentence.start - EDGE)))
            continue
        prev = out[-1]
        gap = _silence_between(prev.end, sentence.start, quiet)
        pause = gap[1] - gap[0] if gap else 0.0
        cut = (gap[0] + gap[1]) / 2 if gap else (prev.end + sentence.start) / 2
        out[-1] = replace(prev, cut_after=min(cut, prev.end + EDGE) if gap else cut)
        out.append(replace(sentence, pause_before=pause, cut_before=max(cut, sentence.start - EDGE) if gap else cut))
    if out:
        end = out[-1].end + EDGE
        out[-1] = replace(out[-1], cut_after=min(end, total) if total else end)
    return out


def candidate_windows(sentences: Sequence[Sentence], min_duration: float, max_duration: float) -> list[Window]:
    """Every window of whole sentences from ``min_duration`` to ``max_duration`` seconds that starts
    after a pause; for each start, each admissible end (the scorer picks among them).

    Example: sentences of 6 s each with pauses, bounds 10–20 → windows of 2 and 3 sentences.
    """
    windows: list[Window] = []
    for i, first in enumerate(sentences):
        if first.pause_before < START_PAUSE:
            continue
        for j in range(i, len(sentences)):
            span = sentences[j].end - first.start
            if span > max_duration:
                break
            if span >= min_duration:
                windows.append(Window(tuple(sentences[i:j + 1])))
    return windows


T = TypeVar("T")


def select(items: Sequence[T], window: Callable[[T], Window], score: Callable[[T], float], max_clips: int,
           threshold: float = 0.0, tie: Callable[[T], float] = lambda it: 0.0) -> list[T]:
    """The best items at or above ``threshold`` whose windows do not overlap, best first (greedy);
    equal scores go to the higher ``tie`` (the tool passes the hook), then the earlier start.

    Example: scores 9 (0–30 s), 8 (20–50 s), 7 (40–70 s) → the 9 and the 7.
    """
    chosen: list[T] = []
    for item in sorted(items, key=lambda it: (-score(it), -tie(it), window(it).start)):
        if len(chosen) >= max_clips:
            break
        if score(item) < threshold:
            break
        if all(not window(item).overlaps(window(c)) for c in chosen):
            chosen.append(item)
    return chosen
