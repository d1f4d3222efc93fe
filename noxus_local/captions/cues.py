"""Readable cues from word-timed segments: what a viewer can read, when it is said.

Recognition segments are as long as the model likes (a 30 s window can be one
segment). Captions need short cues: at most ``max_lines`` lines of
``max_chars_per_line``, 0.7–6 s on screen, cut where a reader expects a cut
(sentence ends first, then commas, then pauses), never inside a word, slow
enough to read (``max_cps`` characters per second, Netflix's 17–20), and two
frames apart so a player shows a change between cues.

Hand-written: pysubs2 and srt only write/parse files; no well-kept library
re-segments word timings into cues (whisperX and stable-ts do, but pull torch
or faster-whisper).

Timed words come from recognition (``build_cues(transcript.segments)``) or from
speech synthesis, whose words are timed as they are spoken
(``cues_from_words(speech.words)``): the same cutting for both.

Example::

    cues = build_cues(transcript.segments, CueRules(max_chars_per_line=42))
    cues[0].lines == ("Hola a todos,",)
    cues_from_words(tts.speak("Hola a todos.", voice).words)[0].text == "Hola a todos."
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from noxus_local.speech.types import Segment, Word

SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "，", "、")


@dataclass(frozen=True)
class CueRules:
    """How cues are cut. Defaults follow common broadcast guidelines (BBC, Netflix)."""

    max_chars_per_line: int = 42
    max_lines: int = 2
    max_words_per_cue: int | None = None
    min_duration: float = 0.7
    max_duration: float = 6.0
    max_cps: float = 17.0
    pause: float = 0.5  # a silence at least this long ends a cue
    fps: float = 25.0

    @property
    def gap(self) -> float:
        """Two frames: the smallest gap a player shows as a change."""
        return 2.0 / self.fps

    @property
    def max_chars(self) -> int:
        return self.max_chars_per_line * self.max_lines


@dataclass(frozen=True)
class Cue:
    id: int
    start: float
    end: float
    lines: tuple[str, ...]
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The cue on one line (for JSON/TXT); ``lines`` keeps the layout."""
        return " ".join(self.lines)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "start": round(self.start, 3), "end": round(self.end, 3),
                "text": self.text, "lines": list(self.lines),
                "words": [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3),
                           "probability": round(w.probability, 3)} for w in self.words]}


def default_max_chars(width: int | None, height: int | None) -> int:
    """32 for portrait video (9:16 phones), 42 for landscape or audio.

    Example: ``default_max_chars(1080, 1920) == 32``.
    """
    if width and height and width < height:
        return 32
    return 42


def build_cues(segments: Iterable[Segment], rules: CueRules = CueRules()) -> list[Cue]:
    """Cut the words of ``segments`` into cues that follow ``rules``; empty segments give no cue
    (a segment without word timings shares its time among its words by length)."""
    return cues_from_words(_words(segments), rules)


def cues_from_words(words: Iterable[Word], rules: CueRules = CueRules()) -> list[Cue]:
    """Cut timed words, in order, into cues that follow ``rules``; blank words are dropped.

    Example: ``cues_from_words([Word("Hola.", 0.2, 0.6, 1.0), Word("Adiós.", 1.4, 1.9, 1.0)])``
    gives two cues (a sentence end closes a cue), ``("Hola.",)`` then ``("Adiós.",)``.
    """
    kept = [w for w in (replace(w, word=w.word.strip()) for w in words) if w.word]
    groups = _group(kept, rules)
    cues = [Cue(i, g[0].start, g[-1].end, wrap([w.word for w in g], rules), tuple(g))
            for i, g in enumerate(groups)]
    return _retime(cues, rules)


def _words(segments: Iterable[Segment]) -> list[Word]:
    out: list[Word] = []
    for seg in segments:
        if seg.words:
            out.extend(replace(w, word=w.word.strip()) for w in seg.words)
        else:
            out.extend(_spread(seg))
    return out


