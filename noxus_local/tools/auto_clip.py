"""Tool ``auto-clip`` (alias ``auto-clips``): a long video → ranked short clips, each explained, reframed, captioned.

Steps ``probe → transcribe → candidates → score → reframe → render``, a thin
adapter over clips/: the speech is recognised with word timings
(speech/asr.py), cut into whole-sentence windows (clips/candidates.py), scored
from measurable signals (clips/signals.py, the hook by the text model or a
heuristic: clips/hook.py), and the best non-overlapping windows are rendered
each in one ffmpeg pass with a face-following crop (clips/camera.py,
clips/looking.py, clips/render.py).

Outputs: the first clip's MP4 is the primary (``clip-1``), then its JSON and
SRT (``clip-1-json``, ``clip-1-srt``), then the other clips the same way. With
no candidate at or above ``viral_score_threshold`` the job succeeds with zero
clips, a ``note`` and a JSON report as its only output.

A video without an audio stream is refused with 400 ``invalid_media``
(``details.reason = "no_audio_stream"``), and one whose speech is not
recognised with 400 ``invalid_media`` (``"no_speech"``): clips are cut on
sentences, and visual change alone does not say where a sentence starts.

Billing (``[prices."auto-clip"]``, per minute): the units are the seconds of
source analysed plus ``CLIP_UNIT_SECONDS`` per clip rendered (the price has one
unit, so the per-clip part is folded into it: at 0.03 USD a minute a clip adds
0.015 USD). The hold is the probed duration plus ``max_clips`` clips; the
charge is what was analysed plus the clips really rendered, never above it.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/auto-clip -H "Authorization: Bearer $KEY" \\
      -F video=@talk.mp4 -F max_clips=3 -F min_duration=15 -F max_duration=45 -F aspect_ratio=9:16 \\
      -F caption_style=yellow_punch -F hook_title=auto
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from noxus_local.captions import styles, subtitles
from noxus_local.clips.camera import CameraRules, camera_path
from noxus_local.clips.candidates import (
    Window,
    candidate_windows,
    quiet_spans,
    select,
    split_sentences,
    with_pauses,
)
from noxus_local.clips.looking import Sight, look
from noxus_local.clips.pipeline import ClipFiles, ClipLook, HookPlan, make_clip, score_candidates
from noxus_local.clips.render import Framing
from noxus_local.clips.signals import Evidence, Weights, levels_db
from noxus_local.clips.sound_events import detect_events
from noxus_local.config import VIDEO_RESOLUTIONS, ClipSettings, Config
from noxus_local.errors import InvalidMedia, LimitExceeded, NoxusError, Text, ValidationError
from noxus_local.locale import t
from noxus_local.media.audio import extract_pcm16k
from noxus_local.media.decoded import decode_limit, wav_seconds
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.runtime.steps import Step
from noxus_local.speech.asr import load_audio
from noxus_local.speech.types import Transcript
from noxus_local.tools.auto_subtitles import check_speech_model, recognise, supported_languages
from noxus_local.tools.base import (
    InputFile,
    InputSpec,
    Limits,
    OutputFile,
    Plan,
    Tool,
    ToolContext,
    ToolOutput,
    require_installed,
)
from noxus_local.tools.params import Params

LEVEL_STEP = 0.1  # seconds per loudness value: silences between sentences and the loudness signal
CLIP_UNIT_SECONDS = 30.0  # one rendered clip is billed as this many seconds of source
NO_AUDIO = t("auto_clip.no_audio")
NO_SPEECH = t("auto_clip.no_speech")
TOO_SHORT = t("auto_clip.too_short")
def above_tier(highest: str) -> Text:
    return t("auto_clip.your_tier_renders_at", highest=highest)


MIN_OVER_MAX = t("auto_clip.min_over_max")
NO_CANDIDATE = "no clip reached viral_score_threshold"
NO_WINDOW = "no run of whole sentences fits between min_duration and max_duration"


Seconds = Annotated[float, Meta(ge=1, le=600, description="Seconds.")]


class AutoClipParams(Params):
    """What ``POST /api/v1/tools/auto-clip`` takes, besides the ``video`` file."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("video", "file", required=True, help="The long video (upload, asset id or URL)."),)
    max_clips: Annotated[int, Meta(ge=1, le=20)] = 3
    min_duration: Seconds = 15.0
    max_duration: Seconds = 60.0
    add_captions: bool = True
    caption_style: Literal[tuple(styles.PRESETS)] = styles.DEFAULT_STYLE  # type: ignore[valid-type]
    aspect_ratio: Literal["9:16", "1:1", "16:9"] = "9:16"
    viral_score_threshold: Annotated[float, Meta(ge=1, le=10, description="Clips scoring below this are not "
                                                                           "rendered.")] = 1.0
    language: Annotated[str, Meta(max_length=8, description="es, en, any Whisper code, or auto.",
                                  examples=["es"])] = "auto"
    hook_title: Annotated[str, Meta(max_length=200, description="On-screen title over the first seconds: your "
                                                                "text, or auto (the clip's opening line).")] \
        | None = None
    model: Annotated[str, Meta(max_length=40, description="An installed whisper model.")] = "whisper-base"
    resolution: Annotated[Literal["720p", "1080p"], Meta(
        description="Output resolution (720p: 720x1280 for 9:16; 1080p: 1080x1920); omitted = the tier's highest. "
                    "Above the tier's highest: 400 naming it.")] | None = None


