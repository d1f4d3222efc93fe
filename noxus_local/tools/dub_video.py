"""Tool ``dub-video`` (alias ``doblar-video``): a video's speech translated and spoken in another language.

Steps ``probe → extract_audio → transcribe → speakers → translate → synthesize → mix``, a thin adapter over
noxus_local/dubbing/: Whisper recognises the speech (or aligns a given ``transcript``), each
sentence becomes a line (dubbing/segments.py), the text model translates the lines in numbered
batches keeping names and numbers (or Whisper's own translate task, for English, with
``translator=whisper``), each line's speaker is estimated from its pitch (dubbing/speakers.py: one or
two speakers, each "female", "male" or "unknown"), a Kokoro or Piper voice of the target language
speaks each line once (``voice_id`` for every line; else a voice of the speaker's gender, the
estimated one or ``speaker_gender`` when given, the default voice when unknown; two speakers get two
voices), each line is fitted to its slot (dubbing/fit.py:
a pitch-preserving stretch, a faster synthesis first only past the stretch cap, then the silence
after it, never over the next line) and mixed over the original with its
speech ducked (dubbing/mix.py). Outputs: the MP4 (as long as the input), the translated SRT and a
JSON of every segment. There is no lip-sync (``lip_sync: false`` in the result) and no voice cloning:
``preserve_original_voice=true`` is a 503, charged 0.

Priced per minute of source, held on the probed duration and charged on the seconds of audio
decoded. Refusals, all charged 0: no audio stream or a silent one (400 at the request:
a ``volumedetect`` pass, no model); an unsupported target (400 listing the targets); the same
source and target (400 at the request when ``source_language`` is given). With ``source_language
= auto`` the language is only known once Whisper has heard it, and speech Whisper does not find
(music only, noise) is only known then too: the job fails with the same 400 codes
(``validation_error``, ``invalid_media``) and its hold is released, as for any failed job.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/dub-video -H "Authorization: Bearer $KEY" \\
      -F video=@charla.mp4 -F target_language=en -F speaker_gender=female
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from noxus_local.config import Config
from noxus_local.dubbing import languages, speakers
from noxus_local.dubbing.files import DubSegment, segments_json, srt
from noxus_local.dubbing.fit import MAX_SPEED, MAX_TEMPO, fit_line, tempo_change
from noxus_local.dubbing.mix import DUCK_DB, Placed, render
from noxus_local.dubbing.segments import Line, lines_of, split_at_silences, tighten
from noxus_local.errors import InvalidMedia, LimitExceeded, ToolUnavailable, ValidationError, one_of
from noxus_local.generate.llm.models import text_models
from noxus_local.locale import t
from noxus_local.media.audio import extract_pcm16k
from noxus_local.media.decoded import add_warning, decode_limit, processed_seconds, wav_seconds
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import Step
from noxus_local.speech.voice_catalog import PIPER_VOICES, VOICES, models_of
from noxus_local.tools.auto_subtitles import check_speech_model, supported_languages
from noxus_local.tools.base import (
    Example,
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
from noxus_local.tools.params import Internal

SILENT_DB = -60.0  # an audio track whose loudest sample is below this has no speech to dub
NO_SPEECH = t("dub_video.no_speech")
NO_CLONING = t("dub_video.no_cloning")
_MAX_VOLUME = re.compile(r"max_volume:\s*(-?(?:inf|[\d.]+)) dB")


class DubVideoParams(Params):
    """What ``POST /api/v1/tools/dub-video`` takes, besides the ``video`` file."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("video", "file", required=True, help="The video to dub; its first audio stream is the speech."),)
    target_language: Annotated[str, Meta(max_length=12, examples=["en"], description=(
        "The language to dub into: " + ", ".join(languages.supported()) + "."))]
    source_language: Annotated[str, Meta(max_length=8, examples=["es"], description=(
        "What the video speaks: a Whisper code, or auto (detected)."))] = "auto"
    voice_id: Annotated[str, Meta(max_length=40, examples=["af_heart"], description=(
        "A voice of GET /api/v1/voices; default: the target's voice of the speaker's gender."))] | None = None
    speaker_gender: Annotated[Literal["auto", "female", "male"], Meta(description=(
        "The speaker's gender for the voice: auto estimates it from the pitch of each line (one or two "
        "speakers); voice_id overrides it."))] = "auto"
    translator: Annotated[Literal["auto", "llm", "whisper"], Meta(description=(
        "llm: the text model; whisper: Whisper's own translation (into English only); auto: the text model "
        "when installed, else Whisper for English."))] = "auto"
    transcript: Annotated[str, Meta(max_length=20000, description=(
        "What is said, if known: aligned to the audio instead of recognised."))] | None = None
    preserve_original_voice: Annotated[bool, Meta(description=(
        "Keep the speaker's timbre: needs a voice-cloning model (503 until one exists)."))] = False
    duck_db: Annotated[float, Meta(ge=-60, le=0, description="How much the original is lowered under a line.")] \
        = DUCK_DB
    max_speed: Annotated[float, Meta(ge=1.0, le=1.5, description="Fastest re-synthesis speed to fit a line.")] \
        = MAX_SPEED
    max_tempo: Annotated[float, Meta(ge=1.0, le=1.5, description="Most pitch-preserving stretch after that.")] \
        = MAX_TEMPO
    model: Annotated[str, Meta(max_length=40, description="An installed whisper model.",
                               examples=["whisper-base"])] = "whisper-base"
    # set at the request (plan): the voice chosen and whether the text model translates
    voice: Annotated[str | None, Internal] = None
    voices: Annotated[list[str] | None, Internal] = None  # the target's installed voices, for speaker_gender
    use_llm: Annotated[bool | None, Internal] = None


