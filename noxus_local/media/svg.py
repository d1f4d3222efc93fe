"""SVG to pixels for the image tools, with nothing outside the file ever read.

A stored SVG (an asset, or an upload) is drawn with resvg (``resvg-py``: a
Rust renderer in one self-contained wheel, no cairo or other system library;
CairoSVG needs libcairo). resvg has no network code, but it does read image
files named by path (``<image href="/etc/…png">``, or relative to the working
folder), so before drawing every ``href`` that is not a ``#fragment`` or an
embedded raster ``data:`` image is removed: the picture is drawn without it.
Text uses the fonts we ship (``media.fonts``), never the system's.

The size is read from the root element first and resvg is always told the
box to fit in, never more than the tier's pixels: an SVG that declares
100,000 × 100,000 px would otherwise abort the process (a 40 GB allocation).

Example::

    size_of(Path("logo.svg"))                           # (120, 40), CSS px
    img = rasterise(Path("logo.svg"), max_pixels=40_000_000, box=(600, 200))   # RGBA, 600 × 200
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from xml.etree.ElementTree import Element, tostring

import defusedxml.ElementTree as SafeET
import resvg_py
from defusedxml import DefusedXmlException
from PIL import Image

from noxus_local.errors import InvalidMedia
from noxus_local.locale import t
from noxus_local.media import fonts
from noxus_local.media.sniff import HEAD_BYTES, sniff

DEFAULT_SIDE = 100.0  # what a browser (and resvg) gives an SVG with no size and no viewBox
_LENGTH = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(px|pt|pc|mm|cm|in|em|ex|%)?\s*$", re.I)
_PX_PER = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0,
           "em": 16.0, "ex": 8.0}
_SAFE_DATA = re.compile(r"\s*data:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.I)
UNREADABLE = t("svg.unreadable")


def is_svg(path: Path) -> bool:
    """Whether the file is an SVG (by its bytes, as uploads are sniffed)."""
    with open(path, "rb") as fh:
        found = sniff(fh.read(HEAD_BYTES))
    return found is not None and found.extension == "svg"


def size_of(path: Path) -> tuple[int, int]:
    """The size in CSS pixels the root element declares (``width``/``height``, else its viewBox)."""
    return _size(_root(path))


def rasterise(path: Path, max_pixels: int, box: tuple[int, int] | None = None) -> Image.Image:
    """Draw the SVG to an RGBA image fitting ``box`` (its own size by default), aspect kept.

    A box past ``max_pixels`` is shrunk to fit it: a vector can be drawn at
    any size, so what it declares never allocates more than the tier allows
    (an output of that size is refused by the tool, ``images.check_output``).
    """
    root = _root(path)
    box_w, box_h = _bounded(box or _size(root), max_pixels)
    _drop_external(root)
    try:
        png = resvg_py.svg_to_bytes(svg_string=tostring(root, encoding="unicode"), width=box_w, height=box_h,
                                    skip_system_fonts=True, font_files=_font_files(),
                                    font_family=fonts.DEFAULT_FAMILY, sans_serif_family=fonts.DEFAULT_FAMILY)
    except (ValueError, RuntimeError, OSError):
        raise InvalidMedia(UNREADABLE, details={"reason": "svg_unrenderable"}) from None
    img = Image.open(io.BytesIO(png))
    img.load()
    return img.convert("RGBA")


def _root(path: Path) -> Element:
    try:
        return SafeET.parse(path).getroot()
    except (SafeET.ParseError, DefusedXmlException, ValueError, OSError):
        raise InvalidMedia(UNREADABLE, details={"reason": "svg_invalid"}) from None


def _size(root: Element) -> tuple[int, int]:
    view = _view_box(root.get("viewBox"))
    width = _length(root.get("width"), view[0] if view else None)
    height = _length(root.get("height"), view[1] if view else None)
    if view and root.get("width") is None and root.get("height") is not None:
        width = height * view[0] / view[1]  # one side given: the other follows the viewBox's aspect
    if view and root.get("height") is None and root.get("width") is not None:
        height = width * view[1] / view[0]
    if not (0 < width < 1e9 and 0 < height < 1e9):
        raise InvalidMedia(UNREADABLE, details={"reason": "svg_invalid_size"})
    return max(1, math.ceil(width)), max(1, math.ceil(height))


def _length(value: str | None, fallback: float | None) -> float:
    """``"2in"`` → 192.0; missing or a percentage → the viewBox's side (percent of it), else 100."""
    found = _LENGTH.match(value or "")
    base = fallback if fallback is not None else DEFAULT_SIDE
    if found is None:
        return base
    number, unit = float(found.group(1)), (found.group(2) or "").lower()
    return base * number / 100 if unit == "%" else number * _PX_PER[unit]


def _view_box(value: str | None) -> tuple[float, float] | None:
    parts = re.split(r"[\s,]+", (value or "").strip())
    try:
        width, height = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def _bounded(box: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    scale = min(1.0, math.sqrt(max_pixels / (box[0] * box[1])))
    return max(1, math.floor(box[0] * scale)), max(1, math.floor(box[1] * scale))


def _drop_external(root: Element) -> None:
    """Remove every link resvg could follow to a file: only ``#id`` and embedded raster images stay."""
    for element in root.iter():
        for name in [n for n in element.attrib if n.rsplit("}", 1)[-1].lower() == "href"]:
            value = element.attrib[name].strip()
            if not (value.startswith("#") or _SAFE_DATA.match(value)):
                del element.attrib[name]


def _font_files() -> list[str]:
    """Every font file we ship (a few MB at most): text draws the same on every machine."""
    return [str(face.path) for family in fonts.FAMILIES for face in _faces(family)]


def _faces(family: str) -> list[fonts.FontFace]:
    try:
        return fonts.faces(family)
    except fonts.FontMissing:
        return []
