"""script-to-video's re-render pieces without rendering (issue 20 items 3b, 5, 8): a posted timeline read strictly
(references, never paths), each scene's speech kept by content hash and spoken once, the catalog binding the
configured generator, the cache pruned by the retention sweep, and an idea's tokens as seconds of its price."""

from __future__ import annotations

import numpy as np
import pytest

from noxus_local.compose.cache import PartCache
from noxus_local.compose.edit import edit_dict, read_edit
from noxus_local.compose.narration import SpeechStore, Spoken
from noxus_local.compose.visuals import scene_seed
from noxus_local.config import load_config
from noxus_local.errors import ValidationError
from noxus_local.money import Price
from noxus_local.speech.types import Word
from noxus_local.tools.base import Limits
from noxus_local.tools.catalog import Catalog
from noxus_local.tools.script_to_video import ScriptToVideoTool, held_seconds, token_rates, token_seconds


def doc(*visuals: dict) -> dict:
    return {"version": 1, "width": 720, "scenes": [{"index": i, "text": f"Escena {i}.", "start": i, "end": i + 1,
                                                    "visual": v, "words": []} for i, v in enumerate(visuals)]}


def test_a_posted_timeline_names_materials_by_index_and_prompts_never_paths():
    scenes = read_edit(doc({"kind": "material", "material": 1, "name": "rojo.png"},
                           {"kind": "generated", "prompt": "un faro", "seed": 7, "generator": "comfy"},
                           {"kind": "designed", "palette": ["#102030"], "ken_burns": {"zoom_end": 1.3}}), 2)
    assert [s.visual.kind for s in scenes] == ["material", "generated", "designed"]
    assert (scenes[0].visual.material, scenes[1].visual.prompt, scenes[1].visual.seed) == (1, "un faro", 7)
    assert scenes[2].visual.ken_burns.zoom_end == 1.3 and scenes[2].visual.palette == ("#102030",)
    assert read_edit(edit_dict(scenes), 2) == scenes  # what the job keeps reads back the same
    bad = [({"kind": "material", "source": "in_materials_0"}, "visual.source"),
           ({"kind": "material", "source": "/etc/passwd", "material": 0}, "visual.source"),
           ({"kind": "material", "material": 2}, "visual.material"),
           ({"kind": "material", "material": True}, "visual.material"),
           ({"kind": "generated"}, "visual.prompt"),
           ({"kind": "generated", "prompt": "x", "seed": -1}, "visual.seed"),
           ({"kind": "designed", "palette": ["red"]}, "visual.palette"),
           ({"kind": "designed", "path": "x"}, "visual.path"),
           ({"kind": "video"}, "visual.kind")]
    for visual, field in bad:
        with pytest.raises(ValidationError) as err:
            read_edit(doc(visual), 2)
        assert err.value.details["field"] == f"timeline.scenes[0].{field}", (visual, err.value.details)
    for broken in ({"scenes": []}, {"scenes": "x"}, [], {"version": 2, "scenes": [{"text": "a"}]},
                   {"scenes": [{"text": "  "}]}, {"scenes": [{"text": "a", "extra": 1}]}):
        with pytest.raises(ValidationError):
            read_edit(broken, 0)


def test_the_tool_takes_exactly_one_of_idea_script_or_timeline():
    tool = ScriptToVideoTool()
    params = tool.validate({"timeline": doc({"kind": "designed"}, {"kind": "designed"})}, {}, Limits())
    assert [s["text"] for s in params["timeline"]["scenes"]] == ["Escena 0.", "Escena 1."]
    assert tool.plan(tool.typed(params), {}, Limits()).units > len("Escena 0. Escena 1.") / 15
    import json

    as_form = tool.validate({"timeline": json.dumps(doc({"kind": "designed"}))}, {}, Limits())  # a form field
    assert as_form["timeline"]["scenes"][0]["text"] == "Escena 0."
    with pytest.raises(ValidationError):
        tool.validate({"timeline": "{not json"}, {}, Limits())
    for raw in ({"timeline": doc({"kind": "designed"}), "script": "Hola."}, {"timeline": {"scenes": []}},
                {"timeline": doc({"kind": "material", "material": 0})}):
        with pytest.raises(ValidationError):
            tool.validate(raw, {}, Limits())


