"""Image analysis tools: ``image-analyze`` (one image, one-shot) and ``image-analyze-batch``.

Both run ``noxus_local.analysis`` and are priced per image (``measures =
"images"``): the hold counts the images that reached the queue, the charge
the items that succeeded. ``image-analyze-batch`` is what
``POST /api/v1/analysis/images`` submits (``api/analysis_routes.py`` decodes
each item into the job's work folder as ``image_<n>`` and records the items
that failed at submission); it is hidden from nothing: a JSON call with
``items`` works through ``/api/v1/tools`` too, but the analysis route is the
way in.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/image-analyze -H "Authorization: Bearer $KEY" \\
      -F "image=@foto.jpg" -F "features=metadata,colors,hash,quality"
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from noxus_local.analysis.batch import PROGRESS_FILE, run_batch
from noxus_local.analysis.features import DEFAULT_FEATURES, FEATURES, analyse, check_features
from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.locale import t
from noxus_local.tools.base import InputFile, InputSpec, Limits, Params, Plan, Step, Tool, ToolContext, ToolOutput

FEATURES_HELP = (f"Comma-separated or a JSON list; one of {', '.join(FEATURES)}. "
                 f"Default: {','.join(DEFAULT_FEATURES)}.")


class ImageAnalyzeParams(Params):
    file_inputs: ClassVar[tuple[InputSpec, ...]] = (InputSpec("image", "file", required=True),)
    # a comma-separated string or a JSON list: normalised to a list by check()
    features: Annotated[Any, Meta(extra={"noxus_type": "object"}, description=FEATURES_HELP,
                                  examples=["metadata,hash"])] = None


class ImageAnalyzeBatchParams(Params):
    """What ``image-analyze-batch`` takes: the items ``POST /api/v1/analysis/images`` decoded, and the features."""

    items: Annotated[Any, Meta(extra={"noxus_type": "object"}, description=(
        "Set by POST /api/v1/analysis/images: the items, decoded to image_<n> files."))]
    # a comma-separated string or a JSON list: normalised to a list by check()
    features: Annotated[Any, Meta(extra={"noxus_type": "object"}, description=FEATURES_HELP)] = None


class ImageAnalyzeTool(Tool):
    slug = "image-analyze"
    aliases = ("analizar-imagen",)
    title = "Analyze an image"
    description = ("Metadata and EXIF summary, dominant colours, perceptual hash, quality "
                   "(sharpness, brightness, contrast, noise), an NSFW score, faces and text (OCR) "
                   "of one image, as JSON.")
    media_type = "image"
    measures = "images"
    default_price: ClassVar[Mapping[str, str]] = {"unit": "image", "unit_usd": "0.001"}
    steps = (Step("analyze", 1),)
    Params = ImageAnalyzeParams

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        params["features"] = list(check_features(params.get("features")))

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        return 1.0

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        with ctx.step("analyze"):
            result = analyse(ctx.files["image"].path, ctx.params["features"], ctx.limits.max_image_pixels,
                             ctx.models)
        body = json.dumps(result, ensure_ascii=False).encode()
        return ToolOutput(body, "analysis.json", "application/json", {"analysis": result},
                          name="analysis", units=1.0, media_units=1.0)


class ImageAnalyzeBatchTool(Tool):
    slug = "image-analyze-batch"
    aliases = ("analizar-imagenes",)
    title = "Analyze a batch of images"
    description = ("The batch behind POST /api/v1/analysis/images: each item analysed on its own; "
                   "a bad item fails alone and only items that succeed are charged.")
    media_type = "image"
    measures = "images"
    default_price: ClassVar[Mapping[str, str]] = {"unit": "image", "unit_usd": "0.001"}
    steps = (Step("analyze", 1),)
    Params = ImageAnalyzeBatchParams
    resources: ClassVar[Mapping[str, int]] = {"cpu": 1}  # every image model runs with one thread (threads = 1)

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        items = params["items"]
        if not isinstance(items, list) or not items or not all(_planned(i, files) for i in items):
            raise ValidationError.fields({"items": [t("image_analyze.use_post_api_v1")]})
        if len(items) > limits.max_batch_images:
            raise LimitExceeded(details={"limit": "max_batch_images", "max": limits.max_batch_images,
                                         "actual": len(items)})
        params["features"] = list(check_features(params.get("features")))

    def plan(self, params: ImageAnalyzeBatchParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """The images that reached the queue: the units held (a failed item costs nothing) and the ETA's."""
        queued = float(sum(1 for i in params.items if i["status"] == "queued"))
        return Plan(units=queued, resources=dict(self.resources), work_units=queued)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        with ctx.step("analyze") as step:
            report = run_batch(ctx.params["items"], {k: f.path for k, f in ctx.files.items()},
                               ctx.params["features"], ctx.limits.max_image_pixels, ctx.cancel,
                               progress_file=ctx.workdir / PROGRESS_FILE, progress=step.progress,
                               models=ctx.models)
        summary = {"total": len(report.items), "succeeded": report.succeeded, "failed": report.failed}
        body = json.dumps({"items": report.items, **summary}, ensure_ascii=False).encode()
        return ToolOutput(body, "analysis.json", "application/json", {"items": report.items, **summary},
                          name="analysis", units=float(report.succeeded),
                          media_units=float(max(report.succeeded, 1)))


def _planned(item: Any, files: Mapping[str, InputFile]) -> bool:
    """An item as the analysis route writes it: queued with its file, or failed with its error."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return False
    if item.get("status") == "queued":
        return item.get("file") in files
    return item.get("status") == "failed" and isinstance(item.get("error"), dict)
