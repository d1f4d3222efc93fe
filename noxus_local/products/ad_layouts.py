"""Image ads: one picture per platform size in one of five ``style`` layouts, from typed content.

Plain typed functions on Pillow images, no jobs, no HTTP: the instant-ad tool calls them. A layout
places, by fractions of the canvas for its orientation (portrait, square, landscape): the brand
(logo, else its name), the headline, the product (a cut-out with a soft shadow, or the photo in a
rounded frame, or nothing: a text-only ad), the product's name, its price in a badge, the body
and the call to action. Text is fitted to its box (products/lettering.py: bundled faces, per
character fallback, shrunk and wrapped, never cut off); colours come from the brand (the first is
the accent) and are pushed to readable contrast (products/paint.py).

Styles: ``modern`` (a diagonal gradient of the brand colours, clean sans, white pill),
``bold`` (the accent full bleed, huge condensed capitals, black pill), ``minimal`` (studio white,
dark ink, an outlined CTA in the accent), ``luxury`` (near-black, thin condensed capitals, gold
rules) and ``playful`` (a pastel of the accent with soft blobs, a round display face).

Example::

    ad = render_ad(AdContent("Hot drinks, cool mug", "Keeps coffee warm for 6 h.", "Shop now", "Glow Mug",
                             "$24.90", "Acme"), "bold", PLATFORMS["instagram"], ["#E63946"], product=cut)
    ad.save("ad.png")       # 1080x1080
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageOps

from noxus_local.products.backdrops import gradient, rgb, studio_white
from noxus_local.products.cutout import soft_shadow
from noxus_local.products.lettering import RGB, Align, FaceChain, fit
from noxus_local.products.paint import Box, blobs, button, ink_on, mix, paste_logo, readable, shift_hue, text

# the feed, story and banner sizes each platform asks for (pixels)
PLATFORMS: dict[str, tuple[int, int]] = {
    "instagram": (1080, 1080), "instagram-story": (1080, 1920), "facebook": (1200, 628), "tiktok": (1080, 1920),
    "linkedin": (1200, 627), "youtube": (1280, 720),
}
STYLES = ("modern", "bold", "minimal", "luxury", "playful")
Style = Literal["modern", "bold", "minimal", "luxury", "playful"]
DEFAULT_ACCENT = {"modern": (37, 99, 235), "bold": (230, 57, 70), "minimal": (24, 24, 24),
                  "luxury": (201, 169, 110), "playful": (255, 111, 145)}
GOLD: RGB = (201, 169, 110)

# element → (x, y, w, h) as fractions, per orientation; text is centred in portrait and square, left in landscape
LAYOUTS: dict[str, dict[str, Box]] = {
    "portrait": {"brand": (0.07, 0.035, 0.86, 0.05), "headline": (0.07, 0.1, 0.86, 0.15),
                 "product": (0.1, 0.27, 0.8, 0.36), "name": (0.07, 0.645, 0.86, 0.06),
                 "price": (0.5, 0.715, 0.0, 0.05), "body": (0.09, 0.785, 0.82, 0.07),
                 "cta": (0.5, 0.875, 0.0, 0.045)},
    "square": {"brand": (0.06, 0.035, 0.88, 0.07), "headline": (0.06, 0.115, 0.88, 0.14),
               "product": (0.14, 0.27, 0.72, 0.34), "name": (0.06, 0.625, 0.88, 0.075),
               "price": (0.3, 0.81, 0.0, 0.07), "body": (0.08, 0.71, 0.84, 0.085),
               "cta": (0.7, 0.815, 0.0, 0.055)},
    "landscape": {"brand": (0.05, 0.06, 0.45, 0.09), "headline": (0.05, 0.18, 0.48, 0.22),
                  "product": (0.56, 0.07, 0.4, 0.86), "name": (0.05, 0.42, 0.48, 0.1),
                  "price": (0.05, 0.68, 0.0, 0.085), "body": (0.05, 0.53, 0.48, 0.12),
                  "cta": (0.27, 0.82, 0.0, 0.085)},
}


@dataclass(frozen=True)
class AdContent:
    """The words of one ad: the writer's headline, body and CTA; the page's product name, price and brand."""

    headline: str
    body: str
    cta: str
    product: str
    price: str
    brand: str


@dataclass(frozen=True)
class Look:
    """A style's paint: background colours, ink, faces and the CTA and badge colours."""

    background: Image.Image
    ink: RGB
    head: tuple[str, int]
    face: tuple[str, int]
    upper: bool
    cta_fill: RGB | None
    cta_ink: RGB
    badge_fill: RGB | None
    badge_ink: RGB
    rule: RGB | None = None


def orientation(size: tuple[int, int]) -> str:
    """``(1080, 1920)`` → portrait, ``(1080, 1080)`` → square, ``(1200, 628)`` → landscape."""
    w, h = size
    return "portrait" if h > w * 1.25 else "landscape" if w > h * 1.25 else "square"


