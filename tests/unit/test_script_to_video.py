"""script-to-video's planning and choices without rendering (issue 20 items 1-3, 8): scenes of whole sentences
within 3-8 s, a text model's plan or the deterministic one when it gives no usable JSON, materials each
used before any repeats, a failing image generator falling back to a designed scene, the checks that run
before the hold, and the hold covering what a render charges."""

from __future__ import annotations

from pathlib import Path

import pytest

from noxus_local.compose.narration import as_written
from noxus_local.compose.visuals import Material, choose, match_materials
from noxus_local.config import load_config
from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.generate.llm.types import Completion
from noxus_local.generate.scenes import estimate_seconds, group, key_terms, plan_scenes, sentences
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.tools.base import Limits
from noxus_local.tools.script_to_video import ScriptToVideoTool, default_voice, frame_size, held_seconds

SCRIPT = ("Las montañas guardan el silencio del invierno. El viento sopla entre los pinos. "
          "El río baja rápido hacia el pueblo, donde los niños juegan en la plaza cada tarde. "
          "¡Ven a verlo!")


class ScriptedLlm:
    """Answers from a list, in turn: the model's side of a conversation, for the planner's retry logic."""

    def __init__(self, answers: list[str]) -> None:
        self.answers, self.asked = list(answers), 0

    def chat(self, messages, **settings):  # noqa: ANN001, ANN003, ANN201 - the Llm protocol's shape
        self.asked += 1
        return Completion(self.answers.pop(0), 10, 10, "stop")


def test_scenes_are_whole_sentences_of_three_to_eight_seconds():
    parts = sentences(SCRIPT)
    assert len(parts) == 4
    scenes = group(parts)
    assert " ".join(scenes) == " ".join(parts)  # nothing lost, nothing cut
    assert all(s.rstrip()[-1] in ".!?" for s in scenes)
    assert all(estimate_seconds(s) <= 8 for s in scenes)
    assert all(estimate_seconds(s) >= 3 for s in scenes)


def test_a_sentence_longer_than_eight_seconds_is_one_scene_never_cut():
    long = "Una frase " + "muy " * 60 + "larga."
    assert group(["Hola.", long, "Adiós."]) == ["Hola.", long, "Adiós."]


def test_without_a_text_model_the_sentences_plan_the_scenes():
    plan = plan_scenes(SCRIPT, "es", None)
    assert plan.planner == "sentences" and plan.warnings == ()
    assert plan.scenes[0].search and all(t == t.lower() for t in plan.scenes[0].search)
    assert key_terms("El café de especialidad en Valencia") == ("café", "especialidad", "valencia")


def test_the_text_models_json_gives_each_scene_its_visual_and_search_terms():
    count = len(group(sentences(SCRIPT)))
    answer = {"scenes": [{"scene": i, "visual": f"Plano {i} de montañas", "search": "montaña nieve pinos"}
                         for i in range(1, count + 1)]}
    import json

    llm = ScriptedLlm(["Claro:\n```json\n" + json.dumps(answer) + "\n```"])
    plan = plan_scenes(SCRIPT, "es", llm)
    assert plan.planner == "llm" and llm.asked == 1
    assert plan.scenes[0].visual == "Plano 1 de montañas" and plan.scenes[0].search == ("montaña", "nieve", "pinos")


def test_invalid_json_twice_falls_back_to_the_sentence_planner_with_a_warning():
    llm = ScriptedLlm(["no es JSON", '{"scenes": [{"scene": 7}]}'])
    plan = plan_scenes(SCRIPT, "es", llm)
    assert llm.asked == 2 and plan.planner == "sentences"
    assert plan.warnings and "sentences" in plan.warnings[0]
    assert [s.text for s in plan.scenes] == group(sentences(SCRIPT))


def test_every_material_is_used_before_any_repeats_and_names_match_search_terms():
    mats = [Material(Path("a"), "ciudad-noche.jpg"), Material(Path("b"), "playa.mp4"), Material(Path("c"), "x.png")]
    assert match_materials([(), (), (), (), ()], mats) == [0, 1, 2, 0, 1]  # the order given
    assert match_materials([("playa", "sol"), ("ciudad",), ("bosque",)], mats) == [1, 0, 2]
    assert match_materials([("a",)], []) == [None]


def test_a_failing_generator_falls_back_to_a_designed_scene_with_a_warning(tmp_path):
    def broken(prompt: str, width: int, height: int, seed: int) -> Path:
        raise TimeoutError("the generator took too long")

    chosen = choose(2, "a beach at dawn", None, (720, 1280), broken, tmp_path)
    assert chosen.visual.kind == "designed" and "TimeoutError" in (chosen.warning or "")
    made = tmp_path / "gen.png"
    made.write_bytes(b"png")
    chosen = choose(0, "a beach", None, (720, 1280), lambda *a: made, tmp_path)
    assert (chosen.visual.kind, chosen.visual.source) == ("generated", made)
    assert choose(0, "x", Material(made, "mine.png"), (720, 1280), broken).visual.kind == "material"


def test_sizes_and_default_voices():
    assert frame_size("9:16", "720p") == (720, 1280)
    assert frame_size("16:9", "1080p") == (1920, 1080)
    assert frame_size("1:1", "720p") == (720, 720)
    assert (default_voice("es"), default_voice("en"), default_voice("fr")) == ("ef_dora", "af_heart", "ff_siwis")


