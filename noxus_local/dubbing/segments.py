"""A transcript's segments as the lines a dub speaks: each with its slot and the room after it.

Whisper gives one segment per sentence, timed by its words. A line is one of them, or a run of
very short ones joined (a 0.4 s "Sí." alone cannot hold a translated line), or a part of one split
at a silence of ``PAUSE`` seconds inside it (``split_at_silences``: Whisper may hear a whole dialogue
as one segment and stretch a word over the pause; a turn between speakers is such a silence, and
each speaker's line needs its own voice). Each line knows the
start of the next one (or the end of the media): the room a fitted line may borrow from the
silence after its slot, never past the next line.

Example::

    lines = lines_of(transcript.segments, duration=12.0)
    lines[0].start, lines[0].end, lines[0].room_end, lines[0].text   # 0.42, 3.1, 3.9, "Hola a todos."
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from noxus_local.speech.types import Segment, Word

MIN_LINE_SECONDS = 0.8  # a segment shorter than this joins its neighbour when the gap allows
MAX_JOIN_GAP = 0.35  # seconds of silence a join may swallow
GAP = 0.05  # a line ends at least this long before the next starts
PAUSE = 0.6  # seconds of silence inside a segment that split it into two lines


@dataclass(frozen=True)
class Line:
    id: int
    start: float  # the source speech's slot, seconds
    end: float
    text: str  # what was said, in the source language
    room_end: float  # the latest a fitted line may end: the next line's start less GAP, or the media's end

    @property
    def slot(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def room(self) -> float:
        return max(self.slot, self.room_end - self.start)


def lines_of(segments: Iterable[Segment], duration: float) -> list[Line]:
    """The lines of a transcript's segments, short ones joined, each with its room (see the module)."""
    spans: list[tuple[float, float, str]] = []
    for seg in segments:
        text = " ".join(seg.text.split())
        if not text or seg.end <= seg.start:
            continue
        if spans and _joins(spans[-1], seg):
            start, _end, before = spans[-1]
            spans[-1] = (start, seg.end, f"{before} {text}")
        else:
            spans.append((seg.start, seg.end, text))
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < MIN_LINE_SECONDS \
            and spans[-1][0] - spans[-2][1] <= MAX_JOIN_GAP:  # a short last one joins the one before
        (start, _e, before), (_s, end, text) = spans[-2], spans[-1]
        spans[-2:] = [(start, end, f"{before} {text}")]
    out = []
    for i, (start, end, text) in enumerate(spans):
        room_end = spans[i + 1][0] - GAP if i + 1 < len(spans) else max(duration, end)
        out.append(Line(i, round(start, 3), round(end, 3), text, round(max(room_end, end), 3)))
    return out


def split_at_silences(segments: Iterable[Segment], pcm: np.ndarray, rate: int = 16_000,
                      pause: float = PAUSE, frame: float = 0.02) -> list[Segment]:
    """Each segment cut at every silence of ``pause`` seconds or more inside it (20 ms frames quieter
    than 1/30 of its loudest, speech on both sides); a word goes to the part its end falls in (Whisper
    stretches the first word after a pause back over it). A part without words is not cut off; a
    segment without words, or with music under the pause, is kept whole.

    Example: "Hola, me llamo Ana. Yo me llamo Pedro." heard as one segment, 1.6 s of silence between
    the two sentences → two segments, 0.11-2.63 s and 4.23-6.93 s.
    """
    hop = max(1, int(frame * rate))
    need = max(1, int(round(pause / frame)))
    out: list[Segment] = []
    for seg in segments:
        a, b = int(seg.start * rate), min(len(pcm), int(seg.end * rate))
        n = (b - a) // hop
        if not seg.words or n < 2 * need:
            out.append(seg)
            continue
        rms = np.sqrt(np.mean(np.square(pcm[a:a + n * hop].reshape(n, hop)), axis=1))
        quiet = rms < rms.max() / 30
        runs = _runs(quiet, need)
        cuts = [(seg.start + i * frame, seg.start + j * frame) for i, j in runs]
        groups: list[list[Word]] = [[] for _ in range(len(cuts) + 1)]
        for word in seg.words:
            groups[sum(1 for lo, hi in cuts if word.end > (lo + hi) / 2)].append(word)
        bounds = [seg.start, *[x for cut in cuts for x in cut], seg.end]
        parts = [(bounds[2 * k], bounds[2 * k + 1], words) for k, words in enumerate(groups)]
        merged: list[tuple[float, float, list[Word]]] = []
        for start, end, words in parts:  # a part without words joins the one before (or after)
            if merged and (not words or not merged[-1][2]):
                merged[-1] = (merged[-1][0], end, merged[-1][2] + words)
            else:
                merged.append((start, end, words))
        if len(merged) < 2:
            out.append(seg)
            continue
        for start, end, words in merged:
            text = "".join(w.word if w.word.startswith(" ") else f" {w.word}" for w in words).strip()
            out.append(replace(seg, start=round(float(start), 3), end=round(float(end), 3), text=text,
                               words=tuple(words)))
    return out


def _runs(flags: np.ndarray, need: int) -> list[tuple[int, int]]:
    """The runs of True at least ``need`` long with False on both sides, as (first, past-last) indices."""
    runs, i, n = [], 0, len(flags)
    while i < n:
        if flags[i]:
            j = i
            while j < n and flags[j]:
                j += 1
            if i > 0 and j < n and j - i >= need:
                runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def tighten(lines: list[Line], pcm: np.ndarray, rate: int = 16_000, frame: float = 0.02) -> list[Line]:
    """Each line's slot shrunk to the sound inside it (Whisper's segment bounds run into the pauses
    around a sentence): the first and last 20 ms frame louder than 1/30 of the line's loudest. Never
    grows a slot; a line with no loud frame is kept as it was; rooms follow the new starts.

    Example: a line timed 0.11-3.17 s whose speech sounds from 0.50 to 2.63 s → 0.50-2.64 s.
    """
    hop = max(1, int(frame * rate))
    tight = []
    for line in lines:
        a, b = int(line.start * rate), min(len(pcm), int(line.end * rate))
        n = (b - a) // hop
        if n < 2:
            tight.append((line.start, line.end))
            continue
        rms = np.sqrt(np.mean(np.square(pcm[a:a + n * hop].reshape(n, hop)), axis=1))
        loud = np.flatnonzero(rms > rms.max() / 30)
        tight.append((line.start + loud[0] * frame, line.start + (loud[-1] + 1) * frame) if len(loud)
                     else (line.start, line.end))
    out = []
    for i, (line, (start, end)) in enumerate(zip(lines, tight, strict=True)):
        room_end = tight[i + 1][0] - GAP if i + 1 < len(lines) else line.room_end
        out.append(Line(line.id, round(start, 3), round(end, 3), line.text, round(max(room_end, end), 3)))
    return out


def _joins(last: tuple[float, float, str], seg: Segment) -> bool:
    start, end, _text = last
    short = end - start < MIN_LINE_SECONDS or seg.end - seg.start < MIN_LINE_SECONDS
    return short and seg.start - end <= MAX_JOIN_GAP