class DubVideoTool(Tool):
    slug = "dub-video"
    aliases = ("doblar-video",)
    title = "Dub a video"
    description = ("Translates a video's speech into another language and speaks it with a voice of that language, "
                   "each line fitted to its time, over the original ducked; returns the MP4, the translated SRT "
                   "and a JSON of every segment (no lip-sync).")
    Params = DubVideoParams
    media_type = "video"
    measures = "seconds"
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    # per minute of source: recognition, a text model per line, synthesis and a mix
    default_price: ClassVar[Mapping[str, str]] = {"unit": "minute", "unit_usd": "0.15", "minimum_usd": "0.01"}
    models = ("whisper-base", "silero-vad", "kokoro-82m")
    steps = (Step("probe", 1), Step("extract_audio", 1), Step("transcribe", 4), Step("speakers", 1),
             Step("translate", 5),
             Step("synthesize", 5), Step("mix", 2))
    examples = (Example("dub-video", "dub-video: a Spanish talk dubbed into English",
                        {"video": "<file>", "target_language": "en", "speaker_gender": "female"}, form=True),)

    def describe(self, price: Any, available: bool = True, reason: str | None = None) -> dict[str, Any]:
        out = super().describe(price, available, reason)
        out["target_languages"] = list(languages.supported())
        out["lip_sync"] = False
        return out

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Before any probe or model: cloning (503), the target (400 listing them), the source, the voice."""
        if params.get("preserve_original_voice"):
            raise ToolUnavailable(NO_CLONING, details={"reason": "no_voice_cloning_model",
                                                       "field": "preserve_original_voice"})
        goal = target_of(params["target_language"])
        source = params.get("source_language", "auto").lower()
        if source != "auto" and source not in supported_languages():
            raise ValidationError(details={"field_errors": {"source_language": [t("common.unknown_language_code")]},
                "allowed": {"source_language": ["auto", *supported_languages()]}})
        if source == goal.whisper:
            raise same_language(source)
        if params.get("transcript") and source == "auto":
            raise ValidationError.fields({"source_language": [t("dub_video.with_transcript_name_its")]})
        if params.get("translator") == "whisper" and goal.whisper != "en":
            raise ValidationError.fields({"translator": [t("dub_video.whisper_translates_into_english")]})
        voice = params.get("voice_id")
        if voice is not None and voice not in VOICES:
            allowed = languages.voices_of(goal.espeak)
            raise ValidationError(details={"field_errors": {"voice_id": [t(
                "dub_video.unknown_voice_those", code=goal.code, allowed=', '.join(allowed))]},
                "allowed": {"voice_id": allowed}})

    def plan(self, params: DubVideoParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Probe the input: the tier's duration, an audio stream that is not silent; the seconds held."""
        path = files["video"].path
        info = probe(path)
        info.require_audio()
        if info.duration is not None and info.duration > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "duration_seconds": round(info.duration, 2)})
        loudest = max_volume_db(path, decode_limit(info.duration))
        if loudest is not None and loudest < SILENT_DB:
            raise InvalidMedia(NO_SPEECH, details={"reason": "no_speech", "max_volume_db": loudest})
        seconds = info.duration or 0.0
        models = (params.model, "silero-vad", *self._freeze(params, self.settings))
        return Plan(units=seconds, resources=dict(self.resources), models=models, work_units=seconds or 1.0,
                    facts={"probe": msgspec.to_builtins(info)})

    @staticmethod
    def _freeze(params: DubVideoParams, cfg: Config) -> tuple[str, ...]:
        """The voice (chosen now among the installed ones when not given), the target's installed voices and
        who translates, frozen into the params; the models they need (the voice's, and the text model when
        it translates), for the plan.

        Example: target ``es``, no voice_id, ef_dora installed → ``params.voice == "ef_dora"``,
        ``params.use_llm is True`` and ``("kokoro-82m", "kokoro-voice-ef-dora", cfg.llm.model)``.
        """
        from noxus_local.inference.registry.installed import ModelRegistry

        goal = target_of(params.target_language)
        statuses = {s.spec.id: s for s in ModelRegistry.from_config(cfg).list_models()}
        installed = {v for v in VOICES if (s := statuses.get(_voice_model(v))) is not None and s.installed}
        voice = params.voice_id or languages.pick_voice(goal.espeak, params.speaker_gender, installed)
        if voice is None:  # pragma: no cover - every target has voices (languages.supported)
            raise ValidationError.fields({"target_language": [t("dub_video.no_voice")]})
        params.voice = voice
        params.voices = [v for v in languages.voices_of(goal.espeak) if v in installed]
        if params.translator == "llm" or (params.translator == "auto" and goal.whisper != "en"):
            params.use_llm = True  # required: the plan names the text model, a missing one is a 503
        else:
            params.use_llm = params.translator == "auto" and _installed(text_models(cfg), cfg)
        return (*models_of((voice,)), *((cfg.llm.model,) if params.use_llm else ()))

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """A speech-recognition ``model`` (400 as auto-subtitles), then the plan's models: Whisper, Silero
        VAD, the voice's and the text model when it translates (missing ones: 503s naming
        ``noxus-local models fetch``), before the hold."""
        check_speech_model(params["model"], cfg, params.get("source_language", "auto").lower())
        require_installed(plan.models, cfg)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p: DubVideoParams = ctx.params
        goal = target_of(p.target_language)
        info = plan.fact("probe", MediaInfo) or probe(ctx.files["video"].path)
        warnings: list[str] = []
        with ctx.step("probe"):
            info.require_audio()
        with ctx.step("extract_audio"):
            limit = decode_limit(info.duration)
            wav = extract_pcm16k(ctx.files["video"].path, ctx.workdir / "audio16k.wav", limit, cancel=ctx.cancel)
            heard = wav_seconds(wav)
        duration = info.duration or heard
        with ctx.step("transcribe") as step:
            source, lines, english = self._listen(ctx, wav, duration, goal, step.progress)
        with ctx.step("speakers") as step:
            cast = self._cast(ctx, wav, lines, goal, step.progress)
        with ctx.step("translate") as step:
            if english is not None:
                texts, engine = english, f"whisper:{p.model}"
            else:
                texts, engine = self._translate(ctx, lines, source, goal, warnings, step.progress)
        with ctx.step("synthesize") as step:
            placed, segments = self._speak(ctx, lines, texts, goal, cast, warnings, step.progress)
        with ctx.step("mix"):
            stem = Path(ctx.files["video"].filename or "video").stem[:80] or "video"
            mp4 = ctx.workdir / f"{stem}-{goal.code}.mp4"
            levels = render(ctx.files["video"].path, info, placed, placed[0].rate if placed else 24_000, mp4,
                            duck_db=p.duck_db, cancel=ctx.cancel, workdir=ctx.workdir)
        meta = {"source_language": source, "target_language": goal.code, "voice_id": cast.voices[0],
                "translator": engine, "lip_sync": False,
                "duration_seconds": round(probe(mp4).duration or duration, 3), **levels,
                "speakers": [{**s.as_dict(), "voice_id": v} for s, v in zip(cast.found.speakers, cast.voices,
                                                                            strict=True)]}
        result: dict[str, Any] = {**meta, "segments": [s.as_dict() for s in segments]}
        for message in warnings:
            add_warning(result, {"code": "dub_warning", "message": message})
        processed = processed_seconds(info.duration, heard)
        add_warning(result, processed.warning)
        extras = [OutputFile("srt", srt(segments).encode(), f"{stem}-{goal.code}.srt", "application/x-subrip"),
                  OutputFile("segments", segments_json(segments, meta).encode(), f"{stem}-{goal.code}.json",
                             "application/json")]
        return ToolOutput(mp4, mp4.name, "video/mp4", result, name="video", extras=extras,
                          units=processed.seconds, media_units=processed.seconds)

    # ------------------------------------------------------------ the steps

    def _listen(self, ctx: ToolContext, wav: Path, duration: float, goal: languages.Target,
                progress: Any) -> tuple[str, list[Line], list[str] | None]:
        """(source language, lines, their English by Whisper when it translates, else None)."""
        from noxus_local.inference.models.whisper import WhisperModel
        from noxus_local.speech import asr
        from noxus_local.speech.asr import load_audio

        p: DubVideoParams = ctx.params
        if ctx.models is None:
            raise ToolUnavailable(details={"reason": "no model cache in this process"})
        given = None if p.source_language.lower() == "auto" else p.source_language.lower()
        speech = ctx.settings.speech
        with ctx.models.use(WhisperModel.for_id(p.model)) as model:
            if p.transcript:
                transcript = asr.align(wav, p.transcript, model=model, language=given or "auto", cancel=ctx.cancel,
                                       progress=progress)
            else:
                transcript = asr.transcribe(wav, model=model, language=given, cancel=ctx.cancel, progress=progress,
                                            batch_size=speech.batch_size, beam_size=speech.beam_size)
            pcm = load_audio(wav, ctx.cancel)
            lines = tighten(lines_of(split_at_silences(transcript.segments, pcm), duration), pcm)
            if not lines:
                raise InvalidMedia(NO_SPEECH, details={"reason": "no_speech"})
            source = transcript.language or given or ""
            if source == goal.whisper:
                raise same_language(source)
            if p.use_llm:
                return source, lines, None
            from noxus_local.dubbing.translate import whisper_lines

            def recognise(path: Path) -> str:
                return asr.transcribe(path, model=model, language=source, task="translate", word_timestamps=False,
                                      cancel=ctx.cancel, beam_size=speech.beam_size).text

            return source, lines, whisper_lines(lines, pcm, recognise)

    def _translate(self, ctx: ToolContext, lines: list[Line], source: str, goal: languages.Target,
                   warnings: list[str], progress: Any) -> tuple[list[str], str]:
        from noxus_local.dubbing.translate import llm_lines

        cfg = ctx.settings
        llm = text_models(cfg).llm(cfg.llm.model, ctx.models)  # type: ignore[arg-type]
        done = llm_lines(llm, [line.text for line in lines], source, goal.name, ctx.cancel.check, progress)
        warnings.extend(done.warnings)
        return list(done.texts), done.engine

    def _cast(self, ctx: ToolContext, wav: Path, lines: list[Line], goal: languages.Target,
              progress: Any) -> Cast:
        """Each line's speaker by pitch, and each speaker's voice (``voice_id`` > ``speaker_gender`` > the
        estimate > the language's default)."""
        from noxus_local.speech.asr import load_audio

        p: DubVideoParams = ctx.params
        pcm = load_audio(wav, ctx.cancel)
        found = speakers.estimate(pcm, [(line.start, line.end) for line in lines], cancel=ctx.cancel.check,
                                  progress=progress)
        if p.voice_id:
            return Cast(found, [p.voice_id] * len(found.speakers))
        genders = [p.speaker_gender if p.speaker_gender != "auto" else s.gender for s in found.speakers]
        voices = languages.pick_voices(goal.espeak, genders, p.voices or ([p.voice] if p.voice else None))
        for k, gender in enumerate(genders):
            # an unknown speaker gets the voice chosen (and checked installed) at the request, unless
            # another speaker already speaks with it
            if gender not in ("female", "male") and p.voice and p.voice not in voices[:k] + voices[k + 1:]:
                voices[k] = p.voice
        return Cast(found, voices or [p.voice or "af_heart"] * len(found.speakers))

    def _speak(self, ctx: ToolContext, lines: list[Line], texts: list[str], goal: languages.Target,
               cast: Cast, warnings: list[str], progress: Any) -> tuple[list[Placed], list[DubSegment]]:
        from noxus_local.inference.models.kokoro import SAMPLE_RATE
        from noxus_local.speech import tts
        from noxus_local.speech.synthesis import has_words

        p: DubVideoParams = ctx.params
        placed: list[Placed] = []
        segments: list[DubSegment] = []
        with ExitStack() as held:
            opened = {v: held.enter_context(tts.open_voice(ctx.models, {v: 1.0}, goal.espeak))
                      for v in dict.fromkeys(cast.voices)}
            rate = SAMPLE_RATE  # Kokoro's; Piper's output is resampled to it
            voice_id = cast.voices[0]

            def synth(text: str, speed: float) -> Any:
                return tts.speak(text, opened[voice_id], speed, cancel=ctx.cancel).samples

            def stretch(samples: Any, r: int, tempo: float) -> Any:
                return tempo_change(samples, r, tempo, ctx.cancel)

            for i, (line, text) in enumerate(zip(lines, texts, strict=True)):
                ctx.cancel.check()
                speaker = cast.found.of_segment[i]
                voice_id = cast.voices[speaker]
                if not has_words(text):
                    warnings.append(f"line {i + 1}: nothing to speak in its translation; left silent")
                    continue
                fitted = fit_line(text, line, synth, rate, stretch=stretch, max_speed=p.max_speed,
                                  max_tempo=p.max_tempo)
                if fitted.cut_seconds:
                    warnings.append(f"line {i + 1}: {fitted.cut_seconds:.2f} s cut: the translation is longer "
                                    f"than its slot and the silence after it")
                placed.append(Placed(line.start, fitted.samples, fitted.rate, line.end))
                segments.append(DubSegment(line.id, line.start, line.end, line.text, text, line.start,
                                           round(line.start + fitted.duration, 3), fitted.speed, fitted.tempo,
                                           fitted.borrowed, fitted.cut_seconds, speaker, voice_id))
                progress((i + 1) / len(lines))
        return placed, segments


