"""Tool ``video-ad`` (alias ``anuncio-video``): product photos and a brief → a narrated video ad with a CTA end card.

Steps ``scene_plan → image_edit → video_generation → voiceover → compositing``,
the job types of seed 003. A thin adapter over the pipelines:
generate/ad_copy.py plans each scene for the duration — its voice-over, which
of the images it shows and its on-screen text (the text model's JSON,
validated and repaired, else a deterministic template: images in turn);
products/cutout.py cuts each product photo out with ISNet and
products/ad_shots.py puts it on ``quality_loop_variants`` backdrops and
framings and keeps the best by products/shot_score.py (nothing to cut out:
the photo over a blurred copy of itself); products/ad_text.py draws the
scene's on-screen text into the shot where its camera never crops it;
compose/narration.py speaks the scenes with word timings; then each scene's
clip comes from our motion engine (products/ad_motion.py: backdrop and
product as two layers — a push-in, a parallax, a pull-out or a pan by the
scene index, zoom punches at the scene's start and its spoken emphasis;
``emotion`` sets how much), a scene whose clip fails moving as a still; or,
with ``veo_model`` naming a configured ``kind = "video"`` generator, each
scene's edited shot is sent to that ComfyUI workflow as ``{{image}}`` and its
clip, fitted to the scene, is shown instead (generators/scenes.py; a scene
whose engine fails falls back to the motion engine with a warning, and the
``video_generation`` step records which engine made each scene);
a scene whose image edit fails shows the plain product photo, and with seed
003's credit table (tools/ad_credits.py) each step's share is charged only
when it succeeds; compose/render.py
draws it all in one ffmpeg run with ducked music, the logo and the
``cta_design`` end card (products/end_cards.py) as the closing scene, to
exactly ``duration`` seconds.

Priced per second of rendered video: the hold is ``duration`` (15, 30 or 60).
The plan (made once at the request, shipped to a remote worker) keeps the server's
facts: ``fps``, ``loudness`` and whether a text model writes the copy (``llm``).

Outputs: the MP4 (primary), ``script.txt``, ``timeline.json``, the end card
(PNG) and the narration (MP3). ``result``: ``script``, ``scenes`` (index,
text, start, end, image, on_screen, shot {backdrop, framing, score, parts, variant}, variants, motion,
engine, words), ``end_card``, ``duration``, ``writer``, ``image_by``, ``warnings``. The ``scene_plan`` step's
``details`` record each scene's image and on-screen text; ``image_edit``'s every variant's score parts
and the pick; ``video_generation``'s ``engines``, one per scene.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/video-ad -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"prompt": "Premium wireless headphones — sleek, modern", "images": ["asset_5b1c0e8f2a9d4c7e1f3a6b2d"],
           "duration": 15, "company_name": "SoundWave", "cta_design": "bold", "gradient_color": "#FF5500"}'
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local import compose
from noxus_local.captions.styles import PRESETS
from noxus_local.compose.music import MODEL_ID as MUSIC_MODEL
from noxus_local.compose.music import MusicLibrary
from noxus_local.compose.narration import Narration, write_wav
from noxus_local.config import Config, GeneratorSettings
from noxus_local.errors import (
    InsufficientStorage,
    JobCancelled,
    LimitExceeded,
    NoxusError,
    Text,
    ValidationError,
    one_of,
)
from noxus_local.generate.ad_copy import Copy, scene_count, speech_seconds
from noxus_local.generate.llm.models import text_models
from noxus_local.locale import t
from noxus_local.money import Price
from noxus_local.products.end_cards import DESIGNS
from noxus_local.tools.ad_credits import Credits, StepFailed
from noxus_local.tools.base import (
    Example,
    InputFile,
    InputSpec,
    Limits,
    OutputFile,
    Params,
    Plan,
    Step,
    Tool,
    ToolContext,
    ToolOutput,
    require_installed,
)
from noxus_local.tools.params import Color, Internal, JsonValue
from noxus_local.tools.script_to_video import _check_audio, _check_logo, _installed, _models_dir, default_voice
from noxus_local.tools.text_to_speech import LIST_HINT, parse_voice

ASPECTS = {"9:16": (720, 1280), "16:9": (1280, 720)}
IMAGE_KEY = re.compile(r"images_([0-9]+)")
MAX_IMAGES = 10
MAX_SPEEDUP = 1.15  # the voice may read up to 15 % faster to fit the duration
SEGMENTER = "isnet-general"
NO_LLM_WARNING = "no text model is installed: a template wrote the ad copy"
MOTION_ENGINE = "motion"  # our own camera moves over the still shot
NO_VIDEO_GENERATOR = ("No video generator is configured: leave veoModel out for the built-in motion engine, or add "
                      "a [generators.<name>] table with kind = \"video\" (a ComfyUI workflow with {{image}})")
_FAST = ("energ", "fast", "upbeat", "excit", "rápid", "enérg", "dynamic")
_SLOW = ("calm", "slow", "soft", "gentle", "warm", "tranquil", "suave", "lent")


def voice_speed(style: str) -> float:
    """``voice_style`` → a reading speed. Example: ``voice_speed("energetic and confident") == 1.08``."""
    text = style.lower()
    if any(w in text for w in _FAST):
        return 1.08
    if any(w in text for w in _SLOW):
        return 0.94
    return 1.0


class VideoAdParams(Params):
    """What ``POST /api/v1/tools/video-ad`` takes (seed 003's ``/api/generate/commercial`` maps onto it)."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("logo", "file", help="An image laid over the video and on the end card; or logo_asset_id."),
        InputSpec("music_file", "file", help="Your own music (an audio file), instead of `music`."))
    input_order: ClassVar[tuple[str, ...]] = (
        "prompt", "images", "duration", "language", "voice_id", "aspect_ratio", "logo", "music", "music_file",
        "music_volume", "company_name", "cta_design", "cta_text", "gradient_color", "tone", "emotion",
        "voice_style", "music_mood", "edit_style", "quality_loop_variants", "caption_style", "veo_model")

    prompt: Annotated[str, Meta(max_length=2000, description="The ad's brief: the product and what to say about "
                                                             "it (1-2000 characters).")]
    # a list of asset ids / URLs, resolved by api/input_refs.py into the files images_0, images_1…
    images: Annotated[JsonValue, Meta(description="Product photos: a list of 1-10 assetIds and/or http(s) URLs "
                                                  "(or repeated `images` file parts); scenes use them in turn.")] = None
    duration: Annotated[Literal[15, 30, 60], Meta(description="The ad's length in seconds.")] = 15
    language: Annotated[Literal["en", "es"], Meta(description="The voice-over's language.")] = "en"
    # None: the language's (check())
    voice_id: Annotated[str, Meta(max_length=200, description="A voice of GET /api/v1/voices, a saved custom_… "
                                                             "voice or a mix; default: the language's.")] | None = None
    aspect_ratio: Literal[tuple(ASPECTS)] = "9:16"  # type: ignore[valid-type]
    music: Annotated[str, Meta(max_length=100, description="auto (a bundled track chosen by music_mood), a mood, a "
                                                           "track id, an audio assetId, or none.")] = "auto"
    music_volume: Annotated[float, Meta(ge=0, le=2)] = 0.35
    company_name: Annotated[str, Meta(max_length=100, description="Shown on the CTA end card.")] = ""
    cta_design: Annotated[Literal[DESIGNS], Meta(description="The end card's design.")] = "minimal"  # type: ignore[valid-type]
    cta_text: Annotated[str, Meta(max_length=60, description="The end card's call to action; default the "
                                                            "language's \"Shop now\".")] = ""
    gradient_color: Annotated[Color, Meta(description="The end card's accent and the gradient backdrop's "
                                                      "colour.")] | None = None
    tone: Annotated[str, Meta(max_length=200, description="Creative tone: luxury, playful…")] = ""
    emotion: Annotated[str, Meta(max_length=200, description="Sets the motion's energy.")] = ""
    voice_style: Annotated[str, Meta(max_length=200, description="Sets the reading speed.")] = ""
    music_mood: Annotated[str, Meta(max_length=200, description="Picks the bundled track (auto).")] = ""
    edit_style: Annotated[str, Meta(max_length=500, description="Picks the backdrop: studio, gradient, flat lay "
                                                                "(table), blurred original (lifestyle).")] = ""
    quality_loop_variants: Annotated[Literal[1, 2, 3], Meta(
        description="Product-shot variants per scene; the best by its score is used.")] = 2
    caption_style: Annotated[Literal[(*PRESETS, "none")], Meta(  # type: ignore[valid-type]
        description="Burned captions in an auto-subtitles preset, or none.")] = "none"
    veo_model: Annotated[str, Meta(max_length=100, description=(
        "A configured video generator ([generators.<name>] with kind = \"video\", a ComfyUI workflow with "
        "{{image}}) that animates each scene's product shot; unknown: 400 listing them. Default: our motion "
        "engine."))] | None = None
    # an account's saved voice (custom_…), its mix looked up at the request (voices/custom.py)
    voice_mix: Annotated[dict[str, float] | None, Internal] = None
    # veo_model's generator (name, settings, allow-list), frozen at the request (check_installed)
    generator: Annotated[dict[str, Any] | None, Internal] = None
    # seed 003's [credits] table frozen at /api/v1/generate: each step's share is charged when it succeeds
    credit_table: Annotated[dict[str, Any] | None, Internal] = None


