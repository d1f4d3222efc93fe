"""Seed 003's CTA end-card designs: ``GET /api/v1/cta-designs`` and each design's rendered preview.

The eight ``ctaDesign`` layouts of products/end_cards.py, listed with a preview URL; a preview is drawn on
request with a sample name, the default CTA and ``gradientColor``. Errors in seed 003's shape
(``ad_routes.SEED``), for the key too: the handlers' own ``exception_handlers`` render any
``NoxusError``, the principal's included, the seed's way.

Example::

    curl http://127.0.0.1:8080/api/v1/cta-designs -H "Authorization: Bearer $KEY"
    curl -o neon.png "http://127.0.0.1:8080/api/v1/cta-designs/neon/preview?aspectRatio=16:9" \\
      -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

from anyio import to_thread
from litestar import Response, get
from litestar.openapi.spec import Example
from litestar.params import PathParameter
from msgspec import Struct

from noxus_local.api.ad_routes import HEX, SEED, SEED_DEPS, seed_docs
from noxus_local.api.deps import PrincipalDep
from noxus_local.api.docs import AUTH_ERRORS, Binary, operation, text_param
from noxus_local.errors import NotFound, ValidationError
from noxus_local.products.end_cards import DESIGNS

TAG = "Video ads"
PREVIEW_SIZES = {"9:16": (360, 640), "16:9": (640, 360)}
DesignId = Literal["minimal", "bold", "gradient", "split", "glass", "neon", "editorial", "brutalist"]
DESIGN = Annotated[str, PathParameter(description="A design `id` of the list (another word: 404 listing them)",
                                      examples=[Example(value="neon")])]
ERRORS = ("validation_error", "not_found", *AUTH_ERRORS)


class CtaDesign(Struct, kw_only=True):
    id: DesignId
    name: str
    previewUrl: str  # noqa: N815 - seed 003's name


class CtaDesigns(Struct, kw_only=True):
    """Seed 003's list: no envelope."""

    designs: list[CtaDesign]


@get("/api/v1/cta-designs", exception_handlers=SEED, dependencies=SEED_DEPS, **operation(
    "listCtaDesigns", TAG, "The eight CTA end-card designs", "Each `ctaDesign` with a URL of its rendered preview.",
    ok=(CtaDesigns, {"ok": {"designs": [{"id": "bold", "name": "Bold",
                                         "previewUrl": "/api/v1/cta-designs/bold/preview"}]}}),
    **seed_docs(AUTH_ERRORS)))
async def cta_designs(principal: PrincipalDep) -> CtaDesigns:
    """The designs; the key is checked (``principal``) though the list is the same for every account."""
    return CtaDesigns(designs=[CtaDesign(id=d, name=d.title(), previewUrl=f"/api/v1/cta-designs/{d}/preview")
                               for d in DESIGNS])  # type: ignore[arg-type]


@get("/api/v1/cta-designs/{design:str}/preview", exception_handlers=SEED, dependencies=SEED_DEPS,
     **operation(
    "getCtaPreview", TAG, "A design's preview (PNG)",
    "The design drawn with a sample name (\"Your Brand\"), the default CTA and `gradientColor`, 360×640 (9:16) "
    "or 640×360 (16:9). An unknown design is 404 listing the designs.",
    ok=(Binary, {}), ok_media="image/png", **seed_docs(ERRORS, {"aspectRatio": ["Must be one of: 9:16, 16:9"]})))
async def cta_preview(principal: PrincipalDep, design: DESIGN,
                      aspectRatio: Annotated[str | None, text_param(  # noqa: N803 - seed 003's name
                          "", enum=list(PREVIEW_SIZES), default="9:16")] = None,
                      gradientColor: Annotated[str | None, text_param(  # noqa: N803
                          "", pattern="^#[0-9A-Fa-f]{6}$", default="#FF5500")] = None) -> Response[bytes]:
    """One design rendered with a sample name, the default CTA and an accent: a PNG to choose from."""
    if design not in DESIGNS:
        raise NotFound(details={"design": design[:40], "designs": list(DESIGNS)})
    aspect = "9:16" if aspectRatio is None else aspectRatio
    colour = "#FF5500" if gradientColor is None else gradientColor
    errors = {}
    if aspect not in PREVIEW_SIZES:
        errors["aspectRatio"] = ["Must be one of: 9:16, 16:9"]
    if not HEX.fullmatch(colour):
        errors["gradientColor"] = ["Must be a hex colour such as #FF5500"]
    if errors:
        raise ValidationError.fields(errors)
    png = await to_thread.run_sync(_preview, design, PREVIEW_SIZES[aspect], colour)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _preview(design: str, size: tuple[int, int], colour: str) -> bytes:
    from noxus_local.products.end_cards import render_end_card

    buffer = io.BytesIO()
    render_end_card(design, size[0], size[1], "Your Brand", "", None, colour, "en").save(buffer, "PNG")
    return buffer.getvalue()


HANDLERS = [cta_designs, cta_preview]
