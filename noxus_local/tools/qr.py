"""The ``qr`` tool: text or a URL in, a QR code image (PNG, SVG, JPEG, WebP) out.

The matrix comes from ``qrcode``; we draw it ourselves so that module edges
stay crisp at any size (nearest-neighbour only) and colours are exact::

    QrTool().validate({"text": "https://example.com", "size": "512"}, {}, Limits())
    # → {"text": ..., "size": 512, "output_format": "png", "border": 4, ...}
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import qrcode
import qrcode.constants
import qrcode.exceptions
import qrcode.image.svg
import qrcode.util
from msgspec import Meta
from PIL import Image

from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.locale import t
from noxus_local.media import images
from noxus_local.media.images import RGBA, OutputFormat, parse_color
from noxus_local.tools.base import Example, InputFile, Limits, Params, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.filenames import sanitise_filename
from noxus_local.tools.params import Color

LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
MIMES = {"png": "image/png", "svg": "image/svg+xml", "jpeg": "image/jpeg", "webp": "image/webp"}
EXTENSIONS = {"png": "png", "svg": "svg", "jpeg": "jpg", "webp": "webp"}
# the most characters any QR holds: version 40-L in numeric mode (ISO/IEC 18004 table 7)
MAX_CHARS = 7089
# vector output: no encoder side limit, only the tier's pixel rule
_SVG = OutputFormat("svg", "SVG", "svg", "image/svg+xml", True)


def byte_capacity(level: str) -> int:
    """Bytes a version-40 code holds in byte mode: L 2953, M 2331, Q 1663, H 1273.

    Byte mode is the worst case; digits-only or upper-case text fits more.
    Mode indicator (4 bits) and a 16-bit length come off the bit budget.
    """
    bits = qrcode.util.BIT_LIMIT_TABLE[LEVELS[level]][40]
    return (bits - 4 - 16) // 8


class QrParams(Params):
    """What ``POST /api/v1/tools/qr`` takes."""

    # no max_length: capacity decides (413 qr_capacity), whatever the length
    text: Annotated[str, Meta(examples=["https://noxus.lat"], description=(
        "Texto o URL; el máximo depende del contenido y de error_correction "
        "(hasta 7089 dígitos, 2953 bytes con L); más largo → 413 qr_capacity."))]
    output_format: Literal[tuple(MIMES)] = "png"  # type: ignore[valid-type]
    size: Annotated[int, Meta(ge=64, le=4000, description="Lado final en píxeles; no combinar con scale.")] \
        | None = None
    scale: Annotated[int, Meta(ge=1, le=100, description="Píxeles por módulo (10 por defecto).")] | None = None
    border: Annotated[int, Meta(ge=0, le=20, description="Margen en módulos.")] = 4
    error_correction: Literal[tuple(LEVELS)] = "M"  # type: ignore[valid-type]
    foreground: Color = "#000000"
    background: Annotated[Color, Meta(description="'transparent' solo para png, webp y svg.")] = "#ffffff"
    filename: Annotated[str, Meta(max_length=200)] = "qr"


class QrTool(Tool):
    """Generate a QR code; capacity is checked before any money moves."""

    slug = "qr"
    aliases = ("crear-qr",)
    title = "Crear código QR"
    description = "Genera un código QR (PNG, SVG, JPEG o WebP) a partir de un texto o una URL."
    media_type = "image"
    measures = "characters"  # a per-1k_chars price counts the text
    resources = {"cpu": 1}  # one core: Pillow work that holds the GIL most of the run
    default_price = "0.002"  # USD per run; [prices.qr] overrides
    examples = (
        Example("qr", "qr: a PNG QR code of a URL (seed 000)", {"text": "https://noxus.lat", "output_format": "png"}),
        Example("qr", "qr: an SVG QR code, as form fields", {"text": "https://noxus.lat", "output_format": "svg"},
                form=True),
    )
    Params = QrParams

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        return float(len(params["text"]))

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Cross-field rules, capacity, then the output size: all 413s before any money moves.

        The side is known from the text alone (``best_fit`` picks the version
        without drawing), so ``scale: 100`` on a long text is refused here
        instead of rendering 18,900 × 18,900 px for a 40 Mpx tier.
        """
        errors = _field_errors(params)
        if errors:
            raise ValidationError.fields(errors)
        modules = _module_count(params)
        if params.get("size") is not None and params["size"] < modules:
            raise ValidationError.fields({"size": [
                t("qr.too_small_at_least", modules=modules)]})
        _check_output(params, modules, limits)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        params: QrParams = ctx.params
        code = _build(params)
        code.make(fit=True)
        # again here: the job row's limits are what the run must respect, whoever queued it
        _check_output(params, code.modules_count + 2 * params["border"], ctx.limits)
        ctx.progress(0.5, "render")
        fmt = params["output_format"]
        if fmt == "svg":
            data, side = _render_svg(code, params)
        else:
            data, side = _render_raster(code.get_matrix(), params)
        result = {"width": side, "height": side, "version": code.version,
                  "error_correction": params["error_correction"], "modules": code.modules_count}
        filename = sanitise_filename(params.get("filename"), EXTENSIONS[fmt], "qr")
        return ToolOutput(data, filename, MIMES[fmt], result)


