"""The ``image-convert`` tool: any common image in, PNG/JPEG/WebP/GIF/BMP/TIFF/ICO/AVIF out.

Optional resize (contain, cover, fill), EXIF orientation always applied,
metadata stripped unless asked to keep it, animations kept when both ends can
animate (GIF/WebP/APNG in, WebP/GIF out)::

    tool = ImageConvertTool()
    params = tool.validate({"output_format": "jpg", "width": "800"}, {"image": upload}, limits)
    out = tool.call(ToolContext(params=params, files={"image": upload}, limits=limits, workdir=tmp))
    out.result  # {"width": 800, "height": 600, "format": "jpeg", "frames": 1, ...}
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta
from PIL import Image

from noxus_local.errors import InvalidMedia, LimitExceeded, ValidationError
from noxus_local.locale import t
from noxus_local.media import images
from noxus_local.media.images import FORMATS, Fit, Frame, OutputFormat
from noxus_local.tools.base import Example, InputFile, InputSpec, Limits, Params, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.filenames import sanitise_filename
from noxus_local.tools.params import Color

# Formats whose multi-frame files are animations (an MPO's second frame is a
# stereo pair or a preview, never an animation).
ANIMATED_INPUTS = frozenset({"GIF", "WEBP", "PNG"})
# Animated output keeps every frame in memory: allow at most this many times
# the still-image pixel limit across all output frames.
ANIMATION_PIXEL_FACTOR = 4
# a 1×1 PNG, the body of the base64 example
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
_GRAY, _CMYK = frozenset({"1", "L", "LA", "La", "I", "I;16", "F"}), frozenset({"CMYK"})


class ImageConvertParams(Params):
    """What ``POST /api/v1/tools/image-convert`` takes, besides the ``image`` file."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (InputSpec("image", "file", required=True),)
    output_format: Literal[(*FORMATS, "jpg")]  # type: ignore[valid-type]
    quality: Annotated[int, Meta(ge=1, le=100, description="JPEG, WebP y AVIF.")] = 85
    width: Annotated[int, Meta(ge=1, le=20000, examples=[800])] | None = None
    height: Annotated[int, Meta(ge=1, le=20000)] | None = None
    fit: Literal["contain", "cover", "fill"] = "contain"
    background: Annotated[Color, Meta(description="Fondo al quitar la transparencia (JPEG, BMP).")] = "#ffffff"
    strip_metadata: Annotated[bool, Meta(description="Quita EXIF/XMP; el perfil ICC se conserva.")] = True
    lossless: Annotated[bool, Meta(description="WebP sin pérdida.")] = False
    filename: Annotated[str, Meta(max_length=200)] | None = None


class ImageConvertTool(Tool):
    """Convert, optionally resize; the pixel limit is enforced from the header before decoding."""

    slug = "image-convert"
    aliases = ("convertir-formato-imagen",)
    title = "Convertir formato de imagen"
    description = "Convierte imágenes entre PNG, JPEG, WebP, GIF, BMP, TIFF, ICO y AVIF, con redimensionado."
    media_type = "image"
    measures = "images"  # one image per run (an animation is one image): Tool.units' default
    resources = {"cpu": 1}  # one core: Pillow work that holds the GIL most of the run
    default_price = "0.002"
    examples = (
        Example("image-convert (base64)", "image-convert: a base64 PNG to WebP (seed 000)",
                {"filename": "foto.png", "content_base64": PNG_1X1, "output_format": "webp"}),
        Example("image-convert", "image-convert: upload foto.png, get mi-imagen.webp (seed 000)",
                {"image": "(binary: foto.png)", "output_format": "webp", "filename": "mi-imagen"}, form=True,
                description="curl -F \"image=@foto.png\" -F \"output_format=webp\" -F \"filename=mi-imagen\""),
    )
    Params = ImageConvertParams

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Normalise ``jpg`` and refuse a transparent background for a format without alpha."""
        if params["output_format"] == "jpg":
            params["output_format"] = "jpeg"
        fmt = FORMATS[params["output_format"]]
        if not fmt.alpha and images.parse_color(params["background"])[3] < 255:
            raise ValidationError.fields({"background": [
                t("image_convert.has_no_transparency_use", name=fmt.name.upper())]})

    def plan(self, params: ImageConvertParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Read the header once: refuse oversized input or output (413) before any money moves, and keep
        the header's format and size in ``facts["image"]`` for ``run``."""
        fmt = FORMATS[params.output_format]
        info = images.probe(files["image"].path, limits.max_image_pixels)
        out_w, out_h = _output_size(params, fmt, (info.width, info.height))
        images.check_output(out_w, out_h, fmt, limits.max_image_pixels)
        if fmt.animated:
            _check_animation(_animated_frames(files["image"], limits), (out_w, out_h), limits)
        return Plan(units=1.0, resources=dict(self.resources), facts={"image": msgspec.to_builtins(info)})

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        params = ctx.params
        fmt = FORMATS["jpeg" if params["output_format"] == "jpg" else params["output_format"]]
        upload = ctx.files["image"]
        ctx.progress(0.05, "open")
        # the header the request read (plan): not opened again just for its size
        info = plan.fact("image", images.ImageInfo) or images.probe(upload.path, ctx.limits.max_image_pixels)
        out_size = _output_size(params, fmt, (info.width, info.height))
        images.check_output(*out_size, fmt, ctx.limits.max_image_pixels)
        # a vector is drawn at the size asked for (sharp), never drawn small and then enlarged
        box = _cover(out_size, (info.width, info.height)) if info.format == "SVG" else None
        with images.open_image(upload.path, ctx.limits.max_image_pixels, svg_box=box) as img:
            animate = fmt.animated and img.format in ANIMATED_INPUTS and getattr(img, "is_animated", False)
            src_mode, loop = img.mode, int(img.info.get("loop", 0) or 0)
            icc = img.info.get("icc_profile")
            frames = _animation(img, out_size, ctx) if animate else [_still(img, out_size, fmt, ctx)]
            # after the frames: reading it here resets the orientation tag orient() needs
            exif = None if params["strip_metadata"] else _exif_bytes(img)
        ctx.cancel.check()
        ctx.progress(0.85, "encode")
        out_mode = frames[0].image.mode
        data = images.save(frames, fmt, quality=params["quality"], lossless=params["lossless"], exif=exif,
                           icc_profile=icc if _same_family(src_mode, out_mode) else None, loop=loop)
        result = {"width": frames[0].image.width, "height": frames[0].image.height, "format": fmt.name,
                  "frames": _frame_count(data, len(frames)), "input_format": info.format.lower(),
                  "input_width": info.width, "input_height": info.height}
        filename = sanitise_filename(params.get("filename") or upload.filename, fmt.ext, "imagen")
        return ToolOutput(data, filename, fmt.mime, result)