@pytest.fixture
def bare_cfg(tmp_path):
    return load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})


def test_checks_before_the_hold(bare_cfg):
    tool = ScriptToVideoTool()
    with pytest.raises(ValidationError):
        tool.validate({"idea": "x", "script": "Hola."}, {}, Limits())
    with pytest.raises(ValidationError):
        tool.validate({"script": "🙂 🙂"}, {}, Limits())
    with pytest.raises(ValidationError):
        tool.validate({"idea": "Un café", "language": "fr"}, {}, Limits())  # an idea is written in es or en
    with pytest.raises(LimitExceeded):
        tool.validate({"script": "Hola. " * 1000}, {}, Limits(max_video_seconds=60))
    params = tool.validate({"script": "Hola " * 1100}, {}, Limits(max_video_seconds=3600))
    with pytest.raises(LimitExceeded) as exc:
        tool.check_installed(params, tool.plan(tool.typed(params), {}, Limits()), bare_cfg)  # over max_script_chars
    assert exc.value.details["limit"] == "max_script_chars"


@pytest.mark.parametrize(("voice", "language", "listed"), [
    ("nobody", "es", "ef_dora, em_alex, em_santa"), ("ef_dora+nadie", "es", "ef_dora, em_alex, em_santa"),
    ("nobody", "en", "af_heart"), ("nobody", "pt-br", "pf_dora, pm_alex, pm_santa")])
def test_an_unknown_voice_is_a_400_listing_the_voices_of_its_language(voice, language, listed):
    from noxus_local.errors import say

    with pytest.raises(ValidationError) as exc:
        ScriptToVideoTool().validate({"script": "Hola.", "voice_id": voice, "language": language}, {}, Limits())
    message = say(exc.value.details, "en")["field_errors"]["voice_id"][0]
    assert message.startswith("unknown voice") and listed in message and "GET /api/v1/voices" in message
    allowed = exc.value.details["allowed"]["voice_id"]
    assert "ef_dora" in allowed and "af_heart" in allowed
    assert "voz desconocida" in str(exc.value.details["field_errors"]["voice_id"][0])  # es by default


def test_a_script_without_a_text_model_is_planned_from_sentences_and_an_idea_is_503(bare_cfg):
    tool = ScriptToVideoTool().bind(bare_cfg)
    params = tool.validate({"script": SCRIPT}, {}, Limits())
    plan = tool.plan(tool.typed(params), {}, Limits())  # the server's facts, frozen in the plan
    tool.check_installed(params, plan, bare_cfg)
    assert (params["planner"], plan.facts["llm"], params["voice_id"]) == ("auto", False, "ef_dora")
    assert (plan.facts["fps"], plan.facts["loudness"], plan.models) == (25, -16.0, ())
    assert tool._wants_llm(params, 2) and not tool._wants_llm(params, 1)  # visuals to match: the model plans
    forced = tool.validate({"script": SCRIPT, "planner": "llm"}, {}, Limits())
    with pytest.raises(ModelNotInstalled):
        tool.check_installed(forced, tool.plan(tool.typed(forced), {}, Limits()), bare_cfg)
    idea = tool.validate({"idea": "Un café en Valencia"}, {}, Limits())
    with pytest.raises(ModelNotInstalled) as exc:
        tool.check_installed(idea, tool.plan(tool.typed(idea), {}, Limits()), bare_cfg)
    assert "noxus-local models fetch" in str(exc.value.details)


def test_the_hold_covers_the_speech_of_every_voice():
    """Held at 11 characters a second: every voice measured reads 12.7-15.7 at speed 1 (speech/synthesis.py)."""
    tool = ScriptToVideoTool()
    params = tool.validate({"script": SCRIPT}, {}, Limits())
    spoken = len(SCRIPT) / 12.7 + 0.35 * (len(group(sentences(SCRIPT))) - 1) + 0.6
    assert tool.plan(tool.typed(params), {}, Limits()).units > spoken
    assert held_seconds({"idea": "x", "duration": 30}, None) >= 30 * 1.2


def test_caption_words_are_the_script_as_written_not_the_synthesisers_pieces():
    from noxus_local.speech.types import Word

    pieces = [Word("Mira", 0, .2, 1), Word("[0:", .3, .5, 1), Word("v];", .5, .7, 1), Word("{\\pos(0,", 1, 1.2, 1),
              Word("0)}", 1.2, 1.3, 1), Word("fin.", 1.5, 1.8, 1)]
    words = as_written(pieces, "Mira [0:v]; {\\pos(0,0)} 🙂 fin.")
    assert [(w.word, w.start, w.end) for w in words] == [
        ("Mira", 0, .2), ("[0:v];", .3, .7), ("{\\pos(0,0)}", 1, 1.3), ("🙂", 1.3, 1.3), ("fin.", 1.5, 1.8)]
    assert as_written(pieces[:2], "otra cosa") == tuple(pieces[:2])  # pieces that do not spell it: as they are


def test_a_list_of_file_references_is_a_json_list_or_comma_separated_text():
    from noxus_local.api.input_refs import ref_list

    assert ref_list("materials", "asset_a, https://x.test/b.png") == ["asset_a", "https://x.test/b.png"]
    assert ref_list("materials", ["asset_a"]) == ["asset_a"] and ref_list("materials", None) == []
    for bad in ({"a": 1}, [1], [""], "a,,b", ["x" * 3000]):
        with pytest.raises(ValidationError):
            ref_list("materials", bad)
