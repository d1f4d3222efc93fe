"""clips/ as pure functions on inputs the tests build (issue 22): candidates, each score signal, the
hook judge and its fallback, the virtual camera, the crop expression and the clip's ASS."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from noxus_local.captions.styles import resolve_style
from noxus_local.clips.camera import Box, CameraKey, CameraRules, FaceSample, camera_path, simplify
from noxus_local.clips.candidates import (
    Sentence,
    Window,
    candidate_windows,
    quiet_spans,
    select,
    split_sentences,
    with_pauses,
)
from noxus_local.clips.hook import heuristic_hook, judge_hook
from noxus_local.clips.looking import carry_activity, mouth_motion
from noxus_local.clips.pipeline import HookPlan, score_candidates
from noxus_local.clips.render import Framing, clip_ass, framed_windows, x_expression
from noxus_local.clips.signals import Evidence, Hook, Levels, Weights, levels_db, score_window
from noxus_local.generate.llm.types import Completion
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Word

PLAIN = Hook(0.3, "plain", "heuristic", "")


def words(text: str, start: float = 0.0, per_word: float = 0.35) -> list[Word]:
    return [Word(w, start + i * per_word, start + (i + 1) * per_word - 0.05, 0.9) for i, w in enumerate(text.split())]


def window(text: str, seconds: float | None = None) -> Window:
    ws = words(text, per_word=(seconds / len(text.split())) if seconds else 0.35)
    return Window(tuple(replace(s, pause_before=1.0) for s in split_sentences(ws)))


BASE = "The team met on the roof. The plan was simple and clear. Everyone agreed to it quickly."


def score(w: Window, judged: Hook = PLAIN, evidence: Evidence = Evidence(), **weights: float) -> float:
    return score_window(w, judged, evidence, Weights(**weights)).score


# candidates

def test_sentences_split_on_punctuation_and_long_pauses_and_keep_every_word() -> None:
    ws = words("Hola a todos. ¿Qué tal?") + words("sin punto", start=5.0)
    sentences = split_sentences(ws)
    assert [s.text for s in sentences] == ["Hola a todos.", "¿Qué tal?", "sin punto"]
    assert sum(len(s.words) for s in sentences) == len(ws)
    assert sentences[0].pause_before == float("inf") and sentences[2].pause_before > 1.0


def test_windows_are_whole_sentences_inside_the_bounds_and_start_after_a_pause() -> None:
    sentences = [Sentence(tuple(words("a b c d.", start=t, per_word=1.0)), pause) for t, pause in
                 ((0, 9), (5, 0.5), (10, 0.0), (15, 0.6), (20, 0.5))]
    got = [(w.start, w.end) for w in candidate_windows(sentences, 8.0, 12.0)]
    # a start after no pause (10 s) is never a start; 3 sentences span 13.95 s > 12
    assert got == [(0, pytest.approx(8.95)), (5, pytest.approx(13.95)), (15, pytest.approx(23.95))]


def test_cuts_fall_in_the_silence_between_sentences_not_on_the_recogniser_times() -> None:
    levels = np.full(100, -20.0)
    levels[40:46] = -90.0  # silence 4.0–4.6 s
    quiet = quiet_spans(np.arange(100) * 0.1, levels, 0.1)
    assert quiet == [(pytest.approx(4.0), pytest.approx(4.6))]
    ws = words("One two three.", start=1.0, per_word=1.0) + words("Four five.", start=4.0, per_word=1.0)
    a, b = with_pauses(split_sentences(ws), quiet)  # the recogniser says the sentences abut at 4.0
    assert a.cut_after == b.cut_before and 4.0 <= b.cut_before <= 4.6 and b.pause_before >= 0.3
    assert b.cut_after == pytest.approx(5.95 + 0.3)  # the last sentence keeps a little of what follows...
    assert with_pauses(split_sentences(ws), quiet, total=6.0)[-1].cut_after == 6.0  # ...never past the end


def test_selection_is_greedy_by_score_without_overlap() -> None:
    items = [(9, Window((Sentence(tuple(words("x.", 0)), 1),))), (8, Window((Sentence(tuple(words("y.", 0.1)), 1),))),
             (7, Window((Sentence(tuple(words("z.", 5)), 1),)))]
    chosen = select(items, lambda it: it[1], lambda it: it[0], max_clips=3)
    assert [s for s, _ in chosen] == [9, 7]
    assert select(items, lambda it: it[1], lambda it: it[0], max_clips=3, threshold=8.5) == [items[0]]


# signals: each one, on clips built to differ in it alone, moves the score the right way

def test_the_hook_raises_the_score() -> None:
    assert score(window(BASE), Hook(0.9, "", "llm")) > score(window(BASE), Hook(0.1, "", "llm"))


def test_a_dangling_start_lowers_the_score() -> None:
    assert score(window("And " + BASE[0].lower() + BASE[1:])) < score(window("Look: " + BASE))
    assert score(window("Pero el equipo se reunió. " + BASE)) < score(window("El equipo se reunió. " + BASE))


def test_lively_speech_scores_above_slow_speech_and_a_blur_scores_below() -> None:
    slow, lively, blur = (score(window(BASE, seconds)) for seconds in (12.0, 5.5, 2.0))
    assert slow < lively and blur < lively


def test_loudness_dynamics_raise_the_score() -> None:
    w = window(BASE)
    t = np.arange(0, w.end + 1, 0.1)
    flat = Levels(t, np.full(len(t), -20.0))
    lively = Levels(t, -20.0 + 9.0 * (np.arange(len(t)) % 10 == 0))
    assert score(w, evidence=Evidence(levels=lively)) > score(w, evidence=Evidence(levels=flat))


def test_questions_raise_the_score() -> None:
    assert score(window(BASE.replace("quickly.", "quickly?"))) > score(window(BASE))


def test_numbers_and_lists_raise_the_score() -> None:
    assert score(window("Three things matter. First the roof. Second the 40 chairs.")) > \
        score(window("Some things matter. Also the roof. Also the old chairs."))


def test_visual_change_raises_the_score() -> None:
    w = window(BASE)
    assert score(w, evidence=Evidence(cuts=[1.0, 2.0, 3.0])) > score(w, evidence=Evidence(cuts=[]))


def test_a_face_on_screen_raises_the_score() -> None:
    w = window(BASE)
    seen = Evidence(faces=[(t, True) for t in np.arange(0, w.end, 0.5)])
    empty = Evidence(faces=[(t, False) for t in np.arange(0, w.end, 0.5)])
    assert score(w, evidence=seen) > score(w, evidence=empty)


def test_reasons_report_each_signal_with_value_weight_and_contribution_summing_to_the_score() -> None:
    scored = score_window(window(BASE), PLAIN, Evidence(), Weights())
    reasons = [r.as_dict() for r in scored.reasons]
    assert [r["signal"] for r in reasons] == ["hook", "self_contained", "density", "loudness", "questions",
                                              "numbers", "laughter_applause", "visual_change", "face"]
    assert all({"value", "weight", "contribution"} <= set(r) for r in reasons)
    assert scored.score == pytest.approx(1 + sum(r.contribution for r in scored.reasons), abs=0.06)
    assert 1.0 <= scored.score <= 10.0
    assert score(window(BASE), self_contained=5.0) != score(window(BASE))  # weights come from config


def test_levels_are_db_per_step() -> None:
    pcm = np.concatenate([np.zeros(1600), 0.1 * np.ones(1600)]).astype(np.float32)
    lv = levels_db(pcm)
    assert lv.db[0] == pytest.approx(-100) and lv.db[1] == pytest.approx(-20, abs=0.1)


# the hook

class ScriptedLlm:
    """Answers from a list, like a model would (the text that ``ask_json`` parses)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    def chat(self, messages, **_):  # noqa: ANN001, ANN003, ANN201
        return Completion(self.answers.pop(0), 10, 10, "stop")


