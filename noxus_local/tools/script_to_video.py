"""Tool ``script-to-video`` (alias ``guion-a-video``): an idea or a script → a narrated, captioned video.

Steps ``write → plan → voice → visuals → render`` (``write`` only with ``idea``).
A thin adapter over the pipelines: generate/script.py writes a script from an
idea; generate/scenes.py cuts it into scenes of whole sentences (3–8 s of speech)
with a visual description and search terms (the text model's JSON, else a
deterministic planner); compose/narration.py speaks each scene with the chosen
voice and times the scenes by it; analysis/materials.py says what each of the
caller's ``materials`` shows (tags + OCR, cached by the file's hash) and
compose/visuals.py gives each scene the one that fits it best (across
languages: compose/lexicon.py; each used before any repeats), a generated
picture or a designed scene;
compose/render.py draws the timeline in one ffmpeg run, with captions burned
from the speech's own word timings, ducked music and a logo.

Priced per second of rendered video, plus, for an ``idea``, the text model's
tokens at ``[prices.chat]``'s rates folded in as seconds of that price (a
price has one unit): ``token µUSD / (µUSD per second)`` more seconds. The hold
is estimated from the script's length at a slow speaking rate (or ``duration``
for an idea, plus its token estimate), the charge is the rendered MP4's length
(plus the tokens the model really used), never above the hold.

Re-render: post the returned ``timeline.json`` (edited: texts, visuals, order)
as ``timeline`` instead of ``idea``/``script``, with the same ``materials``
when its scenes name them (compose/edit.py: scenes refer to the request's
materials by index or to a generator prompt, never to server paths). Each
scene's narration (and each generated picture) is kept per account in
``<data>/cache/compose`` (compose/cache.py, ``[video] cache_mb``, pruned by the
retention job), so only the scenes whose text changed are spoken again;
``result.cache`` counts them: ``{"narration": {"made": 1, "reused": 2}, ...}``.

Outputs: the MP4 (primary), ``script.txt``, ``timeline.json``, SRT, VTT and the
narration (MP3). ``result``: ``script``, ``scenes`` (index, text, start, end,
visual {kind, source, description, search, search_en?, match? {by: content|name|order, terms, found}},
words), ``segments`` (the caption cues with their
words), ``duration``, ``warnings``.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/script-to-video -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"script": "¿Sabías que el café nació en Etiopía? Hoy se bebe en todo el mundo.",
           "aspect_ratio": "9:16", "caption_style": "yellow_punch", "music": "calm",
           "materials": ["asset_5b1c0e8f2a9d4c7e1f3a6b2d", "https://example.com/taza.jpg"]}'
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local import compose
from noxus_local.captions import styles, subtitles
from noxus_local.captions.cues import Cue, CueRules, cues_from_words, default_max_chars
from noxus_local.captions.styles import OPTIONS, PRESETS, resolve_style
from noxus_local.compose.cache import PartCache, part_key
from noxus_local.compose.edit import EditedScene, edit_dict, read_edit
from noxus_local.compose.music import MODEL_ID as MUSIC_MODEL
from noxus_local.compose.music import MusicLibrary
from noxus_local.compose.narration import Narration, SpeechStore, write_wav
from noxus_local.compose.timeline import LOGO_PLACES, TRANSITIONS
from noxus_local.compose.visuals import Chosen, Material
from noxus_local.config import Config
from noxus_local.errors import InvalidMedia, LimitExceeded, UpstreamError, ValidationError, one_of
from noxus_local.generate.llm.models import text_models
from noxus_local.generate.scenes import Plan, PlannedScene
from noxus_local.locale import t
from noxus_local.media import fonts
from noxus_local.money import UNITS, Price
from noxus_local.speech.phonemes import ESPEAK_VOICES
from noxus_local.speech.voice_catalog import MODEL, VOICES
from noxus_local.tools.base import (
    Example,
    InputFile,
    InputSpec,
    Limits,
    OutputFile,
    Params,
    Step,
    Tool,
    ToolContext,
    ToolOutput,
    require_installed,
)
from noxus_local.tools.params import Internal, JsonValue
from noxus_local.tools.plan import Plan as JobPlan
from noxus_local.tools.reader import coerce_inputs
from noxus_local.tools.text_to_speech import LIST_HINT, parse_voice

ASPECTS = {"9:16": (9, 16), "16:9": (16, 9), "1:1": (1, 1)}
RESOLUTIONS = {"720p": 720, "1080p": 1080}
SLOW_CHARS_PER_SECOND = 11.0  # below every voice measured (12.7-15.7 at speed 1): the hold covers the speech
FAST_CHARS_PER_SECOND = 25.0  # above every voice: a floor, so only a surely-too-long script is refused early
IDEA_MARGIN = 1.3  # a written script may come out 20 % long, plus the pauses
MAX_LOGO_BYTES = 10 * 1024 * 1024
DEFAULT_VOICES = {"es": "ef_dora", "es-419": "ef_dora", "en": "af_heart", "en-us": "af_heart", "en-gb": "bf_emma"}
SCRIPT_LANGUAGES = {"es": "es", "es-419": "es", "en": "en", "en-us": "en", "en-gb": "en"}
CAPTION_OPTIONS = tuple(f"caption_{o}" for o in OPTIONS)
MATERIAL_KEY = re.compile(r"materials_([0-9]+)")
TRANSITION_SECONDS = 0.5
IDEA_TOKENS = (2500, 300)  # an idea's prompt and generated tokens held for: fixed part, plus per second below
IDEA_TOKENS_PER_SECOND = (60, 12)
log = logging.getLogger(__name__)
NO_LLM_WARNING = "no text model is installed: the scenes' visuals were planned from the sentences' key words"


def default_voice(language: str) -> str:
    """The voice a language is read with when none is named. Example: ``default_voice("fr") == "ff_siwis"``."""
    wanted = ESPEAK_VOICES.get(language, language)
    return DEFAULT_VOICES.get(language) or next(
        v for v, info in VOICES.items() if info.model == MODEL and ESPEAK_VOICES.get(info.language) == wanted)


def voice_choices(exc: ValidationError, language: str) -> ValidationError:
    """An unknown ``voice_id``'s 400 with the choices listed: the voices that read ``language`` in the
    message, every premade voice in ``details.allowed`` (saved ``custom_…`` voices: GET /api/v1/voices).

    Example: ``voice_choices(err, "es")`` → field error "unknown voice 'nobody'; …; one of: ef_dora,
    em_alex, em_santa (es) …".
    """
    wanted = ESPEAK_VOICES.get(language, language)
    near = [v for v, info in VOICES.items() if ESPEAK_VOICES.get(info.language, info.language) == wanted
            or info.language.split("-")[0] == language.split("-")[0]]
    listed = one_of(near or sorted(VOICES))
    errors = (exc.details or {}).get("field_errors", {}).get("voice_id", [])
    first = errors[0] if errors else t("script_to_video.unknown_voice")
    text = t("script_to_video.unknown_voice_for_language", first=first, language=language, listed=listed)
    return ValidationError(details={"field_errors": {"voice_id": [text, *errors[1:]]},
                                    "allowed": {"voice_id": sorted(VOICES)}})


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Exact, even pixel sizes: the short side is the resolution. Example: ``("9:16", "720p")`` → (720, 1280)."""
    w, h = ASPECTS[aspect]
    short = RESOLUTIONS[resolution]
    scale = short / min(w, h)
    return 2 * round(w * scale / 2), 2 * round(h * scale / 2)


