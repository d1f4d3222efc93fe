"""The default text model, Qwen2.5-Coder 1.5B (fetched and converted by the registry through the shared
download cache, as `make test` does: never skipped), plans a script as JSON that validates, in both
languages; the 0.5B tests cover the rest of the code path (issue 19)."""

import pytest

from noxus_local.config import load_config
from noxus_local.generate.llm import llm_from_config
from noxus_local.generate.schema import problems
from noxus_local.generate.schemas import SCENE_PLAN_SCHEMA, SCRIPT_SCHEMA
from noxus_local.generate.structured import ask_structured
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("llm15") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    assert cfg.llm.model == "qwen2.5-coder-1.5b-instruct"  # the default of [llm] model
    ModelRegistry.from_config(cfg).fetch([cfg.llm.model])
    return llm_from_config(cfg, ModelCache(cfg))


@pytest.mark.parametrize("language, idea", [("es", "Una tienda de bicicletas que enseña a los niños a repararlas"),
                                            ("en", "A rooftop garden that grows vegetables for a school canteen")])
def test_the_15b_plans_a_script_as_json_that_validates(llm, language, idea):
    plan = ask_structured(llm, "script", language, {"idea": idea, "seconds": 30, "words": 75, "scenes": 3},
                          SCRIPT_SCHEMA, max_tokens=300)
    assert problems(plan.data, SCRIPT_SCHEMA) == []
    assert 2 <= len(plan.data["scenes"]) <= 5
    script = "\n".join(f"{i}. {s['beat']}" for i, s in enumerate(plan.data["scenes"], start=1))
    visuals = ask_structured(llm, "scene_plan", language, {"script": script, "scenes": len(plan.data["scenes"])},
                             SCENE_PLAN_SCHEMA, max_tokens=400)
    assert problems(visuals.data, SCENE_PLAN_SCHEMA) == []