def test_the_heuristic_hook_likes_questions_and_numbers_and_dislikes_dangling_starts() -> None:
    strong = heuristic_hook("Why do 90% of startups fail?")
    plain, dangling = heuristic_hook("The weather was grey."), heuristic_hook("And then it rained.")
    assert strong.strength > plain.strength > dangling.strength
    assert "question" in strong.reason and strong.source == "heuristic"
    assert heuristic_hook("Hola a todos, bienvenidos.").strength < heuristic_hook("El equipo se reunió.").strength


def test_the_llm_hook_is_schema_checked_and_falls_back_with_a_warning() -> None:
    hook, warning = judge_hook(ScriptedLlm('{"score": 8, "reason": "A bold number."}'), "Why 90%?", "en", 5, 0.5)
    rules = heuristic_hook("Why 90%?").strength
    assert (hook.strength, hook.source, warning) == (pytest.approx(0.5 * 7 / 9 + rules / 2), "llm", None)
    assert hook.reason.startswith("A bold number. (model 8/10, rules")
    low, _ = judge_hook(ScriptedLlm('{"score": 1, "reason": "Filler."}'), "Why 90%?", "en", 5, 0.5)
    assert low.strength < hook.strength  # the model's judgement moves the hook
    only, _ = judge_hook(ScriptedLlm('{"score": 10, "reason": "Strong."}'), "Why 90%?", "en", 5, share=1.0)
    assert only.strength == 1.0  # hook_model_share 1: the model alone
    hook, warning = judge_hook(ScriptedLlm('{"score": 0, "reason": "Out of range."}', "not json"), "Why 90%?",
                               "en", 5)
    assert hook.source == "heuristic" and "not valid JSON" in warning  # the schema says 1-10
    hook, warning = judge_hook(ScriptedLlm('{"score": 80}', "not json"), "Why 90%?", "en", 5)
    assert hook.source == "heuristic" and "not valid JSON" in warning
    hook, warning = judge_hook(None, "Why 90%?", "es", 5)
    assert hook.source == "heuristic" and "no text model" in warning