def _spread(seg: Segment) -> list[Word]:
    """A segment without word timings: its words share its time by length."""
    tokens = seg.text.split()
    total = sum(len(t) for t in tokens) or 1
    out, t = [], seg.start
    for token in tokens:
        d = (seg.end - seg.start) * len(token) / total
        out.append(Word(token, t, t + d, 0.0))
        t += d
    return out


def _group(words: Sequence[Word], rules: CueRules) -> list[list[Word]]:
    groups: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        if current and _breaks_before(current, word, rules):
            groups.append(current)
            current = []
        current.append(word)
        if _breaks_after(current, rules):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _breaks_before(current: list[Word], word: Word, rules: CueRules) -> bool:
    """Would ``word`` overflow the cue (size, words, duration) or follow a pause?"""
    texts = [w.word for w in current] + [word.word]
    return (word.start - current[-1].end >= rules.pause
            or word.end - current[0].start > rules.max_duration
            or (rules.max_words_per_cue is not None and len(texts) > rules.max_words_per_cue)
            or not _fits(texts, rules))


def _breaks_after(current: list[Word], rules: CueRules) -> bool:
    """Sentence ends always close a cue; a comma does once the cue is half full."""
    last = current[-1].word
    if last.endswith(SENTENCE_END):
        return True
    return last.endswith(CLAUSE_END) and _length([w.word for w in current]) >= rules.max_chars // 2


def _length(texts: Sequence[str]) -> int:
    return sum(len(t) for t in texts) + max(len(texts) - 1, 0)


def _fits(texts: Sequence[str], rules: CueRules) -> bool:
    if len(texts) == 1:
        return True  # a word longer than a line still gets its own cue: never cut mid-word
    return len(_greedy_lines(texts, rules.max_chars_per_line)) <= rules.max_lines


def _greedy_lines(texts: Sequence[str], width: int) -> list[list[str]]:
    lines: list[list[str]] = [[]]
    for t in texts:
        if lines[-1] and _length(lines[-1] + [t]) > width:
            lines.append([])
        lines[-1].append(t)
    return lines


def wrap(texts: Sequence[str], rules: CueRules) -> tuple[str, ...]:
    """Lines as even as possible (fewest lines first, then the shortest longest line).

    Example: ``wrap(["a", "bb", "cc", "d"], CueRules(max_chars_per_line=6))`` → ``("a bb", "cc d")``.
    """
    n = len(_greedy_lines(texts, rules.max_chars_per_line))
    if n <= 1:
        return (" ".join(texts),)
    best = _balanced(list(texts), n)
    return tuple(" ".join(line) for line in best)


def _balanced(texts: list[str], n: int) -> list[list[str]]:
    """Split into ``n`` lines minimising the longest (n ≤ 3, a handful of words: brute force)."""
    if n == 1:
        return [texts]
    best: list[list[str]] | None = None
    for cut in range(1, len(texts) - n + 2):
        rest = _balanced(texts[cut:], n - 1)
        candidate = [texts[:cut], *rest]
        if best is None or _worst(candidate) < _worst(best):
            best = candidate
    return best or [texts]


def _worst(lines: list[list[str]]) -> int:
    return max(_length(line) for line in lines)


def _retime(cues: list[Cue], rules: CueRules) -> list[Cue]:
    """Stretch short or fast cues into the silence after them; keep a two-frame gap."""
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        need = max(rules.min_duration, len(cue.text) / rules.max_cps)
        end = max(cue.end, min(cue.start + need, cue.start + rules.max_duration))
        if i + 1 < len(cues):
            end = min(end, cues[i + 1].start - rules.gap)
        end = max(end, cue.start + min(rules.min_duration, cue.end - cue.start))
        out.append(replace(cue, end=end))
    return _separate(out, rules)


def _separate(cues: list[Cue], rules: CueRules) -> list[Cue]:
    """Words said back to back leave no gap: start the next cue two frames after this one ends."""
    for i in range(1, len(cues)):
        prev, cue = cues[i - 1], cues[i]
        if cue.start < prev.end + rules.gap:
            cues[i] = replace(cue, start=prev.end + rules.gap, end=max(cue.end, prev.end + rules.gap + 0.04))
    return cues
