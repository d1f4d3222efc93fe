"""Steps as data: declared weights → the job's progress, step states, and how often they are stored."""

import pytest

from noxus_local.errors import JobCancelled, ProcessingTimeout
from noxus_local.runtime.steps import Step, StepTracker, plan

STEPS = (Step("probe", 1), Step("transcribe", 6), Step("render", 3))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def test_overall_progress_is_the_weighted_sum_of_the_steps():
    tracker = StepTracker(STEPS)
    assert tracker.overall() == 0
    with tracker.step("probe"):
        pass
    assert tracker.overall() == 10  # 1 of 10 weight units done
    with tracker.step("transcribe") as step:
        step.progress(0.5)
        assert tracker.overall() == 40  # 10 + 6 * 50 / 10
    with tracker.step("render") as step:
        step.progress(1)
        assert tracker.overall() == 100


def test_a_step_records_running_then_succeeded_with_its_times():
    tracker = StepTracker(STEPS, clock=Clock())
    with tracker.step("probe"):
        running = tracker.snapshot()[0]
        assert (running["status"], running["started_at"], running["finished_at"]) == ("running", 1001.0, None)
    done = tracker.snapshot()[0]
    assert (done["status"], done["progress"], done["started_at"], done["finished_at"], done["error"]) == (
        "succeeded", 100, 1001.0, 1002.0, None)
    assert [s["status"] for s in tracker.snapshot()[1:]] == ["pending", "pending"]


def test_an_exception_closes_the_step_failed_with_its_error_and_propagates():
    tracker = StepTracker(STEPS)
    with tracker.step("probe"):
        pass
    with pytest.raises(ProcessingTimeout), tracker.step("transcribe") as step:
        step.progress(0.3)
        raise ProcessingTimeout()
    failed = tracker.snapshot()[1]
    assert (failed["status"], failed["progress"], failed["error"]["code"]) == ("failed", 30, "processing_timeout")
    assert failed["finished_at"] is not None


def test_a_crash_is_recorded_as_internal_error_without_internals():
    tracker = StepTracker(STEPS)
    with pytest.raises(KeyError), tracker.step("probe"):
        raise KeyError("/secret/path")
    assert tracker.snapshot()[0]["error"] == {"code": "internal_error", "message": "internal_error"}


def test_cancel_closes_the_running_step_cancelled():
    tracker = StepTracker(STEPS)
    with pytest.raises(JobCancelled), tracker.step("probe"):
        raise JobCancelled()
    assert tracker.snapshot()[0]["status"] == "cancelled"


def test_close_at_the_end_skips_steps_that_never_ran():
    tracker = StepTracker(STEPS)
    with tracker.step("probe"):
        pass
    steps = tracker.close("succeeded")
    assert [s["status"] for s in steps] == ["succeeded", "skipped", "skipped"]
    assert tracker.overall() == 100  # skipped steps count as done


def test_close_on_failure_closes_the_step_left_running():
    tracker = StepTracker(STEPS)
    tracker.progress(0.2, "transcribe")  # the older callback enters a declared step
    steps = tracker.close("failed", RuntimeError("boom"))
    assert [s["status"] for s in steps] == ["skipped", "failed", "skipped"]
    assert steps[1]["error"]["code"] == "internal_error"


def test_an_undeclared_step_of_a_tool_with_declared_steps_is_a_bug():
    with pytest.raises(ValueError, match="not declared"):
        StepTracker(STEPS).step("upload").__enter__()


def test_older_tools_without_declared_steps_report_overall_progress_themselves():
    tracker = StepTracker()
    tracker.progress(0.3, "decode")
    tracker.progress(0.7, "encode")
    assert tracker.overall() == 70
    assert [(s["n"], s["name"], s["weight"], s["status"]) for s in tracker.snapshot()] == [
        (1, "decode", None, "succeeded"), (2, "encode", None, "running")]


def test_progress_never_moves_back():
    tracker = StepTracker()
    tracker.progress(0.6)
    tracker.progress(0.4)
    assert tracker.overall() == 60


def test_progress_inside_a_step_is_stored_at_most_every_interval_but_transitions_at_once():
    writes: list[tuple[int, list]] = []
    tracker = StepTracker(STEPS, flush=lambda pct, steps: writes.append((pct, steps)), min_interval=3600)
    with tracker.step("probe"):
        pass
    with tracker.step("transcribe") as step:
        for pct in range(100):
            step.progress(pct / 100)
    # enter + exit of each step only: 100 progress calls in a tight loop wrote nothing extra
    assert len(writes) == 4
    assert writes[-1][0] == 70 and writes[-1][1][1]["status"] == "succeeded"


def test_progress_is_stored_again_after_the_interval():
    writes: list[int] = []
    tracker = StepTracker(STEPS, flush=lambda pct, steps: writes.append(pct), min_interval=0.0)
    with tracker.step("transcribe") as step:
        step.progress(0.5)
    assert writes == [0, 30, 60]


def test_weights_must_be_positive_integers():
    with pytest.raises(ValueError):
        Step("x", 0)
    assert plan((Step("a", 2),))[0] == {"n": 1, "name": "a", "weight": 2, "status": "pending", "progress": 0,
                                        "started_at": None, "finished_at": None, "error": None}


def test_a_held_back_report_is_written_when_the_interval_ends():
    import time

    writes: list[int] = []
    tracker = StepTracker(STEPS, flush=lambda pct, steps: writes.append(pct), min_interval=0.1)
    with tracker.step("transcribe") as step:
        step.progress(0.5)  # inside the interval: held back
        assert writes == [0]
        time.sleep(0.3)  # a long step with no more reports
        assert writes == [0, 30]
    assert writes == [0, 30, 60]


def test_a_stopped_deferred_drops_held_back_writes_and_ends_its_thread():
    """At shutdown the store closes right after; a write firing later would hit a closed connection."""
    import threading
    import time

    from noxus_local.runtime.steps import Deferred

    fired = threading.Event()
    later = Deferred()
    later.call_later(0.3, fired.set)
    later.stop()
    later.call_later(0.0, fired.set)  # after stop: dropped too
    time.sleep(0.5)
    assert not fired.is_set()
    assert not any(t.name == "noxus-deferred" and t.is_alive() for t in threading.enumerate()
                   if t is later._thread)