# the camera

RULES = CameraRules(dead_zone=0.25, max_speed=0.6, switch_seconds=1.0)


def face_at(cx: float, w: float = 60.0) -> Box:
    return Box(cx - w / 2, 100, w, w)


def test_a_face_oscillating_inside_the_dead_zone_gives_a_constant_crop() -> None:
    samples = [FaceSample(i * 0.25, (face_at(640 + 30 * (-1) ** i),)) for i in range(80)]  # ±30 px, zone ±100
    keys = camera_path(samples, [], 1280, 404, RULES)
    assert len({k.x for k in keys}) == 1 and all(k.framed for k in keys)
    assert len(simplify(keys)) == 2


def test_the_camera_follows_a_moving_face_under_the_speed_limit() -> None:
    samples = [FaceSample(i * 0.5, (face_at(200 + 25 * i),)) for i in range(40)]  # 50 px/s across the frame
    keys = camera_path(samples, [], 1280, 404, RULES)
    steps = [abs(b.x - a.x) / (b.t - a.t) for a, b in zip(keys, keys[1:], strict=False)]
    assert max(steps) <= 0.6 * 404 + 1e-6
    for key, sample in zip(keys, samples, strict=True):  # the face stays inside the crop
        box = sample.faces[0]
        assert key.x <= box.x and box.x + box.w <= key.x + 404


def test_hysteresis_keeps_the_subject_when_a_bigger_face_flickers_in() -> None:
    left, right = face_at(300, 80), face_at(1000, 120)
    flicker = [FaceSample(i * 0.5, (left, right) if i % 4 == 1 else (left,)) for i in range(20)]
    keys = camera_path(flicker, [], 1280, 404, RULES)
    assert len({k.x for k in keys}) == 1
    stays = [FaceSample(i * 0.5, (left,) if i < 4 else (left, right)) for i in range(20)]
    moved = camera_path(stays, [], 1280, 404, RULES)
    assert moved[4].x == moved[0].x and moved[-1].x > moved[0].x + 300  # switched after switch_seconds


def test_a_shot_cut_resets_the_camera_with_a_jump_and_no_face_unframes() -> None:
    samples = [FaceSample(i * 0.5, (face_at(300 if i < 10 else 1000),)) for i in range(20)]
    keys = camera_path(samples, [5.0], 1280, 404, RULES)
    after = [k for k in keys if k.t >= 5.0]
    assert after[0].t == 5.0 and after[0].x == pytest.approx(1000 - 202)
    nobody = camera_path([FaceSample(i * 0.5, ()) for i in range(10)], [], 1280, 404, RULES)
    assert not any(k.framed for k in nobody)


# render

def test_framing_sizes() -> None:
    assert Framing.for_aspect((1280, 720), "9:16", 1280) == Framing((1280, 720), (404, 720), (720, 1280))
    assert Framing.for_aspect((1280, 720), "1:1", 1280).output == (720, 720)
    assert not Framing.for_aspect((1280, 720), "16:9", 1280).pans