class ScriptToVideoParams(Params):
    """What ``POST /api/v1/tools/script-to-video`` takes: one of ``idea``, ``script`` or ``timeline``."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("music_file", "file", help="Your own music (an audio file), instead of `music`."),
        InputSpec("logo", "file", help="An image (at most 10 MB) laid over the video; or logo_asset_id."))
    input_order: ClassVar[tuple[str, ...]] = (
        "idea", "script", "language", "voice_id", "speed", "aspect_ratio", "resolution", "duration",
        "caption_style", "caption_position", "caption_font", "caption_font_size", "caption_primary_color",
        "caption_highlight_color", "caption_outline_color", "caption_background_color", "caption_outline",
        "caption_shadow", "caption_uppercase", "materials", "music", "music_file", "music_volume", "logo",
        "logo_position", "transition", "timeline", "planner")

    idea: Annotated[str, Meta(max_length=2000, description=(
        "What the video is about: the text model writes the script (give one of idea, script or timeline)."))] \
        | None = None
    script: Annotated[str, Meta(description="The narration as you want it spoken (idea or script); longer than "
                                            "[video] max_script_chars is 413 limit_exceeded.")] | None = None
    language: Annotated[Literal[tuple(ESPEAK_VOICES)], Meta(  # type: ignore[valid-type]
        description="The narration's language; an idea is written in es or en.")] = "es"
    voice_id: Annotated[str, Meta(max_length=200, description="A voice of GET /api/v1/voices, a saved custom_… "
                                  "voice or a mix (ef_dora*0.7+em_alex*0.3); default: the language's.")] | None = None
    speed: Annotated[float, Meta(ge=0.5, le=2.0)] = 1.0
    aspect_ratio: Literal[tuple(ASPECTS)] = "9:16"  # type: ignore[valid-type]
    resolution: Literal[tuple(RESOLUTIONS)] = "720p"  # type: ignore[valid-type]
    duration: Annotated[float, Meta(ge=5, le=600, description="Target seconds of narration for an idea.")] = 30
    caption_style: Annotated[Literal[(*PRESETS, "none")], Meta(  # type: ignore[valid-type]
        description="An auto-subtitles preset, or none.")] = "classic"
    caption_position: Annotated[str, Meta(max_length=20, description="top|middle|bottom_left|center|right or "
                                                                    "y=<percent>.")] | None = None
    caption_font: Literal[tuple(fonts.FAMILIES)] | None = None  # type: ignore[valid-type]
    caption_font_size: Annotated[float, Meta(ge=1, le=30, description="Percent of the video height.")] | None = None
    caption_primary_color: Annotated[str, Meta(max_length=20)] | None = None
    caption_highlight_color: Annotated[str, Meta(max_length=20)] | None = None
    caption_outline_color: Annotated[str, Meta(max_length=20)] | None = None
    caption_background_color: Annotated[str, Meta(max_length=20)] | None = None
    caption_outline: Annotated[float, Meta(ge=0, le=30)] | None = None
    caption_shadow: Annotated[float, Meta(ge=0, le=30)] | None = None
    caption_uppercase: bool | None = None
    # a list of asset ids / URLs, resolved by api/input_refs.py into the files materials_0, materials_1…
    materials: Annotated[JsonValue, Meta(description="Images and videos for the scenes: a list of assetIds and/or "
                                         "http(s) URLs (or repeated `materials` file parts), at most 20; used in "
                                         "order, each once before any repeats.")] = None
    music: Annotated[str, Meta(max_length=100, description="A bundled mood (calm, energetic, happy, nostalgic, "
                                                           "tender), a track id, an audio assetId, or none.")] = "none"
    music_volume: Annotated[float, Meta(ge=0, le=2, description="The music's level under the voice (1 = as it is; "
                                                                "it is ducked while the voice speaks).")] = 0.35
    logo_position: Literal[LOGO_PLACES] = "top_right"  # type: ignore[valid-type]
    transition: Literal[TRANSITIONS] = "fade"  # type: ignore[valid-type]
    # the posted timeline.json, normalised by check() to its validated scenes (compose/edit.py)
    timeline: Annotated[JsonValue, Meta(description="A re-render: the timeline.json a render returned, edited "
                                        "(scene texts, visuals, order); scenes name materials by index into this "
                                        "request's `materials` or a generator prompt, never a path. Unchanged "
                                        "scenes' narration is reused, not spoken again.")] = None
    planner: Annotated[Literal["auto", "llm", "sentences"], Meta(
        description="Who plans the scenes' visuals: the text model (llm), the sentences' key words, or auto "
                    "(the model where it is used: two or more materials, an image generator, an idea).")] = "auto"
    # an account's saved voice (custom_…), its mix looked up at the request (voices/custom.py)
    voice_mix: Annotated[dict[str, float] | None, Internal] = None
    # a re-render's logo and music file kept from the job that made the timeline: their keys in the
    # account's compose cache, read from the posted timeline.json ({"logo": "<sha256>", "music_file": …})
    kept: Annotated[dict[str, str] | None, Internal] = None


class ScriptToVideoTool(Tool):
    slug = "script-to-video"
    aliases = ("guion-a-video",)
    title = "Script to video"
    description = ("A narrated, captioned video from an idea (the text model writes the script) or a script: "
                   "scenes of whole sentences, your images and videos or designed scenes, music ducked under "
                   "the voice; returns the MP4 plus script, timeline.json, SRT, VTT and the narration.")
    media_type = "video"
    measures = "seconds"
    # per second of rendered video: the hold from the script's length (or `duration` for an idea)
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.002", "minimum_usd": "0.01"}
    examples = (
        Example("script-to-video", "script-to-video: a Spanish script, your picture and a bundled mood (seed 000)",
                {"script": "¿Sabías que el café nació en Etiopía? Hoy se bebe en todo el mundo.",
                 "aspect_ratio": "9:16", "caption_style": "yellow_punch", "music": "calm",
                 "materials": ["asset_5b1c0e8f2a9d4c7e1f3a6b2d"]}),
        Example("script-to-video", "script-to-video: the text model writes the script from an idea (seed 000)",
                {"idea": "Un video sobre vender mas con automatizacion", "duration": 30}, form=True,
                description='curl -F "idea=Un video sobre vender mas con automatizacion" -F "duration=30"'),
    )
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    file_lists = ("materials",)
    asset_fields: ClassVar[Mapping[str, str]] = {"music": "music_file"}
    steps = (Step("write", 3), Step("plan", 1), Step("voice", 3), Step("visuals", 1), Step("render", 5))
    Params = ScriptToVideoParams

    def __init__(self, generate: Any = None) -> None:
        # an image generator (generators.for_config: ``gen(prompt, w, h, seed, out_dir, cancel)``, with a
        # ``name``), given by the catalog from [generators]; None: scenes without a material are designed
        self.generate = generate

    def describe(self, price: Price, available: bool = True, reason: str | None = None) -> dict[str, Any]:
        out = super().describe(price, available, reason)
        out["styles"] = styles.catalog()
        out["limits"] = {"max_materials": 20, "max_logo_mb": MAX_LOGO_BYTES // 2**20}
        return out

    # ------------------------------------------------------------ before the hold

    def validate(self, raw: Mapping[str, Any], files: Mapping[str, InputFile], limits: Limits) -> dict[str, Any]:
        """As every tool's, and a re-render (``timeline``) takes the voice, music and logo of the job that
        made the timeline (its timeline.json names them) for each of those the request does not give."""
        params, errors = coerce_inputs(self.inputs, raw, files)
        if errors:
            raise ValidationError.fields(errors)
        if params.get("timeline") is not None:
            params["timeline"] = _json_field(params["timeline"], "timeline")
            inherit(params, params["timeline"], {k for k, v in raw.items() if v is not None} | set(files))
        self.check(params, files, limits)
        return params

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        _one_source(params)
        if params.get("timeline") is not None:
            count = sum(1 for key in files if MATERIAL_KEY.fullmatch(key))
            params["timeline"] = edit_dict(read_edit(_json_field(params["timeline"], "timeline"), count))
        if params.get("idea") is not None and params["language"] not in SCRIPT_LANGUAGES:
            raise ValidationError.fields({"language": [t("script_to_video.idea_languages",
                                                         script_languages=one_of(sorted(SCRIPT_LANGUAGES)))]})
        params.setdefault("voice_id", None)
        if params["voice_id"] is None:
            params["voice_id"] = default_voice(params["language"])
        try:
            parse_voice(params["voice_id"])
        except ValidationError as exc:
            raise voice_choices(exc, params["language"]) from None
        if params["caption_style"] != "none":
            resolve_style(params["caption_style"], caption_options(params))
        seconds = self._floor_seconds(params)
        if limits.max_video_seconds and seconds > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "estimated_seconds": round(seconds, 1)})
        for key, info in files.items():
            if MATERIAL_KEY.fullmatch(key):
                material_kind(info.path, key)
        if "logo" in files:
            _check_logo(files["logo"])
        if "music_file" in files:
            _check_audio(files["music_file"])

    def check_installed(self, params: dict[str, Any], plan: JobPlan, cfg: Config) -> None:
        """The script's length against ``[video] max_script_chars`` (413), the music against the library
        (400 listing it), the plan's models (the text model an idea needs: 503 with its fetch command)."""
        most, text = cfg.video.max_script_chars, _spoken_text(params)
        if text is not None and len(text) > most:
            raise LimitExceeded(t("script_to_video.script_has_characters_at", length=len(text), most=most),
                                details={"limit": "max_script_chars", "max": most, "got": len(text)})
        music = params["music"]
        if music != "none":
            library = MusicLibrary(_models_dir(cfg) / MUSIC_MODEL)
            if music not in library.moods() and music not in {t.id for t in library.tracks}:
                allowed = ["none", *library.moods(), *(t.id for t in library.tracks)]
                raise ValidationError(details={"field_errors": {"music": [one_of(allowed)]},
                                               "allowed": {"music": allowed}})
        require_installed(plan.models, cfg)  # the text model an idea needs: 503 naming `noxus-local models fetch`

    def plan(self, params: ScriptToVideoParams, files: Mapping[str, InputFile], limits: Limits) -> JobPlan:
        """The seconds held and the server's facts, frozen once for whichever machine runs it: ``fps``,
        ``loudness``, ``cache_bytes``, ``token_rates`` (an idea's tokens as seconds) and ``llm`` (whether
        the text model writes or plans: asked for, or ``auto`` where it is installed and used)."""
        cfg = self.settings
        # the text model, when an idea or ``planner=llm`` needs it or ``auto`` may use it (installed)
        needed = params.idea is not None or params.planner == "llm"
        optional = params.planner == "auto" and params.timeline is None
        models = (cfg.llm.model,) if needed or (optional and _installed(text_models(cfg), cfg)) else ()
        materials = sum(1 for key in files if MATERIAL_KEY.fullmatch(key))
        wants = params.timeline is None and self._wants_llm(params, materials)
        rates = token_rates(_price(cfg, "chat"), _price(cfg, self.slug)) if params.idea is not None else None
        seconds = held_seconds(params, rates)
        uses = wants and cfg.llm.model in models
        if not uses and params.idea is None and params.planner != "llm":
            models = ()  # installed, but this run plans from the sentences (auto with one material)
        facts = {"fps": cfg.video.fps, "loudness": cfg.video.loudness_lufs,
                 "cache_bytes": int(cfg.video.cache_mb * 2**20), "llm": uses, "token_rates": rates}
        return JobPlan(units=seconds, resources=dict(self.resources), models=models,
                       work_units=seconds / IDEA_MARGIN, facts=facts)

    @staticmethod
    def _floor_seconds(params: Mapping[str, Any]) -> float:
        if params.get("idea") is not None:
            return float(params["duration"])
        return len(_spoken_text(params) or "") / (FAST_CHARS_PER_SECOND * params["speed"])

    # ------------------------------------------------------------ the run

    def run(self, ctx: ToolContext, job: JobPlan) -> ToolOutput:
        from noxus_local.generate.scenes import plan_scenes

        p, warnings, facts = ctx.params, [], job.facts
        edited = read_edit(p["timeline"], len(_materials(ctx.files))) if p.get("timeline") else None
        wants_llm = edited is None and self._wants_llm(p, len(_materials(ctx.files)))
        llm = self._llm(ctx) if wants_llm and facts.get("llm") else None
        if wants_llm and llm is None:
            warnings.append(NO_LLM_WARNING)
        llm = None if llm is None else CountingLlm(llm)
        script = p.get("script")
        if p.get("idea") is not None:
            with ctx.step("write"):
                script = _write(llm, p, warnings)
        with ctx.step("plan"):
            if edited is not None:
                plan = Plan(tuple(PlannedScene(e.text, e.visual.prompt or "", ()) for e in edited), "timeline")
                script = " ".join(e.text for e in edited)
            else:
                plan = plan_scenes(script, p["language"], llm, p["speed"])
            warnings += plan.warnings
        cache = _cache(ctx, job)
        with ctx.step("voice") as step:
            narration, spoken = _narrate(ctx, plan, step.progress, cache)
            wav = write_wav(narration, ctx.workdir / "narration.wav")
        width, height = frame_size(p["aspect_ratio"], p["resolution"])
        with ctx.step("visuals") as step:
            drawn = Drawn(self.generate, ctx, cache)
            analysed = None if edited is not None else analyse_materials(ctx, cache, warnings, step.progress)
            scenes, chosen = self._scenes(ctx, plan, narration, (width, height), warnings, edited, drawn, analysed)
        with ctx.step("render") as step:
            kept = keep_files(ctx, cache, warnings)
            tl = _timeline(ctx, job, scenes, wav, width, height, kept)
            out = compose.render(tl, ctx.workdir / "video.mp4", workdir=ctx.workdir / "render", cancel=ctx.cancel,
                                 progress=step.progress)
        extra = 0.0
        if llm is not None and p.get("idea") is not None:
            extra = token_seconds(facts.get("token_rates"), llm.prompt_tokens, llm.completion_tokens)
        counts = {"narration": {"made": spoken.made, "reused": spoken.reused},
                  "visual": {"made": drawn.made, "reused": drawn.reused}}
        if analysed is not None and len(analysed.materials) >= 2:
            counts["analysis"] = {"made": analysed.made, "reused": analysed.reused}
        return _output(ctx, script, tl, narration, chosen, plan, warnings, out, llm, extra, counts, kept)

    def _wants_llm(self, params: Mapping[str, Any], materials: int) -> bool:
        """Whether the text model plans the scenes: asked for (``planner=llm``), or ``auto`` where its
        visual descriptions and search terms are used — matching two or more materials, prompting a
        generator, or an idea (the model is loaded anyway). Otherwise the sentences plan: on a CPU the
        1.5B model's plan of a 60 s script costs about as long as the rest of the job together."""
        if params["planner"] != "auto":
            return params["planner"] == "llm"
        return params.get("idea") is not None or materials >= 2 or self.generate is not None

    def _llm(self, ctx: ToolContext) -> Any:
        cfg = ctx.models.cfg
        return text_models(cfg).llm(cfg.llm.model, ctx.models)

    def _scenes(self, ctx: ToolContext, plan: Plan, narration: Narration, size: tuple[int, int],
                warnings: list[str], edited: tuple[EditedScene, ...] | None,
                drawn: Drawn, analysed: Analysed | None = None) -> tuple[list[compose.Scene], list[dict[str, Any]]]:
        """Each scene's visual and how timeline.json names it (``ref``: a material's index, a prompt and
        seed, or a designed scene's palette): a picture the server holds is never named by its path.
        A matched material's ``ref["match"]`` (compose/visuals.py ``Match``) says why; it goes to the
        result, not to timeline.json."""
        from noxus_local.compose.visuals import choose, match, scene_seed

        materials = analysed.materials if analysed is not None else _materials(ctx.files)
        matches = [None] * len(plan.scenes)
        if edited is None:
            matches = match([s.terms() for s in plan.scenes], materials,
                            None if analysed is None else analysed.labels, [s.text for s in plan.scenes])
            picks = [None if m is None else m.index for m in matches]
        else:
            picks = [e.visual.material for e in edited]
        scenes, refs = [], []
        for i, (planned, span, pick) in enumerate(zip(plan.scenes, narration.spans, picks, strict=True)):
            edit = None if edited is None else edited[i].visual
            if edit is not None and edit.kind == "designed":
                chosen = Chosen(compose.Visual("designed"), None)
            else:
                seed = edit.seed if edit is not None and edit.seed is not None else scene_seed(planned.visual)
                chosen = choose(i, planned.visual, None if pick is None else materials[pick], size,
                                None if self.generate is None else drawn, ctx.workdir, seed=seed)
                if edit is not None and edit.kind == "generated" and self.generate is None:
                    chosen = Chosen(chosen.visual, None, t("script_to_video.scene_no_image_generator", i=i))
            if chosen.warning:
                warnings.append(chosen.warning)
            visual = chosen.visual
            if edit is not None:
                visual = dataclasses.replace(visual, ken_burns=edit.ken_burns, trim_start=edit.trim_start,
                                             palette=edit.palette, text=edit.text)
            ref: dict[str, Any] = {"source": chosen.source}
            if visual.kind == "material" and pick is not None:
                ref |= {"material": pick, "name": chosen.source}
                if matches[i] is not None:
                    ref["match"] = matches[i].as_dict()
            elif visual.kind == "generated":
                ref |= {"prompt": planned.visual, "seed": seed, "generator": getattr(self.generate, "name", None)}
            scenes.append(compose.Scene(i, planned.text, span.start, span.end, visual, span.words))
            refs.append(ref)
        return scenes, refs


