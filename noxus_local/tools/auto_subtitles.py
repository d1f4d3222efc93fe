"""Tool ``auto-subtitles`` (alias ``subtitulos-automaticos``): speech → readable cues → styled captions.

Steps ``probe → extract_audio → transcribe → segment → render``. A thin adapter
over typed pipelines: the sound is extracted by media/audio.py
``extract_pcm16k``, recognised (or, with ``transcript``, the caller's text
aligned) by speech/asr.py; captions/ cuts the cues, draws them in a named style
and burns them with libass (``captions.burn``), or writes one preview frame
(``captions.preview``), or only the subtitle files.

Priced per minute of media; the units are the seconds times
``UNIT_FACTORS``: a burn counts every second, ``burn=false`` 0.6 and
``preview_at`` 0.5 of them (recognition is most of the work of both). The hold
is the probed duration; the charge is what was decoded (the 16 kHz samples
recognised, and for a burn the video written), so a header that claims 110 s
over 2 s of media is charged 2 s and the result says so in ``warnings``
(media/decoded.py).

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/auto-subtitles -H "Authorization: Bearer $KEY" \\
      -F video=@clip.mp4 -F language=es -F style=yellow_punch
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from noxus_local import captions
from noxus_local.captions import styles, subtitles
from noxus_local.captions.cues import Cue, CueRules, build_cues, default_max_chars
from noxus_local.config import Config
from noxus_local.errors import InvalidMedia, LimitExceeded, ToolUnavailable, ValidationError, one_of
from noxus_local.locale import t
from noxus_local.media import fonts
from noxus_local.media.audio import extract_pcm16k
from noxus_local.media.decoded import (
    Processed,
    add_warning,
    decode_limit,
    processed_seconds,
    truncated,
    truncated_warning,
    wav_seconds,
)
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.money import Price
from noxus_local.runtime.steps import Step
from noxus_local.speech.types import Transcript
from noxus_local.tools.base import (
    InputFile,
    InputSpec,
    Limits,
    OutputFile,
    Params,
    Plan,
    Tool,
    ToolContext,
    ToolOutput,
    require_installed,
)

UNIT_FACTORS = {"burn": 1.0, "no_burn": 0.6, "preview": 0.5}
DEFAULT_FORMATS = "srt,vtt,ass,json"
NO_AUDIO = t("auto_subtitles.no_audio")
SILENCE_NOTE = "no speech found"
# Whisper's language codes, used when the recognition engine is not importable yet
_WHISPER_CODES = tuple(
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt "
    "la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af "
    "oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue".split())


def supported_languages() -> tuple[str, ...]:
    try:
        from noxus_local.inference.models.whisper import SUPPORTED_LANGUAGES
    except ImportError:
        return _WHISPER_CODES
    return tuple(SUPPORTED_LANGUAGES)


PLACE_HELP = "top|middle|bottom_left|center|right or y=<percent>."
ColorText = Annotated[str, Meta(max_length=20)]  # a CSS-ish colour the caption style reads
Width = Annotated[float, Meta(ge=0, le=30)]


class AutoSubtitlesParams(Params):
    """What ``POST /api/v1/tools/auto-subtitles`` takes, besides the ``video`` file."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("video", "file", required=True, help="Video, or an audio-only file (then no burn)."),)
    language: Annotated[str, Meta(max_length=8, description="es, en, any Whisper code, or auto.",
                                  examples=["es"])] = "auto"
    style: Literal[tuple(styles.PRESETS)] = styles.DEFAULT_STYLE  # type: ignore[valid-type]
    position: Annotated[str, Meta(max_length=20, description=PLACE_HELP, examples=["bottom_center"])] | None = None
    font: Literal[tuple(fonts.FAMILIES)] | None = None  # type: ignore[valid-type]
    font_size: Annotated[float, Meta(ge=1, le=30, description="Percent of the video height.")] | None = None
    primary_color: ColorText | None = None
    highlight_color: ColorText | None = None
    outline_color: ColorText | None = None
    background_color: ColorText | None = None
    outline: Width | None = None
    shadow: Width | None = None
    uppercase: bool | None = None
    max_chars_per_line: Annotated[int, Meta(ge=8, le=100, description="Default 32 portrait, 42 landscape.")] \
        | None = None
    max_lines: Annotated[int, Meta(ge=1, le=3)] = 2
    max_words_per_cue: Annotated[int, Meta(ge=1, le=50)] | None = None
    max_cps: Annotated[float, Meta(ge=5, le=40, description="Reading speed cap, chars/s.")] = 17.0
    burn: Annotated[bool, Meta(description="false: transcript and subtitle files only (cheaper).")] = True
    task: Literal["transcribe", "translate"] = "transcribe"
    formats: Annotated[str, Meta(max_length=60, description="Comma-separated: " + ",".join(subtitles.FORMATS),
                                 examples=["srt,vtt"])] = DEFAULT_FORMATS
    preview_at: Annotated[float, Meta(ge=0, description="Render one styled PNG frame at this second instead.")] \
        | None = None
    transcript: Annotated[str, Meta(max_length=20000, description="Known text: aligned instead of recognised.")] \
        | None = None
    model: Annotated[str, Meta(max_length=40, description="An installed whisper model.",
                               examples=["whisper-base"])] = "whisper-base"


