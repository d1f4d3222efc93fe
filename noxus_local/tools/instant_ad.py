"""Tool ``instant-ad`` (alias ``anuncio-instantaneo``): a product page's URL → ``count`` ad creatives.

Steps ``page → copy → product → render → video``. A thin adapter over the pipelines:

- at the request (``prefetch``, before the hold, under one of the server's fetch slots; a full set of
  slots is a 503 ``server_busy`` after its short wait): the page is fetched through the SSRF guard
  (web/fetch.py over net/fetch.py: ``[assets] fetch_allow_hosts``, deadline, redirect limit, HTML
  only, ``fetch_max_page_mb``) and read (web/page.py: title, description, Open Graph, JSON-LD,
  images, prices, colours, logo); the facts are frozen in the job. A URL that is not HTML, a
  redirect to a private address, a page over the limit: a 400/413, charged nothing.
- ``copy``: generate/ad_variations.py writes ``count`` headline/body/CTA variations for the
  ``platform`` (the text model's JSON, else a template: ``writer`` says which).
- ``product``: the page's product images are fetched (the same guard) until one decodes; ISNet cuts
  the product out (products/cutout.py; nothing to cut: the photo is framed). A page without images
  gives text-only ads and a warning. The logo is fetched too; its palette fills in brand colours the
  page does not declare.
- ``render``: products/ad_layouts.py draws each variation at the platform's size in ``style`` with the
  brand kit (a saved ``brand_profile_id`` kit, frozen at the request, wins over the page's).
- ``video`` (``output_format`` video or both): each variation as a 15 s video ad through the
  video-ad tool (cut-outs, motion, voice-over, music, the CTA end card).

Priced per variation: ``units`` counts an image variation as 1 and a video one as ``VIDEO_UNITS``,
so the hold (``count`` × the weight × the unit price) is known before any money moves.

Outputs: ``ad-1.png`` … (primary: the first; with ``output_format=video`` the first MP4), the
videos ``ad-1.mp4`` …, ``page.json`` (the facts read). ``result``: ``variations`` (headline, body,
cta, image, video), ``page`` (title, price, url, images), ``brand``, ``platform``, ``size``,
``style``, ``output_format``, ``writer``, ``warnings``.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/instant-ad -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"website_url": "https://shop.example/glow-mug", "platform": "instagram", "count": 2, "style": "bold"}'
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from anyio import to_thread
from msgspec import Meta
from PIL import Image

from noxus_local.config import Config
from noxus_local.errors import ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.locale import t
from noxus_local.net.fetch import FetchPolicy
from noxus_local.net.fetch_slots import FetchSlots
from noxus_local.products.ad_layouts import PLATFORMS, STYLES, AdContent, orientation
from noxus_local.tools.base import (
    Example,
    InputFile,
    Limits,
    OutputFile,
    Plan,
    Step,
    Tool,
    ToolContext,
    ToolOutput,
    require_installed,
)
from noxus_local.tools.params import Internal, Params
from noxus_local.web.brand import BrandKit, kit_of, logo_palette
from noxus_local.web.page import PageFacts

MB = 1024 * 1024
VIDEO_UNITS = 6  # a video variation weighs six image ones (a 15 s render with voice-over)
MAX_IMAGE_TRIES = 4
SEGMENTER = "isnet-general"
NO_IMAGES_WARNING = "the page shows no product image that could be fetched: the ads are text only"
NO_LLM_WARNING = "no text model is installed: a template wrote the ad copy"
# a layout style → the video-ad end card in the same spirit
END_CARDS = {"modern": "gradient", "bold": "bold", "minimal": "minimal", "luxury": "editorial", "playful": "glass"}
Platform = Literal[tuple(PLATFORMS)]  # type: ignore[valid-type]
StyleName = Literal[STYLES]  # type: ignore[valid-type]


class InstantAdParams(Params):
    """What ``POST /api/v1/tools/instant-ad`` (and seed 002's ``/api/generate/instant-ad``) takes."""

    website_url: Annotated[str, Meta(max_length=2048, description="The product or landing page (http/https, "
                                                                  "HTML), fetched through the SSRF guard.",
                                     examples=["https://shop.example/glow-mug"])]
    platform: Annotated[Platform, Meta(description="Sets the size: instagram 1080x1080, instagram-story and "
                                                   "tiktok 1080x1920, facebook 1200x628, linkedin 1200x627, "
                                                   "youtube 1280x720.")] = "instagram"
    count: Annotated[int, Meta(ge=1, le=4, description="Variations (1-4), each billed.")] = 1
    style: Annotated[StyleName, Meta(description="The layout.")] = "modern"
    output_format: Annotated[Literal["image", "video", "both"],
                             Meta(description="Image ads, 15 s video ads (the video-ad engine), or both.")] = "image"
    brand_profile_id: Annotated[str, Meta(max_length=64, description="A saved brand profile "
                                                                     "(GET /api/v1/brand-profiles): its name, "
                                                                     "colours and logo paint the ads.")] | None = None
    language: Annotated[Literal["en", "es"], Meta(description="The copy's language; default: the page's "
                                                              "(English otherwise).")] | None = None
    # set at the request: the page's facts, the saved kit, whether a text model writes, the fetch policy
    page: Annotated[dict[str, Any] | None, Internal] = None
    brand: Annotated[dict[str, Any] | None, Internal] = None
    llm_installed: Annotated[bool, Internal] = False
    fetch: Annotated[dict[str, Any] | None, Internal] = None


class InstantAdTool(Tool):
    slug = "instant-ad"
    aliases = ("anuncio-instantaneo",)
    title = "Instant ad"
    description = ("Ad creatives from a product page's URL: the page's title, price, images, colours and logo are "
                   "read, the text model writes 1-4 variations of headline, body and CTA for the platform, and "
                   "each is rendered at the platform's size in a style (and/or as a 15 s video ad).")
    media_type = "image"
    measures = "images"
    # per variation: an image ad counts 1, a video ad VIDEO_UNITS (6)
    default_price: ClassVar[Mapping[str, str]] = {"unit": "image", "unit_usd": "0.01", "minimum_usd": "0.01"}
    examples = (Example("instant-ad", "instant-ad: two Instagram ads from a product page",
                        {"website_url": "https://shop.example/glow-mug", "platform": "instagram", "count": 2,
                         "style": "bold"}),)
    models = (SEGMENTER,)
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    steps = (Step("page", 1), Step("copy", 4), Step("product", 2), Step("render", 2), Step("video", 8))
    Params = InstantAdParams

    def plan(self, params: InstantAdParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Units for the hold: ``count`` × (1 per image + ``VIDEO_UNITS`` per video)."""
        weight = {"image": 1, "video": VIDEO_UNITS, "both": 1 + VIDEO_UNITS}[params.output_format]
        return Plan(units=float(params.count * weight), resources=dict(self.resources), models=self.models,
                    work_units=float(params.count))

    async def prefetch(self, params: dict[str, Any], cfg: Config, slots: FetchSlots) -> None:
        """The page, fetched and read at the request under one of the server's fetch slots (as every
        ``<field>_url`` download is: full slots are a 503 ``server_busy`` after their short wait, charged 0),
        waiting on the event loop, not in a worker thread; its facts go into ``params["page"]``."""
        from noxus_local.web.fetch import fetch_html_async
        from noxus_local.web.page import read_page

        url = params["website_url"]
        scratch = cfg.data_dir / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="page-", dir=scratch) as folder:
            async with slots.hold():
                html = await fetch_html_async(url, "website_url", FetchPolicy.of(cfg.assets),
                                              int(cfg.assets.fetch_max_page_mb * MB), Path(folder),
                                              verify=await slots.tls(), limiter=slots.threads)
        facts = await to_thread.run_sync(read_page, html, url, limiter=slots.threads)
        params["page"] = facts.to_dict()

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """The page's facts (read by ``prefetch`` at a server's request; fetched here, blocking, when the
        tool is called directly) and the fetch limits frozen in the job; the models it needs."""
        policy = FetchPolicy.of(cfg.assets)
        if not params.get("page"):
            from noxus_local.web.fetch import fetch_html
            from noxus_local.web.page import read_page

            scratch = cfg.data_dir / "tmp"
            scratch.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="page-", dir=scratch) as folder:
                html = fetch_html(params["website_url"], "website_url", policy,
                                  int(cfg.assets.fetch_max_page_mb * MB), Path(folder))
            params["page"] = read_page(html, params["website_url"]).to_dict()
        facts = PageFacts.from_dict(params["page"])
        params["fetch"] = {"allow_hosts": list(policy.allow_hosts), "timeout_seconds": policy.timeout_seconds,
                           "max_redirects": policy.max_redirects,
                           "max_image_bytes": int(cfg.assets.max_image_mb * MB)}
        params["llm_installed"] = _llm_installed(cfg)
        # the plan names ISNet; a page with no image whose ads are images cuts nothing out
        cuts = facts.images or params.get("output_format") != "image"
        require_installed(tuple(m for m in plan.models if cuts or m != SEGMENTER), cfg)

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p: InstantAdParams = ctx.params
        warnings: list[str] = []
        with ctx.step("page"):
            facts = PageFacts.from_dict(p.page or {})
            if not facts.url:
                raise ValidationError.fields({"website_url": [t("instant_ad.page_was_not_read")]})
            kit = BrandKit.from_dict(p.brand) if p.brand else kit_of(facts)
            language = p.language or (facts.language if facts.language in ("en", "es") else "en")
        with ctx.step("copy"):
            variations = self._copy(ctx, facts, kit, language, warnings)
        with ctx.step("product") as step:
            photo, cut, logo = _pictures(ctx, facts, kit, warnings, step.progress)
            if logo is not None and len(kit.colours) < 2:
                kit = kit.with_colours(logo_palette(logo))
        size = PLATFORMS[p.platform]
        with ctx.step("render") as step:  # a video ad shows the rendered picture when the page has no photo
            images = _render(ctx, variations, facts, kit, size, photo, cut, logo, step.progress)
        videos: list[Path] = []
        if p.output_format in ("video", "both"):
            with ctx.step("video") as step:
                videos = _videos(ctx, variations, facts, kit, language, photo, images, warnings, step.progress)
        return _output(ctx, facts, kit, variations, images, videos, size, warnings)

    def _copy(self, ctx: ToolContext, facts: PageFacts, kit: BrandKit, language: str,
              warnings: list[str]) -> Any:
        from noxus_local.generate.ad_variations import write_variations

        p: InstantAdParams = ctx.params
        llm = None
        if p.llm_installed:
            cfg = ctx.models.cfg if ctx.models is not None else ctx.settings
            llm = text_models(cfg).llm(cfg.llm.model, ctx.models)
        else:
            warnings.append(NO_LLM_WARNING)
        out = write_variations(llm, product=facts.product, description=facts.description or facts.headline,
                               price=facts.price_text, brand=kit.name or facts.brand, platform=p.platform,
                               style=p.style, count=p.count, language=language)
        warnings += out.warnings
        return out


# ---------------------------------------------------------------- the steps


def _llm_installed(cfg: Config) -> bool:
    from noxus_local.tools.script_to_video import _installed

    return _installed(text_models(cfg), cfg)


def _policy(p: InstantAdParams) -> tuple[FetchPolicy, int]:
    f = p.fetch or {}
    return (FetchPolicy(list(f.get("allow_hosts", [])), float(f.get("timeout_seconds", 15.0)),
                        int(f.get("max_redirects", 5))), int(f.get("max_image_bytes", 10 * MB)))


def _pictures(ctx: ToolContext, facts: PageFacts, kit: BrandKit, warnings: list[str],
              progress: Any) -> tuple[Image.Image | None, Image.Image | None, Image.Image | None]:
    """(the first product photo that downloads, its cut-out or None, the logo or None)."""
    from noxus_local.media.images import open_image
    from noxus_local.products.cutout import NoForeground, cut_out
    from noxus_local.products.paint import load_logo
    from noxus_local.web.fetch import fetch_image

    policy, max_bytes = _policy(ctx.params)
    photo = None
    for i, url in enumerate(facts.images[:MAX_IMAGE_TRIES]):
        ctx.cancel.check()
        path = fetch_image(url, ctx.workdir / f"page-image-{i}", policy, max_bytes, ctx.limits.max_image_pixels)
        if path is not None and path.suffix != ".svg":
            try:
                photo = open_image(path, ctx.limits.max_image_pixels).convert("RGB")
                break
            except Exception:  # noqa: BLE001 - a page image that does not decode is skipped, like one that 404s
                continue
    progress(0.3)
    cut = None
    if photo is None:
        warnings.append(NO_IMAGES_WARNING)
    else:
        try:
            cut = cut_out(photo, ctx.models)
        except NoForeground:
            warnings.append("no product could be cut out of the page's image; it is shown framed")
    progress(0.8)
    logo = None
    if kit.logo_url:
        path = fetch_image(kit.logo_url, ctx.workdir / "logo", policy, max_bytes, ctx.limits.max_image_pixels)
        if path is not None:
            try:
                logo = load_logo(path, (600, 200))
            except Exception:  # noqa: BLE001 - an unreadable logo: the brand's name is written instead
                warnings.append("the logo could not be read; the brand's name is written instead")
    return photo, cut, logo


def _render(ctx: ToolContext, variations: Any, facts: PageFacts, kit: BrandKit, size: tuple[int, int],
            photo: Image.Image | None, cut: Image.Image | None, logo: Image.Image | None,
            progress: Any) -> list[Path]:
    from noxus_local.products.ad_layouts import render_ad

    p: InstantAdParams = ctx.params
    out = []
    for i, v in enumerate(variations.items):
        ctx.cancel.check()
        content = AdContent(v.headline, v.body, v.cta, facts.product, facts.price_text, kit.name or facts.brand)
        ad = render_ad(content, p.style, size, kit.colours, product=cut,
                       photo=photo if cut is None else None, logo=logo)
        path = ctx.workdir / f"ad-{i + 1}.png"
        ad.save(path, "PNG")
        out.append(path)
        progress((i + 1) / len(variations.items))
    return out


def _videos(ctx: ToolContext, variations: Any, facts: PageFacts, kit: BrandKit, language: str,
            photo: Image.Image | None, images: list[Path], warnings: list[str], progress: Any) -> list[Path]:
    """Each variation as a 15 s video ad by the video-ad tool: the product photo (or the rendered ad) as its
    picture, the variation as its brief, the brand's colour and name on a matching end card."""
    from noxus_local.tools.video_ad import VideoAdTool

    p: InstantAdParams = ctx.params
    tool = VideoAdTool().bind(ctx.settings)  # plans with this server's config (its text model, fps, loudness)
    aspect = "16:9" if orientation(PLATFORMS[p.platform]) == "landscape" else "9:16"
    out = []
    for i, v in enumerate(variations.items):
        ctx.cancel.check()
        folder = ctx.workdir / f"video-{i + 1}"
        folder.mkdir(exist_ok=True)
        picture = folder / "product.png"
        (photo.save(picture, "PNG") if photo is not None else Image.open(images[i]).save(picture, "PNG"))
        files = {"images_0": InputFile(picture, "product.png", "image/png", picture.stat().st_size)}
        raw = {"prompt": f"{facts.product or kit.name} — {v.headline}. {v.body}"[:2000], "duration": 15,
               "language": language, "aspect_ratio": aspect, "company_name": (kit.name or facts.brand)[:100],
               "cta_design": END_CARDS[p.style], "cta_text": v.cta[:60], "music": "auto",
               "quality_loop_variants": 1, **({"gradient_color": kit.colours[0]} if kit.colours else {})}
        typed = tool.typed(tool.validate(raw, files, ctx.limits))
        plan = tool.plan(typed, files, ctx.limits)  # planned once, as a job would be
        tool.check_installed(tool.stored(typed), plan, ctx.settings)
        done = tool.execute(ToolContext(typed, files, ctx.limits, folder, cancel=ctx.cancel, models=ctx.models,
                                        settings=ctx.settings, account_id=ctx.account_id), plan)
        warnings += [f"video {i + 1}: {w}" for w in done.result.get("warnings", [])
                     if isinstance(w, str) and w not in warnings and "template wrote" not in w]
        path = ctx.workdir / f"ad-{i + 1}.mp4"
        src = done.data if isinstance(done.data, Path) else None
        if src is not None:
            src.replace(path)
        else:
            path.write_bytes(done.data)  # type: ignore[arg-type]
        out.append(path)
        progress((i + 1) / len(variations.items))
    return out