# ---------------------------------------------------------------- checks


def _one_source(params: dict[str, Any]) -> None:
    idea, script, timeline = params.get("idea"), params.get("script"), params.get("timeline")
    if sum(v is not None for v in (idea, script, timeline)) != 1:
        both = t("script_to_video.both")
        raise ValidationError.fields({"idea": [both], "script": [both]})
    if timeline is not None:
        return
    from noxus_local.speech.synthesis import has_words

    text = idea if script is None else script
    if not text.strip() or (script is not None and not has_words(script)):
        name = "idea" if script is None else "script"
        raise ValidationError.fields({name: [t("script_to_video.nothing_narrate")]})


def held_seconds(params: Mapping[str, Any], rates: list[float] | None) -> float:
    """Seconds of video the hold covers: the script at a slow speaking rate plus pauses, or ``duration``
    with a margin for an idea plus its tokens as seconds (``rates``: ``token_rates``).
    Example: 110 characters → 10 + 0.35 × scenes + 1."""
    if params.get("idea") is not None:
        seconds = params["duration"]
        tokens = tuple(a + b * seconds for a, b in zip(IDEA_TOKENS, IDEA_TOKENS_PER_SECOND, strict=True))
        return round(seconds * IDEA_MARGIN + 2 + token_seconds(rates, *tokens), 3)
    from noxus_local.generate.scenes import group, sentences

    text = _spoken_text(params) or ""
    timeline = params.get("timeline")
    scenes = len(timeline["scenes"]) if timeline else len(group(sentences(text), params["speed"]))
    return round(len(text) / (SLOW_CHARS_PER_SECOND * params["speed"]) + 0.35 * scenes + 1, 3)


