"""An explained score, 1 to 10, from signals a reader can check.

Each signal is a measured ``value`` (words per second, questions, cuts per
minute...) mapped to a ``strength`` from 0 to 1; the score is
``1 + 9 × Σ weight·strength / Σ weight``, and every signal is reported as a
reason with its value, weight and the points it contributed, so a client sees
why a clip ranks where it does. The weights are ``[clips] weight_*``.

Signals: the hook (clips/hook.py), self-containedness (no dangling connective
or pronoun at the start), speech density (words per second near a lively
pace), loudness dynamics (spread of the speech level and emphasised moments),
questions, numbers and lists, laughter and applause (seconds of each inside
the window and whether it ends on them: clips/sound_events.py), visual change
(shot cuts per minute) and a face on screen (share of sampled frames).

Example::

    evidence = Evidence(cuts=[12.0], faces=[(0.5, True), (1.0, True)], levels=Levels(times, db))
    scored = score_window(window, hook, evidence, Weights())
    scored.score, [r.signal for r in scored.reasons]   # 6.4, ["hook", "self_contained", ...]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from noxus_local.clips.candidates import Window
from noxus_local.clips.sound_events import EventSpans

DANGLING = frozenset("""and but so because also then therefore however which that this these those it he she they
him her them its or plus anyway second third fourth fifth next finally lastly
y pero entonces porque también tambien además ademas luego pues eso esto esa ese esos esas
él ella ellos ellas lo la le les o sino aunque que segundo segunda tercero tercera finalmente
después despues""".split())
NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten hundred thousand million first second
third fourth fifth percent uno una dos tres cuatro cinco seis siete ocho nueve diez cien mil millón millones
primero primera segundo segunda tercero tercera cuarto quinto por ciento""".split())
DIGIT = re.compile(r"[0-9]")
_WORD = re.compile(r"[^\w]+")
LIVELY_WPS = 2.8  # conversational speech is 2-3 words/s; faster reads as energetic, until it blurs
BLUR_WPS = 4.5
DB_SPREAD = 8.0  # a level spread of 8 dB (std over speech frames) is full strength
EMPHASIS_DB = 6.0  # a frame this far above the median speech level is an emphasised moment


