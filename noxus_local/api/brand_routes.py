"""Brand profiles (issue 24): an account's saved brand kits, reused by instant-ad's ``brand_profile_id``.

``POST /api/v1/brand-profiles`` takes ``name``, ``colors`` (1-5 ``#rrggbb``), ``logo_url`` and/or a
``website_url`` whose page is fetched now (the SSRF guard, HTML only, ``[assets] fetch_max_page_mb``,
one of the fetch slots) and read for its brand name, colours and logo; explicit fields win over the
page's. Saving one runs no tool and costs nothing. ``GET`` lists them, ``GET/DELETE …/{id}`` one
(another account's id is a 404).

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/brand-profiles -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' -d '{"website_url": "https://shop.example/glow-mug"}'
    201 {"success": true, "brand_profile": {"id": "brand_…", "name": "Acme Home", "colors": ["#1d6fd8"], ...}}
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from noxus_local.accounts.brand_profiles import BrandProfileStore, check_colours, view
from noxus_local.api.auth import require_principal, require_scope
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import json_response
from noxus_local.api.inputs import json_object
from noxus_local.errors import Text, ValidationError
from noxus_local.net.fetch import FetchPolicy
from noxus_local.net.ssrf import MAX_URL_LENGTH
from noxus_local.node.services import Services
from noxus_local.web.brand import BrandKit, kit_of
from noxus_local.web.fetch import fetch_html_async
from noxus_local.web.page import read_page

FIELDS = ("name", "colors", "logo_url", "website_url")
MB = 1024 * 1024


@get("/api/v1/brand-profiles")
async def list_profiles(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = await require_principal(request)
    rows = await to_thread.run_sync(BrandProfileStore(services_of(request).db).all, principal.account_id)
    return json_response(request, {"brand_profiles": [view(r) for r in rows]})


@post("/api/v1/brand-profiles", status_code=201)
async def create_profile(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A brand kit from explicit fields and/or a page; 201 with the profile."""
    principal = await require_principal(request)
    require_scope(principal, "tools:run")
    svc = services_of(request)
    body = json_object(await request.body())
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ValidationError.fields({k[:100]: [Text("campo desconocido", "unknown field")] for k in unknown[:10]})
    url = _text(body, "website_url", MAX_URL_LENGTH)
    kit = await _page_kit(svc, url) if url else BrandKit()
    name = _text(body, "name", 100)
    if name is not None and not name.strip():
        raise ValidationError.fields({"name": [Text("no puede estar vacío", "must not be empty")]})
    if name:
        kit = replace(kit, name=name)
    if "colors" in body:
        kit = replace(kit, colours=check_colours(body["colors"]))
    logo = _text(body, "logo_url", MAX_URL_LENGTH)
    if logo is not None:
        if not logo.lower().startswith(("http://", "https://")):
            raise ValidationError.fields({"logo_url": [Text("una URL http(s)", "an http(s) URL")]})
        kit = replace(kit, logo_url=logo)
    row = await to_thread.run_sync(BrandProfileStore(svc.db).create, principal.account_id, kit, url or "")
    return json_response(request, {"brand_profile": view(row)}, status=201)


@get("/api/v1/brand-profiles/{profile_id:str}")
async def show_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[bytes]:
    principal = await require_principal(request)
    row = await to_thread.run_sync(BrandProfileStore(services_of(request).db).get, profile_id,
                                   principal.account_id)
    return json_response(request, {"brand_profile": view(row)})


@delete("/api/v1/brand-profiles/{profile_id:str}", status_code=200)
async def delete_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[bytes]:
    principal = await require_principal(request)
    require_scope(principal, "tools:run")
    await to_thread.run_sync(BrandProfileStore(services_of(request).db).delete, profile_id, principal.account_id)
    return json_response(request, {"deleted": True, "id": profile_id})


def _text(body: dict[str, Any], name: str, most: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > most:
        raise ValidationError.fields({name: [Text(f"un texto de hasta {most} caracteres",
                                                  f"a string of at most {most} characters")]})
    return value.strip()


async def _page_kit(svc: Services, url: str) -> BrandKit:
    """The kit the page at ``url`` declares, fetched under one of the server's fetch slots."""
    slots = svc.fetch_slots
    scratch = svc.cfg.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="brand-", dir=scratch) as folder:
        async with slots.hold():
            html = await fetch_html_async(url, "website_url", FetchPolicy.of(svc.cfg.assets),
                                          int(svc.cfg.assets.fetch_max_page_mb * MB), Path(folder),
                                          verify=await slots.tls(), limiter=slots.threads)
    facts = await to_thread.run_sync(read_page, html, url)
    return kit_of(facts)


HANDLERS = [list_profiles, create_profile, show_profile, delete_profile]