def inherit(params: dict[str, Any], doc: Any, sent: set[str]) -> None:
    """A re-render's voice, music and logo: the posted timeline.json's (the job that made it), for each
    the request does not give itself. Values that are not what the fields allow are ignored (the field's
    own default stays); a logo or music file is named by its key in the account's cache (``kept``).

    Example: ``{"narration": {"voice_id": "em_alex", "language": "es", "speed": 1.1}, "music": {"track":
    "calm-01", "volume": 0.2}, "logo": {"key": "ab…", "position": "top_left"}}`` posted without
    ``voice_id`` → ``params["voice_id"] == "em_alex"``, ``params["kept"] == {"logo": "ab…"}``.
    """
    if not isinstance(doc, dict):
        return  # read_edit refuses it, naming the field
    fields = ScriptToVideoParams.__struct_fields__
    narration, music, logo = (v if isinstance(v := doc.get(k), dict) else {} for k in ("narration", "music", "logo"))
    wanted = {"voice_id": narration.get("voice_id"), "language": narration.get("language"),
              "speed": narration.get("speed"), "music_volume": music.get("volume"),
              "logo_position": logo.get("position")}
    if "music_file" not in sent:
        wanted["music"] = music.get("track") if music else "none"
    kept = {}
    if "music" not in sent and "music_file" not in sent and _is_key(music.get("key")):
        kept["music_file"] = music["key"]
    if "logo" not in sent and _is_key(logo.get("key")):
        kept["logo"] = logo["key"]
    for name, value in wanted.items():
        if name in sent or name not in fields or value is None:
            continue
        read, errors = coerce_inputs([i for i in ScriptToVideoTool.inputs if i.name == name], {name: value}, {})
        if not errors:
            params[name] = read[name]
    if kept:
        params["kept"] = kept


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _price(cfg: Config, slug: str) -> Price:
    """A tool's configured price, or its default where config's prices were never read (a test, a script)."""
    from noxus_local.config import parse_price
    from noxus_local.tools.chat import ChatTool

    default = ChatTool.default_price if slug == "chat" else ScriptToVideoTool.default_price
    return cfg.prices.get(slug) or parse_price(default, f"{slug}.default_price")


