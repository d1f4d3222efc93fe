"""The ``ai-video-generate`` tool: a prompt (and optionally a first frame or a face and a voice) in, an MP4 out.

No offline model here makes video, so, as ``image-generate`` does for pictures, this is a thin adapter
over the admin's own ComfyUI: a ``[generators.<name>]`` of ``kind = "video"`` (text- or image-to-video)
or ``"avatar"`` (a talking head: ``image`` required, ``audio`` optional). ``model`` names it (default: the
only video one, or the first by name); an unknown one is a 400 listing the configured names; none is a
503 naming the section to add. The chosen generator's settings are frozen into the job at submission.
Whatever the engine answers (WebM, GIF, any size and length) is probed, then re-encoded by
``media.fit_video`` to the asked ``aspect_ratio`` at ``resolution`` (scaled and centre-cropped, never
stretched) and exactly ``duration`` seconds (looped or cut), H.264 yuv420p. Priced per second of video.
An avatar without an audio file but with ``speech`` (seed 002's ``/avatar`` with ``text``): our TTS speaks
it (speech/tts.py, ``voice_id`` or the language's default voice) and the WAV goes up as ``{{audio}}``;
the clip lasts as long as the speech (``{{duration}}``), within the seconds held.
Seed 002's ``/api/generate/video``, ``/b-roll``, ``/text2video`` and ``/avatar`` run it.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/ai-video-generate -H "Authorization: Bearer $KEY" \\
      -F prompt="steam rising from a coffee mug at dawn" -F duration=5 -F aspect_ratio=9:16 -F image=@mug.png
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local.config import VIDEO_KINDS, Config, GeneratorSettings
from noxus_local.errors import ToolUnavailable, ValidationError, one_of
from noxus_local.generators import GeneratorSpec
from noxus_local.generators.video import VideoRequest, generate_video, inputs_of
from noxus_local.generators.workflow import WorkflowError, load_workflow
from noxus_local.locale import t
from noxus_local.media import images
from noxus_local.media.fit_video import even, fit_video
from noxus_local.media.probe import probe
from noxus_local.tools.base import Example, InputFile, Limits, Plan, Tool, ToolContext, ToolOutput, require_installed
from noxus_local.tools.params import Internal, Params
from noxus_local.tools.script_to_video import default_voice
from noxus_local.tools.spec import InputSpec
from noxus_local.tools.text_to_speech import parse_voice

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
OUTPUT_FPS = 24  # for a clip whose rate is odd or unknown (a GIF's)
MIN_FPS, MAX_FPS = 8, 60
DEFAULT_SECONDS = 5.0
SPEECH_CHARS = 900  # about a minute of speech, the longest clip
CHARS_PER_SECOND = 10  # a slow reading: the seconds held for `speech` before it is spoken (capped at 60)
TTS_MODEL = "kokoro-82m"
FROZEN_KEY = "generator"
UNAVAILABLE = t("ai_video_generate.unavailable")


class AiVideoGenerateParams(Params):
    """What ``POST /api/v1/tools/ai-video-generate`` (and seed 002's video routes) takes."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("image", "file", help="First frame (image-to-video) or the face (avatar); or image_url / "
                                        "image_asset_id. Sent to ComfyUI's /upload/image as {{image}}."),
        InputSpec("audio", "file", help="avatar: what the face says, sent as {{audio}}; or audio_url."),
    )
    prompt: Annotated[str, Meta(min_length=1, max_length=5000, description="What the clip shows.")]
    duration: Annotated[float, Meta(ge=1, le=60, description="Seconds of the MP4 (the engine's clip is looped "
                                                             "or cut to it); the price counts them. Default: "
                                                             "the audio's length (up to 60), else 5.")] | None = None
    aspect_ratio: Annotated[Literal[tuple(ASPECTS)], Meta(  # type: ignore[valid-type]
        description="The MP4's shape: the engine's frames are scaled and centre-cropped to it.")] = "16:9"
    resolution: Annotated[Literal[tuple(RESOLUTIONS)], Meta(  # type: ignore[valid-type]
        description="The MP4's short side.")] = "720p"
    seed: Annotated[int, Meta(ge=0, le=2**53, description="Default: a random one, reported.")] | None = None
    negative_prompt: Annotated[str, Meta(max_length=2000)] = ""
    model: Annotated[str, Meta(max_length=100, description="A [generators.<name>] of kind video or avatar.")] \
        | None = None
    speech: Annotated[str, Meta(min_length=1, max_length=SPEECH_CHARS, description=(
        "avatar without an audio file: what the face says, spoken by our TTS and sent as {{audio}}; the clip "
        "lasts as long as the speech."))] | None = None
    voice_id: Annotated[str, Meta(max_length=200, description=(
        "The voice of `speech` (GET /api/v1/voices, or a mix); default: the language's."))] | None = None
    language: Annotated[Literal["en", "es"], Meta(description="The language of `speech`.")] = "en"
    # the chosen generator's name, settings and allow-list, frozen at the request (check_installed)
    generator: Annotated[dict[str, Any] | None, Internal] = None


