"""Speech windows in batches: how they are grouped, and how the batches run side by side.

A batch is one tensor, so its windows share one encoder length
(``encoder_frames``: a short window is not padded to 30 s). The batches then
run on ``workers`` threads at once (``run_batches``), each a whole
encode → generate → align of its own: on CPU the Whisper model has one
ctranslate2 replica per core (``inter_threads``), each on one thread,
because whisper-base's decoder steps are too small for two threads to share
one well. Measured on this 2-core CPU (a 30 s window, int8): greedy decoding
took 1.54 s on one replica with two threads, 1.03 s on one with one thread,
and two windows took 1.05 s on two one-thread replicas, so windows side by
side decode about 3x as fast as one at a time with both threads; beam 5
went from 2.31 s to 0.71 s per window. The replicas share one copy of the
weights (283 MB resident with 1 replica or 4). On CUDA there is one worker and
batches do the work, as faster-whisper's batched pipeline does.

The batch size is capped so every worker gets a batch: 2 windows on 2
workers are 2 batches of 1, not 1 batch of 2 while a core idles. And with
several workers the windows are made shorter where that evens the work out
(``balanced_windows``): 40 s of speech is two windows of ~20 s, one per
worker, not 30 s + 10 s, where one worker would wait for the other.

Example::

    balanced_windows([(0.0, 12.0), (12.5, 25.0), (25.3, 40.0)], workers=2)  # [(0.0, 25.0), (25.3, 40.0)]
    batches = plan_batches([(0, 30), (30, 60), (60, 68)], size=8, workers=2)   # [[0], [1], [2]]
    results = run_batches(lambda k, batch: len(batch), batches, workers=2)    # [1, 1, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from noxus_local.speech.features import FRAMES, HOP
from noxus_local.speech.windows import MAX_WINDOW, SAMPLE_RATE, speech_windows

DEFAULT_BATCH_SIZE = 8
# encoder lengths (mel frames, 100 per second): a window's own length + PAD, in steps of BUCKET, >= MIN
PAD_FRAMES, BUCKET_FRAMES, MIN_FRAMES = 200, 500, 2000
# windows are never made shorter than this to balance the work: with less context whisper-base misreads
MIN_BALANCED_WINDOW = 15.0
T = TypeVar("T")
B = TypeVar("B")


def encoder_frames(seconds: float) -> int:
    """Mel frames a window of ``seconds`` is encoded with: its length plus ~2 s of padding, rounded up to
    5 s, at least 20 s, at most Whisper's 30 s (3000 frames).

    ctranslate2's encoder takes ``[batch, n_mels, frames]`` for any frames up to 3000, and its cost
    grows with them (the decoder's cross-attention too), so a short window (the last one, a lone
    sentence between music) need not pay for 30 s. Not below 20 s: with 10 s of context whisper-base
    misread words that it read right with 15-30 s (tests/unit/test_speech_asr.py's two windows).
    Example: ``encoder_frames(9.0) == 2000``, ``encoder_frames(21.0) == 2500``, ``encoder_frames(29.5) == 3000``.
    """
    need = int(seconds * SAMPLE_RATE / HOP) + PAD_FRAMES
    return min(FRAMES, max(MIN_FRAMES, -(-need // BUCKET_FRAMES) * BUCKET_FRAMES))


def balanced_windows(spans: list[tuple[float, float]], workers: int) -> list[tuple[float, float]]:
    """Speech spans joined into windows (``speech_windows``) of the longest length, 30 s down to 15 s
    in 1 s steps, that finishes soonest on ``workers`` workers; one worker: plain 30 s windows. No
    more windows come out shorter than 15 s than the plain plan has (less context, more misreadings).

    The cost of a window is modelled as its seconds of speech (decoding) plus half its encoder
    seconds (``encoder_frames``), and the windows are dealt to whichever worker is free first, in
    order, as ``run_batches`` does. Example: 40 s of speech in three spans, 2 workers → two windows
    of ~20 s instead of 30 s + 10 s.
    """
    if workers <= 1 or not spans:
        return speech_windows(spans)
    best: tuple[float, list[tuple[float, float]]] | None = None
    short = _short(speech_windows(spans))
    length = MAX_WINDOW
    while length >= MIN_BALANCED_WINDOW:
        windows = speech_windows(spans, length)
        length -= 1.0
        if _short(windows) > short:  # no window cut below 15 s that the plain plan keeps longer
            continue
        load = [0.0] * workers
        for start, end in windows:
            free = load.index(min(load))
            load[free] += (end - start) + 0.5 * encoder_frames(end - start) * HOP / SAMPLE_RATE
        if best is None or max(load) < best[0] - 1e-6:
            best = (max(load), windows)
    assert best is not None
    return best[1]


def _short(windows: list[tuple[float, float]]) -> int:
    return sum(1 for start, end in windows if end - start < MIN_BALANCED_WINDOW)


def worker_batch_size(count: int, size: int, workers: int) -> int:
    """At most ``size`` of ``count`` windows a call, fewer where that gives every worker a batch.

    Example: ``worker_batch_size(2, 8, 2) == 1`` (one each), ``worker_batch_size(20, 8, 2) == 8``.
    """
    return max(1, min(size, -(-count // max(1, workers))))


def plan_batches(windows: list[tuple[float, float]], size: int, workers: int = 1) -> list[list[int]]:
    """Window indexes in batches of at most ``size`` that share one encoder length; the batch with
    the first window comes first (language detection reads it). With ``workers`` > 1 a batch holds
    at most ``ceil(len(windows) / workers)`` windows, so no worker waits with nothing to do.

    Example: windows of 30, 30, 8 and 30 s with size 8 → ``[[0, 1, 3], [2]]``; with workers 2 →
    ``[[0, 1], [3], [2]]``.
    """
    size = worker_batch_size(len(windows), size, workers)
    groups: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(windows):
        groups.setdefault(encoder_frames(end - start), []).append(i)
    ordered = sorted(groups.values(), key=lambda idx: idx[0])
    return [group[k:k + size] for group in ordered for k in range(0, len(group), size)]


def run_batches(work: Callable[[int, B], T], batches: Sequence[B], workers: int,
                done: Callable[[float], None] | None = None) -> list[T]:
    """``work(k, batches[k])`` for every batch on ``workers`` threads, results in batch order.

    Batches start in order (batch 0 first: it may hold what the others wait for, e.g. the
    language). The first error stops the batches not yet started and is raised once the running
    ones return; ``done(fraction)`` is called from this thread as batches finish (progress, 0-1).
    ctranslate2 releases the GIL while it computes, so the threads really run side by side.
    """
    if workers <= 1 or len(batches) <= 1:
        out = []
        for k, batch in enumerate(batches):
            out.append(work(k, batch))
            if done is not None:
                done((k + 1) / len(batches))
        return out
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whisper-batch") as pool:
        futures = [pool.submit(work, k, batch) for k, batch in enumerate(batches)]
        pending, finished = set(futures), 0
        while pending:
            ready, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failed = [f for f in ready if f.exception() is not None]
            if failed:
                for f in pending:
                    f.cancel()
                wait(pending)
                raise failed[0].exception()  # type: ignore[misc]
            finished += len(ready)
            if done is not None:
                done(finished / len(batches))
        return [f.result() for f in futures]
