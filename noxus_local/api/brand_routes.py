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
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, delete, get, post
from litestar.params import FromPath
from msgspec import Meta, Struct

from noxus_local.accounts.brand_profiles import BrandProfileStore, check_colours, view
from noxus_local.api.auth import require_scope
from noxus_local.api.bodies import read_struct
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, envelope, operation
from noxus_local.api.schemas import Envelope, ok
from noxus_local.errors import ValidationError
from noxus_local.locale import t
from noxus_local.net.fetch import FetchPolicy
from noxus_local.net.ssrf import MAX_URL_LENGTH
from noxus_local.node.services import Services
from noxus_local.web.brand import BrandKit, kit_of
from noxus_local.web.fetch import fetch_html_async
from noxus_local.web.page import read_page

MB = 1024 * 1024
TAG = "Brand profiles"
HexColour = Annotated[str, Meta(pattern="^#[0-9a-fA-F]{6}$", description="#rrggbb")]


class BrandProfileIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """What `POST /api/v1/brand-profiles` takes: `name` or `website_url` at least, or both."""

    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S",
                              description="The brand's name (default: the page's)")] | None = None
    colors: Annotated[list[HexColour], Meta(min_length=1, max_length=5, description=(
        "The accent first (default: the page's theme-color and CSS colours)"))] | None = None
    logo_url: Annotated[str, Meta(max_length=MAX_URL_LENGTH, pattern="^[hH][tT][tT][pP][sS]?://",
                                  description="An http(s) image URL (default: the page's logo)")] | None = None
    website_url: Annotated[str, Meta(max_length=MAX_URL_LENGTH, description=(
        "A page to read the kit from, fetched now through the SSRF guard (HTML only)"))] | None = None


class BrandProfile(Struct, kw_only=True):
    id: str
    name: str
    colors: list[HexColour]
    logo_url: str | None
    website_url: str | None
    created_at: Annotated[str, Meta(examples=["2026-05-25T10:00:00Z"])]


class BrandProfileList(Envelope, kw_only=True):
    brand_profiles: list[BrandProfile]


class BrandProfileDetail(Envelope, kw_only=True):
    brand_profile: BrandProfile


class BrandProfileDeleted(Envelope, kw_only=True):
    deleted: bool
    id: str


EXAMPLE = {"id": "brand_3f9a0c1b7d2e4a58", "name": "Acme Home", "colors": ["#1d6fd8", "#e63946"],
           "logo_url": "https://shop.example/logo.png", "website_url": "https://shop.example/glow-mug",
           "created_at": "2026-05-25T10:00:00Z"}
ERRORS = (*AUTH_ERRORS,)


@get("/api/v1/brand-profiles", **operation(
    "listBrandProfiles", TAG, "List brand profiles", "The account's saved brand kits, oldest first.",
    ok=(BrandProfileList, {"ok": envelope({"brand_profiles": [EXAMPLE]})})))
async def list_profiles(request: Request[Any, Any, Any], svc: ServicesDep,
                        principal: PrincipalDep) -> BrandProfileList:
    rows = await to_thread.run_sync(BrandProfileStore(svc.db).all, principal.account_id)
    return BrandProfileList(**ok(request), brand_profiles=[_profile(r) for r in rows])


@post("/api/v1/brand-profiles", status_code=201, **operation(
    "createBrandProfile", TAG, "Save a brand profile",
    "A brand kit from explicit fields and/or the page at `website_url` (fetched now: SSRF guard, `[assets] "
    "fetch_allow_hosts`, HTML only, `fetch_max_page_mb`; a page that is not HTML or a refused address is 400, "
    "too big 413). Explicit fields win over the page's. Costs nothing; needs the `tools:run` scope.",
    ok=(BrandProfileDetail, {"created": envelope({"brand_profile": EXAMPLE})}), status=201,
    body=(BrandProfileIn, {"from a page": {"website_url": "https://shop.example/glow-mug", "colors": ["#1d6fd8"]},
                           "explicit": {"name": "Acme Home", "colors": ["#1d6fd8", "#e63946"],
                                        "logo_url": "https://shop.example/logo.png"}}),
    errors=("validation_error", "limit_exceeded", "scope_denied", "server_busy", *ERRORS)))
async def create_profile(request: Request[Any, Any, Any], svc: ServicesDep,
                         principal: PrincipalDep) -> BrandProfileDetail:
    """A brand kit from explicit fields and/or a page; 201 with the profile."""
    require_scope(principal, "tools:run")
    body = read_struct(await request.body(), BrandProfileIn)
    if body.name is None and body.website_url is None:
        raise ValidationError.fields({"name": [t("brand_routes.send_name_or_website")]})
    url = body.website_url.strip() if body.website_url else ""
    kit = await _page_kit(svc, url) if url else BrandKit()
    if body.name is not None:
        kit = replace(kit, name=body.name.strip())
    if body.colors is not None:
        kit = replace(kit, colours=check_colours(body.colors))
    if body.logo_url is not None:
        kit = replace(kit, logo_url=body.logo_url.strip())
    row = await to_thread.run_sync(BrandProfileStore(svc.db).create, principal.account_id, kit, url)
    return BrandProfileDetail(**ok(request), brand_profile=_profile(row))


@get("/api/v1/brand-profiles/{profile_id:str}", **operation(
    "getBrandProfile", TAG, "Get a brand profile", "One of the account's profiles (another account's: 404).",
    ok=(BrandProfileDetail, {"ok": envelope({"brand_profile": EXAMPLE})}), errors=("not_found", *ERRORS)))
async def show_profile(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                       profile_id: FromPath[str]) -> BrandProfileDetail:
    row = await to_thread.run_sync(BrandProfileStore(svc.db).get, profile_id, principal.account_id)
    return BrandProfileDetail(**ok(request), brand_profile=_profile(row))


@delete("/api/v1/brand-profiles/{profile_id:str}", status_code=200, **operation(
    "deleteBrandProfile", TAG, "Delete a brand profile",
    "One of the account's profiles (another account's: 404). A job already queued with it keeps its kit "
    "(frozen in the job).", ok=(BrandProfileDeleted, {"ok": envelope({"deleted": True, "id": EXAMPLE["id"]})}),
    errors=("not_found", "scope_denied", *ERRORS)))
async def delete_profile(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                         profile_id: FromPath[str]) -> BrandProfileDeleted:
    require_scope(principal, "tools:run")
    await to_thread.run_sync(BrandProfileStore(svc.db).delete, profile_id, principal.account_id)
    return BrandProfileDeleted(**ok(request), deleted=True, id=profile_id)


def _profile(row: dict[str, Any]) -> BrandProfile:
    return BrandProfile(**view(row))


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