def render_ad(content: AdContent, style: str, size: tuple[int, int], colours: list[str], *,
              product: Image.Image | None = None, photo: Image.Image | None = None,
              logo: Image.Image | None = None) -> Image.Image:
    """The ad as an RGB image of ``size``. ``product``: an RGBA cut-out; ``photo``: a picture shown framed
    when nothing could be cut out; neither: a text-only ad (the text takes the product's room).
    ValueError for an unknown style."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; styles: {', '.join(STYLES)}")
    accent, second = _palette(style, colours)
    look = _look(style, size, accent, second)
    canvas = look.background.convert("RGBA")
    kind = orientation(size)
    boxes = dict(LAYOUTS[kind])
    if product is None and photo is None:
        boxes = _text_only(boxes, kind)
    align: Align = "left" if kind == "landscape" else "center"
    w, h = size
    u = min(w, h)

    def px(name: str) -> Box:
        x, y, bw, bh = boxes[name]
        return x * w, y * h, bw * w, bh * h

    if product is not None:
        _place(canvas, product, px("product"), style != "luxury")
    elif photo is not None:
        _frame(canvas, photo, px("product"), look.rule or look.ink)
    brand_box = px("brand")
    if paste_logo(canvas, logo, brand_box, align) is None and content.brand:
        _words(canvas, content.brand.upper(), look.face[0], 700, brand_box, readable(accent, _under(canvas, brand_box))
               if style != "bold" else look.ink, align, brand_box[3] * 0.8)
    headline = content.headline.upper() if look.upper else content.headline
    _words(canvas, headline, *look.head, px("headline"), look.ink, align, u * 0.11)
    if look.rule is not None:
        x, y, bw, bh = px("headline")
        ImageDraw.Draw(canvas).line((x + (bw * 0.35 if align == "center" else 0), y + bh + u * 0.025,
                                     x + (bw * 0.65 if align == "center" else bw * 0.3), y + bh + u * 0.025),
                                    fill=look.rule, width=max(2, u // 360))
    if content.product:
        _words(canvas, content.product, look.face[0], 700, px("name"), look.ink, align, u * 0.06)
    if content.body:
        _words(canvas, content.body, *look.face, px("body"), mix(look.ink, _under(canvas, px("body")), 0.18),
               align, u * 0.038)
    if content.price:
        _pill(canvas, content.price, px("price"), look.badge_fill, look.badge_ink, look.face[0], align, outline=None)
    if content.cta:
        _pill(canvas, content.cta.upper() if look.upper else content.cta, px("cta"), look.cta_fill, look.cta_ink,
              look.face[0], align, outline=look.cta_ink if look.cta_fill is None else None)
    return canvas.convert("RGB")


# ---------------------------------------------------------------- looks


def _palette(style: str, colours: list[str]) -> tuple[RGB, RGB]:
    """The brand's accent and second colour; the style's own accent when the brand gives none."""
    parsed: list[RGB] = []
    for c in colours:
        try:
            parsed.append(rgb(c))
        except ValueError:
            continue
    accent = parsed[0] if parsed else DEFAULT_ACCENT[style]
    second = parsed[1] if len(parsed) > 1 else shift_hue(accent, 0.08, 0.75)
    return accent, second


def _look(style: str, size: tuple[int, int], accent: RGB, second: RGB) -> Look:
    if style == "modern":
        deep = mix(accent, (10, 10, 30), 0.35)
        bg = gradient(size, _hex(deep), _hex(mix(second, (10, 10, 30), 0.25)), 60)
        return Look(bg, ink_on(deep), ("Poppins", 700), ("Poppins", 400), False, (255, 255, 255),
                    readable(accent, (255, 255, 255)), mix(accent, (255, 255, 255), 0.85),
                    readable(deep, mix(accent, (255, 255, 255), 0.85)))
    if style == "bold":
        bg = Image.new("RGB", size, accent)
        draw = ImageDraw.Draw(bg)
        band = shift_hue(accent, 0.0, 0.7)
        draw.rectangle((0, 0, size[0], size[1] * 0.02), fill=band)
        draw.rectangle((0, size[1] * 0.98, size[0], size[1]), fill=band)
        ink = ink_on(accent)
        badge = (255, 221, 0) if ink == (255, 255, 255) or accent[2] > 150 else (12, 12, 12)
        return Look(bg, ink, ("Anton", 400), ("Poppins", 400), True, (12, 12, 12), (255, 255, 255), badge,
                    ink_on(badge))
    if style == "minimal":
        paper = (250, 250, 247)
        ink = (24, 24, 24)
        return Look(studio_white(size, _hex(paper)), ink, ("Poppins", 400), ("Poppins", 400), False, None,
                    readable(accent, paper), None, readable(accent, paper))
    if style == "luxury":
        night = (18, 16, 14)
        gold = GOLD if accent == DEFAULT_ACCENT["luxury"] else mix(accent, GOLD, 0.5)
        bg = gradient(size, _hex(night), _hex(mix(night, accent, 0.12)), 90)
        return Look(bg, (245, 240, 230), ("Oswald", 200), ("Poppins", 400), True, None,
                    readable(gold, night, 7.0), None, readable(gold, night, 7.0), rule=readable(gold, night))
    pastel = mix(accent, (255, 255, 255), 0.8)
    w, h = size
    bg = blobs(size, pastel, [(mix(accent, (255, 255, 255), 0.55), (0.12, 0.1), 0.35),
                              (mix(second, (255, 255, 255), 0.6), (0.9, 0.92), 0.4)]).convert("RGB")
    ink = readable(shift_hue(accent, 0.0, 0.45), pastel, 7.0)
    return Look(bg, ink, ("Luckiest Guy", 400), ("Poppins", 400), False, readable(accent, (255, 255, 255), 3.0),
                (255, 255, 255), (255, 221, 0), (12, 12, 12))


def _hex(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


# ---------------------------------------------------------------- drawing


def _text_only(boxes: dict[str, Box], kind: str) -> dict[str, Box]:
    """Without a picture the headline and body grow into the product's room."""
    out = dict(boxes)
    if kind == "landscape":
        out["headline"] = (0.05, 0.18, 0.9, 0.22)
        out["name"], out["body"] = (0.05, 0.42, 0.9, 0.1), (0.05, 0.53, 0.9, 0.12)
        return out
    x, y, w, _ = boxes["headline"]
    py, ph = boxes["product"][1], boxes["product"][3]
    out["headline"] = (x, y + 0.03, w, py + ph - y - 0.06)
    return out


