"""The chat tool and its OpenAI shapes without a model: the request mapping, the hold, JSON mode's
parsing and the server-sent events (issue 19, item 5). tests/e2e/test_chat_e2e.py runs the real model."""

import json

import pytest

from noxus_local.api.chat_routes import chat_fields
from noxus_local.api.chat_shapes import Chunks, completion, whole_stream
from noxus_local.config import load_config
from noxus_local.errors import ValidationError
from noxus_local.generate.llm.models import TextModels
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.tools.base import Limits
from noxus_local.tools.chat import ChatTool, _json_object
from noxus_local.tools.plan import Plan

RESULT = {"text": "¡Hola!", "model": "m", "finish_reason": "stop", "created": 5,
          "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def test_openai_fields_map_onto_the_tool():
    fields = chat_fields({"messages": [{"role": "user", "content": [{"type": "text", "text": "Ho"},
                                                                     {"type": "text", "text": "la"}]}],
                          "max_tokens": 9, "max_completion_tokens": 7, "response_format": {"type": "json_object"},
                          "stream": True, "stream_options": {"include_usage": True}, "user": "ignored"}, "conf")
    assert fields == {"messages": [{"role": "user", "content": "Hola"}], "model": "conf", "max_tokens": 7,
                      "response_format": "json_object", "stream": True, "include_usage": True}


@pytest.mark.parametrize("body", [{"n": 2}, {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}])
def test_what_we_cannot_answer_is_a_400(body):
    with pytest.raises(ValidationError):
        chat_fields(body, "m")


def test_the_hold_covers_the_prompt_and_every_allowed_token_twice_in_json_mode():
    tool, plan = ChatTool(), Plan(facts={"prompt_tokens": 30, "rates": [200, 600, 0]})  # counted by the plan
    assert tool.token_estimate({"max_tokens": 100, "response_format": "text"}, plan) == (30, 100)
    assert tool.token_estimate({"max_tokens": 100, "response_format": "json_object"}, plan) == (30 * 2 + 100 + 64, 200)


def test_messages_and_stops_are_checked_before_any_money():
    tool = ChatTool()
    with pytest.raises(ValidationError) as empty:
        tool.validate({"messages": [], "model": "m"}, {}, Limits())
    assert "messages" in empty.value.details["field_errors"]
    with pytest.raises(ValidationError) as role:
        tool.validate({"messages": [{"role": "wizard", "content": "x"}], "model": "m"}, {}, Limits())
    assert "messages[0].role" in role.value.details["field_errors"]
    params = tool.validate({"messages": [{"role": "user", "content": "x"}], "model": "m", "stop": "\n"}, {}, Limits())
    assert params["stop"] == ["\n"] and params["temperature"] == 1.0


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": 1}', ('{"a": 1}', "")),
    ('```json\n{"a": [1, 2]}\n```', ('{"a": [1, 2]}', "")),
    ("[1, 2]", ("", "a JSON value that is not an object")),
    ("no json here", ("", "no JSON object found")),
])
def test_json_mode_takes_one_object_or_names_the_problem(text, expected):
    assert _json_object(text) == expected


def test_a_completion_and_its_stream_say_the_same():
    assert completion("job_x", RESULT)["choices"][0]["message"]["content"] == "¡Hola!"
    events = whole_stream("job_x", RESULT, include_usage=True).decode().split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(e[6:]) for e in events[:-2]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "¡Hola!"}
    assert chunks[1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[2]["choices"] == [] and chunks[2]["usage"] == RESULT["usage"]
    assert b"usage" not in Chunks("job_x", "m", include_usage=False).piece("a")


def test_a_model_neither_configured_nor_installed_is_a_400_listing_them_and_one_not_fetched_a_503(tmp_path):
    models = TextModels(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)}))
    assert models.names() == ["qwen2.5-coder-1.5b-instruct"]
    with pytest.raises(ValidationError) as unknown:
        models.check("gpt-4o")
    assert "qwen2.5-coder-1.5b-instruct" in str(unknown.value.details["field_errors"]["model"][0])
    with pytest.raises(ModelNotInstalled) as missing:
        models.check("qwen2.5-coder-1.5b-instruct")
    assert missing.value.details["install"] == "noxus-local models fetch qwen2.5-coder-1.5b-instruct"
    assert models.context_tokens("qwen2.5-coder-1.5b-instruct") == 8192  # [llm] max_context_tokens


def test_an_engine_serves_only_its_configured_model_and_counts_prompts_generously(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_LLM_BACKEND": "openai",
                             "NOXUS_LLM_BASE_URL": "http://10.0.0.5:11434/v1", "NOXUS_LLM_MODEL": "qwen2.5:7b"})
    models = TextModels(cfg)
    assert models.names() == ["qwen2.5:7b"] and models.context_tokens("qwen2.5:7b") is None
    models.check("qwen2.5:7b")
    assert models.prompt_tokens("qwen2.5:7b", [{"role": "user", "content": "x" * 1000}]) > 500


def test_every_tool_shares_one_set_of_text_models_per_config(tmp_path):
    """chat, script-to-video, video-ad and auto-clip's hook judge ask the same TextModels, so the same Llm
    instance and its [llm] max_concurrency bound them together; another config gets its own."""
    from noxus_local.generate.llm.models import text_models

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "a")})
    other = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "b")})
    assert text_models(cfg) is text_models(cfg)
    assert isinstance(text_models(cfg), TextModels) and text_models(other) is not text_models(cfg)
