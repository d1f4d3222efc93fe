"""Seed 003's credits per step of a video ad (tools/ad_credits.py) and where a scene's punches fall."""

from __future__ import annotations

import pytest

from noxus_local.compose.timeline import Scene, Visual
from noxus_local.runtime.steps import Step, StepTracker
from noxus_local.speech.types import Word
from noxus_local.tools.ad_credits import Credits, StepFailed
from noxus_local.tools.video_ad import beat_times

TABLE = {"usd_per_credit": "0.01", "image_edit": 10, "video_generation": 35, "voiceover": 3, "compositing": 2}


def test_each_step_is_charged_as_it_succeeds_and_a_failed_scene_refunds_its_share():
    tracker = StepTracker((Step("image_edit"), Step("voiceover"), Step("compositing")))
    bill = Credits.of({"credit_table": TABLE})
    done = [{"index": 0}, {"index": 2}]
    failed = [{"index": 1, "error": {"code": "internal_error", "message": "image 1 could not be edited"}}]
    with pytest.raises(StepFailed), tracker.step("image_edit") as step:
        bill.step(step, "image_edit", done, failed, each=20)
    with tracker.step("voiceover") as step:
        bill.charge("voiceover", step)
    with tracker.step("compositing") as step:
        bill.charge("compositing", step)
    steps = {s["name"]: s for s in tracker.close("succeeded")}
    assert steps["image_edit"]["status"] == "failed"
    assert "scene 1: image 1 could not be edited" in steps["image_edit"]["error"]["message"]
    assert steps["image_edit"]["details"]["credits"] == {"charged": 40, "refunded": 20}
    assert steps["voiceover"]["status"] == "succeeded"
    assert bill.total() == 45 and bill.micros() == 450_000
    assert bill.describe() == {"charged": 45, "by_step": {"image_edit": 40, "voiceover": 3, "compositing": 2},
                               "refunded": {"image_edit": 20}}


def test_without_a_credit_table_the_tools_own_price_decides():
    bill = Credits.of({})
    assert not bill.active and bill.micros() is None and bill.describe() is None


def test_punches_fall_on_the_scene_start_and_its_longest_spoken_word():
    words = (Word("Keeps", 2.2, 2.5, 1.0), Word("drinks", 2.5, 2.9, 1.0), Word("refreshingly", 3.6, 4.3, 1.0),
             Word("cold", 4.3, 4.6, 1.0))
    scene = Scene(1, "Keeps drinks refreshingly cold", 2.0, 6.0, Visual("material"), words)
    assert beat_times(scene, 0.4, 4.4) == (0.4, pytest.approx(1.6))
    near = Scene(1, "x", 2.0, 6.0, Visual("material"), (Word("refreshingly", 2.5, 3.0, 1.0),))
    assert beat_times(near, 0.4, 4.4) == (0.4,)  # too close to the first punch: one punch
