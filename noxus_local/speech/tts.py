"""Speech synthesis as plain functions: text + a voice → audio and word timings, whole or streamed.

``open_voice`` loads a voice (Kokoro with one voice's style or a weighted mix,
or Piper's single voice) from the model cache and holds its model for the
block; ``speak`` returns the whole ``Speech``; ``stream`` yields one ``Chunk``
per sentence or pause as soon as it exists (a streamed HTTP answer writes each
one out). Neither knows of jobs or HTTP: they take a cancel token and a
progress callback that gets a fraction. The engine below is speech/synthesis.py
(pause tags, sentences, phonemes, the model's own word durations).

Words are ``speech.types.Word`` like recognition's (probability 1.0: we know
what was said), so captions cut synthesised speech exactly as recognised speech.

Example::

    with open_voice(cache, {"ef_dora": 1.0}) as voice:
        speech = speak("Hola. [pause:0.5] ¿Qué tal?", voice, 1.0, cancel=token, progress=print)
    speech.duration, speech.words[0]     # 2.1, Word("Hola.", 0.2, 0.6, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from noxus_local.inference.models.kokoro import SAMPLE_RATE, Kokoro, load_voice, mix_voices
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.synthesis import MODEL_DURATIONS, TIMING_SOURCE, over_audio_limit, pieces
from noxus_local.speech.types import Word
from noxus_local.speech.voice_catalog import PIPER_VOICES, VOICES

Progress = Callable[[float], None]


def _ignore(_: float) -> None:
    return None


@dataclass(frozen=True)
class Voice:
    """A loaded voice: the model that speaks, its style vector (None for Piper), its language."""

    engine: Any  # Kokoro or PiperJoe, loaded
    style: np.ndarray | None
    language: str  # espeak-ng's tag: the language the text is read in

    @property
    def timing_source(self) -> str:
        """``model_durations`` when Kokoro's graph gives its own durations, else estimated."""
        timed = isinstance(self.engine, Kokoro) and self.engine.has_durations
        return MODEL_DURATIONS if timed else TIMING_SOURCE


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Chunk:
    """One sentence's audio (or a pause's silence: ``sentence`` None) and its words, in order;
    ``start`` and the words' times are seconds from the start of the whole speech."""

    samples: np.ndarray  # float32 mono at ``sample_rate``
    start: float
    sentence: str | None
    words: tuple[Word, ...]
    sample_rate: int = SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono at ``sample_rate``
    sentences: tuple[Sentence, ...]
    words: tuple[Word, ...]
    timing_source: str
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@contextmanager
def open_voice(models: Any, weights: Mapping[str, float], language: str) -> Iterator[Voice]:
    """The voice of ``weights`` (one voice id → 1.0, or a mix) reading ``language``, its model held
    in the cache ``models`` (inference/cache.py ``ModelCache``) for the block.

    espeak-ng is checked first (503 naming it before any model loads); a voice whose files are
    missing is a 503 naming its fetch command. Example: ``open_voice(cache, {"ef_dora": 0.7,
    "em_alex": 0.3}, "es")``.
    """
    from noxus_local.speech.phonemes import phonemizer

    phonemizer()
    if next(iter(weights)) in PIPER_VOICES:  # a Piper voice speaks alone
        from noxus_local.inference.models.piper import PiperJoe

        with models.use(PiperJoe) as piper:
            yield Voice(piper, None, language)
        return
    with models.use(Kokoro) as kokoro:
        root = kokoro.model_dir.parent
        style = load_voice(root, next(iter(weights))) if len(weights) == 1 else mix_voices(root, dict(weights))
        yield Voice(kokoro, style, language)


def default_language(weights: Mapping[str, float], saved_mix: bool = False) -> str:
    """The language a voice reads by default: an inline mix its first voice's, a saved one its
    dominant voice's. Example: ``default_language({"ef_dora": 0.3, "af_heart": 0.7}) == "es"``."""
    lead = max(weights, key=lambda v: weights[v]) if saved_mix else next(iter(weights))
    return VOICES[lead].language


def stream(text: str, voice: Voice, speed: float = 1.0, *, cancel: CancelToken,
           progress: Progress = _ignore, max_seconds: float = 0) -> Iterator[Chunk]:
    """The speech of ``text``, one sentence or pause at a time, in order.

    ``max_seconds`` (0 = none) stops with a 413 ``LimitExceeded`` before a chunk that would pass
    it, so nothing past the limit is ever handed out.
    """
    offset = 0
    for audio, sentence, words in pieces(voice.engine, voice.style, text, voice.language, speed,
                                         lambda pct: progress(pct / 100), cancel.check):
        if max_seconds and offset + len(audio) > max_seconds * SAMPLE_RATE:
            raise over_audio_limit(max_seconds, (offset + len(audio)) / SAMPLE_RATE, "synthesised_seconds")
        start = offset / SAMPLE_RATE
        timed = tuple(Word(w, round(float(start + a), 3), round(float(start + b), 3), 1.0) for w, a, b in words)
        yield Chunk(audio, start, sentence, timed)
        offset += len(audio)


def collect(chunks: Iterable[Chunk], timing_source: str = TIMING_SOURCE) -> Speech:
    """One ``Speech`` from the chunks of ``stream`` (a caller that also sends them on collects them)."""
    parts, sentences, words = [], [], []
    for chunk in chunks:
        if chunk.sentence is not None:
            sentences.append(Sentence(chunk.sentence, round(chunk.start, 3), round(chunk.end, 3)))
            words.extend(chunk.words)
        parts.append(chunk.samples)
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return Speech(samples, tuple(sentences), tuple(words), timing_source)


def speak(text: str, voice: Voice, speed: float = 1.0, *, cancel: CancelToken, progress: Progress = _ignore,
          max_seconds: float = 0) -> Speech:
    """The whole speech of ``text``: samples, sentences and words with their times.

    Example: ``speak("Hola a todos.", voice, cancel=CancelToken()).words[0].word == "Hola"``.
    """
    chunks = stream(text, voice, speed, cancel=cancel, progress=progress, max_seconds=max_seconds)
    return collect(chunks, voice.timing_source)
