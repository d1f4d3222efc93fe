"""The engine's image, checked before anyone uses it: decoded with Pillow, PNG or JPEG, bounded in size.

An engine is outside our control, so its bytes are hostile until they decode:
SVG is refused (it is a document, not pixels), the header's size is checked
before decoding (a 50,000 px PNG of a few KB never expands), every pixel is
decoded once (a truncated file fails here, not in ffmpeg), and WebP, which
some servers answer, is re-encoded to PNG. The file then takes its final,
deterministic name, so the same request lands on the same path.

Example::

    keep(spec, Path("work/.generated-1a2b"), Path("work/comfy-5f0c….png"))   # Path("work/comfy-5f0c….png")
"""

from __future__ import annotations

import os
from pathlib import Path

from noxus_local.errors import InvalidMedia, LimitExceeded
from noxus_local.generators.base import GeneratorSpec
from noxus_local.locale import t
from noxus_local.media.images import DECODE_ERRORS, open_image
from noxus_local.media.sniff import sniff_file

MIN_SIDE = 16
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
KEPT = {"PNG": ".png", "JPEG": ".jpg"}


def keep(spec: GeneratorSpec, raw: Path, final: Path) -> Path:
    """``raw`` checked and moved to ``final`` with its format's suffix; ``raw`` is gone either way."""
    try:
        return _keep(spec, raw, final)
    finally:
        raw.unlink(missing_ok=True)


def _keep(spec: GeneratorSpec, raw: Path, final: Path) -> Path:
    if raw.stat().st_size > spec.settings.max_bytes:
        raise _too_large(spec)
    sniffed = sniff_file(raw)
    if sniffed is None or sniffed.kind != "image" or sniffed.extension == "svg":
        raise _garbage(spec)
    try:
        img = open_image(raw, MAX_PIXELS)
    except LimitExceeded:
        raise _too_large(spec) from None
    except InvalidMedia:
        raise _garbage(spec) from None
    with img:
        _check_size(spec, img.width, img.height)
        try:
            img.load()
        except DECODE_ERRORS:
            raise _garbage(spec) from None
        if img.format in KEPT:
            target = final.with_suffix(KEPT[img.format])
            os.replace(raw, target)
            return target
        if img.format != "WEBP":
            raise _garbage(spec)
        target = final.with_suffix(".png")
        img.save(target, "PNG")
        return target


def _check_size(spec: GeneratorSpec, width: int, height: int) -> None:
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise spec.fail("engine_garbage", t("generators_image.image_outside_px", width=width, height=height,
                                            min_side=MIN_SIDE, max_side=MAX_SIDE))


def _garbage(spec: GeneratorSpec) -> Exception:
    return spec.fail("engine_garbage", t("generators_image.its_answer_not_valid"))


def _too_large(spec: GeneratorSpec) -> Exception:
    limit = spec.settings.max_bytes
    return spec.fail("engine_too_large", t("generators_image.image_over_bytes_or", limit=limit, max_pixels=MAX_PIXELS))
