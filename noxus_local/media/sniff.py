"""What a file really is, from its bytes: never from its name or the client's content type.

Binary formats are recognised by their magic bytes with the ``filetype``
package (pure Python, no libmagic; ``puremagic`` was the alternative, but
``filetype`` answers one MIME type per format, where puremagic returns ranked
guesses we would have to pick from, and its table covers every format we
accept: PNG, JPEG, WebP, MP3, WAV, OGG, AAC, M4A, MP4, MOV, WebM, MKV, AVI).
SVG is text, so no magic bytes: it is recognised by its root element and
then parsed with ``defusedxml`` (no entity expansion, no external entities)
and refused when it carries scripts, event handlers or references to
anything outside the file: an SVG served from our origin is a web page.

Example::

    sniff_file(Path("logo.png"))          # Sniffed(kind='image', mime='image/png', extension='png')
    sniff_file(Path("notes.txt"))         # None
    check_svg(Path("evil.svg"))           # InvalidMedia: script
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import filetype
from defusedxml import DefusedXmlException

from noxus_local.errors import InvalidMedia
from noxus_local.locale import t
from noxus_local.media import css

HEAD_BYTES = 8192

# extension (filetype's) → (kind, the MIME type we serve it with)
ACCEPTED: dict[str, tuple[str, str]] = {
    "png": ("image", "image/png"), "jpg": ("image", "image/jpeg"), "webp": ("image", "image/webp"),
    "mp3": ("audio", "audio/mpeg"), "wav": ("audio", "audio/wav"), "ogg": ("audio", "audio/ogg"),
    "aac": ("audio", "audio/aac"), "m4a": ("audio", "audio/mp4"),
    "mp4": ("video", "video/mp4"), "m4v": ("video", "video/mp4"), "mov": ("video", "video/quicktime"),
    "webm": ("video", "video/webm"), "mkv": ("video", "video/x-matroska"), "avi": ("video", "video/x-msvideo"),
}
_SVG_ROOT = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]", re.S | re.I)
_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_REFUSED_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
# SMIL elements that set another attribute over time: <set attributeName="href" to="javascript:…">
# turns a safe link into a script once the file is open, and an on* target adds a handler
_ANIMATION_TAGS = {"animate", "set", "animateTransform", "animateMotion", "animateColor"}


@dataclass(frozen=True)
class Sniffed:
    kind: str        # image | audio | video
    mime: str
    extension: str


def sniff_file(path: Path) -> Sniffed | None:
    """The accepted media type of the file at ``path``, or None for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    return sniff(head)


def sniff(head: bytes) -> Sniffed | None:
    """Like ``sniff_file`` on a file's first bytes (8 KB is enough for every format here)."""
    if _SVG_ROOT.match(head.removeprefix(b"\xef\xbb\xbf")):
        return Sniffed("image", "image/svg+xml", "svg")
    guess = filetype.guess(head)
    if guess is None or guess.extension not in ACCEPTED:
        return None
    kind, mime = ACCEPTED[guess.extension]
    return Sniffed(kind, mime, guess.extension)


def check_svg(path: Path) -> None:
    """Refuse an SVG that could run code or load anything: scripts, ``on*`` handlers, external links.

    Refused rather than sanitised: a sanitiser (e.g. ``bleach``) is built for
    HTML and would silently change a logo; an honest 400 tells the user what
    to fix. Internal references (``href="#grad"``) and embedded ``data:``
    images are kept.
    """
    try:
        root = SafeET.parse(path).getroot()
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise InvalidMedia(t("sniff.svg_not_valid_xml"),
                           details={"reason": "svg_invalid"}) from None
    for element in root.iter():
        _check_element(element)


def _check_element(element: Element) -> None:
    tag = element.tag.removeprefix(_SVG_NS) if isinstance(element.tag, str) else ""
    if tag in _REFUSED_TAGS:
        _unsafe("svg_script", f"<{tag}>")
    if tag in _ANIMATION_TAGS:
        _check_animation(tag, element.get("attributeName", ""))
    for name, value in element.attrib.items():
        local = name.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            _unsafe("svg_script", f"{local}=")
        if (name == _XLINK_HREF or local == "href") and not _internal(value):
            _unsafe("svg_external_reference", f"{local}={value[:80]}")
        elif (found := css.dangerous(value)) is not None:  # style="…" and fill="url(…)" alike
            _unsafe("svg_external_reference", f"{local}=\"{found}\"")
    if tag == "style" and (found := css.dangerous("".join(element.itertext()))) is not None:
        _unsafe("svg_external_reference", f"<style> {found}")


def _check_animation(tag: str, target: str) -> None:
    """Refuse an animation whose target is a link (``href``, ``xlink:href``) or an ``on*`` handler."""
    name = target.strip().lower().rsplit(":", 1)[-1]
    if name == "href" or name.startswith("on"):
        _unsafe("svg_script", f"<{tag} attributeName=\"{target.strip()[:40]}\">")


def _internal(href: str) -> bool:
    value = href.strip().lower()
    return value.startswith("#") or value.startswith("data:image/")


def _unsafe(reason: str, what: str) -> None:
    raise InvalidMedia(t("sniff.svg_contains_scripts_external", what=what),
                       details={"reason": reason})