def output_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """The MP4's even width × height: ``output_size("9:16", "720p") == (720, 1280)``."""
    w, h = ASPECTS[aspect_ratio]
    short = RESOLUTIONS[resolution]
    return (even(short * w / h), short) if w >= h else (short, even(short * h / w))


def _unused(names: tuple[str, ...], generator: str) -> dict[str, Any]:
    """A warning per input the workflow has no placeholder for (it was not sent)."""
    if not names:
        return {}
    return {"warnings": [{"code": "input_not_used", "input": name,
                          "message": f"the workflow of generator {generator} has no {{{{{name}}}}}: "
                                     f"the {name} was not sent"} for name in names]}


def _workflow_inputs(settings: Mapping[str, Any]) -> set[str]:
    """The files the frozen generator's workflow takes (``{{image}}``, ``{{audio}}``); an avatar always
    takes the face. A workflow that cannot be read now fails the run with the generator's own error."""
    if not settings.get("workflow"):
        return set()
    try:
        graph = load_workflow(Path(settings["workflow"]), "image" if settings.get("kind") == "avatar" else "prompt")
    except WorkflowError:
        return set()
    return inputs_of(graph) | ({"image"} if settings.get("kind") == "avatar" else set())


def _get(params: Any, name: str) -> Any:
    return params.get(name) if isinstance(params, dict) else getattr(params, name, None)


def _speak(ctx: ToolContext, p: AiVideoGenerateParams) -> tuple[Path, float]:
    """``speech`` read by our TTS in ``voice_id`` as a 16-bit WAV (what ComfyUI's LoadAudio takes), and its
    seconds (at least 1)."""
    from noxus_local.media.audio import encode
    from noxus_local.speech import tts

    weights = parse_voice(p.voice_id or default_voice(p.language))
    with tts.open_voice(ctx.models, weights, p.language) as voice:
        said = tts.speak(p.speech or "", voice, cancel=ctx.cancel, max_seconds=60.0)
    wav = encode(said.samples, said.sample_rate, "wav", ctx.workdir / "speech.wav", ctx.cancel)
    return wav, max(1.0, round(said.duration, 3))


def output_fps(source: float | None) -> int:
    """The engine's own rate when it is a usual one (no frames invented), else 24: ``output_fps(16.0) == 16``."""
    return round(source) if source and MIN_FPS <= source <= MAX_FPS else OUTPUT_FPS


def speech_estimate(text: str) -> float:
    """The seconds held for a text still to be spoken: generous, 1-60. ``speech_estimate("Hello there.") == 2.7``."""
    return round(min(60.0, max(1.0, len(text) / CHARS_PER_SECOND + 1.5)), 3)


def seconds_of(duration: float | None, audio_seconds: float | None) -> float:
    """The MP4's seconds: the asked ones, else the voice's length (1-60 s), else 5.

    Example: ``seconds_of(None, 7.4) == 7.4``; ``seconds_of(3, 7.4) == 3.0``.
    """
    if duration is not None:
        return float(duration)
    if audio_seconds:
        return float(min(60.0, max(1.0, round(audio_seconds, 3))))
    return DEFAULT_SECONDS


