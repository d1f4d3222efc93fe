"""The video-ad pieces without the server (issue 21): the copy template, shot variants and their score, motion,
seed 003's credit quote, body checks and packages, and migration 11's tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from noxus_local.api.ad_routes import check_body, package_list, quote
from noxus_local.config import load_config
from noxus_local.generate.ad_copy import scene_count, speech_seconds, subject, write_copy
from noxus_local.products.ad_shots import backdrop_order, energy, motion, uncut, variants
from noxus_local.store.db import Database
from noxus_local.tools.video_ad import voice_speed


def red_cutout() -> Image.Image:
    img = Image.new("RGBA", (200, 400), (0, 0, 0, 0))
    ImageDraw.Draw(img).rounded_rectangle((20, 20, 180, 380), radius=30, fill=(210, 30, 40, 255))
    return img


def test_the_template_writes_one_text_per_scene_naming_the_product_and_the_company():
    copy = write_copy(None, "Premium wireless headphones — sleek, modern", 15, "en", company="SoundWave")
    assert copy.writer == "template" and len(copy.texts) == scene_count(15) == 3
    assert copy.texts[0] == "Meet premium wireless headphones." and copy.texts[-1] == "Get yours today from SoundWave."
    assert [len(write_copy(None, "x", d, "es").texts) for d in (15, 30, 60)] == [3, 5, 8]
    assert write_copy(None, "Botella roja", 15, "es").texts[0] == "Descubre botella roja."
    assert subject("iPhone case: tough") == "iPhone case" and speech_seconds(15) == 12.5
    for duration in (15, 30, 60):  # the lines fill most of the slot before the end card, never more
        chars = sum(len(t) + 1 for t in write_copy(None, "A red bottle", duration, "en", company="Acme").texts)
        assert 0.6 * speech_seconds(duration) * 11 <= chars <= 1.05 * speech_seconds(duration) * 11, (duration, chars)


def test_the_text_models_copy_is_used_when_it_gives_one_text_per_scene_else_the_template():
    from tests.unit.test_script_to_video import ScriptedLlm

    good = '{"scenes": [{"text": "Cold all day."}, {"text": "Steel that lasts."}, {"text": "Buy it now."}]}'
    llm = ScriptedLlm(['{"scenes": [{"text": "Only one."}]}', good])  # a wrong count, then right: one retry
    copy = write_copy(llm, "Red bottle", 15, "en")
    assert copy.writer == "llm" and copy.texts == ("Cold all day.", "Steel that lasts.", "Buy it now.")
    assert llm.asked == 2
    fallback = write_copy(ScriptedLlm(["no json", "still none"]), "Red bottle", 15, "en", company="Acme")
    assert fallback.writer == "template" and fallback.texts[-1] == "Get yours today from Acme."
    assert "no usable ad copy" in fallback.warnings[0]


def test_variants_follow_the_edit_style_and_the_best_stands_out_from_its_backdrop():
    photo = Image.new("RGB", (400, 500), (250, 250, 250))
    assert backdrop_order("lifestyle shot, depth of field")[0] == "blurred"
    assert backdrop_order("on a wooden table")[0] == "flat_lay" and backdrop_order("")[0] == "studio"
    shots = variants(red_cutout(), photo, (360, 640), style="", colour=None, count=3, seed=0)
    assert [s.backdrop for s in shots] == ["studio", "gradient", "flat_lay"]
    assert all(s.image.size == (360, 640) for s in shots)
    best = max(shots, key=lambda s: s.score)
    assert best.backdrop == "studio"  # red on white beats red on its own reddish gradient
    assert uncut(photo, (360, 640)).size == (360, 640)


def test_emotion_sets_the_motion_and_voice_style_the_speed():
    assert energy("excitement") > energy("") > energy("calm and elegant")
    calm, excited = motion(0, "calm"), motion(0, "excitement")
    assert excited.zoom_end - excited.zoom_start > calm.zoom_end - calm.zoom_start > 0
    assert motion(2, "").zoom_start > motion(2, "").zoom_end  # the third scene pulls out
    assert voice_speed("energetic") > voice_speed("") > voice_speed("soft and warm")


def test_the_quote_is_seed_003s_table(tmp_path: Path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
    assert quote(cfg, 15, 2) == 170  # the seed's own example: 60 + 105 + 3 + 2
    assert quote(cfg, 30, 3) == 10 * 3 * 5 + 35 * 5 + 5
    assert [p.priceDisplay for p in package_list(cfg)] == ["$39", "$119", "$249"]
    assert [p.popular for p in package_list(cfg)] == [False, True, False]


@pytest.mark.parametrize("body, fields", [
    ({}, {"prompt", "imageUrls", "imageAssetIds", "duration", "voiceId"}),
    ({"prompt": "x", "imageAssetIds": ["a"] * 11, "duration": 15, "voiceId": "v"}, {"imageAssetIds"}),
    ({"prompt": "x", "imageAssetIds": [], "duration": 15, "voiceId": "v"}, {"imageAssetIds"}),
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": True, "voiceId": "v"}, {"duration"}),
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": 15, "voiceId": "v", "tone": "t" * 201}, {"tone"}),
    # a name is checked against the configured generators by the tool (tests/e2e/test_video_ad_veo_e2e.py)
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": 15, "voiceId": "v", "veoModel": "veo-3"}, set()),
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": 15, "voiceId": "v", "veoModel": "v" * 101}, {"veoModel"}),
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": 15, "voiceId": "v", "veoModel": 3}, {"veoModel"}),
    ({"prompt": "x", "imageAssetIds": ["a"], "duration": 15, "voiceId": "v", "gradientColor": "#FF5500"}, set()),
])
def test_generate_bodies_are_checked_field_by_field(body, fields):
    assert set(check_body(body)) == fields


def test_migration_11_keeps_projects_and_versions_tied_to_their_jobs(tmp_path: Path):
    db = Database(tmp_path / "store.db")
    try:
        db.migrate()
    finally:
        db.close()
    conn = sqlite3.connect(tmp_path / "store.db")
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):  # a version of no project, for no job
        conn.execute("INSERT INTO ad_versions VALUES ('ver_x', 'proj_none', 'acct', 'job_none', 170, 0)")
    cols = [r[1] for r in conn.execute("PRAGMA table_info(ad_versions)")]
    assert cols == ["id", "project_id", "account_id", "job_id", "total_credits", "created_at"]
    conn.close()


def test_the_plan_gives_each_scene_an_image_and_on_screen_text_using_every_image_before_repeating():
    from noxus_local.generate.ad_copy import assign_images, headline, round_robin
    from tests.unit.test_script_to_video import ScriptedLlm

    fallback = write_copy(None, "Premium red water bottle — keeps drinks cold", 15, "en", company="Acme", images=3)
    assert fallback.images == (0, 1, 2) and fallback.image_by == "round_robin"
    assert fallback.on_screen[0] == "Meet premium red water bottle"
    assert all(1 <= len(o.split()) <= 6 for o in fallback.on_screen)
    assert [s["image"] for s in fallback.scenes()] == [0, 1, 2]
    assert write_copy(None, "x", 30, "en", images=2).images == (0, 1, 0, 1, 0)
    chosen = ('{"scenes": [{"text": "Cold all day.", "image": 2, "on_screen": "Cold all day"}, '
              '{"text": "Steel that lasts.", "image": 0, "on_screen": "Steel that lasts"}, '
              '{"text": "Buy it now.", "image": 1, "on_screen": "Buy it now, today, for you, at a good price"}]}')
    plan = write_copy(ScriptedLlm([chosen]), "Red bottle", 15, "en", images=3)
    assert plan.writer == "llm" and plan.images == (2, 0, 1) and plan.image_by == "plan"
    assert plan.on_screen == ("Cold all day", "Steel that lasts", "Buy it now")
    repeated = chosen.replace('"image": 0', '"image": 2')  # image 2 twice while 1 and 0 are unused
    fixed = write_copy(ScriptedLlm([repeated]), "Red bottle", 15, "en", images=3)
    assert fixed.images == (2, 0, 1) and fixed.image_by == "repaired" and fixed.warnings
    assert assign_images([5, None, True, 1], 2) == (0, 1, 0, 1) and round_robin(4, 3) == (0, 1, 2, 0)
    assert headline("¡Descubre la botella roja premium de acero inoxidable!") == "Descubre la botella roja premium"
    assert headline("Designed to stand out and made to last.") == "Designed to stand out"


def test_on_screen_text_sits_inside_every_frame_of_the_scenes_camera_path():
    from noxus_local.products.ad_text import band, safe_box, window

    for i in range(4):
        kb = motion(i, "excitement")
        left, top, right, bottom = safe_box(kb)
        x, y, w, h = band((720, 1280), kb)
        for t in (0.0, 0.3, 0.5, 0.8, 1.0):
            wl, wt, wr, wb = window(kb, t)
            assert wl * 720 <= x and x + w <= wr * 720 and wt * 1280 <= y and y + h <= wb * 1280 + 1, (i, t)
        assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1


def test_seed_003s_tiers_are_the_defaults_and_configurable(tmp_path: Path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
    got = {t: (cfg.tiers[t].concurrent_jobs, cfg.tiers[t].ad_requests_per_minute)
           for t in ("free", "starter", "pro", "enterprise")}
    assert got == {"free": (1, 30), "starter": (3, 60), "pro": (10, 120), "enterprise": (50, 300)}
    toml = tmp_path / "noxus.toml"
    toml.write_text("[tiers.pro]\nad_requests_per_minute = 7\nconcurrent_jobs = 2\n")
    pro = load_config(toml, {"NOXUS_DATA_DIR": str(tmp_path)}).tiers["pro"]
    assert (pro.concurrent_jobs, pro.ad_requests_per_minute) == (2, 7)


def test_a_run_on_plan_keeps_its_first_whole_scenes_and_drops_an_image_that_is_not_given():
    # what the 1.5B wrote for a 3-scene ad with one photo: scene after scene, each repeating the last, cut at
    # max_tokens (seen in bench_video_ad with --llm: both tries failed and a template wrote the copy)
    run_on = ('```json\n{"scenes": [{"text": "Keeps drinks cold.", "image": 0, "on_screen": "Cold"}, '
              '{"text": "All day long.", "image": 1, "on_screen": "All day"}, '
              '{"text": "Buy it now.", "image": 2, "on_screen": "Buy"}, {"text": "Buy it now. And')
    from noxus_local.generate.ad_copy import copy_schema, first_scenes
    from noxus_local.generate.structured import problems

    got = first_scenes(run_on, 3, images=1)
    assert got == {"scenes": [{"text": "Keeps drinks cold.", "image": 0, "on_screen": "Cold"},
                              {"text": "All day long.", "on_screen": "All day"},
                              {"text": "Buy it now.", "on_screen": "Buy"}]}
    assert problems(got, copy_schema(1)) == []
    assert first_scenes(run_on, 4, images=1) is None  # the fourth is not whole: ask again


def test_a_long_scene_is_cut_to_its_share_of_the_words_at_a_sentence_or_clause():
    from noxus_local.generate.copy_length import fit_words

    assert fit_words("Cold all day. Light and strong. Buy it now.", 6) == "Cold all day. Light and strong."
    long = ("SoundWave Audio's premium red water bottle keeps drinks cold all day, perfect for outdoor "
            "activities and long days at the beach. It's made of high-quality plastic.")
    assert fit_words(long, 13) == "SoundWave Audio's premium red water bottle keeps drinks cold all day."
    assert fit_words("Buy now.", 6) == "Buy now."
