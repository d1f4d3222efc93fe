"""Seed 003's CTA end-card designs: ``GET /api/v1/cta-designs`` and each design's rendered preview.

The eight ``ctaDesign`` layouts of products/end_cards.py, listed with a preview URL; a preview is drawn on
request with a sample name, the default CTA and ``gradientColor``. Errors in seed 003's shape (ad_routes.py).

Example::

    curl http://127.0.0.1:8080/api/v1/cta-designs -H "Authorization: Bearer $KEY"
    curl -o neon.png "http://127.0.0.1:8080/api/v1/cta-designs/neon/preview?aspectRatio=16:9" \\
      -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, get
from litestar.params import FromPath

from noxus_local.api.ad_routes import HEX, seed_answer
from noxus_local.api.auth import require_principal
from noxus_local.api.envelope import encode, raw_response
from noxus_local.errors import NotFound, ValidationError
from noxus_local.products.end_cards import DESIGNS

PREVIEW_SIZES = {"9:16": (360, 640), "16:9": (640, 360)}


@get("/api/v1/cta-designs")
async def cta_designs(request: Request[Any, Any, Any]) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        await require_principal(request)
        return raw_response(encode({"designs": [
            {"id": d, "name": d.title(), "previewUrl": f"/api/v1/cta-designs/{d}/preview"} for d in DESIGNS]}))

    return await seed_answer(request, answer)


@get("/api/v1/cta-designs/{design:str}/preview")
async def cta_preview(request: Request[Any, Any, Any], design: FromPath[str]) -> Response[bytes]:
    """One design rendered with a sample name, the default CTA and an accent: a PNG to choose from."""
    async def answer() -> Response[bytes]:
        await require_principal(request)
        if design not in DESIGNS:
            raise NotFound(details={"design": design[:40], "designs": list(DESIGNS)})
        aspect = request.query_params.get("aspectRatio", "9:16")
        colour = request.query_params.get("gradientColor", "#FF5500")
        errors = {}
        if aspect not in PREVIEW_SIZES:
            errors["aspectRatio"] = ["Must be one of: 9:16, 16:9"]
        if not HEX.fullmatch(colour):
            errors["gradientColor"] = ["Must be a hex colour such as #FF5500"]
        if errors:
            raise ValidationError.fields(errors)
        png = await to_thread.run_sync(_preview, design, PREVIEW_SIZES[aspect], colour)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    return await seed_answer(request, answer)


def _preview(design: str, size: tuple[int, int], colour: str) -> bytes:
    import io

    from noxus_local.products.end_cards import render_end_card

    buffer = io.BytesIO()
    render_end_card(design, size[0], size[1], "Your Brand", "", None, colour, "en").save(buffer, "PNG")
    return buffer.getvalue()


HANDLERS = [cta_designs, cta_preview]