def _output_size(params: dict[str, Any], fmt: OutputFormat, src: tuple[int, int]) -> tuple[int, int]:
    fit: Fit = params["fit"]
    size = images.plan_size(src, params.get("width"), params.get("height"), fit)
    if fmt.name == "ico" and max(size) > images.ICO_MAX_SIDE:
        size = images.plan_size(size, images.ICO_MAX_SIDE, images.ICO_MAX_SIDE, "contain")
    return size


def _cover(out_size: tuple[int, int], src: tuple[int, int]) -> tuple[int, int]:
    """The source's aspect scaled to cover ``out_size``: ``_cover((100, 100), (20, 10)) == (200, 100)``."""
    scale = max(out_size[0] / src[0], out_size[1] / src[1])
    return max(1, round(src[0] * scale)), max(1, round(src[1] * scale))


def _still(img: Image.Image, out_size: tuple[int, int], fmt: OutputFormat, ctx: ToolContext) -> Frame:
    """First (or only) frame: draft-decode JPEGs, orient, resize, convert to a writable mode."""
    fit: Fit = ctx.params["fit"]
    if img.format in ("JPEG", "MPO"):
        images.draft_for(img, out_size, fit)
    images.decode(img)
    ctx.progress(0.3, "decode")
    ctx.cancel.check()
    oriented = images.orient(img)
    resized = images.resize(oriented, out_size, fit)
    ctx.progress(0.6, "resize")
    background = images.parse_color(ctx.params["background"])
    return Frame(images.to_mode(resized, fmt, background), 0)


def _animation(img: Image.Image, out_size: tuple[int, int], ctx: ToolContext) -> list[Frame]:
    """Every frame resized to ``out_size``; refuses before the pixel budget is blown."""
    count = img.n_frames
    _check_animation(count, out_size, ctx.limits)
    out: list[Frame] = []
    for index, frame in enumerate(images.frames(img)):
        ctx.cancel.check()
        frame.image = images.resize(frame.image, out_size, ctx.params["fit"])
        out.append(frame)
        if index % 10 == 0:
            ctx.progress(0.1 + 0.7 * index / count, "frames")
    return out


def _animated_frames(upload: InputFile, limits: Limits) -> int:
    """Frames an animated output would hold (1 for stills); reads frame headers, decodes no pixels."""
    with images.open_image(upload.path, limits.max_image_pixels) as img:
        if img.format not in ANIMATED_INPUTS or not getattr(img, "is_animated", False):
            return 1
        try:
            return int(img.n_frames)
        except images.DECODE_ERRORS:
            raise InvalidMedia(images.INVALID_IMAGE) from None


def _check_animation(count: int, out_size: tuple[int, int], limits: Limits) -> None:
    """413 ``max_animation_pixels`` when every output frame together passes the budget.

    Example: 5 frames of 32 × 24 under a 768 px limit (budget 4 × 768) → refused.
    """
    budget = ANIMATION_PIXEL_FACTOR * limits.max_image_pixels
    if count > 1 and count * out_size[0] * out_size[1] > budget:
        raise LimitExceeded(details={"limit": "max_animation_pixels", "max": budget,
                                     "actual": count * out_size[0] * out_size[1], "frames": count})


def _frame_count(data: bytes, written: int) -> int:
    """Frames in the file: encoders merge identical consecutive frames, adding their durations."""
    if written == 1:
        return 1
    with Image.open(io.BytesIO(data)) as out:
        return getattr(out, "n_frames", 1)


def _exif_bytes(img: Image.Image) -> bytes | None:
    """EXIF to keep, with orientation reset: the pixels are already turned upright."""
    try:
        exif = img.getexif()
        exif.pop(images.ORIENTATION_TAG, None)
        return exif.tobytes() if len(exif) else None
    except images.DECODE_ERRORS:
        return None  # a broken EXIF block is dropped, never fatal


def _same_family(src_mode: str, out_mode: str) -> bool:
    """Keep the ICC profile only when the colour space did not change (no CMS conversion here)."""
    def family(mode: str) -> str:
        return "gray" if mode in _GRAY else "cmyk" if mode in _CMYK else "rgb"
    return family(src_mode) == family(out_mode)