class VideoAdTool(Tool):
    slug = "video-ad"
    aliases = ("anuncio-video",)
    title = "Video ad"
    description = ("A narrated video ad from 1-10 product photos and a brief: each product cut out and placed on "
                   "a backdrop, moving scenes, a voice-over written for the duration, music ducked under it, "
                   "your logo and a CTA end card in one of eight designs; returns the MP4 plus script, "
                   "timeline.json, the end card and the narration.")
    media_type = "video"
    measures = "seconds"
    # per second of the ad (15, 30 or 60): cut-outs, motion, voice-over, music and the end card
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.004", "minimum_usd": "0.01"}
    examples = (Example("video-ad", "video-ad: a 15 s ad from one product photo, with a bold end card",
                        {"prompt": "Premium wireless headphones — sleek, modern",
                         "images": ["asset_5b1c0e8f2a9d4c7e1f3a6b2d"], "duration": 15, "company_name": "SoundWave",
                         "cta_design": "bold", "gradient_color": "#FF5500"}),)
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    file_lists = ("images",)
    asset_fields: ClassVar[Mapping[str, str]] = {"music": "music_file"}
    steps = (Step("scene_plan", 1), Step("image_edit", 3), Step("video_generation", 1), Step("voiceover", 3),
             Step("compositing", 5))
    Params = VideoAdParams

    def describe(self, price: Price, available: bool = True, reason: str | None = None) -> dict[str, Any]:
        out = super().describe(price, available, reason)
        out["limits"] = {"max_images": MAX_IMAGES}
        out["cta_designs"] = list(DESIGNS)
        return out

    # ------------------------------------------------------------ before the hold

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        if not params["prompt"].strip():
            raise ValidationError.fields({"prompt": [t("video_ad.must_not_empty")]})
        images = _images(files)
        if not 1 <= len(images) <= MAX_IMAGES:
            raise ValidationError.fields({"images": [t("video_ad.give_1_images", max_images=MAX_IMAGES)]})
        for key, info in files.items():
            if IMAGE_KEY.fullmatch(key):
                _check_image(info, key)
        if params.get("voice_id") is None:
            params["voice_id"] = default_voice(params["language"])
        parse_voice(params["voice_id"])
        if limits.max_video_seconds and params["duration"] > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "estimated_seconds": params["duration"]})
        if "logo" in files:
            _check_logo(files["logo"])
        if "music_file" in files:
            _check_audio(files["music_file"])

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """The segmentation model (503 with its fetch command), the music against the library (400 listing
        it), ``veo_model`` against the configured video generators (400 listing them; frozen into the job)."""
        require_installed(plan.models, cfg)  # the plan names them: ISNet (and the text model it uses)
        if params.get("veo_model") is not None:
            params["generator"] = frozen_generator(cfg, params["veo_model"])
        music = params["music"]
        if music not in ("none", "auto"):
            library = MusicLibrary(_models_dir(cfg) / MUSIC_MODEL)
            if music not in library.moods() and music not in {t.id for t in library.tracks}:
                allowed = ["auto", "none", *library.moods(), *(t.id for t in library.tracks)]
                raise ValidationError(details={"field_errors": {"music": [one_of(allowed)]},
                                               "allowed": {"music": allowed}})

    def plan(self, params: VideoAdParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """The hold is ``duration`` seconds; the server's facts (fps, loudness target, whether a text model
        writes the copy) are frozen here, once, for whichever machine runs it."""
        cfg = self.settings
        # ISNet cuts the products out; the text model writes the copy when it is installed (else a template)
        models = (SEGMENTER, *((cfg.llm.model,) if _installed(text_models(cfg), cfg) else ()))
        seconds = float(params.duration)
        return Plan(units=seconds, resources=dict(self.resources), models=models, work_units=seconds,
                    facts={"fps": cfg.video.fps, "loudness": cfg.video.loudness_lufs,
                           "llm": cfg.llm.model in models})

    # ------------------------------------------------------------ the run

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p, warnings = ctx.params, []
        size = ASPECTS[p["aspect_ratio"]]
        bill = Credits.of(p)
        with ctx.step("scene_plan") as step:
            copy = self._copy(ctx, plan, warnings)
            step.record(writer=copy.writer, image_by=copy.image_by, scenes=copy.scenes())
        from noxus_local.products.ad_shots import motion

        moves = [motion(i, p["emotion"]) for i in range(len(copy.texts))]
        try:
            with ctx.step("image_edit") as step:
                shots = _edit(ctx, copy, moves, size, warnings, step.progress)
                step.record(scenes=[{"index": i, "image": s["image"], "pick": s["shot"], "variants": s["variants"],
                                     **({"error": s["error"]} if "error" in s else {})}
                                    for i, s in enumerate(shots)])
                bill.step(step, "image_edit", [s for s in shots if "error" not in s],
                          [s for s in shots if "error" in s],
                          each=bill.table.get("image_edit", 0) * p["quality_loop_variants"])
        except StepFailed:
            pass  # the version goes on: the failed scenes show the plain product photo
        with ctx.step("voiceover") as step:
            narration, kept = _voice(ctx, copy.texts, step.progress, warnings)
            wav = write_wav(narration, ctx.workdir / "narration.wav")
            bill.charge("voiceover", step)
        texts, shots, moves = (tuple(copy.texts[i] for i in kept), [shots[i] for i in kept],
                               [moves[i] for i in kept])
        try:
            with ctx.step("video_generation") as step:
                _engine_clips(ctx, texts, shots, moves, size, warnings, lambda f: step.progress(f / 2))
                logo = _logo_png(ctx, size)
                card = _end_card(ctx, size, logo)
                tl = _timeline(ctx, plan, texts, narration, shots, moves, card, wav, size, logo)
                tl, clips = _clips(ctx, tl, shots, size, lambda f: step.progress(0.5 + f / 2))
                step.record(scenes=clips, engines=[shot["engine"] for shot in shots])
                bill.step(step, "video_generation", [c for c in clips if "error" not in c],
                          [c for c in clips if "error" in c], each=bill.table.get("video_generation", 0))
        except StepFailed:
            pass  # the failed scenes move as stills on compose's camera
        with ctx.step("compositing") as step:
            out = compose.render(tl, ctx.workdir / "video.mp4", workdir=ctx.workdir / "render", cancel=ctx.cancel,
                                 progress=step.progress)
            bill.charge("compositing", step)
        return _output(ctx, copy, texts, tl, narration, shots, card, warnings, out, bill)

    def _copy(self, ctx: ToolContext, plan: Plan, warnings: list[str]) -> Copy:
        from noxus_local.generate.ad_copy import write_copy

        p = ctx.params
        llm = None
        if plan.facts.get("llm"):
            cfg = ctx.models.cfg
            llm = text_models(cfg).llm(cfg.llm.model, ctx.models)
        else:
            warnings.append(NO_LLM_WARNING)
        copy = write_copy(llm, p["prompt"], p["duration"], p["language"], company=p["company_name"],
                          tone=p["tone"], emotion=p["emotion"], images=len(_images(ctx.files)))
        warnings += copy.warnings
        return copy


# ---------------------------------------------------------------- checks


def _images(files: Mapping[str, InputFile]) -> list[InputFile]:
    keyed = sorted((int(m.group(1)), f) for k, f in files.items() if (m := IMAGE_KEY.fullmatch(k)))
    return [f for _, f in keyed]


def _check_image(info: InputFile, field: str) -> None:
    from noxus_local.media.sniff import sniff_file

    sniffed = sniff_file(info.path)
    if sniffed is None or sniffed.kind != "image":
        raise ValidationError.fields({field: [t("common.must_image")]})


def frozen_generator(cfg: Config, name: str) -> dict[str, Any]:
    """The ``kind = "video"`` generator ``name`` as the job keeps it (so a config edit mid-job changes
    nothing); a 400 on ``veo_model`` listing the configured ones otherwise (English words: seed 003 shows them
    as they are).

    Example: ``frozen_generator(cfg, "wan-i2v")`` → ``{"name": "wan-i2v", "settings": {...}, "allow_hosts": [...]}``.
    """
    names = cfg.generators.names(("video",))
    if name not in names:
        words = f"Must be one of the configured video generators: {', '.join(names)}" if names \
            else NO_VIDEO_GENERATOR
        raise ValidationError(details={"field_errors": {"veo_model": [words]}, "allowed": {"veo_model": names}})
    return {"name": name, "settings": dataclasses.asdict(cfg.generators.entries[name]),
            "allow_hosts": list(cfg.generators.allow_hosts)}


# ---------------------------------------------------------------- the steps


def _edit(ctx: ToolContext, copy: Copy, moves: list[compose.KenBurns], size: tuple[int, int],
          warnings: list[str], progress: Any) -> list[dict[str, Any]]:
    """Each scene's product shot, written as ``shot-<i>.png``: the image the plan chose for it, the best of
    its variants (every score kept), with the scene's on-screen text drawn where its camera never crops."""
    from PIL import Image

    images = _images(ctx.files)
    cutouts: dict[int, Image.Image | None] = {}
    shots = []
    scenes = len(copy.texts)
    for i in range(scenes):
        ctx.cancel.check()
        k = copy.images[i] if i < len(copy.images) and 0 <= copy.images[i] < len(images) else i % len(images)
        path = ctx.workdir / f"shot-{i}.png"
        on_screen = copy.on_screen[i] if i < len(copy.on_screen) else ""
        try:
            shot = _edit_scene(ctx, images[k], k, cutouts, size, i, moves[i], on_screen, path, warnings)
        except (JobCancelled, InsufficientStorage):
            raise
        except Exception as exc:  # this scene's edit failed: the plain product photo stands in, its share refunded
            err = exc if isinstance(exc, NoxusError) else None
            error = {"code": err.code if err else "internal_error",
                     "message": f"image {k} could not be edited ({(err.message or err.code) if err else 'error'});"
                                " the scene shows the plain product photo"}
            shot = _plain_scene(ctx, images, k, size, moves[i], on_screen, path, exc)
            shot["error"] = error
            warnings.append(f"scene {i}: {error['message']}")
        shots.append({"index": i, **shot})
        progress((i + 1) / scenes)
    return shots


def _camera(move: compose.KenBurns) -> str:
    if move.zoom_end > move.zoom_start:
        return "slow push-in"
    if move.zoom_end < move.zoom_start:
        return "slow pull-out"
    return "slow pan across"


def _engine_clips(ctx: ToolContext, texts: tuple[str, ...], shots: list[dict[str, Any]],
                  moves: list[compose.KenBurns], size: tuple[int, int], warnings: list[str],
                  progress: Any) -> None:
    """Each scene's clip from the ``veo_model`` generator (its shot as ``{{image}}``) kept in its shot as
    ``clip`` (so the scenes the voice-over drops take theirs along); a scene whose engine fails keeps our
    motion, with a warning. Every shot gets ``engine``: the generator's name or ``motion``."""
    from noxus_local.generators import GeneratorError, GeneratorSpec
    from noxus_local.generators.scenes import planned_seconds, scene_clip, scene_prompt

    p, frozen = ctx.params, ctx.params.get("generator")
    for shot in shots:
        shot["engine"] = MOTION_ENGINE
    if not frozen:
        return
    settings = GeneratorSettings(**frozen["settings"])
    key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
    spec = GeneratorSpec(frozen["name"], settings, tuple(frozen["allow_hosts"]), key)
    seconds = planned_seconds(speech_seconds(p["duration"]), len(shots))
    for i, shot in enumerate(shots):
        ctx.cancel.check()
        text = texts[i] if i < len(texts) else ""
        prompt = scene_prompt(p["prompt"], text, p["edit_style"], _camera(moves[i]))
        try:
            shot["clip"] = scene_clip(spec, shot["path"], prompt, seconds, size, seed=i + 1,
                                        out_dir=ctx.workdir / "engine", cancel=ctx.cancel)
            shot["engine"] = spec.name
        except (GeneratorError, ValueError) as exc:  # ValueError: a workflow that needs a file we do not send
            why = exc.message.en if isinstance(getattr(exc, "message", None), Text) else str(exc)[:200]
            warnings.append(f"scene {i + 1}: the video generator {spec.name} failed ({why}); our motion engine "
                            "made this scene")
        progress((i + 1) / len(shots))


def _edit_scene(ctx: ToolContext, image: InputFile, k: int, cutouts: dict[int, Any], size: tuple[int, int],
                i: int, kb: compose.KenBurns, on_screen: str, path: Path, warnings: list[str]) -> dict[str, Any]:
    """One scene's shot: the cut-out on its best variant, its layers kept for the motion engine."""
    from noxus_local.media.images import open_image
    from noxus_local.products.ad_motion import product_layer
    from noxus_local.products.ad_shots import uncut, variants
    from noxus_local.products.ad_text import draw_on_screen
    from noxus_local.products.cutout import NoForeground, cut_out

    p = ctx.params
    photo = open_image(image.path, ctx.limits.max_image_pixels).convert("RGB")
    if k not in cutouts:
        try:
            cutouts[k] = cut_out(photo, ctx.models)
        except NoForeground:
            cutouts[k] = None
            warnings.append(f"image {k}: no product could be cut out; the photo is shown whole")
    cut = cutouts[k]
    layers = None
    if cut is None:
        draw_on_screen(uncut(photo, size), on_screen, kb).save(path)
        shot, made = {"backdrop": "photo", "framing": 0, "score": 0.0}, []
    else:
        made = variants(cut, photo, size, style=p["edit_style"], colour=p.get("gradient_color"),
                        count=p["quality_loop_variants"], seed=i)
        best = max(made, key=lambda s: s.score)
        draw_on_screen(best.image, on_screen, kb).save(path)
        shot = {**best.describe(), "variant": made.index(best)}
        if best.layer is not None and best.placement is not None:
            layers = {"backdrop": best.layer, "product": product_layer(cut, size, best.placement)}
    return {"image": k, "on_screen": on_screen, "path": path, "shot": shot,
            "variants": [s.describe() for s in made], "layers": layers}


def _plain_scene(ctx: ToolContext, images: list[InputFile], k: int, size: tuple[int, int], kb: compose.KenBurns,
                 on_screen: str, path: Path, cause: Exception) -> dict[str, Any]:
    """A failed edit's stand-in: the scene's photo whole (or, when that one cannot even be read, the first
    product photo that can), over a blurred copy of itself; the version fails only when none can be read."""
    from noxus_local.media.images import open_image
    from noxus_local.products.ad_shots import uncut
    from noxus_local.products.ad_text import draw_on_screen

    for n in (k, *(j for j in range(len(images)) if j != k)):
        try:
            photo = open_image(images[n].path, ctx.limits.max_image_pixels).convert("RGB")
        except Exception:
            continue
        draw_on_screen(uncut(photo, size), on_screen, kb).save(path)
        return {"image": n, "on_screen": on_screen, "path": path,
                "shot": {"backdrop": "photo", "framing": 0, "score": 0.0}, "variants": [], "layers": None}
    raise cause


def _clips(ctx: ToolContext, tl: compose.Timeline, shots: list[dict[str, Any]], size: tuple[int, int],
           progress: Any) -> tuple[compose.Timeline, list[dict[str, Any]]]:
    """Each scene's motion clip from our motion engine (products/ad_motion.py): its layers moved by the
    scene's kind (push-in, parallax, pull-out, pan) with zoom punches at the scene's start and its spoken
    emphasis; a scene without layers (no cut-out) or whose clip fails moves as a still on compose's camera.
    Returns the timeline with the clips in place and what each scene got."""
    import dataclasses

    from noxus_local.products.ad_motion import Layers, Move, render_clip
    from noxus_local.products.ad_shots import motion, motion_kind, punch_amount
    from noxus_local.products.ad_text import text_layer

    p = ctx.params
    scenes, done = list(tl.scenes), []
    fade = tl.transition.duration if tl.transition.kind != "cut" else 0.0
    ad_scenes = len(shots)
    for i, shot in enumerate(shots):
        ctx.cancel.check()
        scene = scenes[i]
        kind = motion_kind(i)
        record: dict[str, Any] = {"index": i, "motion": kind}
        if shot.get("clip") is not None:  # the veo_model engine made this scene (fitted by _timeline)
            record["motion"] = "engine"
            record["engine"] = shot.get("engine")
            done.append(record)
            continue
        layers = shot.get("layers")
        if layers is None:
            record["motion"] = "still"
            done.append(record)
            continue
        seconds = scene.duration + (fade if i < len(scenes) - 1 else 0.0)
        punches = beat_times(scene, fade if i else 0.1, seconds)
        record["punches"] = [round(t, 3) for t in punches]
        try:
            text = text_layer(size, shot["on_screen"], compose.KenBurns(1.0, 1.0))
            box = None if text is None else text.getbbox()
            dest = ctx.workdir / f"clip-{i}.mp4"
            kb = scene.visual.ken_burns or motion(i, p["emotion"])
            render_clip(Layers(layers["backdrop"], layers["product"], None if box is None else text.crop(box),
                               (0, 0) if box is None else (box[0], box[1])),
                        Move(kind, kb, punches, punch_amount(p["emotion"])), size, tl.fps, seconds, dest,
                        ctx.cancel)
            scenes[i] = dataclasses.replace(scene, visual=compose.Visual("material", dest, kb))
        except (JobCancelled, InsufficientStorage):
            raise
        except Exception as exc:
            err = exc if isinstance(exc, NoxusError) else None
            record["error"] = {"code": err.code if err else "internal_error",
                               "message": f"the motion clip failed ({(err.message or err.code) if err else 'error'});"
                                          " the scene moves as a still"}
        done.append(record)
        progress((i + 1) / ad_scenes)
    return dataclasses.replace(tl, scenes=tuple(scenes)), done


def beat_times(scene: compose.Scene, start: float, seconds: float) -> tuple[float, ...]:
    """Where a scene's zoom punches fall, in seconds from its start: no beat tracker exists in analysis/, so
    at the scene's start (after its cross-fade) and on its spoken emphasis (its longest word, 5+ letters),
    when that is clear of the first punch and the scene's end.

    Example: a 4 s scene from 2.0 s whose "wireless" starts at 3.6 s → ``(0.4, 1.6)``.
    """
    times = [start]
    words = [w for w in scene.words if len(w.word.strip(".,;:!?¡¿\"'")) >= 5]
    if words:
        longest = max(words, key=lambda w: len(w.word.strip(".,;:!?¡¿\"'")))
        at = longest.start - scene.start
        if at - start >= 0.6 and at + 0.3 <= seconds:
            times.append(at)
    return tuple(times)


def _logo_png(ctx: ToolContext, size: tuple[int, int]) -> Path | None:
    """The logo as a PNG: an SVG is drawn by our safe rasteriser (ffmpeg cannot read one), a raster kept."""
    from noxus_local.media.images import open_image

    if "logo" not in ctx.files:
        return None
    img = open_image(ctx.files["logo"].path, ctx.limits.max_image_pixels, svg_box=(size[0], size[1] // 3))
    path = ctx.workdir / "logo.png"
    img.convert("RGBA").save(path, "PNG")
    return path


def _end_card(ctx: ToolContext, size: tuple[int, int], logo: Path | None) -> Path:
    from noxus_local.products.end_cards import end_card

    p = ctx.params
    return end_card(p["cta_design"], size[0], size[1], p["company_name"], p["cta_text"], logo,
                    p.get("gradient_color"), p["language"], dest=ctx.workdir / "end-card.png")


def _voice(ctx: ToolContext, texts: tuple[str, ...], progress: Any,
           warnings: list[str]) -> tuple[Narration, list[int]]:
    """The narration, fitted into the ad less its end card: read up to 15 % faster, then, if it still runs
    long, the scenes before the last one dropped one at a time (a text model may write long). Returns the
    narration and the indices of the scenes it kept (their pictures go with them)."""
    from noxus_local.compose.narration import narrate
    from noxus_local.speech import tts

    p = ctx.params
    weights = p.get("voice_mix") or parse_voice(p["voice_id"])
    if not weights:
        raise ValidationError.fields({"voice_id": [t("common.unknown_voice_hint", list_hint=LIST_HINT)]})
    slot, speed = speech_seconds(p["duration"]), voice_speed(p["voice_style"])
    kept = list(range(len(texts)))
    with tts.open_voice(ctx.models, weights, p["language"]) as voice:
        while True:
            told = narrate([texts[i] for i in kept], voice, speed, cancel=ctx.cancel, progress=progress)
            if told.duration <= slot:
                return told, kept
            if speed < MAX_SPEEDUP:
                speed = min(MAX_SPEEDUP, speed * told.duration / slot)
            elif len(kept) > 2:
                kept = [*kept[:-2], kept[-1]]
                warnings.append("the ad copy ran long: a scene's text was dropped to fit the duration")
            else:
                raise LimitExceeded(details={"limit": "duration", "max": slot,
                                             "narration_seconds": round(told.duration, 2)})


def _timeline(ctx: ToolContext, plan: Plan, texts: tuple[str, ...], narration: Narration, shots: list[dict[str, Any]],
              moves: list[compose.KenBurns], card: Path, wav: Path, size: tuple[int, int],
              logo_png: Path | None) -> compose.Timeline:
    """Scenes on the narration's clock, stretched so the last ends where the end card starts; the card then
    holds to exactly ``duration``. A scene with an engine's clip shows it, fitted to its length (plus the
    fade into the next) at the ad's size."""
    from noxus_local.generators.scenes import fit_scene

    p, facts = ctx.params, plan.facts
    fps = facts.get("fps", ctx.settings.video.fps)
    slot, total = speech_seconds(p["duration"]), float(p["duration"])
    stretch = slot / narration.duration
    scenes = []
    for i, (text, span) in enumerate(zip(texts, narration.spans, strict=True)):
        start, end = round(span.start * stretch, 3), round(span.end * stretch, 3)
        end = end if i < len(texts) - 1 else slot
        visual = compose.Visual("material", shots[i]["path"], moves[i])
        if shots[i].get("clip") is not None:
            fitted = fit_scene(shots[i]["clip"], ctx.workdir / f"scene-{i}.mp4", size, round(end - start + 0.5, 3),
                               fps, ctx.cancel)
            visual = compose.Visual("material", fitted)
        scenes.append(compose.Scene(i, text, start, end, visual, span.words))
    scenes.append(compose.Scene(len(texts), "", slot, total,
                                compose.Visual("material", card, compose.KenBurns(1.0, 1.04))))
    captions = None if p["caption_style"] == "none" else compose.Captions(p["caption_style"])
    logo = None if logo_png is None else compose.Logo(logo_png, "top_right")
    # facts: the request's; a plan made before they were kept: this machine's config
    return compose.Timeline(size[0], size[1], fps, tuple(scenes),
                            narration=wav, captions=captions, music=_music(ctx, texts), logo=logo,
                            transition=compose.Transition("fade", 0.4),
                            loudness=facts.get("loudness", ctx.settings.video.loudness_lufs))


def _music(ctx: ToolContext, texts: tuple[str, ...]) -> compose.Music | None:
    p = ctx.params
    if "music_file" in ctx.files:
        return compose.Music(ctx.files["music_file"].path, volume=p["music_volume"])
    if p["music"] == "none":
        return None
    library = MusicLibrary(_models_dir(ctx.models.cfg) / MUSIC_MODEL)
    moods = library.moods()
    if p["music"] == "auto":
        if not moods:
            return None
        wanted = (p["music_mood"] + " " + p["tone"]).lower()
        mood = next((m for m in moods if m in wanted), "energetic" if "energetic" in moods else moods[0])
        track = library.pick(mood, seed=" ".join(texts))
    else:
        track = library.pick(p["music"], seed=" ".join(texts)) if p["music"] in moods else library.get(p["music"])
    return compose.Music(track.path, volume=p["music_volume"], track=track.id)


def _output(ctx: ToolContext, copy: Copy, texts: tuple[str, ...], tl: compose.Timeline, narration: Narration,
            shots: list[dict[str, Any]], card: Path, warnings: list[str], mp4: Path, bill: Credits) -> ToolOutput:
    from noxus_local.media.audio import encode
    from noxus_local.media.probe import probe

    rendered = probe(mp4).duration or tl.duration
    script = "\n".join(texts)
    timeline_json = json.dumps(compose.to_dict(tl, ctx.workdir), ensure_ascii=False, indent=1).encode("utf-8")
    voice = encode(narration.samples, narration.sample_rate, "mp3", ctx.workdir / "narration.mp3", ctx.cancel)
    p = ctx.params
    scenes = [{"index": s.index, "text": s.text, "start": s.start, "end": s.end, "image": shot["image"],
               "on_screen": shot["on_screen"], "shot": shot["shot"], "variants": shot["variants"],
               "engine": shot.get("engine", MOTION_ENGINE),
               "motion": None if s.visual.ken_burns is None else  # an engine's clip moves by itself
               {k: getattr(s.visual.ken_burns, k) for k in compose.KenBurns.__dataclass_fields__},
               "words": [{"word": w.word, "start": w.start, "end": w.end} for w in s.words]}
              for s, shot in zip(tl.scenes, shots, strict=False)]
    end = tl.scenes[-1]
    result = {"script": script, "language": p["language"], "voice_id": p["voice_id"],
              "duration": round(rendered, 3), "width": tl.width, "height": tl.height, "fps": tl.fps,
              "writer": copy.writer, "image_by": copy.image_by, "timing_source": narration.timing_source,
              "scenes": scenes,
              "end_card": {"design": p["cta_design"], "company_name": p["company_name"], "start": end.start,
                           "end": end.end},
              "music": None if tl.music is None else (tl.music.track or "music_file"),
              "warnings": list(dict.fromkeys(warnings))}
    if bill.active:
        result["credits"] = bill.describe()
    extras = [OutputFile("script", script.encode("utf-8"), "script.txt", "text/plain; charset=utf-8"),
              OutputFile("timeline", timeline_json, "timeline.json", "application/json"),
              OutputFile("end_card", card, "end-card.png", "image/png"),
              OutputFile("narration", voice, "narration.mp3", "audio/mpeg")]
    return ToolOutput(mp4, "video.mp4", "video/mp4", result, name="video", extras=extras,
                      units=round(min(rendered, float(p["duration"])), 3), media_units=rendered,
                      actual_micros=bill.micros())


__all__ = ["VideoAdTool", "scene_count", "voice_speed"]