class AutoClipTool(Tool):
    slug = "auto-clip"
    aliases = ("auto-clips",)
    title = "Auto clip"
    description = ("Finds the best short clips of a long video (whole sentences, an explained 1-10 score), "
                   "reframes each to follow the speaker's face and burns captions; one MP4, JSON and SRT per clip.")
    media_type = "video"
    measures = "seconds"
    # per minute of source analysed; each clip rendered adds CLIP_UNIT_SECONDS of units
    default_price: ClassVar[Mapping[str, str]] = {"unit": "minute", "unit_usd": "0.03", "minimum_usd": "0.005"}
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    steps = (Step("probe", 1), Step("transcribe", 5), Step("candidates", 1), Step("score", 3), Step("reframe", 1),
             Step("render", 5))
    Params = AutoClipParams
    models = ("whisper-base", "silero-vad", "centerface")

    def describe(self, price: Any, available: bool = True, reason: str | None = None) -> dict[str, Any]:
        out = super().describe(price, available, reason)
        out["styles"] = styles.catalog()
        out["clip_unit_seconds"] = CLIP_UNIT_SECONDS
        return out

    def plan(self, params: AutoClipParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Probe the source once: the field checks, the tier's duration limit, the units held (the source's
        seconds plus ``max_clips`` clips); the probe is kept in ``facts["probe"]`` for ``run``."""
        if params.min_duration > params.max_duration:
            raise ValidationError.fields({"min_duration": [MIN_OVER_MAX]})
        info = _probe(files["video"].path)
        duration = info.duration or 0.0
        if duration > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "duration_seconds": round(duration, 2)})
        if duration < params.min_duration:
            raise ValidationError(TOO_SHORT, details={"field_errors": {"min_duration": [TOO_SHORT]},
                                                      "duration_seconds": round(duration, 2)})
        resolution = output_resolution(params.resolution, limits)
        language = params.language.lower()
        if language != "auto" and language not in supported_languages():
            raise ValidationError.fields({"language": [t("common.unknown_language_code")]})
        return Plan(units=duration + CLIP_UNIT_SECONDS * params.max_clips, resources=dict(self.resources),
                    models=(params.model, "silero-vad", "centerface"), work_units=duration or 1.0,
                    facts={"probe": msgspec.to_builtins(info), "resolution": resolution})

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """A speech-recognition ``model`` (400 as auto-subtitles); the plan's models (it, Silero VAD and
        CenterFace) installed: 503 naming the fetch, before the hold."""
        check_speech_model(params["model"], cfg, params["language"].lower())
        require_installed(plan.models, cfg)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        timings: dict[str, float] = {}
        p: AutoClipParams = ctx.params
        with _timed(ctx, "probe", timings):
            info = plan.fact("probe", MediaInfo) or _probe(ctx.files["video"].path)  # read at the request
            limit = decode_limit(info.duration)
        with _timed(ctx, "transcribe", timings) as step:
            audio = extract_pcm16k(ctx.files["video"].path, ctx.workdir / "audio.wav", limit, cancel=ctx.cancel)
            heard = wav_seconds(audio)
            transcript = recognise(audio, {"language": p.language, "model": p.model, "task": "transcribe"},
                                   ctx, step.progress)
            if not transcript.words:
                raise InvalidMedia(NO_SPEECH, details={"reason": "no_speech"})
        with _timed(ctx, "candidates", timings):
            pcm = load_audio(audio, ctx.cancel)
            levels = levels_db(pcm, step=LEVEL_STEP)
            events = detect_events(pcm)
            quiet = quiet_spans(levels.times, levels.db, LEVEL_STEP)
            sentences = with_pauses(split_sentences(transcript.words), quiet, heard)
            windows = candidate_windows(sentences, p.min_duration, p.max_duration)
        settings = _settings(ctx)
        with _timed(ctx, "score", timings) as step:
            t0 = time.perf_counter()
            sight = _look(ctx, info, settings, limit, step.progress, quiet)
            timings["shots_and_faces"] = round(time.perf_counter() - t0, 3)  # the reframing analysis
            evidence = Evidence(sight.cuts, sight.face_flags(), levels, events)
            hooks = HookPlan(settings.hook_seconds, settings.llm_candidates, transcript.language,
                             settings.hook_model_share)
            scored, warnings = score_candidates(windows, evidence, Weights.from_settings(settings), hooks,
                                                lambda: hook_llm(getattr(ctx.models, "cfg", None), ctx.models),
                                                ctx.cancel)
            chosen = select(scored, lambda s: s.window, lambda s: s.score, p.max_clips,
                            p.viral_score_threshold, tie=lambda s: s.hook.strength)
        with _timed(ctx, "reframe", timings):
            resolution = plan.fact("resolution", str) or output_resolution(p.resolution, ctx.limits)
            frame = Framing.for_aspect(sight.size, p.aspect_ratio, VIDEO_RESOLUTIONS[resolution])
            if frame.upscales:
                warnings.append(f"the source's {p.aspect_ratio} window is {frame.crop[0]}x{frame.crop[1]} px: "
                                f"clips are upscaled to {frame.output[0]}x{frame.output[1]} ({resolution})")
            keys = camera_path(sight.samples, sight.cuts, sight.size[0], frame.crop[0],
                               CameraRules.from_settings(settings))
        with _timed(ctx, "render", timings) as step:
            appearance = ClipLook(styles.resolve_style(p.caption_style), p.add_captions,
                                  p.hook_title, settings.hook_seconds)
            files = [make_clip(ctx.files["video"].path, n, s, frame, keys, transcript.words, appearance, ctx.workdir,
                               ctx.cancel, _share(step.progress, n, len(chosen)))
                     for n, s in enumerate(chosen, 1)]
        result = _result(files, windows, transcript, timings, warnings)
        result["resolution"], result["output_size"] = resolution, list(frame.output)
        if not chosen:
            result["note"] = NO_WINDOW if not windows else NO_CANDIDATE
        return _output(result, files, heard)


class _Timed:
    def __init__(self, ctx: ToolContext, name: str, timings: dict[str, float]) -> None:
        self.scope, self.name, self.timings = ctx.step(name), name, timings

    def __enter__(self) -> Any:
        self.t0 = time.perf_counter()
        return self.scope.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        self.timings[self.name] = round(time.perf_counter() - self.t0, 3)
        return self.scope.__exit__(*exc)


def _share(progress: Any, n: int, total: int) -> Any:
    """Clip ``n`` of ``total``'s 0–1 progress as the render step's fraction."""
    return lambda f: progress((n - 1 + f) / max(total, 1))


def _timed(ctx: ToolContext, name: str, timings: dict[str, float]) -> _Timed:
    """``ctx.step(name)`` that also records its wall seconds (the result's ``timings``, the benchmark's split)."""
    return _Timed(ctx, name, timings)


def output_resolution(asked: str | None, limits: Limits) -> str:
    """The resolution a job renders at: the one asked, or the tier's highest; above the tier's highest →
    400 naming it (never a silent downgrade: the caller asked for a size it will not get).

    Example: ``output_resolution(None, Limits())`` → ``"720p"``; ``output_resolution("1080p", Limits())`` → 400.
    """
    highest = limits.max_output_resolution
    if asked is None:
        return highest
    if VIDEO_RESOLUTIONS[asked] > VIDEO_RESOLUTIONS.get(highest, 0):
        raise ValidationError(above_tier(highest), details={"field_errors": {"resolution": [above_tier(highest)]},
                                                            "max_resolution": highest})
    return asked


def _probe(path: Path) -> MediaInfo:
    info = probe(path)
    info.require_video()
    if info.audio is None:
        raise InvalidMedia(NO_AUDIO, details={"reason": "no_audio_stream"})
    return info


def _settings(ctx: ToolContext) -> ClipSettings:
    return ctx.settings.clips


def _look(ctx: ToolContext, info: MediaInfo, settings: ClipSettings, limit: float | None, progress: Any,
          quiet: list[tuple[float, float]]) -> Sight:
    from noxus_local.inference.models.centerface import CenterFace

    with ctx.models.use(CenterFace) as detector:
        return look(ctx.files["video"].path, info, detector, ctx.workdir, ctx.cancel, face_fps=settings.face_fps,
                    limit=limit, progress=progress, quiet=quiet)


def hook_llm(cfg: Config | None, models: Any) -> Any:
    """The text model that judges hooks (``[clips] hook_model`` or ``[llm] model``), or None when it is
    not installed or not wanted (``llm_candidates`` or ``hook_model_share`` 0: the rules judge instead)."""
    if cfg is None or cfg.clips.llm_candidates == 0 or cfg.clips.hook_model_share == 0:
        return None
    from noxus_local.generate.llm.models import text_models

    name = cfg.clips.hook_model or cfg.llm.model
    shared = text_models(cfg)
    try:
        shared.check(name)
    except NoxusError:
        return None
    return shared.llm(name, models)


def _result(files: list[ClipFiles], windows: list[Window], transcript: Transcript, timings: dict[str, float],
            warnings: list[str]) -> dict[str, Any]:
    clips = [f.entry for f in files]
    out: dict[str, Any] = {"clips": clips, "clipCount": len(clips), "viralScores": [c["viral_score"] for c in clips],
                           "candidates_considered": len(windows), "language": transcript.language,
                           "source_duration": round(transcript.duration, 3), "timings": timings}
    if warnings:
        out["warnings"] = warnings
    return out


def _output(result: dict[str, Any], files: list[ClipFiles], heard: float) -> ToolOutput:
    extras: list[OutputFile] = []
    for f in files:
        n = f.entry["index"]
        body = json.dumps({**f.entry, "captions": f.cues}, ensure_ascii=False, indent=2).encode()
        extras += [OutputFile(f"clip-{n}", f.mp4, f.mp4.name, "video/mp4"),
                   OutputFile(f"clip-{n}-json", body, f"clip-{n}.json", "application/json"),
                   OutputFile(f"clip-{n}-srt", f.srt.encode(), f"clip-{n}.srt", subtitles.MIME["srt"])]
    units = heard + CLIP_UNIT_SECONDS * len(files)
    if not extras:
        report = json.dumps(result, ensure_ascii=False, indent=2).encode()
        return ToolOutput(report, "clips.json", "application/json", result, name="report", units=units,
                          media_units=heard)
    first = extras[0]
    return ToolOutput(first.data, first.filename, first.mime_type, result, name=first.name, extras=extras[1:],
                      units=units, media_units=heard)