def _output(ctx: ToolContext, facts: PageFacts, kit: BrandKit, variations: Any, images: list[Path],
            videos: list[Path], size: tuple[int, int], warnings: list[str]) -> ToolOutput:
    p: InstantAdParams = ctx.params
    shown_images = images if p.output_format != "video" else []
    rows = [{"index": i + 1, "headline": v.headline, "body": v.body, "cta": v.cta,
             "image": images[i].name if shown_images else None, "video": videos[i].name if videos else None}
            for i, v in enumerate(variations.items)]
    page = {"url": facts.url, "title": facts.title, "description": facts.description, "price": facts.price_text,
            "images": facts.images, "logo": facts.logo or None, "theme_color": facts.theme_color or None}
    result = {"variations": rows, "page": page, "brand": kit.to_dict(), "platform": p.platform,
              "size": {"width": size[0], "height": size[1]}, "style": p.style, "output_format": p.output_format,
              "variation_count": len(rows), "writer": variations.writer, "copy_tries": variations.tries,
              "warnings": warnings}
    page_json = json.dumps(facts.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
    files: list[tuple[str, Path, str]] = [(f"ad-{i + 1}", path, "image/png") for i, path in enumerate(shown_images)]
    files += [(f"video-{i + 1}", path, "video/mp4") for i, path in enumerate(videos)]
    name, first, mime = files[0]
    extras = [OutputFile(n, path, path.name, m) for n, path, m in files[1:]]
    extras.append(OutputFile("page", page_json, "page.json", "application/json"))
    return ToolOutput(first, first.name, mime, result=result, name=name, extras=extras,
                      units=float(plan_units(p, len(rows))), media_units=float(len(rows)))


def plan_units(p: InstantAdParams, made: int) -> int:
    """What a run that made ``made`` variations is charged in image units (never more than the hold)."""
    return made * {"image": 1, "video": VIDEO_UNITS, "both": 1 + VIDEO_UNITS}[p.output_format]