class AutoSubtitlesTool(Tool):
    slug = "auto-subtitles"
    aliases = ("subtitulos-automaticos",)
    title = "Auto subtitles"
    description = ("Transcribes a video or audio file, cuts readable cues and burns them in a named style; "
                   "returns the video plus SRT, VTT, ASS and JSON.")
    Params = AutoSubtitlesParams
    media_type = "video"
    measures = "seconds"
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    # per minute of probed media; burn=false and preview_at count fewer units (UNIT_FACTORS)
    default_price: ClassVar[Mapping[str, str]] = {"unit": "minute", "unit_usd": "0.02", "minimum_usd": "0.002"}
    models = ("whisper-base", "silero-vad")  # the default model; ``model`` may name another installed one
    steps = (Step("probe", 1), Step("extract_audio", 1), Step("transcribe", 6), Step("segment", 1),
             Step("render", 4))

    def describe(self, price: Price, available: bool = True, reason: str | None = None) -> dict[str, Any]:
        out = super().describe(price, available, reason)
        out["styles"] = styles.catalog()
        out["fonts"] = list(fonts.FAMILIES)
        out["positions"] = [*styles.PLACES, "y=<0-100>"]
        out["pricing_factors"] = dict(UNIT_FACTORS)
        return out

    def plan(self, params: AutoSubtitlesParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Probe the input once: the tier's duration limit, the field checks, the units held (the seconds
        times the mode's factor); the probe is kept in ``facts["probe"]`` for ``run``."""
        info = _probe(files["video"].path)
        if info.duration is not None and info.duration > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "duration_seconds": round(info.duration, 2)})
        language = params.language.lower()
        if language != "auto" and language not in supported_languages():
            raise ValidationError(details={"field_errors": {"language": [t("common.unknown_language_code")]},
                                           "allowed": {"language": ["auto", *supported_languages()]}})
        formats(params)
        style_of(params)
        at = params.preview_at
        if at is not None and (info.video is None or at > (info.duration or 0)):
            raise ValidationError.fields({"preview_at": [t("auto_subtitles.must_fall_inside_video")]})
        seconds = info.duration or 0.0
        return Plan(units=seconds * UNIT_FACTORS[_mode(params, info)], resources=dict(self.resources),
                    models=(params.model, "silero-vad"), work_units=seconds or 1.0,
                    facts={"probe": msgspec.to_builtins(info)})

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """``model`` must be a speech-recognition model of the manifest (else 400 listing the installed
        ones) and the plan's models (it and Silero VAD) installed (else 503 with the fetch command)."""
        check_speech_model(params["model"], cfg, params["language"].lower())
        require_installed(plan.models, cfg)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        with ctx.step("probe"):
            info = probed(plan, ctx)  # read at the request: the input is not probed again
        with ctx.step("extract_audio"):
            limit = decode_limit(info.duration)  # never process more than was held
            audio = extract_pcm16k(ctx.files["video"].path, ctx.workdir / "audio.wav", limit, cancel=ctx.cancel)
            heard = wav_seconds(audio)  # what recognition reads: the charge's measure, not the header
        with ctx.step("transcribe") as step:
            transcript = recognise(audio, ctx.params, ctx, step.progress)
        with ctx.step("segment"):
            cues = build_cues(transcript.segments, rules_for(ctx.params, info))
        with ctx.step("render") as step:
            out = render(ctx, info, transcript, cues, step.progress, heard)
        return out


def probed(plan: Plan, ctx: ToolContext) -> MediaInfo:
    """The probe the plan kept; probed now only for a plan made without one (an older job's)."""
    info = plan.fact("probe", MediaInfo)
    return info if info is not None else _probe(ctx.files["video"].path)


