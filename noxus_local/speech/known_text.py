"""Forced alignment of a known text (a script, lyrics, a corrected transcript) to its audio.

Every word of the given text comes back, in order, as written (numbers and
punctuation stay on their words: ``"3,5"``, ``"¿Listo?"``), with the timing
ctranslate2's ``align`` (cross-attention DTW) finds for its tokens. Audio up to
one 30 s window is aligned in one go. Longer audio is split at silences (VAD
windows); to know which words fall in which window, the windows are first
decoded greedily (batched, beam 1, no timestamps) and the given words are
matched to that rough transcript (difflib), so a window gets the words
spoken in it even where the rough transcript misheard some.

Example::

    align_text(whisper, pcm, "Hola, mundo. Son las 3,5.", "es", vad, cancel, None).words
    # (Word("Hola,", 0.3, 0.7, 0.9), Word("mundo.", 0.8, 1.3, 0.9), ...)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import numpy as np

from noxus_local.inference.models.vad import SileroVad
from noxus_local.inference.models.whisper import WhisperModel
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.batches import run_batches, worker_batch_size
from noxus_local.speech.features import FRAMES, HOP, log_mel
from noxus_local.speech.types import Segment, Transcript, Word
from noxus_local.speech.windows import SAMPLE_RATE, find_windows
from noxus_local.speech.words import time_words

BATCH = 4  # windows per call; the batches run side by side on the model's workers (speech/batches.py)
_NORM = re.compile(r"[^\w]+")


def align_text(whisper: WhisperModel, pcm: np.ndarray, text: str, language: str, vad: SileroVad,
               cancel: CancelToken, progress: Callable[[float], None] | None) -> Transcript:
    words = text.split()
    duration = len(pcm) / SAMPLE_RATE
    if not words:
        return Transcript(language, 1.0, duration, (), "no text to align")
    windows = find_windows(pcm, vad) or [(0.0, min(duration, 30.0))]
    if len(windows) > 1:
        owners = _assign(whisper, pcm, windows, words, language, cancel)
    else:
        owners = [0] * len(words)
    prompt = whisper.prompt(language)
    size = worker_batch_size(len(windows), BATCH, whisper.workers)
    batches = [list(range(first, min(first + size, len(windows)))) for first in range(0, len(windows), size)]

    def work(_k: int, batch: list[int]) -> list[Segment]:
        cancel.check()
        per_window = [[w for w, o in zip(words, owners, strict=True) if o == i] for i in batch]
        keep = [j for j, ws in enumerate(per_window) if ws]
        if not keep:
            return []
        return _align_batch(whisper, pcm, [windows[batch[j]] for j in keep], [per_window[j] for j in keep], prompt)

    aligned = [seg for part in run_batches(work, batches, whisper.workers, progress) for seg in part]
    segments = [Segment(i, s.start, s.end, s.text, s.words) for i, s in enumerate(aligned)]
    return Transcript(language, 1.0, duration, tuple(segments))


def _align_batch(whisper: WhisperModel, pcm: np.ndarray, windows: list[tuple[float, float]],
                 texts: list[list[str]], prompt: list[int]) -> list[Segment]:
    import ctranslate2

    clips = [pcm[int(s * SAMPLE_RATE):int(e * SAMPLE_RATE)] for s, e in windows]
    mels = np.stack([log_mel(c, whisper.model.n_mels) for c in clips])
    frames = [min(FRAMES, max(1, len(c) // HOP)) for c in clips]
    encoded = whisper.model.encode(ctranslate2.StorageView.from_array(mels), to_cpu=False)
    groups = [[_word_tokens(whisper, w) for w in ws] for ws in texts]
    times = time_words(whisper, encoded, prompt, groups, frames)
    segments = []
    for (offset, _end), ws, timed in zip(windows, texts, times, strict=True):
        out, last = [], offset
        for word, (start, end, prob) in zip(ws, timed, strict=True):
            begin = max(offset + start, last)
            out.append(Word(word, round(begin, 3), round(max(offset + end, begin), 3), round(prob, 4)))
            last = out[-1].end
        segments.append(Segment(len(segments), out[0].start, out[-1].end, " ".join(ws), tuple(out)))
    return segments


def _word_tokens(whisper: WhisperModel, word: str) -> list[int]:
    """The word's tokens as Whisper writes it mid-sentence (with its leading space)."""
    ids = whisper.tokenizer.encode(" " + word, add_special_tokens=False).ids
    return list(ids) or [whisper.tokens.eot - 1]


def _assign(whisper: WhisperModel, pcm: np.ndarray, windows: list[tuple[float, float]], words: list[str],
            language: str, cancel: CancelToken) -> list[int]:
    """Window index per given word: a rough greedy transcript per window, matched word by word."""
    import ctranslate2

    prompt = whisper.prompt(language, timestamps=False)

    def work(_k: int, first: int) -> list[tuple[str, int]]:
        cancel.check()
        batch = windows[first:first + size]
        mels = np.stack([log_mel(pcm[int(s * SAMPLE_RATE):int(e * SAMPLE_RATE)], whisper.model.n_mels)
                         for s, e in batch])
        results = whisper.model.generate(ctranslate2.StorageView.from_array(mels), [prompt] * len(batch),
                                         beam_size=1, max_length=448)
        return [(_norm(w), first + i) for i, r in enumerate(results)
                for w in whisper.decode(r.sequences_ids[0]).split()]

    size = worker_batch_size(len(windows), BATCH, whisper.workers)
    starts = list(range(0, len(windows), size))
    heard = [pair for part in run_batches(work, starts, whisper.workers) for pair in part]
    return _owners([_norm(w) for w in words], heard, len(windows))


def _owners(given: list[str], heard: list[tuple[str, int]], n_windows: int) -> list[int]:
    """Matched words take their heard word's window; an unmatched word stays with the word before it;
    never decreasing, so each window gets a contiguous run of the text."""
    owners: list[int | None] = [None] * len(given)
    matcher = difflib.SequenceMatcher(a=given, b=[w for w, _ in heard], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(a1 - a0):
                owners[a0 + k] = heard[min(b0 + k * max(1, b1 - b0) // max(1, a1 - a0), b1 - 1)][1]
    out, current = [], 0
    for owner in owners:
        current = max(current, min(current if owner is None else owner, n_windows - 1))
        out.append(current)
    return out


def _norm(word: str) -> str:
    return _NORM.sub("", word.casefold())