@dataclass(frozen=True)
class Cast:
    """Who speaks each line (dubbing/speakers.py) and the voice of each speaker, by speaker id."""

    found: speakers.Speakers
    voices: list[str]


def target_of(code: str) -> languages.Target:
    """The target of ``code``, else a 400 listing every target."""
    goal = languages.target(code)
    if goal is None:
        allowed = list(languages.supported())
        raise ValidationError(t("dub_video.unsupported_target_language", code=code[:12], allowed=', '.join(allowed)),
                              details={"field_errors": {"target_language": [one_of(allowed)]},
                                       "allowed": {"target_language": allowed}})
    return goal


def same_language(code: str) -> ValidationError:
    return ValidationError(t("dub_video.video_already_speaks_choose", code=code),
                           details={"field_errors": {"target_language": [t("dub_video.same_as_source_language")]},
                               "source_language": code})


def max_volume_db(path: Path, limit: float | None = None) -> float | None:
    """The loudest sample of the first audio stream in dBFS (ffmpeg ``volumedetect``); None if unknown.

    Example: a track of digital silence → ``-91.0`` (ffmpeg's floor), speech → around ``-3``.
    """
    bound = ["-t", f"{limit:.3f}"] if limit else []
    tail = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", "volumedetect",
                       *bound, "-f", "null", "-"], CancelToken())
    match = _MAX_VOLUME.search(tail.decode(errors="replace"))
    if match is None:
        return None
    return float("-inf") if match.group(1) == "-inf" else float(match.group(1))


def _voice_model(voice: str) -> str:
    from noxus_local.inference.models.kokoro import voice_model_id

    return PIPER_VOICES.get(voice) or voice_model_id(voice)


def _installed(models: Any, cfg: Config) -> bool:
    from noxus_local.inference.model import ModelNotInstalled

    try:
        models.check(cfg.llm.model)
    except (ModelNotInstalled, ValidationError):
        return False
    return True
