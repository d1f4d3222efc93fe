"""Output file names built from what a caller typed, made safe for any disk.

A caller's ``filename`` ends up in a download header and, on the desktop
build, on the user's disk, so it must never carry a path, a control character
or a misleading extension::

    >>> sanitise_filename("../../fotos/Mi foto.PNG", "webp", "imagen")
    'Mi-foto.webp'
    >>> sanitise_filename(None, ".png", "qr")
    'qr.png'
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM_CHARS = 100

# Extensions dropped from a caller's name before ours is appended, so that
# "logo.png" converted to WebP becomes "logo.webp" and not "logo.png.webp".
IMAGE_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "jpe", "jfif", "webp", "gif", "bmp", "dib", "tif", "tiff",
    "ico", "avif", "heic", "heif", "svg", "apng",
})

# Windows refuses these as file names whatever the extension.
_RESERVED = frozenset({"con", "prn", "aux", "nul"}
                      | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)})
_ALLOWED = re.compile(r"[^\w.\-]", re.UNICODE)


def sanitise_filename(name: str | None, ext: str, default: str) -> str:
    """A bare, safe file name: ``stem.ext``, falling back to ``default`` when nothing is left.

    Example: ``sanitise_filename("C:\\\\x\\\\informe final.jpg", "png", "out") == "informe-final.png"``;
    a name with nothing usable left (``"../.."``) gives ``"out.png"``.
    """
    stem = _clean_stem(name or "") or _clean_stem(default) or "file"
    return f"{stem}.{ext.lstrip('.').lower()}"


def _clean_stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = unicodedata.normalize("NFC", base.strip())
    base = re.sub(r"\s+", "-", base)
    base = _ALLOWED.sub("", base)
    base = re.sub(r"-{2,}", "-", base).lstrip(".")
    stem, dot, ext = base.rpartition(".")
    if dot and stem and ext.lower() in IMAGE_EXTENSIONS:
        base = stem
    base = base[:MAX_STEM_CHARS].rstrip(". -")
    if base.lower() in _RESERVED:
        base += "_"
    return base