def test_each_scenes_speech_is_spoken_once_per_text_voice_speed_and_language(tmp_path):
    cache, spoken = PartCache(tmp_path, 2**20), []

    def make(text: str):
        def speak() -> Spoken:
            spoken.append(text)
            return Spoken(np.full(800, 0.25, np.float32), 24000, (Word(text, 0.0, 0.03, 0.9),))
        return speak

    first = SpeechStore(cache, "acct_1", {"ef_dora": 1.0}, 1.0, "es", "kokoro-82m")
    a = first.get("Hola.", make("Hola."))
    again = SpeechStore(cache, "acct_1", {"ef_dora": 1.0}, 1.0, "es", "kokoro-82m")
    b = again.get("Hola.", make("Hola."))
    assert spoken == ["Hola."] and (first.made, again.reused) == (1, 1)
    assert np.array_equal(a.samples, b.samples) and b.sample_rate == 24000 and b.words == a.words
    for store in (SpeechStore(cache, "acct_1", {"ef_dora": 1.0}, 1.2, "es", "kokoro-82m"),  # another speed
                  SpeechStore(cache, "acct_1", {"em_alex": 1.0}, 1.0, "es", "kokoro-82m"),  # another voice
                  SpeechStore(cache, "acct_2", {"ef_dora": 1.0}, 1.0, "es", "kokoro-82m")):  # another account
        store.get("Hola.", make("Hola."))
    assert len(spoken) == 4
    assert cache.prune(older_than_seconds=-1) == 4 and cache.size("acct_1") == 0  # the retention sweep


def test_the_catalog_binds_the_configured_generator(tmp_path):
    assert Catalog.default().resolve("guion-a-video").generate is None
    assert Catalog.default(cfg=load_config(None, {})).resolve("script-to-video").generate is None
    workflow = tmp_path / "w.json"
    workflow.write_text('{"6": {"inputs": {"text": "{{prompt}}"}}}')
    path = tmp_path / "c.toml"
    path.write_text(f'[generators.comfy]\nkind = "comfyui"\nurl = "http://127.0.0.1:8188"\nworkflow = "{workflow}"\n')
    gen = Catalog.default(cfg=load_config(path, {})).resolve("script-to-video").generate
    assert gen is not None and gen.name == "comfy"
    assert scene_seed("un faro") == scene_seed("un faro") != scene_seed("un barco") and scene_seed("x") < 2**31


def test_an_ideas_tokens_are_seconds_of_its_price_and_the_hold_covers_them():
    chat, own = Price("1k_tokens", 200, 0, 600), Price("second", 2000, 10_000)
    rates = token_rates(chat, own)
    assert rates == [200, 600, 2000.0] and token_seconds(rates, 3000, 500) == 0.45
    assert token_rates(chat, Price("minute", 60_000)) == [200, 600, 1000.0]
    assert token_rates(Price(None, 100), own) is None and token_seconds(None, 9999, 9999) == 0.0
    bare = held_seconds({"idea": "x", "duration": 30}, None)
    priced = held_seconds({"idea": "x", "duration": 30}, rates)
    assert priced - bare == pytest.approx(token_seconds(rates, 2500 + 60 * 30, 300 + 12 * 30), abs=1e-3)
    # the plan holds them at the configured prices (the defaults here), frozen in its facts for the charge
    tool = ScriptToVideoTool()
    plan = tool.plan(tool.typed(tool.validate({"idea": "Un faro", "duration": 30}, {}, Limits())), {}, Limits())
    assert plan.facts["token_rates"] == rates and plan.units == pytest.approx(priced)


