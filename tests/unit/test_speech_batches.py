"""How VAD windows become batches: one encoder length per batch, short windows encoded shorter,
the first window's batch first, and batches running side by side on the CPU's one-threaded replicas
(issue 10, item 2: batch the windows through generate together)."""

import threading
import time

import pytest

from noxus_local.speech.batches import (
    MIN_BALANCED_WINDOW,
    MIN_FRAMES,
    balanced_windows,
    encoder_frames,
    plan_batches,
    run_batches,
)
from noxus_local.speech.features import FRAMES
from noxus_local.speech.windows import speech_windows


def test_encoder_frames_pad_round_up_and_stay_within_whisper_limits():
    assert encoder_frames(29.5) == encoder_frames(30.0) == FRAMES
    assert encoder_frames(21.0) == 2500  # 21 s + 2 s of padding, rounded up to 5 s
    assert encoder_frames(9.0) == encoder_frames(0.3) == MIN_FRAMES == 2000
    assert all(encoder_frames(s / 10) % 500 == 0 and encoder_frames(s / 10) >= s * 10 for s in range(1, 301))


def test_batches_share_one_length_keep_order_and_respect_the_size():
    windows = [(0.0, 30.0), (30.0, 60.0), (60.0, 68.0), (70.0, 100.0)]
    assert plan_batches(windows, 8) == [[0, 1, 3], [2]]
    assert plan_batches(windows, 2) == [[0, 1], [3], [2]]
    short_first = [(0.0, 5.0), (10.0, 40.0), (40.0, 70.0)]
    assert plan_batches(short_first, 8) == [[0], [1, 2]]  # language detection reads window 0's batch
    many = [(i * 30.0, i * 30.0 + 29.0) for i in range(20)]
    batches = plan_batches(many, 8)
    assert [len(b) for b in batches] == [8, 8, 4] and sorted(i for b in batches for i in b) == list(range(20))


def test_every_worker_gets_a_batch():
    windows = [(0.0, 30.0), (30.0, 60.0), (60.0, 68.0), (70.0, 100.0)]
    assert plan_batches(windows, 8, workers=2) == [[0, 1], [3], [2]]
    assert plan_batches(windows[:2], 8, workers=2) == [[0], [1]]  # not one batch of 2 while a core idles
    assert plan_batches(windows[:2], 8, workers=1) == [[0, 1]]


def test_balanced_windows_even_out_the_work_between_workers():
    spans = [(0.0, 12.0), (12.5, 25.0), (25.3, 40.0)]
    assert balanced_windows(spans, 1) == speech_windows(spans) == [(0.0, 25.0), (25.3, 40.0)]
    two = balanced_windows(spans, 2)
    assert two == [(0.0, 25.0), (25.3, 40.0)]
    # 40 s without a pause long enough to cut at: 30 s windows would be 30 + 10; balanced, two of 20
    steady = [(float(i), i + 0.9) for i in range(40)]
    assert [round(e - s) for s, e in speech_windows(steady)] == [30, 10]
    lengths = [e - s for s, e in balanced_windows(steady, 2)]
    assert len(lengths) == 2 and max(lengths) <= 21 and min(lengths) >= MIN_BALANCED_WINDOW
    # never shorter than 15 s to balance: 16 s of speech stays one window
    assert len(balanced_windows([(0.0, 8.0), (8.2, 16.0)], 2)) == 1


def test_batches_run_side_by_side_in_order_and_the_first_error_stops_the_rest():
    barrier = threading.Barrier(2, timeout=10)  # passes only when two batches run at the same time

    def together(k, batch):
        barrier.wait()
        return k, batch

    assert run_batches(together, ["a", "b"], workers=2) == [(0, "a"), (1, "b")]
    started, finished = [], []

    def failing(k, batch):
        started.append(k)
        if k == 0:
            raise RuntimeError("boom")
        time.sleep(0.05)
        return k

    with pytest.raises(RuntimeError, match="boom"):
        run_batches(failing, list(range(20)), workers=2, done=finished.append)
    assert len(started) < 20 and 0 in started  # the batches not yet started never ran
    assert run_batches(lambda k, b: b * 2, [1, 2, 3], workers=1, done=finished.append) == [2, 4, 6]