def _json_field(value: Any, name: str) -> Any:
    """A JSON value as it came: an object from a JSON body, or the text of a form field parsed.
    Example: ``_json_field('{"scenes": []}', "timeline") == {"scenes": []}``."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ValidationError.fields({name: [t("script_to_video.must_json_document")]}) \
            from None


def _spoken_text(params: Mapping[str, Any]) -> str | None:
    """The text to be spoken: the script, or a posted timeline's scene texts; None for an idea."""
    if params.get("timeline"):
        return " ".join(s["text"] for s in params["timeline"]["scenes"])
    return params.get("script")


def token_rates(chat: Price, own: Price) -> list[float] | None:
    """``[µUSD per 1k prompt tokens, per 1k generated tokens, µUSD per second of video]``: how an idea's
    tokens become seconds of script-to-video's price; None when either price cannot say (fixed prices).
    Example: the defaults (chat 200/600 per 1k, 2000 per second) → ``[200, 600, 2000.0]``."""
    if chat.output_unit_micros is None or own.unit is None or UNITS[own.unit][0] != "seconds" \
            or own.unit_micros <= 0:
        return None
    return [chat.unit_micros, chat.output_unit_micros, own.unit_micros / UNITS[own.unit][1]]


def token_seconds(rates: list[float] | None, prompt_tokens: int, completion_tokens: int) -> float:
    """Tokens as seconds of video at the same money: ``token_seconds([200, 600, 2000], 3000, 500)``
    → (3000 × 200 + 500 × 600) / 1000 / 2000 = 0.45."""
    if not rates:
        return 0.0
    micros = (prompt_tokens * rates[0] + completion_tokens * rates[1]) / 1000
    return round(micros / rates[2], 6)


class CountingLlm:
    """A text model that adds up the tokens of every answer (the idea's share of the charge).

    Example: ``llm = CountingLlm(model); write_script(llm, idea, "es", 30); llm.prompt_tokens  # 2814``.
    """

    def __init__(self, llm: Any) -> None:
        self.llm, self.prompt_tokens, self.completion_tokens = llm, 0, 0
        self.name = getattr(llm, "name", "")

    def chat(self, messages: Any, **settings: Any) -> Any:
        done = self.llm.chat(messages, **settings)
        self.prompt_tokens += done.prompt_tokens
        self.completion_tokens += done.completion_tokens
        return done

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llm, name)