def check_speech_model(model_id: str, cfg: Config, language: str = "auto") -> None:
    """400 for a model id the manifest has no speech-recognition entry for (or an English-only model
    asked for another language). Whether it is installed (with Silero VAD, which every run needs) is the
    plan's ``models``, checked by ``Tool.check_installed`` (503 naming ``noxus-local models fetch <id>``).

    Example: ``check_speech_model("whisper-huge", cfg)`` → ValidationError whose
    ``details.allowed.model`` is ``["whisper-base"]``.
    """
    from noxus_local.inference.registry.installed import ModelRegistry

    statuses = {s.spec.id: s for s in ModelRegistry.from_config(cfg).list_models()}
    speech = {k: s for k, s in statuses.items() if s.spec.task == "speech-recognition"}
    installed = [k for k, s in speech.items() if s.installed]
    if model_id not in speech:
        listed = ", ".join(installed)
        raise ValidationError(t("auto_subtitles.unknown_model", model_id=model_id[:40],
                                listed=listed or t("common.none")),
                              details={"field_errors": {"model": [one_of(installed or ["(none)"])]},
                                       "allowed": {"model": installed}, "declared": sorted(speech)})
    if model_id.endswith(".en") or model_id.endswith("-en"):
        if language not in ("auto", "en"):
            raise ValidationError.fields({"language": [t("auto_subtitles.knows_english_only_en", model_id=model_id)]})


def _probe(path: Path) -> MediaInfo:
    info = probe(path)
    if info.audio is None:
        raise InvalidMedia(NO_AUDIO, details={"reason": "no_audio_stream"})
    return info


def _mode(params: Mapping[str, Any], info: MediaInfo) -> str:
    if params.get("preview_at") is not None:
        return "preview"
    return "burn" if params.get("burn", True) and _has_picture(info) else "no_burn"


def _has_picture(info: MediaInfo) -> bool:
    return info.video is not None and not info.video.attached_pic


def formats(params: Mapping[str, Any]) -> list[str]:
    """``"srt, vtt"`` → ``["srt", "vtt"]``; 400 naming the allowed ones."""
    chosen = [f.strip().lower() for f in str(params.get("formats") or DEFAULT_FORMATS).split(",") if f.strip()]
    bad = [f for f in chosen if f not in subtitles.FORMATS]
    if bad or not chosen:
        listed = ", ".join(bad)
        raise ValidationError(details={"field_errors": {"formats": [t("auto_subtitles.unknown_formats",
                                                                      listed=listed or t("common.empty"))]},
                                       "allowed": {"formats": list(subtitles.FORMATS)}})
    return list(dict.fromkeys(chosen))


def style_of(params: Mapping[str, Any]) -> styles.CaptionStyle:
    return styles.resolve_style(params["style"], {k: params.get(k) for k in styles.OPTIONS})


def rules_for(params: Mapping[str, Any], info: MediaInfo) -> CueRules:
    size = info.video.display_size if info.video is not None else None
    width, height = size or (None, None)
    fps = info.video.fps if info.video is not None and info.video.fps else 25.0
    return CueRules(max_chars_per_line=params.get("max_chars_per_line") or default_max_chars(width, height),
                    max_lines=params.get("max_lines") or 2, max_words_per_cue=params.get("max_words_per_cue"),
                    max_cps=params.get("max_cps") or 17.0, fps=fps)


def recognise(audio: Path, params: Mapping[str, Any], ctx: ToolContext, progress: Any) -> Transcript:
    """Recognise (or align ``transcript``) with the installed whisper model ``params["model"]``:
    the params mapped onto speech/asr.py's arguments; ``progress`` takes a fraction (a step's)."""
    try:
        from noxus_local.inference.models.whisper import WhisperModel
        from noxus_local.speech import asr
    except ImportError:
        raise ToolUnavailable(details={"reason": "speech recognition is not installed in this build"}) from None
    language = None if params["language"].lower() == "auto" else params["language"].lower()

    speech = ctx.settings.speech  # [speech] batch_size / beam_size
    if ctx.models is None:
        raise ToolUnavailable(details={"reason": "no model cache in this process"})
    with ctx.models.use(WhisperModel.for_id(params["model"])) as model:
        if params.get("transcript"):
            return asr.align(audio, params["transcript"], model=model, language=language or "auto",
                             cancel=ctx.cancel, progress=progress)
        return asr.transcribe(audio, model=model, language=language, task=params["task"], word_timestamps=True,
                              cancel=ctx.cancel, progress=progress, batch_size=speech.batch_size,
                              beam_size=speech.beam_size)


