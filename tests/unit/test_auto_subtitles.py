"""The auto-subtitles tool around recognition: checks, pricing units, segment and render steps (issue 10).

Recognition itself is speech-asr's; here a Transcript built by the test feeds the
real cue cutting, ASS styling, libass burn, preview and file writers.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
import srt

from noxus_local.captions.cues import build_cues
from noxus_local.errors import InvalidMedia, LimitExceeded, ValidationError
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.probe import probe
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Segment, Transcript, Word
from noxus_local.tools import auto_subtitles as tool_module
from noxus_local.tools.auto_subtitles import AutoSubtitlesTool
from noxus_local.tools.base import InputFile, Limits, Plan, ToolContext, ToolOutput

TOOL = AutoSubtitlesTool()


def _make(path: Path, *inputs: str) -> Path:
    run_ffmpeg([*inputs, "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-shortest", str(path)]
               if path.suffix == ".mp4" else [*inputs, "-t", "3", str(path)], CancelToken())
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("subs")
    video = ["-f", "lavfi", "-i", "color=c=0x303030:s=240x320:r=25"]
    audio = ["-f", "lavfi", "-i", "sine=f=300"]
    return {"video": _make(d / "clip.mp4", *video, *audio), "mute": _make(d / "mute.mp4", *video),
            "audio": _make(d / "voz.wav", *audio)}


def _files(path: Path) -> dict[str, InputFile]:
    return {"video": InputFile(path, path.name, None, path.stat().st_size)}


def _transcript() -> Transcript:
    text = "Hola a todos, esto es una prueba de subtítulos."
    words = tuple(Word(w, 0.4 + i * 0.35, 0.7 + i * 0.35, 0.9) for i, w in enumerate(text.split()))
    return Transcript("es", 0.97, 3.0, (Segment(0, 0.4, 3.0, " " + text, words, -0.1, 0.01),))


def _render(tmp_path: Path, source: Path, transcript: Transcript | None = None, **raw) -> ToolOutput:
    files = _files(source)
    params = TOOL.typed(TOOL.validate({"language": "es", **raw}, files, Limits()))
    ctx = ToolContext(params=params, files=files, limits=Limits(), workdir=tmp_path)
    info = probe(source)
    t = transcript or _transcript()
    cues = build_cues(t.segments, tool_module.rules_for(params, info))
    return tool_module.render(ctx, info, t, cues, lambda fraction: None)


def test_burned_video_with_every_subtitle_file(tmp_path: Path, media: dict[str, Path]) -> None:
    out = _render(tmp_path, media["video"], style="yellow_punch")
    assert (out.name, out.mime_type, out.filename) == ("video", "video/mp4", "clip-subtitled.mp4")
    assert [f.name for f in out.files()] == ["video", "srt", "vtt", "ass", "json"]
    info = probe(Path(out.data))
    assert info.require_video().display_size == (240, 320) and info.require_audio().codec == "aac"
    parsed = list(srt.parse(out.extras[0].data.decode()))
    assert " ".join(p.content.replace("\n", " ") for p in parsed) == "Hola a todos, esto es una prueba de subtítulos."
    seg = out.result["segments"][0]
    assert set(seg) >= {"id", "start", "end", "text", "words"} and seg["words"][0]["word"] == "Hola"
    assert out.result["language"] == "es" and out.result["style"]["name"] == "yellow_punch"
    assert json.loads(out.extras[3].data)["transcript"].startswith("Hola a todos")
    assert all(len(line) <= 32 for c in out.result["segments"] for line in c["lines"])  # portrait default
    assert out.units == pytest.approx(3.0, abs=0.1)


def test_burn_false_and_formats(tmp_path: Path, media: dict[str, Path]) -> None:
    out = _render(tmp_path, media["video"], burn=False, formats="vtt, txt,tsv")
    assert [f.name for f in out.files()] == ["vtt", "txt", "tsv"] and out.mime_type == "text/vtt"
    assert out.units == pytest.approx(3.0 * tool_module.UNIT_FACTORS["no_burn"], abs=0.1)
    assert _plan({"burn": False}, _files(media["video"])).units == pytest.approx(out.units, abs=0.01)


def test_preview_is_one_png(tmp_path: Path, media: dict[str, Path]) -> None:
    out = _render(tmp_path, media["video"], preview_at=1.0, style="boxed")
    assert out.mime_type == "image/png"
    with av.open(str(out.data)) as c:
        assert next(c.decode(video=0)).to_ndarray(format="rgb24").shape == (320, 240, 3)
    assert _plan({"preview_at": 1.0}, _files(media["video"])).units == pytest.approx(1.5, abs=0.05)


def test_audio_only_gets_files_and_silence_gets_a_note(tmp_path: Path, media: dict[str, Path]) -> None:
    empty = Transcript("es", 0.5, 3.0, ())
    out = _render(tmp_path, media["audio"], empty)
    assert out.name == "srt" and out.result["segments"] == [] and out.result["note"]


def _plan(raw: dict, files: dict[str, InputFile], limits: Limits | None = None) -> Plan:
    """What the request does before any money moves: read the fields, then plan (the one probe)."""
    limits = limits or Limits()
    return TOOL.plan(TOOL.typed(TOOL.validate(raw, files, limits)), files, limits)


def test_refusals_before_any_work(media: dict[str, Path]) -> None:
    with pytest.raises(InvalidMedia) as err:
        _plan({}, _files(media["mute"]))
    assert "audio" in err.value.message
    with pytest.raises(LimitExceeded) as over:
        _plan({}, _files(media["video"]), Limits(max_video_seconds=2))
    assert over.value.details["limit"] == "max_video_seconds"
    for raw, field in (({"language": "xx"}, "language"), ({"formats": "srt,docx"}, "formats"),
                       ({"position": "sideways"}, "position"), ({"primary_color": "#12"}, "primary_color")):
        with pytest.raises(ValidationError) as bad:
            _plan(raw, _files(media["video"]))
        assert field in bad.value.details["field_errors"]
    with pytest.raises(ValidationError) as style:
        _plan({"style": "sparkly"}, _files(media["video"]))
    assert "yellow_punch" in str(style.value.details)


def test_catalog_describes_every_style() -> None:
    from noxus_local.money import Price

    body = TOOL.describe(Price("minute", 20000, 2000))
    assert {s["name"] for s in body["styles"]} >= {"yellow_punch", "classic", "boxed", "karaoke", "word_pop",
                                                   "one_word", "neon", "minimal"}
    assert body["aliases"] == ["subtitulos-automaticos"] and "Anton" in body["fonts"]


def test_model_option_unknown_or_not_installed_is_refused_before_the_hold(tmp_path: Path) -> None:
    """What ``prepare_job`` asks before any hold: 400 for an id the manifest lacks (listing the installed
    ones), 503 with the fetch command for a declared model or Silero VAD that is missing."""
    from noxus_local.config import load_config
    from noxus_local.inference.model import ModelNotInstalled

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    tool = AutoSubtitlesTool()
    plan = Plan(models=("whisper-base", "silero-vad"))  # what plan() names for model=whisper-base
    with pytest.raises(ValidationError) as unknown:
        tool.check_installed({"model": "whisper-huge", "language": "auto"}, plan, cfg)
    assert unknown.value.details["allowed"]["model"] == []
    assert {"whisper-base", "whisper-tiny-en"} <= set(unknown.value.details["declared"])
    with pytest.raises(ModelNotInstalled) as missing:
        tool.check_installed({"model": "whisper-base", "language": "es"}, plan, cfg)
    assert missing.value.status == 503 and missing.value.details["install"] == "noxus-local models fetch whisper-base"
    base = tmp_path / "data" / "models" / "whisper-base"
    base.mkdir(parents=True)
    from noxus_local.inference.registry.installed import ModelRegistry

    spec = ModelRegistry.from_config(cfg).specs["whisper-base"]
    for f in spec.files:  # present with the declared sizes: installed as list_models sees it
        with (base / f.name).open("wb") as out:
            out.truncate(f.size)
    with pytest.raises(ModelNotInstalled) as no_vad:
        tool.check_installed({"model": "whisper-base", "language": "es"}, plan, cfg)
    assert no_vad.value.details["model"] == "silero-vad"
