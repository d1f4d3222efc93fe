"""Pillow helpers shared by the image tools: open safely, orient, resize, save.

Every upload is hostile until its header says otherwise: ``probe`` reads only
the header, so a 50,000 × 50,000 PNG that compresses to a few KB is refused
before a single pixel is decoded::

    info = probe(path, max_pixels=limits.max_image_pixels)   # LimitExceeded / InvalidMedia
    img = orient(decode(open_image(path, max_pixels=limits.max_image_pixels)))
    img = resize(img, plan_size(img.size, 800, None, "contain"), "contain")
    data = save([Frame(img, 0)], FORMATS["webp"], quality=85)
"""

from __future__ import annotations

import io
import math
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageColor, ImageOps, ImageSequence, UnidentifiedImageError

from noxus_local.errors import InvalidMedia, LimitExceeded
from noxus_local.locale import t
from noxus_local.media import svg

Fit = Literal["contain", "cover", "fill"]
RGBA = tuple[int, int, int, int]

ORIENTATION_TAG = 0x0112
ICO_MAX_SIDE = 256
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Resize in two steps (integer reduce, then LANCZOS) past this ratio: much
# faster on big downscales and visually the same.
REDUCING_GAP = 3.0
# Errors Pillow raises for files that are not images, are cut short or lie in
# their headers; all of them mean "bad upload", never "server bug".
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                 IndexError, struct.error, ZeroDivisionError)
INVALID_IMAGE = t("images.invalid_image")


@dataclass(frozen=True)
class OutputFormat:
    """How one target format is written and what it can hold."""

    name: str
    pil: str
    ext: str
    mime: str
    alpha: bool
    animated: bool = False
    exif: bool = False
    modes: frozenset[str] = frozenset({"RGB", "RGBA"})
    # the encoder's own ceiling per side; past it Pillow raises mid-encode (a 500 otherwise)
    max_side: int = 2**31 - 1


FORMATS: dict[str, OutputFormat] = {f.name: f for f in (
    OutputFormat("png", "PNG", "png", "image/png", True, exif=True,
                 modes=frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})),
    OutputFormat("jpeg", "JPEG", "jpg", "image/jpeg", False, exif=True, modes=frozenset({"L", "RGB"}),
                 max_side=65_500),  # libjpeg's JPEG_MAX_DIMENSION
    OutputFormat("webp", "WEBP", "webp", "image/webp", True, animated=True, exif=True,
                 max_side=16_383),  # libwebp's WEBP_MAX_DIMENSION
    OutputFormat("gif", "GIF", "gif", "image/gif", True, animated=True,
                 modes=frozenset({"1", "L", "P", "RGB", "RGBA"}), max_side=65_535),  # 16-bit fields
    OutputFormat("bmp", "BMP", "bmp", "image/bmp", False, modes=frozenset({"1", "L", "P", "RGB"})),
    OutputFormat("tiff", "TIFF", "tiff", "image/tiff", True, exif=True,
                 modes=frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})),
    OutputFormat("ico", "ICO", "ico", "image/x-icon", True, modes=frozenset({"RGBA"})),
    OutputFormat("avif", "AVIF", "avif", "image/avif", True, exif=True, max_side=65_536),  # libavif
)}


@dataclass(frozen=True)
class ImageInfo:
    """What the header says, with width/height as displayed (EXIF rotation applied)."""

    format: str
    width: int
    height: int


@dataclass
class Frame:
    """One frame to write; ``duration`` in ms (0 for still images)."""

    image: Image.Image
    duration: int


def parse_color(value: str) -> RGBA:
    """``"#ff000080"`` → ``(255, 0, 0, 128)``; colours arrive normalised by the Tool layer."""
    rgba = ImageColor.getrgb(value)
    return (rgba[0], rgba[1], rgba[2], rgba[3] if len(rgba) == 4 else 255)


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image (or a planned output) larger than the caller's pixel limit."""
    if width * height > max_pixels:
        raise LimitExceeded(details={"limit": "max_image_pixels", "max": max_pixels,
                                     "actual": width * height})


def check_output(width: int, height: int, fmt: OutputFormat, max_pixels: int) -> None:
    """Refuse a planned output over the tier's pixels or the encoder's side limit, before rendering.

    Example: a 18,900 px square QR as WebP fails both; the pixel limit is
    reported first because it is the one the caller's tier can change::

        check_output(18_900, 18_900, FORMATS["webp"], 40_000_000)  # LimitExceeded max_image_pixels
        check_output(16_384, 100, FORMATS["webp"], 40_000_000)     # LimitExceeded max_image_side
    """
    check_pixels(width, height, max_pixels)
    if max(width, height) > fmt.max_side:
        raise LimitExceeded(details={"limit": "max_image_side", "format": fmt.name,
                                     "max": fmt.max_side, "actual": max(width, height)})


