"""Word timings: Whisper tokens grouped into words, timed by ctranslate2's ``align`` (cross-attention DTW).

``split_words`` groups text tokens into words the way faster-whisper does:
a token that decodes to an incomplete UTF-8 sequence joins the next one, a
token starting with a space starts a word, and punctuation is attached to the
word it belongs to (``¿`` to the next word, ``.`` ``,`` ``?`` to the previous),
so ``"¿Qué"`` and ``"3,5."`` keep their marks and timings. ``time_words``
runs the DTW for a batch of windows at once and turns its (token, frame)
path into each word's start, end (0.02 s frames) and mean token probability.

Example::

    groups = split_words(whisper, tokens)            # [("Hola", [2]), (" mundo.", [3, 4])]
    time_words(whisper, encoded, prompt, [[g[1] for g in groups]], [num_frames])
    # [[(0.32, 0.78, 0.97), (0.84, 1.6, 0.91)]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noxus_local.inference.models.whisper import SECONDS_PER_TIMESTAMP, WhisperModel

PREPENDED = "\"'“¿¡([{-«"
APPENDED = "\"'.。,，!！?？:：”)]}、»;…"
WordGroup = tuple[str, list[int]]


def split_words(whisper: WhisperModel, tokens: list[int]) -> list[WordGroup]:
    """Text tokens → (word text with its leading space, its tokens); punctuation merged into words."""
    pieces = _unicode_pieces(whisper, [t for t in tokens if t < whisper.tokens.eot])
    words: list[list[Any]] = []
    for text, ids in pieces:
        if not words or text.startswith(" ") or text.strip() in PREPENDED + APPENDED:
            words.append([text, list(ids)])
        else:
            words[-1][0] += text
            words[-1][1].extend(ids)
    return _merge_punctuation([(w[0], w[1]) for w in words])


def _unicode_pieces(whisper: WhisperModel, tokens: list[int]) -> list[WordGroup]:
    """Tokens decoded one by one, except where a character spans several tokens."""
    pieces: list[WordGroup] = []
    current: list[int] = []
    for token in tokens:
        current.append(token)
        text = whisper.tokenizer.decode(current)
        if "\ufffd" not in text:
            pieces.append((text, current))
            current = []
    if current:
        pieces.append((whisper.tokenizer.decode(current), current))
    return pieces


def _merge_punctuation(words: list[WordGroup]) -> list[WordGroup]:
    out: list[list[Any]] = []
    pending: list[Any] | None = None  # opening marks waiting for their word
    for text, ids in words:
        bare = text.strip()
        if bare and all(ch in PREPENDED for ch in bare) and not (bare and all(ch in APPENDED for ch in bare)):
            pending = [text, list(ids)] if pending is None else [pending[0] + bare, pending[1] + ids]
            continue
        if bare and all(ch in APPENDED for ch in bare) and out and pending is None:
            out[-1][0] += bare
            out[-1][1].extend(ids)
            continue
        if pending is not None:
            text, ids = pending[0] + text.lstrip(), pending[1] + ids
            pending = None
        out.append([text, list(ids)])
    if pending is not None:
        out.append(pending)
    return [(w[0], w[1]) for w in out]


def time_words(whisper: WhisperModel, encoded: Any, prompt: list[int], groups: list[list[list[int]]],
               num_frames: list[int]) -> list[list[tuple[float, float, float]]]:
    """Per window, per word: (start, end, probability), seconds from the window's start."""
    eot = whisper.tokens.eot
    text_tokens = [[t for word in window for t in word] for window in groups]
    results = whisper.model.align(encoded, prompt, [tokens + [eot] for tokens in text_tokens], num_frames,
                                  median_filter_width=7)
    timed = []
    for window, tokens, result, frames in zip(groups, text_tokens, results, num_frames, strict=True):
        timed.append(_word_times(window, len(tokens), result, frames * 0.01))
    return timed


def _word_times(window: list[list[int]], n_tokens: int, result: Any,
                duration: float) -> list[tuple[float, float, float]]:
    if not window:
        return []
    pairs = np.array(result.alignments, dtype=np.int64).reshape(-1, 2)
    probs = np.asarray(result.text_token_probs, dtype=np.float64)
    bounds = np.concatenate([[0], np.cumsum([len(w) for w in window])])
    if len(pairs) == 0:
        return [(0.0, duration, 0.0)] * len(window)
    text_idx, time_idx = pairs[:, 0], pairs[:, 1]
    jumps = np.concatenate([[True], np.diff(text_idx) != 0])
    jump_times = time_idx[jumps] * SECONDS_PER_TIMESTAMP  # first frame of each token (and of eot)
    jump_times = np.concatenate([jump_times, np.full(max(0, n_tokens + 1 - len(jump_times)), duration)])
    out = []
    for i in range(len(window)):
        start = float(min(jump_times[bounds[i]], duration))
        end = float(min(jump_times[bounds[i + 1]], duration))
        prob = float(np.mean(probs[bounds[i]:bounds[i + 1]])) if bounds[i + 1] > bounds[i] and len(probs) else 0.0
        out.append((start, max(end, start), prob))
    return out