class AiVideoGenerateTool(Tool):
    """One clip from the configured ComfyUI video (or avatar) workflow, as an H.264 MP4."""

    slug = "ai-video-generate"
    title = "Generar video con IA"
    description = ("Genera un video MP4 a partir de un texto (y opcionalmente una imagen inicial, o una cara y su "
                   "voz) con el flujo de video de tu ComfyUI, al formato, resolución y duración pedidos.")
    media_type = "video"
    measures = "seconds"
    # per second of generated video: the seed's 250 credits for a ~5 s clip at 0.001 USD a credit
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.05", "minimum_usd": "0.05"}
    examples = (
        Example("ai-video-generate", "ai-video-generate: a 5 s vertical clip from a prompt",
                {"prompt": "steam rising from a coffee mug at dawn", "duration": 5, "aspect_ratio": "9:16",
                 "resolution": "720p", "model": "wan"}),
        Example("ai-video-generate (image)", "ai-video-generate: image-to-video from a first frame, as a form",
                {"prompt": "the mug slowly turns", "image": "(binary: mug.png)", "duration": "4"}, form=True,
                description='curl -F "prompt=the mug slowly turns" -F "image=@mug.png" -F "duration=4"'),
    )
    resources = {"cpu": 1}  # waiting on the engine, then one ffmpeg encode
    Params = AiVideoGenerateParams

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """The generator ``model`` names, frozen into the params; 400 listing names, or 503 with none; the TTS
        model for ``speech`` (the plan lists it: 503 with its fetch command)."""
        names = cfg.generators.names(VIDEO_KINDS)
        if not names:
            raise ToolUnavailable(UNAVAILABLE)
        require_installed(plan.models, cfg)
        videos = cfg.generators.names(("video",))
        chosen = params.get("model") or (videos or names)[0]
        if chosen not in names:
            raise ValidationError(details={"field_errors": {"model": [one_of(names)]}, "allowed": {"model": names}})
        params[FROZEN_KEY] = {"name": chosen, "settings": dataclasses.asdict(cfg.generators.entries[chosen]),
                              "allow_hosts": list(cfg.generators.allow_hosts)}
        params["model"] = chosen

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """A file the chosen generator's workflow takes (``{{image}}``, ``{{audio}}``; an avatar's face) is
        required: 400 naming it, before any hold. An unknown or missing generator is ``check_installed``'s."""
        gens = self.settings.generators
        videos = gens.names(("video",)) or gens.names(VIDEO_KINDS)
        name = params.get("model") or (videos[0] if videos else None)
        if name not in gens.entries or gens.entries[name].kind not in VIDEO_KINDS:
            return
        if params.get("speech"):
            if params.get("voice_id") is None:
                params["voice_id"] = default_voice(params.get("language") or "en")
            parse_voice(params["voice_id"])  # 400 naming an unknown voice, before any hold
        spoken = {"audio"} if params.get("speech") and "audio" not in files else set()
        missing = sorted(_workflow_inputs(dataclasses.asdict(gens.entries[name])) - set(files) - spoken)
        if missing:  # without the file the workflow cannot run
            raise ValidationError.fields({field: [t("ai_video_generate.workflow_generator_needs_file", name=name)]
                                          for field in missing})

    def plan(self, params: Any, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """The seconds priced; the image decoded and the audio probed now (a bad file is a 400, charged 0)."""
        p: AiVideoGenerateParams = params
        if "image" in files:
            images.probe(files["image"].path, limits.max_image_pixels)
        heard = None
        if "audio" in files:
            audio = probe(files["audio"].path)
            audio.require_audio()
            heard = audio.duration
        if heard is None and p.speech:
            heard = speech_estimate(p.speech)
        seconds = seconds_of(p.duration, heard)
        return Plan(units=seconds, resources=dict(self.resources), work_units=seconds, facts={"seconds": seconds},
                    models=(TTS_MODEL,) if _get(p, "speech") else ())

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p: AiVideoGenerateParams = ctx.params
        frozen = p.generator or {}
        settings = GeneratorSettings(**frozen["settings"])
        key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
        spec = GeneratorSpec(frozen["name"], settings, tuple(frozen["allow_hosts"]), key)
        seed = p.seed if p.seed is not None else secrets.randbelow(2**31)
        seconds = float(plan.facts.get("seconds") or seconds_of(p.duration, None))
        width, height = output_size(p.aspect_ratio, p.resolution)
        image, audio = ctx.files.get("image"), ctx.files.get("audio")
        voice = None
        if audio is None and p.speech and "audio" in _workflow_inputs(frozen["settings"]):
            ctx.progress(0.01, "speak")
            voice, spoken = _speak(ctx, p)
            seconds = min(seconds, spoken) if p.duration is None else seconds  # as long as the speech
        ctx.progress(0.02, "generate")
        clip = generate_video(spec, VideoRequest(p.prompt, p.negative_prompt, width, height, seed, seconds,
                                                image.path if image else None,
                                                audio.path if audio else voice),
                             ctx.workdir / "generated", ctx.cancel)
        ctx.progress(0.7, "encode")
        info = clip.info
        out = fit_video(clip.path, ctx.workdir / "video.mp4", width, height, seconds,
                        source_seconds=info.duration or 0.0, has_audio=info.audio is not None,
                        fps=output_fps(info.video.fps if info.video else None),
                        cancel=ctx.cancel, progress=lambda f: ctx.progress(0.7 + 0.29 * f, "encode"))
        return ToolOutput(out, "video.mp4", "video/mp4", units=seconds, media_units=seconds,
                          result={"model": frozen["name"], "width": width, "height": height, "seed": seed,
                                  "duration_seconds": seconds, "resolution": p.resolution,
                                  **({"speech": {"voice_id": p.voice_id, "language": p.language}} if voice else {}),
                                  "aspect_ratio": p.aspect_ratio,
                                  "engine": {"width": info.video.width if info.video else None,
                                             "height": info.video.height if info.video else None,
                                             "duration_seconds": info.duration},
                                  **_unused(clip.unused, frozen["name"])})
