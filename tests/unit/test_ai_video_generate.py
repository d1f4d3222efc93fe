"""Video generation through the user's ComfyUI (issue 23): the generator against a fake ComfyUI that serves a
real ffmpeg-made clip, and the ai-video-generate tool's MP4 judged by PyAV (an independent decoder), plus the
engine's failures (node_errors, a web page for a video, a history that never fills, a still image)."""

from __future__ import annotations

import dataclasses
import textwrap
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from noxus_local.config import Config, GeneratorSettings, load_config
from noxus_local.errors import ConfigError, JobCancelled, ToolUnavailable, ValidationError
from noxus_local.generators import GeneratorError, GeneratorSpec
from noxus_local.generators.video import VideoRequest, generate_video
from noxus_local.media.fit_video import fit_args
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.ai_video_generate import AiVideoGenerateTool, output_size
from noxus_local.tools.base import InputFile, Limits, Plan, ToolContext
from tests.comfy_video_fixture import AVATAR_WORKFLOW, I2V_WORKFLOW, VIDEO_WORKFLOW, start
from tests.generator_fixture import png


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    server = start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def comfy(engine: Any) -> Any:
    engine.mode, engine.polls, engine.workflow = "ok", 0, None
    engine.seen.clear()
    engine.uploads.clear()
    engine.workflows.clear()
    engine.fail_prompts = set()
    return engine


def spec_of(tmp_path: Path, engine: Any, kind: str = "video", timeout: float = 20.0,
            workflow: str = VIDEO_WORKFLOW) -> GeneratorSpec:
    flow = tmp_path / f"{kind}.json"
    flow.write_text(AVATAR_WORKFLOW if kind == "avatar" else workflow)
    settings = GeneratorSettings(kind=kind, url=f"http://127.0.0.1:{engine.server_address[1]}", workflow=str(flow),
                                 timeout_seconds=timeout, fps=16)
    return GeneratorSpec("wan", settings, ("127.0.0.1",))