def open_image(path: Path, max_pixels: int, svg_box: tuple[int, int] | None = None) -> Image.Image:
    """Open lazily (header only) and refuse oversized images before any decoding.

    An SVG is drawn here (``media.svg``: nothing outside the file is read), at
    its own size or to fit ``svg_box``, and comes back with ``format == "SVG"``.

    Pillow's own bomb guard fires at twice its global ``MAX_IMAGE_PIXELS``
    (~179 MP) whatever our limit is; that is an absolute ceiling here too. Its
    warning (above ~89 MP) is only an error where warnings are made errors;
    ``warnings.catch_warnings`` is not used because it is not thread-safe.
    """
    if svg.is_svg(path):
        drawn = svg.rasterise(path, max_pixels, svg_box)
        drawn.format = "SVG"
        return drawn
    try:
        img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        details: dict[str, Any] = {"limit": "max_image_pixels", "max": max_pixels}
        if found:
            details["actual"] = int(found.group(1))
        raise LimitExceeded(details=details) from None
    except DECODE_ERRORS:
        raise InvalidMedia(INVALID_IMAGE) from None
    try:
        check_pixels(img.width, img.height, max_pixels)
    except LimitExceeded:
        img.close()
        raise
    return img


def probe(path: Path, max_pixels: int) -> ImageInfo:
    """Format and displayed size from the header alone; cheap enough for ``Tool.check``."""
    if svg.is_svg(path):
        return ImageInfo("SVG", *svg.size_of(path))  # a vector: only what is drawn counts (check_output)
    with open_image(path, max_pixels) as img:
        return ImageInfo(img.format or "", *displayed_size(img))


def displayed_size(img: Image.Image) -> tuple[int, int]:
    """``img.size`` as a viewer shows it: EXIF orientations 5–8 swap width and height."""
    return (img.height, img.width) if _orientation(img) in (5, 6, 7, 8) else img.size


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(ORIENTATION_TAG, 1))
    except DECODE_ERRORS:
        return 1  # a broken EXIF block must not sink an otherwise good image


def draft_for(img: Image.Image, out_size: tuple[int, int], fit: Fit) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the output is that much smaller.

    This is the big win on phone photos: a 48 MP JPEG shrunk to 1600 px wide
    decodes ~16× fewer pixels. ``out_size`` is in displayed orientation.
    """
    if img.format != "JPEG":
        return
    src_w, src_h = img.size
    if _orientation(img) in (5, 6, 7, 8):
        out_size = (out_size[1], out_size[0])
    if fit == "cover":
        scale = max(out_size[0] / src_w, out_size[1] / src_h)
        out_size = (math.ceil(src_w * scale), math.ceil(src_h * scale))
    if out_size[0] < src_w and out_size[1] < src_h:
        img.draft("RGB", out_size)


def decode(img: Image.Image) -> Image.Image:
    """Force decoding now so a truncated or corrupt body becomes ``InvalidMedia`` here."""
    try:
        img.load()
    except DECODE_ERRORS:
        raise InvalidMedia(INVALID_IMAGE) from None
    return img


def orient(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation so phone photos are the right way up, and drop the tag.

    Upright images (no tag, or orientation 1) come back as they are:
    ``exif_transpose`` would copy them (36 MB for a 12 MP photo) for nothing.
    """
    try:
        if img.getexif().get(ORIENTATION_TAG, 1) == 1:
            return img
        return ImageOps.exif_transpose(img)
    except DECODE_ERRORS:
        return img


def frames(img: Image.Image) -> Iterator[Frame]:
    """Every frame of an animation as an independent RGBA image with its duration."""
    for frame in ImageSequence.Iterator(img):
        try:
            rgba = frame.convert("RGBA")
        except DECODE_ERRORS:
            raise InvalidMedia(INVALID_IMAGE) from None
        yield Frame(rgba, int(frame.info.get("duration", 100) or 100))