class Drawn:
    """The generator's pictures through the account's cache: ``drawn(prompt, w, h, seed)`` is a PNG in the
    job's folder, made by the generator only when that prompt, size, seed and generator were not drawn
    before (a re-render reuses it). ``made``/``reused`` count them.

    Example: ``drawn = Drawn(generator, ctx, cache); drawn("un faro", 720, 1280, 7)`` → a PNG under
    ``ctx.workdir / "visuals"``; the same call in a later job of the account is ``drawn.reused == 1``.
    """

    def __init__(self, generate: Any, ctx: ToolContext, cache: PartCache | None) -> None:
        self.generate, self.ctx, self.cache = generate, ctx, cache
        self.made = self.reused = 0

    def __call__(self, prompt: str, width: int, height: int, seed: int) -> Path:
        out_dir = self.ctx.workdir / "visuals"
        out_dir.mkdir(exist_ok=True)
        if self.cache is None:
            self.made += 1
            return Path(self.generate(prompt, width, height, seed, out_dir, self.ctx.cancel))
        spec = getattr(self.generate, "spec", None)
        engine = None if spec is None else [spec.name, spec.settings.kind, spec.settings.url,
                                            spec.settings.workflow, spec.settings.model]
        key = part_key("visual", prompt=prompt, width=width, height=height, seed=seed, generator=engine)
        folder, hit = self.cache.get_or_make(
            self.ctx.account_id, "visual", key,
            lambda into: self.generate(prompt, width, height, seed, into, self.ctx.cancel))
        self.reused, self.made = self.reused + hit, self.made + (not hit)
        picture = next(f for f in sorted(folder.iterdir()) if f.is_file())
        mine = out_dir / f"{key[:16]}{picture.suffix}"
        if not mine.exists():
            shutil.copyfile(picture, mine)  # the cache may evict it while the job still renders
        return mine


def _cache(ctx: ToolContext, plan: JobPlan) -> PartCache | None:
    """The account's compose cache under the data dir; None without an account (a remote worker, a test).

    Example: a job of ``acct_1`` keeps its scenes under ``<data>/cache/compose/acct_1/narration/<sha256>/``.
    """
    cfg = getattr(ctx.models, "cfg", None)
    if not ctx.account_id or cfg is None:
        return None
    return PartCache(Path(cfg.server.data_dir) / "cache" / "compose",
                     int(plan.facts.get("cache_bytes", cfg.video.cache_mb * 2**20)))


def keep_files(ctx: ToolContext, cache: PartCache | None, warnings: list[str]) -> dict[str, tuple[Path, str | None]]:
    """The logo and music file of this render, with their keys in the account's cache (for timeline.json):
    the request's own, kept now so a re-render can use them again, or those a re-render inherited.

    Example: a render with a logo → ``{"logo": (<work>/logo.png, "9f2c…")}``; its re-render without one
    → the same file, from the cache.
    """
    out: dict[str, tuple[Path, str | None]] = {}
    kept = ctx.params.get("kept") or {}
    for field in ("logo", "music_file"):
        if field in ctx.files:
            path = ctx.files[field].path
            out[field] = (path, _keep(cache, ctx, field, path))
        elif field in kept:
            found = _kept(cache, ctx, field, kept[field])
            if found is None:
                warnings.append(f"the {field} of the render this timeline came from is no longer kept; "
                                "give it again")
            else:
                out[field] = (found, kept[field])
    return out


def _keep(cache: PartCache | None, ctx: ToolContext, kind: str, path: Path) -> str | None:
    if cache is None:
        return None
    import hashlib

    with path.open("rb") as f:
        key = part_key(kind, sha256=hashlib.file_digest(f, "sha256").hexdigest())
    cache.get_or_make(ctx.account_id, kind, key, lambda into: shutil.copyfile(path, into / f"file{path.suffix}"))
    return key


class _Gone(Exception):
    pass


def _kept(cache: PartCache | None, ctx: ToolContext, kind: str, key: str) -> Path | None:
    """A file kept by an earlier render of the account; None when it was evicted (or there is no cache)."""
    if cache is None:
        return None

    def gone(into: Path) -> None:
        raise _Gone

    try:
        folder, _ = cache.get_or_make(ctx.account_id, kind, key, gone)
    except (_Gone, ValueError):
        return None
    found = next((f for f in sorted(folder.iterdir()) if f.is_file()), None)
    if found is None:
        return None
    mine = ctx.workdir / f"kept-{kind}{found.suffix}"
    shutil.copyfile(found, mine)  # the cache may evict it while the job still renders
    return mine


def caption_options(params: Mapping[str, Any]) -> dict[str, Any]:
    return {o: params.get(f"caption_{o}") for o in OPTIONS}


def material_kind(path: Path, field: str) -> str:
    """``image`` or ``video`` (with a picture stream); a 400 naming ``field`` otherwise."""
    from noxus_local.media.probe import probe
    from noxus_local.media.sniff import sniff_file

    sniffed = sniff_file(path)
    if sniffed is None or sniffed.kind not in ("image", "video"):
        raise ValidationError.fields({field: [t("script_to_video.must_image_or_video")]})
    if sniffed.kind == "video":
        try:
            info = probe(path)
        except InvalidMedia:
            info = None
        if info is None or info.video is None:
            raise InvalidMedia(t("script_to_video.video_has_no_video", field=field),
                               details={"field": field, "reason": "no_video_stream"})
    return sniffed.kind


