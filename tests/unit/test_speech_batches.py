"""How VAD windows become batches: one encoder length per batch, short windows encoded shorter,
the first window's batch first (issue 10, item 2: batch the windows through generate together)."""

from noxus_local.speech.features import FRAMES
from noxus_local.speech.transcribe import MIN_FRAMES, encoder_frames, plan_batches


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
