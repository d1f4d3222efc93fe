"""The ``image-generate`` tool: a prompt in, a PNG out, from an image engine the admin runs.

No offline model here draws pictures, so this tool is a thin adapter over ``noxus_local.generators``
(ComfyUI workflows, OpenAI-compatible image servers; each one a ``[generators.<name>]`` table).
``model`` names the generator (default: ``[generators] default``, or the only one); an unknown one is
a 400 listing the configured names, and with none configured the tool is 503 naming the section to
add. The chosen generator's settings are frozen into the job at submission, so a queued job runs
against the engine it was priced for. Seed 002's ``/api/generate/image`` runs it.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/image-generate -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"prompt": "a lighthouse at dusk", "width": 1024, "height": 768}'
"""

from __future__ import annotations

import dataclasses
import io
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from msgspec import Meta
from PIL import Image

from noxus_local.config import IMAGE_KINDS, Config, GeneratorSettings
from noxus_local.errors import ToolUnavailable, ValidationError, one_of
from noxus_local.generators import GeneratorSpec, generate
from noxus_local.locale import t
from noxus_local.tools.base import Example, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.params import Internal, Params

STYLES = {"photorealistic": "photorealistic photo", "illustration": "digital illustration",
          "3d": "3D render", "flat": "flat vector illustration"}
FROZEN_KEY = "generator"  # ImageGenerateParams.generator: the chosen generator's name, settings and allow-list


class ImageGenerateParams(Params):
    """What ``POST /api/v1/tools/image-generate`` (and seed 002's ``/api/generate/image``) takes."""

    prompt: Annotated[str, Meta(max_length=2000)]
    width: Annotated[int, Meta(ge=256, le=2048)] = 1024
    height: Annotated[int, Meta(ge=256, le=2048)] = 1024
    steps: Annotated[int, Meta(ge=1, le=50, description="Accepted for seed 002; the workflow sets its own "
                                                         "steps.")] = 4
    seed: Annotated[int, Meta(ge=0, le=2**53, description="Default: a random one, reported.")] | None = None
    style: Annotated[Literal[tuple(STYLES)], Meta(description="Added to the prompt.")] | None = None  # type: ignore[valid-type]
    negative_prompt: Annotated[str, Meta(max_length=2000)] = ""
    model: Annotated[str, Meta(max_length=100, description="A [generators.<name>] of the config.")] | None = None
    # the chosen generator's name, settings and allow-list, frozen at the request (check_installed)
    generator: Annotated[dict[str, Any] | None, Internal] = None


class ImageGenerateTool(Tool):
    """One image from the configured generator named by ``model``."""

    slug = "image-generate"
    title = "Generar imagen"
    description = "Genera una imagen PNG a partir de un texto con un motor configurado (ComfyUI u OpenAI images)."
    media_type = "image"
    measures = "images"
    # one image from a configured [generators.<name>] engine (seed 002's /api/generate/image charges credits)
    default_price = "0.01"
    examples = (
        Example("image-generate", "image-generate: a 1024x768 PNG from the generator flux-2-pro",
                {"prompt": "a lighthouse at dusk", "width": 1024, "height": 768, "model": "flux-2-pro"}),
        Example("image-generate", "image-generate: the same as a form",
                {"prompt": "a lighthouse at dusk", "width": "1024", "height": "768"}, form=True),
    )
    resources = {"cpu": 1}  # waiting on the engine; the PNG check is light
    Params = ImageGenerateParams

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """The generator ``model`` names, frozen into the params; 400 listing names, or 503 with none."""
        names = cfg.generators.names(IMAGE_KINDS)
        if not names:
            raise ToolUnavailable(t("image_generate.no_image_generator_configured"))
        chosen = params.get("model") or cfg.generators.chosen() or names[0]
        if chosen not in names:
            raise ValidationError(details={"field_errors": {"model": [one_of(names)]}, "allowed": {"model": names}})
        params[FROZEN_KEY] = {"name": chosen, "settings": dataclasses.asdict(cfg.generators.entries[chosen]),
                              "allow_hosts": list(cfg.generators.allow_hosts)}
        params["model"] = chosen

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p: ImageGenerateParams = ctx.params
        frozen = p.generator or {}
        settings = GeneratorSettings(**frozen["settings"])
        key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
        spec = GeneratorSpec(frozen["name"], settings, tuple(frozen["allow_hosts"]), key)
        prompt = f"{p.prompt}, {STYLES[p.style]}" if p.style else p.prompt
        seed = p.seed if p.seed is not None else secrets.randbelow(2**31)
        path = generate(spec, prompt, p.negative_prompt, p.width, p.height, seed, ctx.workdir / "generated",
                        ctx.cancel)
        return ToolOutput(_as_png(path), "image.png", "image/png",
                          result={"model": frozen["name"], "width": p.width, "height": p.height, "seed": seed},
                          units=1.0)


def _as_png(path: Path) -> bytes:
    """The engine's image as PNG bytes (a JPEG answer is re-encoded: the seed promises image/png)."""
    if path.suffix.lower() == ".png":
        return path.read_bytes()
    buffer = io.BytesIO()
    with Image.open(path) as img:
        img.save(buffer, "PNG")
    return buffer.getvalue()