def render(ctx: ToolContext, info: MediaInfo, transcript: Transcript, cues: list[Cue], progress: Any,
           heard: float | None = None) -> ToolOutput:
    """Subtitle files, then the burned MP4 (or the preview PNG) as the primary output.

    ``heard`` is the seconds of audio decoded; the charge is that (a burn: the longer of it and
    the video written), and the result carries the warning of a header that lied (media/decoded.py).
    None: the probed duration (nothing decoded to compare it with).
    """
    heard = (info.duration or 0.0) if heard is None else heard
    style = style_of(ctx.params)
    width, height = (info.video.display_size if _has_picture(info) and info.video else None) or (1920, 1080)
    ass_text = styles.render_ass(cues, style, width, height)
    stem = Path(ctx.files["video"].filename or "video").stem[:80] or "video"
    extra = {"transcript": transcript.text, "language": transcript.language,
             "language_probability": round(transcript.language_probability, 4),
             "duration": round(transcript.duration or info.duration or 0.0, 3), "style": style.name}
    texts = {"srt": lambda: subtitles.srt_text(cues), "vtt": lambda: subtitles.vtt_text(cues), "ass": lambda: ass_text,
             "json": lambda: subtitles.json_text(cues, extra), "tsv": lambda: subtitles.tsv_text(cues),
             "txt": lambda: subtitles.txt_text(cues)}
    files = [(fmt, texts[fmt]().encode("utf-8")) for fmt in formats(ctx.params)]
    result = {**extra, "segments": [c.as_dict() for c in cues], "style": _style_result(style)}
    if not cues:
        result["note"] = transcript.note or SILENCE_NOTE
    mode = _mode(ctx.params, info)
    limit = decode_limit(info.duration)
    if info.duration and truncated(limit, heard):
        add_warning(result, truncated_warning(info.duration, limit or heard))
    processed = processed_seconds(info.duration, heard)
    seconds = processed.seconds
    outputs = [subtitles_output(fmt, data, stem) for fmt, data in files]
    if mode != "burn":
        add_warning(result, processed.warning)
    if mode == "no_burn":
        first = outputs[0]
        return ToolOutput(first.data, first.filename, first.mime_type, result, name=first.name,
                          extras=outputs[1:], units=seconds * UNIT_FACTORS[mode], media_units=seconds)
    size = (width, height)
    if mode == "preview":
        png = captions.preview(ctx.files["video"].path, cues, style, float(ctx.params["preview_at"]),
                               ctx.workdir / f"{stem}-preview.png", cancel=ctx.cancel, size=size)
        return ToolOutput(png, png.name, "image/png", result, name="preview", extras=outputs,
                          units=seconds * UNIT_FACTORS[mode], media_units=seconds)
    mp4 = captions.burn(ctx.files["video"].path, cues, style, ctx.workdir / f"{stem}-subtitled.mp4",
                        cancel=ctx.cancel, progress=progress, size=size,
                        duration=seconds, limit=limit)
    burned = burned_seconds(info, heard, mp4)
    add_warning(result, burned.warning)
    seconds = burned.seconds
    return ToolOutput(mp4, mp4.name, "video/mp4", result, name="video", extras=outputs,
                      units=seconds * UNIT_FACTORS[mode], media_units=seconds)


def burned_seconds(info: MediaInfo, heard: float, mp4: Path) -> Processed:
    """A burn's processed seconds: the longer of the audio recognised and the video written.

    The MP4 is ours, written from the frames ffmpeg really decoded, so its duration is the
    content's. Example: a 2 s MKV whose header says 110 s burns a 2 s MP4 → 2 s and a warning.
    """
    return processed_seconds(info.duration, max(heard, probe(mp4).duration or 0.0))


def subtitles_output(fmt: str, data: bytes, stem: str) -> OutputFile:
    return OutputFile(fmt, data, f"{stem}.{fmt}", subtitles.MIME[fmt])


def _style_result(style: styles.CaptionStyle) -> dict[str, Any]:
    return {"name": style.name, "font": style.font, "position": style.position, "font_size": style.font_size,
            "primary_color": style.primary_color, "highlight_color": style.highlight_color,
            "outline_color": style.outline_color, "uppercase": style.uppercase}