def test_an_idea_job_is_charged_more_than_the_same_video_from_a_script_never_above_its_hold():
    from noxus_local.billing.charges import settlement
    from noxus_local.tools.base import ToolOutput

    own = Price("second", 2000, 10_000)
    extra = token_seconds(token_rates(Price("1k_tokens", 200, 0, 600), own), 3100, 420)
    row = {"price_unit": "second", "unit_price_micros": 2000, "minimum_price_micros": 10_000,
           "hold_micros": 40_000, "estimated_units": 20.0}

    def charged(units: float) -> int:
        micros, _ = settlement(row, ToolOutput(b"", "v.mp4", "video/mp4", units=units))
        return min(micros, row["hold_micros"])  # core.jobs.finish caps at the hold

    script, idea = charged(12.4), charged(round(12.4 + extra, 3))
    assert idea - script == (3100 * 200 + 420 * 600) // 1000 == 872 and idea <= row["hold_micros"]
    assert charged(round(30.0 + extra, 3)) == row["hold_micros"]  # never above the hold


def test_a_rerender_takes_voice_music_and_logo_from_its_timeline_unless_the_request_gives_them(tmp_path):
    """issue 20's leftover: the timeline.json of a render names its voice, music and logo (the logo and a
    music file by their key in the account's cache); posted back, they are used unless overridden."""
    tool, key = ScriptToVideoTool(), "ab" * 32
    posted = {**doc({"kind": "designed"}), "narration": {"voice_id": "em_alex", "language": "es", "speed": 1.2},
              "music": {"track": "calm", "volume": 0.2}, "logo": {"key": key, "position": "top_left"}}
    params = tool.validate({"timeline": posted}, {}, Limits())
    assert (params["voice_id"], params["speed"], params["music"], params["music_volume"], params["logo_position"],
            params["kept"]) == ("em_alex", 1.2, "calm", 0.2, "top_left", {"logo": key})
    assert tool.typed(params).kept == {"logo": key} and "kept" not in [i.name for i in tool.inputs]
    own = tool.validate({"timeline": posted, "voice_id": "ef_dora", "music": "none", "speed": "1",
                         "logo_position": "bottom_right"}, {}, Limits())
    assert (own["voice_id"], own["speed"], own["music"], own["music_volume"], own["logo_position"]) == \
        ("ef_dora", 1.0, "none", 0.2, "bottom_right")
    # a request that uploads its own logo or music file keeps it; values a field would refuse are not taken
    odd = {**posted, "narration": {"voice_id": 7, "speed": 9}, "music": {"key": key, "volume": "loud"}}
    from PIL import Image

    from noxus_local.tools.base import InputFile

    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "mine.png")
    upload = InputFile(tmp_path / "mine.png", "mine.png", "image/png", (tmp_path / "mine.png").stat().st_size)
    mine = tool.validate({"timeline": odd}, {"logo": upload}, Limits())
    assert (mine["voice_id"], mine["speed"], mine["music"], mine["music_volume"]) == ("ef_dora", 1.0, "none", 0.35)
    assert mine["kept"] == {"music_file": key}


def test_a_renders_logo_is_kept_by_its_key_and_found_again_by_the_same_account(tmp_path):
    from noxus_local.tools.base import ToolContext
    from noxus_local.tools.script_to_video import _keep, _kept

    cache = PartCache(tmp_path / "cache", 10 * 2**20)
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG fake logo bytes")
    ctx = ToolContext(params={}, files={}, limits=Limits(), workdir=tmp_path, account_id="acct_1")
    key = _keep(cache, ctx, "logo", logo)
    assert key is not None and _keep(cache, ctx, "logo", logo) == key  # the same bytes, the same entry
    again = _kept(cache, ctx, "logo", key)
    assert again is not None and again.read_bytes() == logo.read_bytes() and again.parent == tmp_path
    other = ToolContext(params={}, files={}, limits=Limits(), workdir=tmp_path, account_id="acct_2")
    assert _kept(cache, other, "logo", key) is None  # another account's cache never has it
    assert _kept(cache, ctx, "logo", "cd" * 32) is None and _kept(None, ctx, "logo", key) is None
