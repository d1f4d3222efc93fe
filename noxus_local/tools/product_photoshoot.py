"""Tool ``product-photoshoot`` (alias ``fotos-de-producto``): one product photo in, ``count`` studio photos out.

A thin adapter over products/: the product is cut out with the registry's ISNet
(products/cutout.py), then each photo is framed by ``angle``, placed on its
``background``, shadowed and relit by ``lighting`` (products/photoshoot.py,
products/relight.py); ``count`` photos are seeded variations of framing, light,
shadow and backdrop tone. Backdrops: ``studio-white`` and ``flat-lay`` are drawn
here; ``custom`` is a colour or gradient (``custom_background`` "#F4D35E" or
"#FF5500, #7A1FA2"), an uploaded ``background_image``, or, when an image generator
is configured (``[generators.<name>]``), ``custom_background`` as its prompt;
``lifestyle`` and ``outdoor`` are scenes that generator draws. Without a generator
those are 503 naming the section, decided before the hold, charged 0.

Outputs at the input's resolution (the tier's pixel limit already bounds the input):
``photo-1.png`` (primary), ``photo-1.jpg``, ``photo-2.png``, … and ``product-cutout.png``
(the product alone, transparent). Priced per photo (``measures = "images"``: the hold is
``count``). A photo with nothing to cut out (a blank wall, a pattern) is a 400
``invalid_media`` with ``details.reason = "no_foreground"`` and the mask's confidence,
charged 0; a weak but present foreground succeeds with a ``low_mask_confidence`` warning.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/product-photoshoot -H "Authorization: Bearer $KEY" \\
      -F image=@mug.jpg -F background=studio-white -F angle=45-degree -F lighting=golden-hour -F count=2
"""

from __future__ import annotations

import dataclasses
import io
import os
import secrets
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta
from PIL import Image

from noxus_local.config import IMAGE_KINDS, Config, GeneratorSettings
from noxus_local.errors import InvalidMedia, ToolUnavailable, ValidationError, one_of
from noxus_local.generators import GeneratorSpec, generate
from noxus_local.locale import t
from noxus_local.media import images
from noxus_local.products.cutout import Mask, apply_mask, segment
from noxus_local.products.photoshoot import (
    ANGLES,
    BACKGROUNDS,
    DIRECTIONS,
    GENERATED,
    LIGHTS,
    backdrop,
    parse_custom,
    shoot,
    variation,
)
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
from noxus_local.tools.params import Internal

SEGMENTER = "isnet-general"
MAX_COUNT = 4
LOW_CONFIDENCE = 0.75  # a clean product shot is ~0.98; below this the cut-out may have eaten or kept too much
GENERATED_SIDE = 1024  # the long side asked of a generator (its scene is then cropped to cover the photo)
PNG_LEVEL = 3  # zlib level: a 2 Mpx PNG in ~0.3 s instead of ~1 s at 6, ~10 % larger
SCENES = {
    "lifestyle": "an empty tabletop in a bright, tastefully styled home interior, shallow depth of field, "
                 "professional product photography background, nothing on the table",
    "outdoor": "an empty flat stone surface outdoors, plants and sky softly out of focus behind, "
               "professional product photography background, nothing on the stone",
}
LIGHT_WORDS = {"studio": "even studio light", "natural": "natural daylight", "dramatic": "dramatic contrasty light",
               "soft": "soft diffused light", "golden-hour": "warm golden-hour sunlight"}
NEGATIVE = "product, bottle, text, logo, watermark, people, hands"