@dataclass(frozen=True)
class Weights:
    hook: float = 3.0
    self_contained: float = 1.5
    density: float = 1.0
    loudness: float = 1.0
    questions: float = 1.0
    numbers: float = 1.0
    laughter_applause: float = 1.0
    visual_change: float = 0.5
    face: float = 1.0

    @classmethod
    def from_settings(cls, settings: Any) -> Weights:
        """From ``cfg.clips`` (``weight_<signal>`` fields)."""
        return cls(**{name: float(getattr(settings, f"weight_{name}")) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Levels:
    """The soundtrack's level: one dBFS value every ``step`` seconds (``levels_db``)."""

    times: np.ndarray
    db: np.ndarray


@dataclass(frozen=True)
class Evidence:
    """What the pictures and the sound say, over the whole source."""

    cuts: Sequence[float] = ()
    faces: Sequence[tuple[float, bool]] = ()  # (time, a face was seen)
    levels: Levels | None = None
    events: EventSpans | None = None  # laughter and applause; None = not listened for


@dataclass(frozen=True)
class Hook:
    strength: float  # 0-1
    reason: str
    source: str  # "llm" or "heuristic"
    line: str = ""  # the hooking sentence


@dataclass(frozen=True)
class Reason:
    signal: str
    value: Any
    strength: float
    weight: float
    contribution: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {"signal": self.signal, "value": self.value, "strength": round(self.strength, 3),
               "weight": self.weight, "contribution": round(self.contribution, 3)}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class Scored:
    window: Window
    score: float
    reasons: tuple[Reason, ...]
    hook: Hook
    notes: tuple[str, ...] = field(default_factory=tuple)


def levels_db(pcm: np.ndarray, rate: int = 16_000, step: float = 0.1) -> Levels:
    """RMS level in dBFS every ``step`` seconds of mono float PCM (−100 for digital silence)."""
    n = int(rate * step)
    frames = len(pcm) // n
    if frames == 0:
        return Levels(np.zeros(0), np.zeros(0))
    blocks = pcm[: frames * n].astype(np.float64).reshape(frames, n)
    rms = np.sqrt(np.mean(blocks ** 2, axis=1))
    return Levels(np.arange(frames) * step, 20 * np.log10(np.maximum(rms, 1e-5)))


def tokens(text: str) -> list[str]:
    """Lowercase words without punctuation: ``"¿Qué tal?"`` → ``["qué", "tal"]``."""
    return [t for t in _WORD.split(text.lower()) if t]


def self_contained(window: Window) -> tuple[str, float, str]:
    """(first word, strength, why): 1 for a fresh start, 0 for ``"And..."``/``"Pero..."``."""
    first = next(iter(tokens(window.sentences[0].text)), "")
    if first in DANGLING:
        return first, 0.0, f"starts with '{first}', which leans on earlier context"
    return first, 1.0, "starts a fresh sentence"


def density(window: Window) -> tuple[float, float]:
    """(words per second of the window, strength)."""
    wps = len(window.words) / max(window.duration, 1e-6)
    if wps <= BLUR_WPS:
        return round(wps, 2), min(1.0, wps / LIVELY_WPS)
    return round(wps, 2), max(0.0, 1.0 - (wps - BLUR_WPS) / 2.0)


def questions(window: Window) -> tuple[int, float]:
    n = sum(1 for s in window.sentences if s.text.rstrip().endswith(("?", "？")) or s.text.startswith("¿"))
    return n, min(1.0, n / 2)


def numbers(window: Window) -> tuple[int, float]:
    """Digits and number words (``3``, ``"tres"``, ``"first"``): lists and figures hold attention."""
    n = sum(1 for t in tokens(window.text) if DIGIT.search(t) or t in NUMBER_WORDS)
    return n, min(1.0, n / 3)


def loudness(window: Window, levels: Levels | None) -> tuple[dict[str, float] | None, float]:
    """({std_db, emphasis}, strength) over the window's speech frames (within 30 dB of its loudest)."""
    if levels is None or len(levels.times) == 0:
        return None, 0.0
    inside = (levels.times >= window.start) & (levels.times < window.end)
    db = levels.db[inside]
    db = db[db > db.max() - 30] if len(db) else db
    if len(db) < 3:
        return None, 0.0
    spread = float(np.std(db))
    emphasis = int(np.sum(np.diff((db > np.median(db) + EMPHASIS_DB).astype(np.int8)) == 1))
    strength = min(1.0, 0.7 * spread / DB_SPREAD + 0.3 * min(1.0, emphasis / 3))
    return {"std_db": round(spread, 2), "emphasis": emphasis}, strength


REACTION_FULL_S = 2.0  # this many seconds of laughter or applause inside a clip is full strength
MID_CLIP_SHARE = 0.6  # the strength of one that does not reach the clip's end (the payoff is the end)


def reaction(window: Window, events: EventSpans | None) -> tuple[dict[str, float | bool] | None, float]:
    """({applause_s, laughter_s, at_end}, strength): an audience reacting inside the clip, fuller when the
    clip ends on it. ``None`` value when the soundtrack was not listened to."""
    if events is None:
        return None, 0.0
    found = events.inside(window.start, window.end)
    heard = float(found["applause_s"]) + float(found["laughter_s"])
    strength = min(1.0, heard / REACTION_FULL_S) * (1.0 if found["at_end"] else MID_CLIP_SHARE)
    return found, strength


def visual_change(window: Window, cuts: Sequence[float]) -> tuple[float, float]:
    """(shot cuts per minute inside the window, strength; 6 a minute is full)."""
    n = sum(1 for t in cuts if window.start < t < window.end)
    per_minute = 60.0 * n / max(window.duration, 1e-6)
    return round(per_minute, 2), min(1.0, per_minute / 6.0)


def face_share(window: Window, faces: Sequence[tuple[float, bool]]) -> tuple[float | None, float]:
    seen = [found for t, found in faces if window.start <= t <= window.end]
    if not seen:
        return None, 0.0
    share = sum(seen) / len(seen)
    return round(share, 3), share


def score_window(window: Window, hook: Hook, evidence: Evidence, weights: Weights) -> Scored:
    """The window's score and its reasons, one per signal, in a fixed order."""
    first, contained, why = self_contained(window)
    wps, dense = density(window)
    level, loud = loudness(window, evidence.levels)
    asked, ask = questions(window)
    counted, count = numbers(window)
    heard, react = reaction(window, evidence.events)
    cpm, change = visual_change(window, evidence.cuts)
    share, face = face_share(window, evidence.faces)
    parts = [("hook", round(hook.strength * 10, 1), hook.strength, f"{hook.source}: {hook.reason}"),
             ("self_contained", first, contained, why), ("density", wps, dense, "words per second"),
             ("loudness", level, loud, "level spread (dB) and emphasised moments"),
             ("questions", asked, ask, ""), ("numbers", counted, count, "digits and number words"),
             ("laughter_applause", heard, react, "seconds of each in the clip; at_end: the clip ends on it"),
             ("visual_change", cpm, change, "shot cuts per minute"),
             ("face", share, face, "share of sampled frames with a face")]
    total = sum(getattr(weights, name) for name, *_ in parts) or 1.0
    reasons = tuple(Reason(name, value, strength, getattr(weights, name),
                           9.0 * getattr(weights, name) * strength / total, detail)
                    for name, value, strength, detail in parts)
    score = round(1.0 + sum(r.contribution for r in reasons), 1)
    return Scored(window, score, reasons, hook)
