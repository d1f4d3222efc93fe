"""Decoding a batch of windows: one ``generate`` for all of them, then the usual guards.

Whisper's decoding rules as openai-whisper and faster-whisper apply them:
beam search at temperature 0; a window whose text compresses too well
(zlib ratio > 2.4: a hallucinated loop) or whose average log-probability is
below −1.0 is decoded again, alone, by sampling at 0.2, 0.4, … 1.0 (best of
5), keeping the best attempt; a window the model thinks is silent
(no-speech probability > 0.6 with a low log-probability) yields nothing.
Windows are decoded without timestamp tokens (as faster-whisper's batched
mode does); a window's text is cut into sentence segments, timed by their words.

Example::

    decoded = decode_batch(whisper, encoded, mels, prompt)   # one Decoded per window
    sentence_parts(whisper, decoded[0].tokens, 12.4)          # [(0.0, 12.4, [tokens]), ...] per sentence
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from noxus_local.inference.models.whisper import WhisperModel

TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_THRESHOLD = 2.4
LOG_PROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
BEST_OF = 5
SENTENCE_ENDS = (".", "?", "!", "…", "。", "？", "！")


@dataclass(frozen=True)
class Decoded:
    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float

    @property
    def silent(self) -> bool:
        return self.no_speech_prob > NO_SPEECH_THRESHOLD and self.avg_logprob < LOG_PROB_THRESHOLD

    @property
    def needs_fallback(self) -> bool:
        return self.compression_ratio > COMPRESSION_RATIO_THRESHOLD or self.avg_logprob < LOG_PROB_THRESHOLD


def compression_ratio(text: str) -> float:
    """Bytes of the text over bytes of its zlib form: ~1.5 for speech, > 2.4 for a repeated loop."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def decode_batch(whisper: WhisperModel, encoded: Any, mels: np.ndarray, prompt: list[int],
                 beam_size: int = 5) -> list[Decoded]:
    """All windows through one beam-search ``generate``; the ones that fail the guards retried alone."""
    results = whisper.model.generate(encoded, [prompt] * len(mels), beam_size=beam_size, return_scores=True,
                                     return_no_speech_prob=True, max_length=448, suppress_blank=True)
    decoded = [_decoded(whisper, r.sequences_ids[0], r.scores[0], r.no_speech_prob, 0.0) for r in results]
    for i, first in enumerate(decoded):
        if first.needs_fallback and not first.silent:
            decoded[i] = _fallback(whisper, mels[i], prompt, first)
    return decoded


def _fallback(whisper: WhisperModel, mel: np.ndarray, prompt: list[int], first: Decoded) -> Decoded:
    import ctranslate2

    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[np.newaxis]))
    best = first
    for temperature in TEMPERATURES[1:]:
        results = whisper.model.generate(features, [prompt], beam_size=1, num_hypotheses=BEST_OF,
                                         sampling_topk=0, sampling_temperature=temperature, return_scores=True,
                                         return_no_speech_prob=True, max_length=448)
        r = results[0]
        tries = [_decoded(whisper, seq, score, r.no_speech_prob, temperature)
                 for seq, score in zip(r.sequences_ids, r.scores, strict=True)]
        candidate = max(tries, key=lambda d: (d.compression_ratio <= COMPRESSION_RATIO_THRESHOLD, d.avg_logprob))
        if _better(candidate, best):
            best = candidate
        if not best.needs_fallback:
            break
    return best


def _better(a: Decoded, b: Decoded) -> bool:
    a_ok, b_ok = a.compression_ratio <= COMPRESSION_RATIO_THRESHOLD, b.compression_ratio <= COMPRESSION_RATIO_THRESHOLD
    return (a_ok, a.avg_logprob) > (b_ok, b.avg_logprob)


def _decoded(whisper: WhisperModel, tokens: list[int], score: float, no_speech: float, temperature: float) -> Decoded:
    # ctranslate2's score is the log-probability over the length (length_penalty 1); Whisper's
    # avg_logprob divides the cumulative log-probability by length + 1 (the end token)
    length = len(tokens)
    avg = score * length / (length + 1)
    return Decoded(list(tokens), float(avg), float(no_speech), compression_ratio(whisper.decode(list(tokens))),
                   temperature)


def sentence_parts(whisper: WhisperModel, tokens: list[int], duration: float) -> list[tuple[float, float, list[int]]]:
    """A window's text tokens cut after each sentence end (``.`` ``?`` ``!`` ``…``): one segment per sentence.

    The times are the window's bounds; the segment's real bounds come from its words' timings.
    """
    from noxus_local.speech.words import split_words

    parts: list[tuple[float, float, list[int]]] = []
    current: list[int] = []
    for text, ids in split_words(whisper, tokens):
        current += ids
        if text.rstrip().endswith(SENTENCE_ENDS):
            parts.append((0.0, duration, current))
            current = []
    if current:
        parts.append((0.0, duration, current))
    return parts