class ProductPhotoshootParams(Params):
    """What ``POST /api/v1/tools/product-photoshoot`` (and seed 002's ``/api/generate/photoshoot``) takes."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("image", "file", required=True, help="The product photo (or image_asset_id / image_url)."),
        InputSpec("background_image", "file", help="background=custom: your own backdrop picture, cropped to "
                                                   "cover the photo."),
    )
    background: Annotated[Literal[BACKGROUNDS], Meta(  # type: ignore[valid-type]
        description="studio-white and flat-lay are drawn here; lifestyle and outdoor need a configured image "
                    "generator; custom is a colour, a gradient, background_image, or a generator prompt.")] = \
        "studio-white"
    angle: Annotated[Literal[tuple(ANGLES)], Meta(  # type: ignore[valid-type]
        description="Framing and perspective of the product.")] = "front"
    lighting: Annotated[Literal[tuple(LIGHTS)], Meta(  # type: ignore[valid-type]
        description="Relighting: key direction, warmth, contrast, rim light.")] = "studio"
    light_direction: Annotated[Literal[tuple(DIRECTIONS)], Meta(  # type: ignore[valid-type]
        description="Where the key light comes from (the lit side and the rim; the shadow falls on the other "
                    "side). Default: the lighting preset's own (from the upper left).")] | None = None
    count: Annotated[int, Meta(ge=1, le=MAX_COUNT, description="Photos (distinct variations), each charged.")] = 1
    custom_background: Annotated[str, Meta(
        max_length=500, description="background=custom: a colour (#F4D35E), two for a gradient (#FF5500, "
                                    "#7A1FA2), or a description the configured generator draws.",
        examples=["#F4D35E"])] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**31 - 1, description="Default: a random one, reported.")] | None = None
    jpeg_quality: Annotated[int, Meta(ge=1, le=100)] = 92
    model: Annotated[str, Meta(max_length=100, description="A [generators.<name>] for generated backdrops.")] \
        | None = None
    # where the backdrops come from, decided at the request: drawn, colours, upload or generator
    source: Annotated[str | None, Internal] = None
    # the chosen generator's name, settings and allow-list, frozen at the request (check_installed)
    generator: Annotated[dict[str, Any] | None, Internal] = None


class ProductPhotoshootTool(Tool):
    """``count`` photos of one product on a new backdrop, framed and relit."""

    slug = "product-photoshoot"
    aliases = ("fotos-de-producto",)
    title = "Fotos de producto"
    description = ("Recorta el producto de una foto y lo coloca en un fondo nuevo (estudio blanco, flat lay, color, "
                   "degradado, tu imagen o una escena generada) con ángulo, sombra e iluminación; de 1 a 4 "
                   "variaciones en PNG y JPEG.")
    media_type = "image"
    measures = "images"
    # per photo: the seed's 30 credits a photoshoot at 0.001 USD a credit
    default_price: ClassVar[Mapping[str, str]] = {"unit": "image", "unit_usd": "0.03"}
    examples = (
        Example("product-photoshoot", "product-photoshoot: two studio-white photos at 45 degrees in golden light",
                {"image": "(binary: mug.jpg)", "background": "studio-white", "angle": "45-degree",
                 "lighting": "golden-hour", "count": "2"}, form=True,
                description='curl -F "image=@mug.jpg" -F "background=studio-white" -F "angle=45-degree" '
                            '-F "lighting=golden-hour" -F "count=2"'),
        Example("product-photoshoot (custom colour)", "product-photoshoot: a product image by URL on a yellow backdrop",
                {"image_url": "https://example.com/mug.jpg", "background": "custom", "custom_background": "#F4D35E",
                 "angle": "hero", "lighting": "soft"}),
    )
    models = (SEGMENTER,)
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}  # ISNet runs on two threads
    steps = (Step("segment", 4), Step("backdrop", 2), Step("compose", 3), Step("encode", 2))
    Params = ProductPhotoshootParams

    # ------------------------------------------------------------ before the hold

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Where the backdrops come from (``source``), and a custom background that says nothing is a 400."""
        kind, upload = params["background"], "background_image" in files
        if upload and kind != "custom":
            raise ValidationError.fields({"background_image": [t("product_photoshoot.only_with_background_custom")]})
        if kind in GENERATED:
            params["source"] = "generator"
        elif kind != "custom":
            params["source"] = "drawn"
        elif upload:
            params["source"] = "upload"
        elif parse_custom(params.get("custom_background")).start is not None:
            params["source"] = "colours"
        elif (params.get("custom_background") or "").strip():
            params["source"] = "generator"  # a description: a generator draws it
        else:
            raise ValidationError.fields({"custom_background": [t("product_photoshoot.custom_needs_background")]})

    def plan(self, params: ProductPhotoshootParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Read the headers once: an oversized or broken image is 413/400 before any money moves; one unit
        per photo; the photo's size kept for ``run``."""
        info = images.probe(files["image"].path, limits.max_image_pixels)
        if "background_image" in files:
            images.probe(files["background_image"].path, limits.max_image_pixels)
        images.check_output(info.width, info.height, images.FORMATS["png"], limits.max_image_pixels)
        return Plan(units=float(params.count), resources=dict(self.resources), models=(SEGMENTER,),
                    work_units=float(params.count), facts={"image": msgspec.to_builtins(info)})

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """ISNet (503 with its fetch command); for a generated backdrop, the generator ``model`` names,
        frozen into the params (none configured: 503 naming the section; unknown: 400 listing them)."""
        require_installed(plan.models, cfg)  # the plan names them: ISNet (and the text model it uses)
        if params.get("source") != "generator":
            return
        names = cfg.generators.names(IMAGE_KINDS)
        if not names:
            what = f"background={params['background']}" + (" with a description" if params["background"] == "custom"
                                                            else "")
            raise ToolUnavailable(t("product_photoshoot.needs_image_generator_add", what=what))
        chosen = params.get("model") or cfg.generators.chosen() or names[0]
        if chosen not in names:
            raise ValidationError(details={"field_errors": {"model": [one_of(names)]}, "allowed": {"model": names}})
        params["generator"] = {"name": chosen, "settings": dataclasses.asdict(cfg.generators.entries[chosen]),
                               "allow_hosts": list(cfg.generators.allow_hosts)}
        params["model"] = chosen

    # ------------------------------------------------------------ the run

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p: ProductPhotoshootParams = ctx.params
        seed = p.seed if p.seed is not None else secrets.randbelow(2**31)
        warnings: list[dict[str, Any]] = []
        with ctx.step("segment"):
            photo = _open(ctx.files["image"], ctx.limits)
            assert ctx.models is not None, "the runner hands every tool the model cache"
            mask = segment(photo, ctx.models)
            product = _product(photo, mask, warnings)
        ctx.cancel.check()
        looks = [variation(i, seed, p.angle, p.lighting, p.light_direction) for i in range(p.count)]
        with ctx.step("backdrop") as step:
            pictures = _pictures(ctx, p, photo.size, seed, step.progress)
        custom = parse_custom(p.custom_background)
        shots: list[Image.Image] = []
        with ctx.step("compose") as step:
            for i, look in enumerate(looks):
                ctx.cancel.check()
                base = backdrop(p.background, photo.size, look, custom, pictures[i] if pictures else None)
                shots.append(shoot(product, base, look))
                step.progress((i + 1) / len(looks))
        with ctx.step("encode"):
            files = _encode(shots, product, p.jpeg_quality)
        photos = [{"index": i + 1, "png": f"photo-{i + 1}.png", "jpeg": f"photo-{i + 1}.jpg", "look": look.describe()}
                  for i, look in enumerate(looks)]
        result = {"width": photo.width, "height": photo.height, "count": p.count, "background": p.background,
                  "angle": p.angle, "lighting": p.lighting,
                  "light_direction": p.light_direction, "seed": seed, "backdrop_source": p.source,
                  "generator": (p.generator or {}).get("name"), "photos": photos,
                  "mask": {"confidence": round(mask.confidence, 3), "coverage": round(mask.coverage, 4),
                           "box": list(mask.box) if mask.box else None}}
        if warnings:
            result["warnings"] = warnings
        primary = files[0]
        return ToolOutput(primary.data, primary.filename, primary.mime_type, result=result, units=float(p.count),
                          media_units=float(p.count), extras=files[1:])


def _open(upload: InputFile, limits: Limits) -> Image.Image:
    """The photo decoded, upright, RGB (a broken body is 400 invalid_media). A transparent PNG (a product
    already cut out) is laid on white first: under its alpha the colour is often black or noise, which
    the model would take for part of the scene."""
    with images.open_image(upload.path, limits.max_image_pixels) as img:
        images.decode(img)
        upright = images.orient(img)
        if upright.mode in ("RGBA", "LA", "PA", "P") and (upright.mode != "P" or "transparency" in upright.info):
            rgba = upright.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            white.alpha_composite(rgba)
            return white.convert("RGB")
        return upright.convert("RGB")


def _product(photo: Image.Image, mask: Mask, warnings: list[dict[str, Any]]) -> Image.Image:
    """The cut-out; nothing separable is a 400 carrying the mask's confidence, a doubtful mask a warning."""
    if mask.box is None:
        raise InvalidMedia(t("product_photoshoot.no_product_could_separated", confidence=mask.confidence),
            details={"reason": "no_foreground", "mask_confidence": round(mask.confidence, 3)})
    if mask.confidence < LOW_CONFIDENCE:
        warnings.append({"code": "low_mask_confidence", "mask_confidence": round(mask.confidence, 3),
                         "message": f"the product's outline is uncertain (mask confidence {mask.confidence:.2f}); "
                                    "check the edges of the cut-out"})
    return apply_mask(photo, mask)


def _pictures(ctx: ToolContext, p: ProductPhotoshootParams, size: tuple[int, int], seed: int,
              progress: Any) -> list[Image.Image] | None:
    """Each photo's backdrop picture: the upload (the same for all), the generator's scenes (one each, seeded),
    or None when the backdrop is drawn here."""
    if p.source == "upload":
        with images.open_image(ctx.files["background_image"].path, ctx.limits.max_image_pixels) as img:
            images.decode(img)
            picture = images.orient(img).convert("RGB")
        return [picture] * p.count
    if p.source != "generator" or not p.generator:
        return None
    frozen = p.generator
    settings = GeneratorSettings(**frozen["settings"])
    key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
    spec = GeneratorSpec(frozen["name"], settings, tuple(frozen["allow_hosts"]), key)
    scene = SCENES.get(p.background) or (p.custom_background or "").strip()
    prompt = f"{scene}, {LIGHT_WORDS[p.lighting]}"
    width, height = _request_size(size)
    out: list[Image.Image] = []
    for i in range(p.count):
        path = generate(spec, prompt, NEGATIVE, width, height, (seed + i) % 2**31, ctx.workdir / "backdrops",
                        ctx.cancel)
        with Image.open(path) as img:
            out.append(img.convert("RGB"))
        progress((i + 1) / p.count)
    return out


def _request_size(size: tuple[int, int]) -> tuple[int, int]:
    """The photo's aspect with a long side of at most 1024, both sides multiples of 64 (diffusion models'
    latents). Example: ``_request_size((1600, 1200)) == (1024, 768)``."""
    w, h = size
    scale = min(1.0, GENERATED_SIDE / max(w, h))
    return max(64, round(w * scale / 64) * 64), max(64, round(h * scale / 64) * 64)


def _encode(shots: list[Image.Image], product: Image.Image, quality: int) -> list[OutputFile]:
    """``photo-N.png`` and ``photo-N.jpg`` per shot, then the transparent cut-out; the first is the primary."""
    files: list[OutputFile] = []
    for i, shot in enumerate(shots, start=1):
        png, jpeg = io.BytesIO(), io.BytesIO()
        shot.save(png, "PNG", compress_level=PNG_LEVEL)
        shot.save(jpeg, "JPEG", quality=quality)
        files += [OutputFile("primary" if i == 1 else f"photo-{i}", png.getvalue(), f"photo-{i}.png", "image/png"),
                  OutputFile(f"photo-{i}-jpeg", jpeg.getvalue(), f"photo-{i}.jpg", "image/jpeg")]
    cut = io.BytesIO()
    product.save(cut, "PNG", compress_level=PNG_LEVEL)
    files.append(OutputFile("cutout", cut.getvalue(), "product-cutout.png", "image/png"))
    return files