def plan_size(src: tuple[int, int], width: int | None, height: int | None, fit: Fit) -> tuple[int, int]:
    """Output size for a resize request; either side may be missing (aspect kept).

    Example: ``plan_size((4000, 3000), 800, None, "contain") == (800, 600)``;
    ``plan_size((4000, 3000), 800, 800, "cover") == (800, 800)``.
    """
    src_w, src_h = src
    if width is None and height is None:
        return src
    if width is None or height is None:
        scale = width / src_w if width is not None else height / src_h  # type: ignore[operator]
        return (width or max(1, round(src_w * scale)), height or max(1, round(src_h * scale)))
    if fit == "contain":
        scale = min(width / src_w, height / src_h)
        return (max(1, round(src_w * scale)), max(1, round(src_h * scale)))
    return (width, height)


def resize(img: Image.Image, size: tuple[int, int], fit: Fit) -> Image.Image:
    """Resize to exactly ``size``; ``cover`` crops the centre to the target's aspect first."""
    if img.size == size:
        return img
    if img.mode in ("1", "P", "PA"):
        img = img.convert("RGBA" if img.has_transparency_data else "RGB")
    box = _cover_box(img.size, size) if fit == "cover" else None
    return img.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)


def _cover_box(src: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    scale = max(size[0] / src[0], size[1] / src[1])
    crop_w, crop_h = size[0] / scale, size[1] / scale
    left, top = (src[0] - crop_w) / 2, (src[1] - crop_h) / 2
    return (left, top, left + crop_w, top + crop_h)


def fit_ico(img: Image.Image) -> Image.Image:
    """ICO holds at most 256 × 256: shrink to fit, keeping the aspect."""
    if img.width <= ICO_MAX_SIDE and img.height <= ICO_MAX_SIDE:
        return img
    return resize(img, plan_size(img.size, ICO_MAX_SIDE, ICO_MAX_SIDE, "contain"), "contain")


def flatten(img: Image.Image, background: RGBA) -> Image.Image:
    """Composite onto an opaque colour: JPEG and BMP have no alpha channel."""
    base = Image.new("RGB", img.size, background[:3])
    base.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
    return base


def to_mode(img: Image.Image, fmt: OutputFormat, background: RGBA) -> Image.Image:
    """A mode the target can write, keeping alpha where it can and flattening where not."""
    if img.mode == "P" and isinstance(img.info.get("transparency"), bytes):
        img = img.convert("RGBA")  # per-entry palette alpha (PNG tRNS): GIF and others choke on it
    alpha = img.has_transparency_data
    if alpha and not fmt.alpha:
        return flatten(img, background)
    if img.mode in fmt.modes:
        return img
    if alpha or fmt.name == "ico":
        return img.convert("RGBA")
    return img.convert("RGB")


def save(frames: Sequence[Frame], fmt: OutputFormat, *, quality: int = 85, lossless: bool = False,
         exif: bytes | None = None, icc_profile: bytes | None = None, loop: int = 0) -> bytes:
    """Encode one still or an animation (webp/gif) to bytes; metadata only what is passed in."""
    first = frames[0].image
    for frame in frames:
        _clean_info(frame.image)
    options = _options(fmt, first, quality=quality, lossless=lossless)
    if exif and fmt.exif:
        options["exif"] = exif
    if icc_profile:
        options["icc_profile"] = icc_profile
    if len(frames) > 1:
        options.update(save_all=True, append_images=[f.image for f in frames[1:]],
                       duration=[f.duration for f in frames], loop=loop)
    buffer = io.BytesIO()
    first.save(buffer, fmt.pil, **options)
    return buffer.getvalue()


def _clean_info(img: Image.Image) -> None:
    # Pillow copies .info through convert/resize and some encoders read it
    # (PNG's ICC, JPEG's comment, TIFF's compression): keep only transparency.
    keep = {k: img.info[k] for k in ("transparency",) if k in img.info}
    img.info.clear()
    img.info.update(keep)


def _options(fmt: OutputFormat, img: Image.Image, *, quality: int, lossless: bool) -> dict[str, Any]:
    if fmt.name == "jpeg":
        return {"quality": quality, "optimize": True}
    if fmt.name == "webp":
        return {"quality": 100 if lossless else quality, "lossless": lossless, "method": 4}
    if fmt.name == "avif":
        return {"quality": quality}
    if fmt.name == "gif":
        return {"disposal": 2, "optimize": False}
    if fmt.name == "ico":
        side = max(img.size)
        return {"sizes": [(s, s) for s in ICO_SIZES if s < side] + [img.size]}
    if fmt.name == "tiff":
        return {"compression": "tiff_adobe_deflate"}
    return {}