def _under(canvas: Image.Image, box: Box) -> RGB:
    """The background's mean colour under ``box`` (for readable ink)."""
    x, y, w, h = (round(v) for v in box)
    region = canvas.crop((x, y, x + max(1, w), y + max(1, h))).convert("RGB").resize((1, 1), Image.Resampling.BOX)
    r, g, b = region.getpixel((0, 0))  # type: ignore[misc]
    return int(r), int(g), int(b)


def _words(canvas: Image.Image, words: str, family: str, weight: int, box: Box, fill: RGB, align: Align,
           start: float) -> None:
    if not words.strip() or box[2] <= 0 or box[3] <= 0:
        return
    block = fit(FaceChain.of(family, weight), words, (box[2], box[3]), max(8, round(start)))
    text(canvas, block, box, fill, align)


def _pill(canvas: Image.Image, words: str, box: Box, fill: RGB | None, ink: RGB, family: str, align: Align,
          outline: RGB | None) -> None:
    """A button or badge whose text is ``box``'s height; ``box``'s x is its centre (its left end in landscape)."""
    x, y, _, h = box
    room = canvas.width * (0.4 if align == "center" else 0.42)
    block = fit(FaceChain.of(family, 700), words, (room, h * 0.62), max(8, round(h * 0.62)))
    button(canvas, block, (x, y), fill, ink, outline=outline, width=max(2, round(h * 0.05)) if outline else 0,
           anchor="center" if align == "center" else "left")


def _place(canvas: Image.Image, cut: Image.Image, box: Box, shadow: bool) -> None:
    """The cut-out fitted into ``box``, standing on its bottom edge, centred, with a floor shadow."""
    x, y, w, h = box
    factor = min(w / cut.width, h / cut.height)
    scaled = cut.resize((max(1, round(cut.width * factor)), max(1, round(cut.height * factor))),
                        Image.Resampling.LANCZOS)
    left, top = round(x + (w - scaled.width) / 2), round(y + h - scaled.height)
    if shadow:
        s = soft_shadow(scaled, "floor", 0.4)
        _paste(canvas, s.image, (left + s.offset[0], top + s.offset[1]))
    _paste(canvas, scaled, (left, top))


def _frame(canvas: Image.Image, photo: Image.Image, box: Box, edge: RGB) -> None:
    """A photo that could not be cut out: cropped to ``box`` with rounded corners and a thin edge."""
    x, y, w, h = (round(v) for v in box)
    fitted = ImageOps.fit(photo.convert("RGB"), (w, h), Image.Resampling.LANCZOS).convert("RGBA")
    mask = Image.new("L", (w, h), 0)
    radius = round(min(w, h) * 0.06)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=255)
    fitted.putalpha(mask)
    canvas.alpha_composite(fitted, (x, y))
    ImageDraw.Draw(canvas).rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=radius, outline=edge,
                                             width=max(2, min(w, h) // 200))


def _paste(canvas: Image.Image, layer: Image.Image, at: tuple[int, int]) -> None:
    """``layer`` composited at ``at``, clipped to the canvas (an offset may be negative)."""
    x, y = at
    left, top = max(0, -x), max(0, -y)
    right, bottom = min(layer.width, canvas.width - x), min(layer.height, canvas.height - y)
    if right <= left or bottom <= top:
        return
    canvas.alpha_composite(layer.crop((left, top, right, bottom)).convert("RGBA"), (x + left, y + top))