def _over_capacity(params: dict[str, Any]) -> LimitExceeded:
    level = params["error_correction"]
    return LimitExceeded(details={
        "limit": "qr_capacity", "max_bytes": byte_capacity(level),
        "actual_bytes": len(params["text"].encode("utf-8")), "error_correction": level})


def _field_errors(params: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if params.get("size") is not None and params.get("scale") is not None:
        errors["size"] = [t("qr.use_size_or_scale")]
    if params["output_format"] == "jpeg":
        for name in ("foreground", "background"):
            if parse_color(params[name])[3] < 255:
                errors[name] = [t("qr.jpeg_has_no_transparency")]
    if parse_color(params["foreground"]) == parse_color(params["background"]):
        errors["foreground"] = [t("qr.must_differ_from_background")]
    return errors


def _module_count(params: dict[str, Any]) -> int:
    """Modules per side, border included, from the text alone; 413 ``qr_capacity`` if it cannot fit.

    Example: ``_module_count({"text": "hola", "error_correction": "M", "border": 4}) == 29``
    (version 1: 21 modules, plus 4 on each side).
    """
    if len(params["text"]) > MAX_CHARS:  # fits no QR in any mode: no need to encode it
        raise _over_capacity(params)
    try:
        version = _build(params).best_fit()
    except (qrcode.exceptions.DataOverflowError, ValueError):
        # qrcode 8.2 sets version 41 through a validating property before it
        # gets to raise DataOverflowError, so overflow arrives as ValueError.
        raise _over_capacity(params) from None
    return version * 4 + 17 + 2 * params["border"]


def output_side(params: dict[str, Any], modules: int) -> int:
    """The final side in px: ``size`` when given, else modules × ``scale`` (10 by default)."""
    return int(params.get("size") or modules * (params.get("scale") or 10))


def _check_output(params: dict[str, Any], modules: int, limits: Limits) -> None:
    """413 when the square output is over the tier's pixels or the format's side limit.

    SVG is checked too: its width/height are what a viewer rasterises. Its own
    side limit is none, so only the pixel rule applies to it.
    """
    side = output_side(params, modules)
    fmt = params["output_format"]
    images.check_output(side, side, images.FORMATS.get(fmt, _SVG), limits.max_image_pixels)


def _build(params: dict[str, Any]) -> qrcode.QRCode:
    code = qrcode.QRCode(version=None, error_correction=LEVELS[params["error_correction"]],
                         box_size=params.get("scale") or 10, border=params["border"])
    code.add_data(params["text"])
    return code


def _render_raster(matrix: list[list[bool]], params: dict[str, Any]) -> tuple[bytes, int]:
    """One pixel per module in a 2-colour palette, then NEAREST up to the final side."""
    modules = len(matrix)
    img = Image.frombytes("P", (modules, modules), bytes(v for row in matrix for v in row))
    background, foreground = parse_color(params["background"]), parse_color(params["foreground"])
    if _has_alpha(background, foreground):
        img.putpalette(bytes(background + foreground), rawmode="RGBA")
    else:  # no tRNS chunk at all for opaque codes
        img.putpalette(bytes(background[:3] + foreground[:3]), rawmode="RGB")
    side = output_side(params, modules)
    img = img.resize((side, side), Image.Resampling.NEAREST)
    fmt = params["output_format"]
    buffer = io.BytesIO()
    if fmt == "png":
        img.save(buffer, "PNG", optimize=True)
    elif fmt == "jpeg":
        # 4:4:4 and high quality: chroma subsampling smears coloured module edges.
        img.convert("RGB").save(buffer, "JPEG", quality=95, subsampling=0)
    else:
        img.convert("RGBA" if _has_alpha(background, foreground) else "RGB").save(
            buffer, "WEBP", lossless=True)
    return buffer.getvalue(), side


def _has_alpha(*colors: RGBA) -> bool:
    return any(c[3] < 255 for c in colors)


def _render_svg(code: qrcode.QRCode, params: dict[str, Any]) -> tuple[bytes, int]:
    """qrcode's single-path SVG with our colours; sized in px, scaling by viewBox."""
    factory = type("NoxusSvg", (qrcode.image.svg.SvgPathImage,), {
        "background": _svg_fill(parse_color(params["background"])),
        "QR_PATH_STYLE": _svg_path_style(parse_color(params["foreground"])),
    })
    image = code.make_image(image_factory=factory)
    side = output_side(params, len(code.get_matrix()))
    root = image.get_image()
    root.set("width", str(side))
    root.set("height", str(side))
    root.set("shape-rendering", "crispEdges")
    background = parse_color(params["background"])
    for rect in root.iter("rect"):
        rect.set("fill-opacity", _opacity(background))  # SVG 1.1 has no #rrggbbaa fills
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue(), side


def _svg_fill(color: RGBA) -> str | None:
    return None if color[3] == 0 else _hex(color)  # no background rect at all when transparent


def _hex(color: RGBA) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color[:3])


def _svg_path_style(color: RGBA) -> dict[str, str]:
    return {"fill": _hex(color), "fill-opacity": _opacity(color), "fill-rule": "nonzero", "stroke": "none"}


def _opacity(color: RGBA) -> str:
    return str(round(color[3] / 255, 3))