def _check_logo(logo: InputFile) -> None:
    from noxus_local.media.sniff import sniff_file

    if logo.size_bytes > MAX_LOGO_BYTES:
        raise LimitExceeded(details={"limit": "max_logo_mb", "max": MAX_LOGO_BYTES // 2**20})
    sniffed = sniff_file(logo.path)
    if sniffed is None or sniffed.kind != "image":
        raise ValidationError.fields({"logo": [t("common.must_image")]})


def _check_audio(music: InputFile) -> None:
    from noxus_local.media.sniff import sniff_file

    sniffed = sniff_file(music.path)
    if sniffed is None or sniffed.kind not in ("audio", "video"):
        raise ValidationError.fields({"music_file": [t("script_to_video.must_audio_file")]})


def _models_dir(cfg: Config) -> Path:
    from noxus_local.inference.registry.manifest import models_dir

    return models_dir(cfg)


def _installed(models: Any, cfg: Config) -> bool:
    from noxus_local.inference.model import ModelNotInstalled

    try:
        models.check(cfg.llm.model)
    except (ModelNotInstalled, ValidationError):
        return False
    return True


# ---------------------------------------------------------------- the steps


def _write(llm: Any, params: Mapping[str, Any], warnings: list[str]) -> str:
    from noxus_local.generate.script import write_script

    written = write_script(llm, params["idea"], SCRIPT_LANGUAGES[params["language"]], params["duration"])
    if written.report.plan_fallback:
        warnings.append("the text model gave no usable outline; the script follows a fixed one")
    if not written.text.strip():
        raise UpstreamError(details={"reason": "model_wrote_no_script"})
    return written.text


def _narrate(ctx: ToolContext, plan: Plan, progress: Callable[[float], None],
             cache: PartCache | None) -> tuple[Narration, SpeechStore]:
    from noxus_local.compose.narration import narrate
    from noxus_local.speech import tts

    p = ctx.params
    weights = p.get("voice_mix") or parse_voice(p["voice_id"])
    if not weights:
        raise ValidationError.fields({"voice_id": [t("common.unknown_voice_hint", list_hint=LIST_HINT)]})
    store = SpeechStore(cache or PartCache(ctx.workdir / "speech", 0), ctx.account_id or "job", weights, p["speed"],
                        p["language"], MODEL)
    with tts.open_voice(ctx.models, weights, p["language"]) as voice:
        told = narrate([s.text for s in plan.scenes], voice, p["speed"], cancel=ctx.cancel,
                       progress=progress, max_seconds=ctx.limits.max_video_seconds, kept=store)
    return told, store


def _materials(files: Mapping[str, InputFile]) -> list[Material]:
    keyed = sorted((int(m.group(1)), f) for k, f in files.items() if (m := MATERIAL_KEY.fullmatch(k)))
    return [Material(f.path, f.filename) for _, f in keyed]


@dataclasses.dataclass(frozen=True)
class Analysed:
    """The request's materials with what the analysis found in them, and the tagger's label list."""

    materials: list[Material]
    labels: list[str] | None
    made: int = 0  # materials analysed by this job
    reused: int = 0  # materials whose analysis an earlier job kept


class _NotKept(Exception):
    """Facts made without a model: used by this job, not kept (an installed model must see the file)."""

    def __init__(self, facts: Any) -> None:
        self.facts = facts


def analyse_materials(ctx: ToolContext, cache: PartCache | None, warnings: list[str],
                      progress: Callable[[float], None]) -> Analysed:
    """Each material's tags and OCR text (analysis/materials.py), once per file: kept in the account's
    compose cache by the file's SHA-256, so a re-render or another job with the same file reads them back.
    Two or more materials only (one needs no choice). A model not installed: the analysis it gives is
    used but not kept, and a warning says the materials were matched by name and order and how to fetch
    it; an analysis that fails is the same fallback, never the job's failure.

    Example: ``analyse_materials(ctx, cache, warnings, step.progress).materials[0].tags``
    → ``("espresso", "tea cup", ...)``.
    """
    import hashlib

    from noxus_local.analysis.materials import ENGINE, MaterialFacts, describe
    from noxus_local.errors import JobCancelled, ProcessingTimeout
    from noxus_local.inference.models.efficientnet import EfficientNetLite0
    from noxus_local.media.sniff import sniff_file

    materials = _materials(ctx.files)
    if len(materials) < 2:
        return Analysed(materials, None)
    out: list[Material] = []
    missing: set[str] = set()
    reused = 0
    for n, material in enumerate(materials):
        sniffed = sniff_file(material.path)
        kind = "video" if sniffed is not None and sniffed.kind == "video" else "image"

        def make(into: Path, material: Material = material, kind: str = kind) -> None:
            facts = describe(material.path, kind, ctx.models, ctx.cancel, ctx.workdir / "keyframes")
            if facts.missing:
                raise _NotKept(facts)
            (into / "facts.json").write_text(json.dumps(facts.as_dict(), ensure_ascii=False), encoding="utf-8")

        try:
            if cache is None:
                facts = describe(material.path, kind, ctx.models, ctx.cancel, ctx.workdir / "keyframes")
            else:
                with material.path.open("rb") as f:
                    key = part_key("analysis", sha256=hashlib.file_digest(f, "sha256").hexdigest(), engine=ENGINE)
                folder, hit = cache.get_or_make(ctx.account_id, "analysis", key, make)
                reused += hit
                facts = MaterialFacts.from_dict(json.loads((folder / "facts.json").read_text(encoding="utf-8")))
        except _NotKept as kept:
            facts = kept.facts
        except (JobCancelled, ProcessingTimeout):
            raise
        except Exception as exc:  # noqa: BLE001 - a material the analysis cannot read is matched by its name
            log.info("material %d: analysis failed (%s); matched by name and order", n, type(exc).__name__)
            facts = MaterialFacts()
            warnings.append(f"materials_{n}: the analysis could not read it ({type(exc).__name__}); it was "
                            "matched by its name and order")
        missing |= set(facts.missing)
        out.append(dataclasses.replace(material, tags=tuple(label for label, _ in facts.tags), text=facts.text))
        progress((n + 1) / len(materials))
    if missing:
        names = " ".join(sorted(missing))
        without = "their names and the order given" if EfficientNetLite0.identity in missing else \
            "their tags, names and the order given (not their text)"
        warnings.append(f"the picture analysis is not installed ({names}): the materials were matched by {without}; "
                        f"install it with `noxus-local models fetch {names}`")
    return Analysed(out, _tag_labels(ctx), len(materials) - reused, reused)


def _tag_labels(ctx: ToolContext) -> list[str] | None:
    """The tagger's labels.json (its label families: dog breeds, birds…), when it is installed."""
    cfg = getattr(ctx.models, "cfg", None)
    if cfg is None:
        return None
    from noxus_local.inference.models.efficientnet import EfficientNetLite0

    found = _models_dir(cfg) / EfficientNetLite0.identity / "labels.json"
    try:
        labels = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [str(x) for x in labels] if isinstance(labels, list) else None


def _timeline(ctx: ToolContext, plan: JobPlan, scenes: list[compose.Scene], wav: Path, width: int, height: int,
              kept: Mapping[str, tuple[Path, str | None]]) -> compose.Timeline:
    p = ctx.params
    captions = None if p["caption_style"] == "none" else compose.Captions(
        p["caption_style"], {k: v for k, v in caption_options(p).items() if v is not None})
    music = None
    if "music_file" in kept:
        music = compose.Music(kept["music_file"][0], volume=p["music_volume"])
    elif p["music"] != "none":
        library = MusicLibrary(_models_dir(ctx.models.cfg) / MUSIC_MODEL)
        track = library.pick(p["music"], seed=" ".join(s.text for s in scenes)) \
            if p["music"] in library.moods() else library.get(p["music"])
        music = compose.Music(track.path, volume=p["music_volume"], track=track.id)
    logo = compose.Logo(kept["logo"][0], p["logo_position"]) if "logo" in kept else None
    transition = compose.Transition(p["transition"], 0.0 if p["transition"] == "cut" else TRANSITION_SECONDS)
    facts = plan.facts  # the request's; a plan made before they were kept: this machine's config
    return compose.Timeline(width, height, facts.get("fps", ctx.settings.video.fps), tuple(scenes), narration=wav,
                            captions=captions, music=music, logo=logo, transition=transition,
                            loudness=facts.get("loudness", ctx.settings.video.loudness_lufs))


def _output(ctx: ToolContext, script: str, tl: compose.Timeline, narration: Narration, refs: list[dict[str, Any]],
            plan: Plan, warnings: list[str], mp4: Path, llm: CountingLlm | None, extra_seconds: float,
            counts: dict[str, Any], kept: Mapping[str, tuple[Path, str | None]]) -> ToolOutput:
    from noxus_local.media.audio import encode
    from noxus_local.media.probe import probe

    rendered = probe(mp4).duration or tl.duration
    cues = _cues(tl)
    sources = [r["source"] for r in refs]
    why = [r.get("match") for r in refs]
    timeline_json = json.dumps(editable(tl, ctx, refs, kept), ensure_ascii=False, indent=1).encode("utf-8")
    voice = encode(narration.samples, narration.sample_rate, "mp3", ctx.workdir / "narration.mp3", ctx.cancel)
    result = {"script": script, "language": ctx.params["language"], "voice_id": ctx.params["voice_id"],
              "duration": round(rendered, 3), "width": tl.width, "height": tl.height, "fps": tl.fps,
              "planner": plan.planner, "timing_source": narration.timing_source,
              "scenes": [_scene_result(s, src, planned, match)
                         for s, src, planned, match in zip(tl.scenes, sources, plan.scenes, why, strict=True)],
              "segments": [c.as_dict() for c in cues], "warnings": list(dict.fromkeys(warnings)), "cache": counts}
    if llm is not None:
        result["llm_tokens"] = {"prompt": llm.prompt_tokens, "completion": llm.completion_tokens,
                                "charged_as_seconds": extra_seconds}
    extras = [OutputFile("script", script.encode("utf-8"), "script.txt", "text/plain; charset=utf-8"),
              OutputFile("timeline", timeline_json, "timeline.json", "application/json"),
              OutputFile("srt", subtitles.srt_text(cues).encode("utf-8"), "video.srt", subtitles.MIME["srt"]),
              OutputFile("vtt", subtitles.vtt_text(cues).encode("utf-8"), "video.vtt", subtitles.MIME["vtt"]),
              OutputFile("narration", voice, "narration.mp3", "audio/mpeg")]
    return ToolOutput(mp4, "video.mp4", "video/mp4", result, name="video", extras=extras,
                      units=round(rendered + extra_seconds, 3), media_units=rendered)


def editable(tl: compose.Timeline, ctx: ToolContext, refs: list[dict[str, Any]],
             kept: Mapping[str, tuple[Path, str | None]] | None = None) -> dict[str, Any]:
    """timeline.json as a client may post it back (compose/edit.py): the renderer's document with every
    server path replaced by what it refers to — a material's index and name, a generator's prompt and
    seed, the narration's voice, a bundled track's id, and the ``key`` of a logo or music file kept in
    the account's cache (a re-render without its own uses them again)."""
    doc = compose.to_dict(tl, ctx.workdir)
    p = ctx.params
    doc["narration"] = {"voice_id": p["voice_id"], "language": p["language"], "speed": p["speed"]}
    kept = kept or {}
    if doc.get("music") is not None:
        doc["music"].pop("source", None)
        if "music_file" in kept and kept["music_file"][1]:
            doc["music"]["key"] = kept["music_file"][1]
    if doc.get("logo") is not None:
        doc["logo"].pop("source", None)
        if "logo" in kept and kept["logo"][1]:
            doc["logo"]["key"] = kept["logo"][1]
    for scene, ref in zip(doc["scenes"], refs, strict=True):
        visual = scene["visual"]
        visual.pop("source", None)
        visual.update({k: v for k, v in ref.items() if k not in ("source", "match") and v is not None})
    return doc


def _cues(tl: compose.Timeline) -> list[Cue]:
    """The cues the renderer burns (compose/render.py ``write_captions`` cuts the same words by the same rules)."""
    rules = CueRules(max_chars_per_line=default_max_chars(tl.width, tl.height), fps=float(tl.fps))
    return cues_from_words(tl.words, rules)


def _scene_result(scene: compose.Scene, source: str | None, planned: PlannedScene,
                  match: dict[str, Any] | None) -> dict[str, Any]:
    """One scene of ``result.scenes``; a matched material's ``visual.match`` is ``{"by": "content" |
    "name" | "order", "terms": [the scene's terms that matched], "found": [what of the material they
    met: a tag, a word of its text, its name]}``."""
    visual = {"kind": scene.visual.kind, "source": source, "description": planned.visual,
              "search": list(planned.search)}
    if planned.search_en:
        visual["search_en"] = list(planned.search_en)
    if match is not None:
        visual["match"] = match
    return {"index": scene.index, "text": scene.text, "start": scene.start, "end": scene.end, "visual": visual,
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in scene.words]}
