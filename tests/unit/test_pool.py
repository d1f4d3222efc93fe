"""The compute pool with real threads: never oversubscribed, FIFO per resource, cancel-aware."""

import threading
import time

import pytest

from noxus_local.config import load_config
from noxus_local.inference.engines.providers import usable_cores
from noxus_local.jobs.pool import CapacityExceeded, ComputePool
from noxus_local.runtime.cancel import CancelToken


def acquire_in_thread(pool, job_id, need, token=None, granted=None):
    """Start a thread that waits for ``need``; ``granted`` records the order of grants."""
    token = token or CancelToken()
    result = {}

    def run():
        result["ok"] = pool.acquire(job_id, need, token)
        if result["ok"] and granted is not None:
            granted.append(job_id)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result, token


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def waiting(pool, resource="cpu"):
    return pool.snapshot()[resource]["waiting"]


def test_a_need_larger_than_the_machine_is_refused_up_front():
    pool = ComputePool({"cpu": 2, "gpu": 0})
    with pytest.raises(CapacityExceeded) as caught:
        pool.acquire("job_big", {"cpu": 3}, CancelToken())
    assert (caught.value.status, caught.value.code) == (503, "tool_unavailable")
    assert caught.value.details == {"reason": "compute_capacity", "resource": "cpu", "needed": 3, "capacity": 2}
    with pytest.raises(CapacityExceeded):
        pool.check({"gpu": 1})
    pool.check({"cpu": 2})  # fits: no error


def test_many_threads_never_hold_more_slots_than_there_are():
    pool = ComputePool({"cpu": 2})
    busy, most, lock = [0], [0], threading.Lock()

    def job(i):
        need = 1 + i % 2
        assert pool.acquire(f"job_{i}", {"cpu": need}, CancelToken())
        with lock:
            busy[0] += need
            most[0] = max(most[0], busy[0])
        time.sleep(0.01)
        with lock:
            busy[0] -= need
        pool.release(f"job_{i}")

    threads = [threading.Thread(target=job, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2
    assert pool.snapshot()["cpu"] == {"capacity": 2, "busy": 0, "waiting": 0, "peak_busy": 2}


def test_a_big_job_is_not_overtaken_by_small_ones_that_came_later():
    pool, granted = ComputePool({"cpu": 2}), []
    assert pool.acquire("job_a", {"cpu": 1}, CancelToken())
    big, big_result, _ = acquire_in_thread(pool, "job_big", {"cpu": 2}, granted=granted)
    wait_for(lambda: waiting(pool) == 2)
    small, small_result, _ = acquire_in_thread(pool, "job_small", {"cpu": 1}, granted=granted)
    wait_for(lambda: waiting(pool) == 3)
    time.sleep(0.2)  # one slot is free all along, yet the small job waits its turn
    assert granted == [] and "ok" not in small_result
    pool.release("job_a")
    big.join(2)
    assert granted == ["job_big"]
    pool.release("job_big")
    small.join(2)
    assert granted == ["job_big", "job_small"] and big_result["ok"] and small_result["ok"]


def test_a_cpu_job_does_not_queue_behind_a_gpu_job():
    pool = ComputePool({"cpu": 1, "gpu": 1})
    assert pool.acquire("job_gpu_1", {"gpu": 1}, CancelToken())
    gpu_waiter, gpu_result, token = acquire_in_thread(pool, "job_gpu_2", {"gpu": 1})
    wait_for(lambda: waiting(pool, "gpu") == 1)
    assert pool.acquire("job_cpu", {"cpu": 1}, CancelToken())  # at once
    token.cancel()
    gpu_waiter.join(2)
    assert gpu_result["ok"] is False


def test_a_cancelled_waiter_gives_up_at_once_and_holds_nothing():
    pool = ComputePool({"cpu": 2})
    assert pool.acquire("job_a", {"cpu": 2}, CancelToken())
    thread, result, token = acquire_in_thread(pool, "job_b", {"cpu": 1})
    wait_for(lambda: waiting(pool) == 1)
    started = time.monotonic()
    token.cancel("timeout")
    pool.wake()
    thread.join(2)
    assert result["ok"] is False and time.monotonic() - started < 0.5
    assert pool.snapshot()["cpu"] == {"capacity": 2, "busy": 2, "waiting": 0, "peak_busy": 2}
    pool.release("job_a")
    assert pool.snapshot()["cpu"]["busy"] == 0


def test_closing_the_pool_sends_waiters_away_and_refuses_new_ones():
    pool = ComputePool({"cpu": 1})
    assert pool.acquire("job_a", {"cpu": 1}, CancelToken())
    thread, result, _ = acquire_in_thread(pool, "job_b", {"cpu": 1})
    wait_for(lambda: waiting(pool) == 1)
    pool.close()
    thread.join(2)
    assert result["ok"] is False
    assert pool.acquire("job_c", {}, CancelToken()) is False


def test_a_run_that_needs_nothing_starts_at_once_even_on_a_full_pool():
    pool = ComputePool({"cpu": 1})
    assert pool.acquire("job_a", {"cpu": 1}, CancelToken())
    assert pool.acquire("job_b", {}, CancelToken())
    assert pool.acquire("job_c", {"cpu": 0}, CancelToken())
    assert pool.holders() == 3


def test_sizes_come_from_the_settings_and_the_gpu_is_probed_only_when_asked(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
    assert ComputePool.from_config(cfg).slots("cpu") == usable_cores()
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_COMPUTE_CPU_SLOTS": "3",
                             "NOXUS_COMPUTE_GPU_SLOTS": "2"})
    assert ComputePool.from_config(cfg).capacity() == {"cpu": 3, "gpu": 2}
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    assert ComputePool.from_config(cfg).capacity()["gpu"] == 0  # -1 = detect; CPU-only by choice

    probes = []
    pool = ComputePool({"cpu": 2, "gpu": lambda: probes.append(1) or 1})
    assert pool.slots("cpu") == 2 and pool.acquire("job_a", {"cpu": 1}, CancelToken())
    assert probes == []
    assert pool.slots("gpu") == 1 and pool.slots("gpu") == 1 and probes == [1]


def test_the_same_job_twice_takes_its_slots_once():
    """A queue message delivered twice must not count the job's slots twice (or leak them)."""
    pool = ComputePool({"cpu": 2})
    assert pool.acquire("job_a", {"cpu": 1}, CancelToken())
    assert pool.acquire("job_a", {"cpu": 1}, CancelToken()) is False
    pool.release("job_a")
    pool.release("job_a")
    assert pool.snapshot()["cpu"]["busy"] == 0