def test_the_crop_expression_is_flat_and_piecewise_linear() -> None:
    keys = [CameraKey(10.0, 100, True), CameraKey(12.0, 300, True), CameraKey(20.0, 300, True)]
    expr = x_expression(keys, 10.0)
    assert expr == "100.0+200.0*clip((t-0.000)/2.000,0,1)"
    assert framed_windows([CameraKey(0, 0, True), CameraKey(4, 0, False), CameraKey(6, 0, True)], 2, 8) == \
        [(0.0, 2.0), (4.0, 6.0)]


def test_the_hook_title_is_literal_text_in_its_own_style() -> None:
    ass = clip_ass(words("Hola a todos."), resolve_style("classic"), (720, 1280), True, r"{\b1}Gana 100 €", 5.0)
    assert "Style: Hook," in ass and "Dialogue: 1,0:00:00.00,0:00:05.00,Hook" in ass
    assert r"{\b1}" not in ass.split("Hook,,0,0,0,,")[1]


def test_the_camera_follows_the_face_that_talks_over_a_larger_silent_one() -> None:
    big, small = face_at(300, 120), face_at(1000, 80)
    talking = replace(small, activity=0.8)
    samples = [FaceSample(i * 0.5, (big, small if i < 4 else talking)) for i in range(16)]
    keys = camera_path(samples, [], 1280, 404, RULES)
    assert keys[0].x == pytest.approx(300 - 202)  # nobody talks yet: the larger face
    assert keys[4].x == keys[0].x  # hysteresis: not on the first sample it talks
    assert keys[-1].x > keys[0].x + 300  # then the speaker


def test_mouth_motion_counts_the_mouth_beyond_the_whole_face() -> None:
    face = {"box": [40, 40, 40, 40], "landmarks": {"mouth_left": [50, 70], "mouth_right": [70, 70]}}
    rng = np.random.default_rng(1)
    before = rng.integers(0, 255, (120, 120)).astype(np.uint8)
    assert mouth_motion(before, before.copy(), face) == 0.0
    talking = before.copy()
    talking[65:76, 46:75] = 255 - talking[65:76, 46:75]  # only the mouth changes
    assert mouth_motion(before, talking, face) > 0.5
    shifted = np.roll(before, 3, axis=1)  # the head moves: the mouth no more than the face
    assert mouth_motion(before, shifted, face) < 0.2


def test_a_talker_stays_the_talker_between_an_open_and_a_closed_mouth() -> None:
    track = [(face_at(500, 60),)]
    for activity in (1.0, 0.0, 1.0, 0.0, 0.0):
        track.append(carry_activity(track[-1], (replace(face_at(502, 60), activity=activity),)))
    assert [round(faces[0].activity, 2) for faces in track[1:]] == [1.0, 0.6, 1.0, 0.6, 0.36]


def test_the_model_judges_only_the_best_openings_and_moves_their_score() -> None:
    texts = ("Why do 90% of startups fail? " + BASE, BASE, "And then " + BASE)
    windows = [Window(tuple(replace(s, pause_before=1.0) for s in split_sentences(words(text, start=20.0 * i))))
               for i, text in enumerate(texts)]  # three openings, apart
    calls: list[int] = []

    def model() -> ScriptedLlm:
        calls.append(1)
        return ScriptedLlm('{"score": 2, "reason": "Weak."}')

    scored, warnings = score_candidates(windows, Evidence(), Weights(), HookPlan(5.0, 1, "en", model_share=0.5),
                                        model, CancelToken())
    assert calls == [1] and warnings == []
    assert [s.hook.source for s in scored] == ["llm", "heuristic", "heuristic"]  # only the best opening
    plain, _ = score_candidates(windows, Evidence(), Weights(), HookPlan(5.0, 0, "en"), model, CancelToken())
    assert calls == [1] and scored[0].score < plain[0].score  # the model thought less of it than the rules
    rules, _ = score_candidates(windows, Evidence(), Weights(), HookPlan(5.0, 3, "en", model_share=0.0), model,
                                CancelToken())
    assert calls == [1] and all(s.hook.source == "heuristic" for s in rules)  # share 0: never asked
    fallback, warned = score_candidates(windows, Evidence(), Weights(), HookPlan(5.0, 3, "en", model_share=0.5),
                                        lambda: None, CancelToken())
    assert all(s.hook.source == "heuristic" for s in fallback) and "no text model" in warned[0]
