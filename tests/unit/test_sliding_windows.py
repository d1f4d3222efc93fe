"""runtime/windows.py: the sliding per-key counter behind the admin lockout and the console's sign-in limit."""

from __future__ import annotations

from noxus_local.runtime.windows import SlidingWindows


def test_take_counts_up_to_the_limit_and_frees_as_the_window_slides() -> None:
    tries = SlidingWindows(window=60)
    assert [tries.take("a", 2, now=t) for t in (0.0, 10.0, 20.0)] == [True, True, False]
    assert tries.count("a", now=20.0) == 2 and tries.take("b", 2, now=20.0)  # keys are apart
    assert tries.retry_after("a", now=20.0) == 40  # the attempt at 0 leaves at 60
    assert tries.take("a", 2, now=60.5) and tries.count("a", now=60.5) == 2  # 0 left, 10 and 60.5 stay


def test_add_always_counts_and_idle_keys_are_forgotten_past_the_cap() -> None:
    tries = SlidingWindows(window=10, max_keys=3)
    for i in range(3):
        tries.add(f"old{i}", now=0.0)
    tries.add("a", now=15.0)  # a 4th key past the cap: the idle ones (nothing in the window) go
    tries.add("a", now=15.0)
    assert set(tries._events) == {"a"} and tries.count("a", now=15.0) == 2
    for i in range(4):  # all busy past the cap (a spray): start over rather than grow
        tries.add(f"busy{i}", now=16.0)
    assert len(tries._events) <= 3