def info(path: Path) -> tuple[str, int, int, str, float, bool]:
    """(codec, width, height, pixel format, seconds, has audio) as PyAV reads the file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return (video.codec_context.name, video.width, video.height, video.codec_context.pix_fmt or "",
                float(container.duration / 1e6), bool(container.streams.audio))


def test_a_video_workflow_is_filled_its_image_uploaded_and_the_real_clip_kept(tmp_path: Path, comfy: Any) -> None:
    face = tmp_path / "first.png"
    face.write_bytes(png(64, 48))
    req = VideoRequest('a mug "steaming" {x}', "", 1280, 720, 7, 3.5, image=face)
    clip = generate_video(spec_of(tmp_path, comfy, workflow=I2V_WORKFLOW), req, tmp_path / "out", None)
    path = clip.path
    assert clip.info.duration and clip.info.video is not None
    assert path.suffix == ".mp4" and path.parent == tmp_path / "out"
    assert info(path)[:3] == ("h264", 320, 240)  # the engine's own clip, untouched
    flow = comfy.workflow
    uploaded = comfy.uploads[0][0]
    assert flow["1"]["inputs"]["image"] == uploaded and uploaded.endswith(".png")
    assert png(64, 48) in comfy.uploads[0][1]  # the file's bytes went up
    assert flow["2"]["inputs"]["text"] == 'a mug "steaming" {x}'
    assert (flow["4"]["inputs"]["width"], flow["4"]["inputs"]["height"], flow["4"]["inputs"]["length"]) == \
        (1280, 720, 56)  # 3.5 s × 16 fps
    assert flow["6"]["inputs"]["frame_rate"] == 16 and flow["5"]["inputs"]["seed"] == 7
    assert flow["7"]["inputs"]["text"] == "asked 3.5 s"
    view = [q for p, q in comfy.seen if p == "/view"][0]
    assert view == {"filename": ["noxus_00001.mp4"], "type": ["output"]}


def test_a_webm_from_a_videos_output_is_accepted(tmp_path: Path, comfy: Any) -> None:
    comfy.mode = "webm"
    path = generate_video(spec_of(tmp_path, comfy), VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path, None).path
    assert path.suffix == ".webm" and info(path)[0] == "vp8"


@pytest.mark.parametrize(("mode", "name"), [("gif", "noxus_00001.gif"), ("awebp", "ComfyUI_00001_.webp")])
def test_an_animated_gif_or_webp_answer_becomes_an_h264_mp4(tmp_path: Path, comfy: Any, mode: str,
                                                            name: str) -> None:
    """VHS_VideoCombine's gif and SaveAnimatedWEBP: converted (ffmpeg reads the GIF, Pillow the WebP's
    frames); PyAV, not our probe, counts the frames and reads the length and the colour."""
    comfy.mode = mode
    clip = generate_video(spec_of(tmp_path, comfy), VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path / "o", None)
    assert clip.path.suffix == ".mp4" and [p.name for p in (tmp_path / "o").iterdir()] == [clip.path.name]
    with av.open(str(clip.path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        seconds = float(container.duration / 1e6)
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 240)
    assert 22 <= len(frames) <= 26 and abs(seconds - 24 * 0.062) < 0.15, (len(frames), seconds)
    corner = frames[len(frames) // 2][:40, :40].reshape(-1, 3).mean(axis=0)
    assert abs(corner[0] - 40) < 25 and abs(corner[1] - 200) < 25 and abs(corner[2] - 90) < 25, corner
    assert [q for p, q in comfy.seen if p == "/view"][0]["filename"] == [name]


def test_a_workflow_input_is_required_when_it_has_the_placeholder_and_warned_when_not(tmp_path: Path,
                                                                                     comfy: Any) -> None:
    cfg = config(tmp_path, comfy)
    with pytest.raises(ValidationError) as caught:
        run_tool(cfg, tmp_path, {"prompt": "x", "model": "wan-i2v"})  # its workflow loads {{image}}
    assert list(caught.value.details["field_errors"]) == ["image"] and comfy.workflow is None
    first = tmp_path / "first.png"
    first.write_bytes(png(64, 48))
    files = {"image": InputFile(first, "first.png", "image/png", first.stat().st_size)}
    out = run_tool(cfg, tmp_path, {"prompt": "x", "model": "wan", "duration": 1}, files)  # text-to-video
    assert comfy.uploads == [] and [w["code"] for w in out.result["warnings"]] == ["input_not_used"]


def test_cancelling_the_job_stops_the_wait_at_once(tmp_path: Path, comfy: Any) -> None:
    comfy.mode = "never"
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(JobCancelled):
        generate_video(spec_of(tmp_path, comfy, timeout=20), VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path, token)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("mode", "reason", "words"), [
    ("node_errors", "engine_error", "node 4 (WanImageToVideo): Value not in list: ckpt_name"),
    ("html", "engine_garbage", "not a video"),
    ("still", "engine_garbage", "video"),
    ("still_gif", "engine_garbage", "a still"),  # one frame is no animation
])
def test_engine_failures_are_clear_generator_errors(tmp_path: Path, comfy: Any, mode: str, reason: str,
                                                    words: str) -> None:
    comfy.mode = mode
    with pytest.raises(GeneratorError) as caught:
        generate_video(spec_of(tmp_path, comfy), VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path, None)
    assert caught.value.reason == reason and words in caught.value.message.en, caught.value.message.en
    assert caught.value.status == 502 and not [p for p in tmp_path.iterdir() if p.suffix in (".mp4", ".png")]


def test_an_engine_that_never_finishes_times_out_within_its_bound(tmp_path: Path, comfy: Any) -> None:
    comfy.mode = "never"
    with pytest.raises(GeneratorError) as caught:
        generate_video(spec_of(tmp_path, comfy, timeout=1.5), VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path,
                       None)
    assert caught.value.reason == "engine_timeout" and "no video within 1.5 s" in caught.value.message.en


def test_an_engine_on_a_private_address_not_allowed_is_refused(tmp_path: Path, comfy: Any) -> None:
    spec = dataclasses.replace(spec_of(tmp_path, comfy), allow_hosts=())
    with pytest.raises(GeneratorError) as caught:
        generate_video(spec, VideoRequest("x", "", 320, 240, 1, 2.0), tmp_path, None)
    assert caught.value.reason == "engine_address_refused" and comfy.workflow is None


def config(tmp_path: Path, engine: Any, extra: str = "") -> Config:
    (tmp_path / "v.json").write_text(VIDEO_WORKFLOW)
    (tmp_path / "i.json").write_text(I2V_WORKFLOW)
    (tmp_path / "a.json").write_text(AVATAR_WORKFLOW)
    url = f"http://127.0.0.1:{engine.server_address[1]}"
    path = tmp_path / "c.toml"
    path.write_text(textwrap.dedent(f"""
        [generators]
        allow_hosts = ["127.0.0.1"]
        [generators.wan]
        kind = "video"
        url = "{url}"
        workflow = "{tmp_path / 'v.json'}"
        [generators.wan-i2v]
        kind = "video"
        url = "{url}"
        workflow = "{tmp_path / 'i.json'}"
        [generators.talker]
        kind = "avatar"
        url = "{url}"
        workflow = "{tmp_path / 'a.json'}"
        """) + extra)
    return load_config(path)


def run_tool(cfg: Config, tmp_path: Path, params: dict[str, Any], files: dict[str, InputFile] | None = None) -> Any:
    tool = AiVideoGenerateTool().bind(cfg)
    raw = tool.validate(params, files or {}, Limits())
    plan = tool.plan(tool.typed(raw), files or {}, Limits())
    tool.check_installed(raw, plan, cfg)
    ctx = ToolContext(tool.typed(raw), files or {}, Limits(), tmp_path / "work")
    return tool.execute(ctx, plan)


@pytest.mark.parametrize(("aspect", "resolution", "duration"), [("9:16", "480p", 3.0), ("16:9", "720p", 1.5)])
def test_the_tool_answers_an_h264_mp4_of_the_asked_shape_and_seconds(tmp_path: Path, comfy: Any, aspect: str,
                                                                     resolution: str, duration: float) -> None:
    out = run_tool(config(tmp_path, comfy), tmp_path, {"prompt": "steam", "aspect_ratio": aspect,
                                                       "resolution": resolution, "duration": duration, "seed": 3})
    codec, width, height, pix, seconds, audio = info(out.data)
    assert (codec, (width, height), pix) == ("h264", output_size(aspect, resolution), "yuv420p")
    assert width % 2 == 0 and height % 2 == 0
    assert abs(seconds - duration) < 0.25, seconds  # 2 s from the engine: looped to 3, cut to 1.5
    assert audio  # the engine's track is kept
    assert out.units == duration and out.result["model"] == "wan" and out.result["seed"] == 3
    assert out.result["engine"]["width"] == 320


def test_the_tool_picks_a_generator_by_name_and_refuses_unknown_ones_or_none(tmp_path: Path, comfy: Any) -> None:
    cfg = config(tmp_path, comfy)
    tool = AiVideoGenerateTool()
    params: dict[str, Any] = {"prompt": "x"}
    tool.check_installed(params, Plan(), cfg)
    assert params["model"] == "wan" and params["generator"]["settings"]["kind"] == "video"
    with pytest.raises(ValidationError) as caught:
        tool.check_installed({"prompt": "x", "model": "veo-3.1"}, Plan(), cfg)
    assert caught.value.details["allowed"] == {"model": ["talker", "wan", "wan-i2v"]}
    with pytest.raises(ToolUnavailable) as down:
        tool.check_installed({"prompt": "x"}, Plan(), Config())
    assert "[generators.<name>]" in down.value.message.en and 'kind = "video"' in down.value.message.en


def test_an_avatar_needs_its_face_and_sends_face_and_voice(tmp_path: Path, comfy: Any) -> None:
    cfg = config(tmp_path, comfy)
    with pytest.raises(ValidationError) as caught:
        run_tool(cfg, tmp_path, {"prompt": "hello", "model": "talker"})
    assert "image" in caught.value.details["field_errors"]
    face, voice = tmp_path / "face.png", tmp_path / "voice.m4a"
    face.write_bytes(png(64, 64))
    voice.write_bytes(comfy_clip_audio(tmp_path))
    files = {"image": InputFile(face, "face.png", "image/png", face.stat().st_size),
             "audio": InputFile(voice, "voice.m4a", "audio/mp4", voice.stat().st_size)}
    out = run_tool(cfg, tmp_path, {"prompt": "hello", "model": "talker", "aspect_ratio": "1:1",
                                   "resolution": "480p"}, files)  # as long as the voice: 2 s
    assert info(out.data)[1:3] == (480, 480) and abs(info(out.data)[4] - 2.0) < 0.25 and out.units == 2.0
    names = [name for name, _ in comfy.uploads]
    assert comfy.workflow["1"]["inputs"]["image"] == names[0] and comfy.workflow["2"]["inputs"]["audio"] == names[1]


def comfy_clip_audio(tmp_path: Path) -> bytes:
    from tests.comfy_video_fixture import clip
    return clip("mp4")  # an MP4 with a tone: it has an audio stream


def test_a_video_only_config_leaves_image_generation_unconfigured(tmp_path: Path, comfy: Any) -> None:
    cfg = config(tmp_path, comfy)
    assert cfg.generators.chosen() is None and cfg.generators.names(("video", "avatar")) == ["talker", "wan", "wan-i2v"]
    flow = tmp_path / "noimage.json"
    flow.write_text('{"1": {"inputs": {"text": "{{prompt}}"}}}')
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[generators.t]\nkind = "avatar"\nurl = "http://h"\nworkflow = "{flow}"\n')
    with pytest.raises(ConfigError, match=r"no \{\{image\}\} placeholder"):
        load_config(bad)


def test_fit_args_loop_only_a_short_clip_and_keep_even_sizes() -> None:
    args = fit_args(Path("in.webm"), Path("o.mp4"), 720, 1280, 5.0, 2.0, False, 24)
    assert args[:2] == ["-stream_loop", "2"] and "-an" in args
    assert "crop=720:1280" in args[args.index("-vf") + 1]
    assert fit_args(Path("i"), Path("o"), 720, 1280, 5.0, 8.0, True, 24)[0] == "-i"
    with pytest.raises(ValueError):
        fit_args(Path("i"), Path("o"), 721, 1280, 5.0, 8.0, True, 24)
    assert Fraction(*output_size("16:9", "480p")) == Fraction(854, 480)
