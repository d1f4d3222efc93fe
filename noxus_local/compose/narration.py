"""The narration of a planned video: each scene's text spoken in turn, and the scenes timed by it.

One ``speak`` per scene (speech/tts.py) with the loaded voice: the scene's
audio, then ``GAP`` seconds of breath before the next scene, and ``TAIL``
seconds after the last. So a scene starts where its first word's audio starts
and ends where the next begins: the picture changes on the sentence, never in
the middle of one. Word times are moved to the whole video's clock, ready for
captions (``cues_from_words``) and for the timeline's scenes.

Example::

    with tts.open_voice(cache, {"ef_dora": 1.0}, "es") as voice:
        told = narrate(["Hola.", "Adiós."], voice, 1.0, cancel=token)
    told.spans[1].start, told.duration      # 1.32, 2.71  (0.35 s gap, 0.6 s tail)

A re-render speaks only what changed: ``kept`` (``SpeechStore``) keeps each scene's speech
in compose/cache.py's ``PartCache`` under the hash of its text, voice, speed, language and
engine, and ``narrate`` asks it before speaking::

    store = SpeechStore(cache, "acct_1", voice={"ef_dora": 1.0}, speed=1.0, language="es")
    told = narrate(["Hola.", "Adiós."], voice, 1.0, cancel=token, kept=store)
    store.made, store.reused                # (2, 0) the first time, (0, 2) the second
"""

from __future__ import annotations

import json
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.compose.cache import PartCache, part_key
from noxus_local.errors import LimitExceeded
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.synthesis import over_audio_limit
from noxus_local.speech.tts import Voice, speak
from noxus_local.speech.types import Word

GAP = 0.35  # seconds of silence between scenes
TAIL = 0.6  # after the last scene: the video ends on a settled frame, not on the last syllable


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Narration:
    samples: np.ndarray  # float32 mono, the whole video long
    sample_rate: int
    spans: tuple[Span, ...]  # one per scene, back to back from 0 to ``duration``
    timing_source: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.spans for w in s.words)


ENGINE_VERSION = 1  # bump when speech synthesis changes what the same text, voice and speed sound like


@dataclass(frozen=True)
class Spoken:
    """One scene's speech: what ``narrate`` needs of ``tts.Speech``, and what the cache keeps."""

    samples: np.ndarray
    sample_rate: int
    words: tuple[Word, ...]


class SpeechStore:
    """Scenes' speech kept in a ``PartCache`` for one account, voice, speed and language.

    ``get(text, make)`` returns the kept speech of ``text`` or makes it (``make()``) and keeps it;
    ``made`` and ``reused`` count the scenes synthesised and the scenes taken from the cache.
    """

    def __init__(self, cache: PartCache, account: str, voice: Mapping[str, float], speed: float, language: str,
                 engine: str = "") -> None:
        self.cache, self.account = cache, account
        self.inputs: dict[str, Any] = {"voice": dict(voice), "speed": speed, "language": language,
                                       "engine": engine, "version": ENGINE_VERSION}
        self.made = self.reused = 0

    def get(self, text: str, make: Callable[[], Spoken]) -> Spoken:
        key = part_key("narration", text=text, **self.inputs)
        made: list[Spoken] = []

        def fill(folder: Path) -> None:
            spoken = make()
            made.append(spoken)
            np.save(folder / "audio.npy", spoken.samples.astype(np.float32), allow_pickle=False)
            words = [[w.word, w.start, w.end, w.probability] for w in spoken.words]
            (folder / "speech.json").write_text(json.dumps({"rate": spoken.sample_rate, "words": words}), "utf-8")

        folder, hit = self.cache.get_or_make(self.account, "narration", key, fill)
        if not hit:
            self.made += 1
            return made[0]
        self.reused += 1
        meta = json.loads((folder / "speech.json").read_text("utf-8"))
        samples = np.load(folder / "audio.npy", allow_pickle=False)
        return Spoken(samples, int(meta["rate"]), tuple(Word(w, s, e, p) for w, s, e, p in meta["words"]))


def narrate(texts: Sequence[str], voice: Voice, speed: float, *, cancel: CancelToken,
            progress: Callable[[float], None] = lambda _: None, max_seconds: float = 0,
            kept: SpeechStore | None = None) -> Narration:
    """Every scene text spoken, timed on one clock; ``max_seconds`` (0 = none) is a 413 past it.
    With ``kept``, a scene spoken before with the same voice, speed and language is not spoken again."""
    parts: list[np.ndarray] = []
    spans: list[Span] = []
    rate, offset = 0, 0
    for i, text in enumerate(texts):
        def make(i: int = i, text: str = text) -> Spoken:
            said = speak(text, voice, speed, cancel=cancel, progress=lambda f: progress((i + f) / len(texts)))
            return Spoken(said.samples, said.sample_rate, said.words)

        speech = make() if kept is None else kept.get(text, make)
        rate = speech.sample_rate
        pad = int(round((TAIL if i == len(texts) - 1 else GAP) * rate))
        audio = np.concatenate([speech.samples.astype(np.float32), np.zeros(pad, np.float32)])
        start = offset / rate
        words = tuple(Word(w.word, round(w.start + start, 3), round(w.end + start, 3), w.probability)
                      for w in as_written(speech.words, text))
        offset += len(audio)
        if max_seconds and offset / rate > max_seconds:
            raise over_audio_limit(max_seconds, offset / rate, "synthesised_seconds")
        parts.append(audio)
        spans.append(Span(round(start, 3), round(offset / rate, 3), words))
    if not parts:
        raise LimitExceeded(details={"limit": "scenes", "reason": "nothing to narrate"})
    return Narration(np.concatenate(parts), rate, tuple(spans), voice.timing_source)


def as_written(words: Sequence[Word], text: str) -> tuple[Word, ...]:
    """The synthesised words regrouped as the script writes them, one per whitespace-separated token.

    Speech synthesis times the pieces it speaks, and cuts ``[0:v]`` into ``[0:`` and ``v]`` or
    ``{\\pos(0,0)}`` into two; captions must show the text as written, so the pieces of one token are
    joined (first start, last end), and a token nothing was spoken for (``;``, an emoji the voice
    skipped) gets an instant at the previous word's end. When the pieces do not spell the tokens
    in order, the words come back as they are.
    Example: ``as_written([Word("[0:", 0, .3, 1), Word("v]", .3, .5, 1)], "[0:v]")`` → ``(Word("[0:v]", 0, .5, 1),)``.
    """
    tokens, out, piece, at = text.split(), [], "", 0.0
    first: Word | None = None
    for word in words:
        while not piece and len(out) < len(tokens) and not tokens[len(out)].startswith(word.word):
            out.append(Word(tokens[len(out)], at, at, 1.0))  # nothing was spoken for this token
        if len(out) >= len(tokens) or not tokens[len(out)].startswith(piece + word.word):
            return tuple(words)
        first, piece = first or word, piece + word.word
        if piece == tokens[len(out)]:
            out.append(Word(piece, first.start, word.end, word.probability))
            piece, first, at = "", None, word.end
    if piece:
        return tuple(words)
    out += [Word(t, at, at, 1.0) for t in tokens[len(out):]]
    return tuple(out)


def write_wav(narration: Narration, path: Path) -> Path:
    """16-bit mono WAV, the renderer's narration input."""
    pcm = np.clip(np.rint(narration.samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(narration.sample_rate)
        w.writeframes(pcm.tobytes())
    return path
