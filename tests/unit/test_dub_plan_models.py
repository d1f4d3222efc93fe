"""dub-video decides its voice and its models in the plan (issue 18 item 1): the installed-check reads them.

A real config over an empty data dir (nothing installed) and the real manifest; no media is needed for the
part of the plan that picks the voice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from noxus_local.config import load_config
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.tools.base import Plan
from noxus_local.tools.dub_video import DubVideoTool


@pytest.mark.parametrize(("raw", "voice", "models", "use_llm"), [
    ({"target_language": "es"}, "ef_dora", ("kokoro-82m", "kokoro-voice-ef-dora", "LLM"), True),
    ({"target_language": "en", "translator": "whisper"}, "af_heart", ("kokoro-82m", "kokoro-voice-af-heart"), False),
    ({"target_language": "en", "voice_id": "piper_en_us_joe", "translator": "whisper"}, "piper_en_us_joe",
     ("piper-en-us-joe",), False),
])
def test_the_plan_names_the_voice_it_picks_and_the_text_model_when_it_translates(tmp_path: Path, raw, voice,
                                                                                 models, use_llm):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    tool = DubVideoTool().bind(cfg)
    params = tool.typed(raw)
    wanted = tuple(cfg.llm.model if m == "LLM" else m for m in models)
    assert tool._freeze(params, cfg) == wanted
    assert (params.voice, params.use_llm) == (voice, use_llm)
    assert params.voices == []  # none of the target's voices is installed here


def test_the_installed_check_refuses_the_first_model_of_the_plan_not_installed(tmp_path: Path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    tool = DubVideoTool().bind(cfg)
    raw = {"target_language": "en", "voice_id": "piper_en_us_joe", "translator": "whisper", "model": "whisper-base"}
    params = tool.typed(raw)
    plan = Plan(models=("whisper-base", "silero-vad", *tool._freeze(params, cfg)))
    with pytest.raises(ModelNotInstalled) as missing:
        tool.check_installed(tool.stored(params), plan, cfg)
    assert missing.value.status == 503 and missing.value.details["install"] == "noxus-local models fetch whisper-base"


def test_field_messages_are_written_in_both_locales():
    """Issue 18 item 6: a field message is an errors.Text (chosen by [server] locale), not a bare string."""
    from noxus_local.errors import Text, ValidationError, say
    from noxus_local.tools.auto_subtitles import formats
    from noxus_local.tools.dub_video import target_of

    with pytest.raises(ValidationError) as bad_format:
        formats({"formats": "srt,doc"})
    with pytest.raises(ValidationError) as bad_target:
        target_of("xx")
    for caught, field in ((bad_format, "formats"), (bad_target, "target_language")):
        message = caught.value.details["field_errors"][field][0]
        assert isinstance(message, Text), field
        assert say(message, "es") != say(message, "en"), field
