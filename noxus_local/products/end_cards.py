"""CTA end cards: the last seconds of a video ad, in seed 003's eight ``ctaDesign`` layouts.

``minimal`` (white space, a small logo, dark name, the CTA underlined in the
accent), ``bold`` (the accent full bleed, a huge condensed name, a pill
button), ``gradient`` (``gradientColor`` sweeping to a hue-turned shade, a
white pill), ``split`` (half accent panel with the logo, half white with the
text), ``glass`` (colour blobs under a frosted panel), ``neon`` (glowing
tubes on a dark grid), ``editorial`` (cream paper, rules, a light condensed
name set left, an arrow) and ``brutalist`` (black frame, heavy grotesque,
a hard-shadowed block button). Portrait and landscape each have their own
arrangement.

The company name and the CTA are drawn exactly as given (products/lettering.py:
bundled faces with per-character fallback, RTL runs shaped, no case change),
wrapped and shrunk to fit their box, never cut off. ``colour`` is the accent
(``gradientColor``); a language written right to left sets left-aligned
designs from the right; an empty CTA takes the language's "shop now".

Example::

    end_card("gradient", 1080, 1920, "SoundWave Audio", "Shop now", Path("logo.svg"), "#FF5500", "en",
             dest=Path("card.png"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from noxus_local.products.backdrops import gradient as gradient_field
from noxus_local.products.backdrops import rgb
from noxus_local.products.lettering import RGB, Align, Block, FaceChain, draw_block, fit
from noxus_local.products.paint import (
    Box,
    blobs,
    button,
    frosted,
    glow,
    ink_on,
    load_logo,
    mix,
    paste_logo,
    readable,
    shift_hue,
    text,
)

DESIGNS = ("minimal", "bold", "gradient", "split", "glass", "neon", "editorial", "brutalist")
DEFAULT_COLOUR = "#FF5500"
DEFAULT_CTA = {"es": "Compra ahora", "en": "Shop now", "fr": "Achetez maintenant", "de": "Jetzt kaufen",
               "it": "Acquista ora", "pt": "Compre agora", "hi": "अभी खरीदें"}
RTL_LANGUAGES = {"ar", "he", "fa", "ur", "yi", "ps"}
MIN_SIDE, MAX_SIDE = 64, 8192


@dataclass(frozen=True)
class Card:
    """What every design draws from."""

    width: int
    height: int
    company: str
    cta: str
    logo: Image.Image | None
    accent: RGB
    rtl: bool

    @property
    def u(self) -> int:
        return min(self.width, self.height)

    @property
    def portrait(self) -> bool:
        return self.height >= self.width

    def box(self, portrait: Box, landscape: Box) -> Box:
        """A box given as fractions (x, y, w, h) for each orientation, in pixels."""
        x, y, w, h = portrait if self.portrait else landscape
        return x * self.width, y * self.height, w * self.width, h * self.height

    def side(self, align: Align) -> Align:
        """Left-aligned text reads from the right in an RTL language."""
        return {"left": "right", "right": "left"}.get(align, align) if self.rtl else align  # type: ignore[return-value]

    def canvas(self, colour: RGB) -> Image.Image:
        return Image.new("RGBA", (self.width, self.height), (*colour, 255))


def end_card(design: str, width: int, height: int, company_name: str, cta_text: str, logo: Path | None,
             colour: str | None, language: str, *, dest: Path) -> Path:
    """Render the card and write it as PNG to ``dest``; returns ``dest``.

    ValueError for an unknown design, a bad colour or a size outside 64..8192;
    a logo that is not an image is ``InvalidMedia`` (media/images.py).
    Example: ``end_card("neon", 1920, 1080, "Glow Labs", "", None, "#00E5FF", "es", dest=p)``
    (the CTA is "Compra ahora").
    """
    card = render_end_card(design, width, height, company_name, cta_text,
                           load_logo(logo, (width // 2, height // 4)), colour, language)
    dest.parent.mkdir(parents=True, exist_ok=True)
    card.save(dest, "PNG")
    return dest


def render_end_card(design: str, width: int, height: int, company_name: str, cta_text: str,
                    logo: Image.Image | None, colour: str | None, language: str) -> Image.Image:
    """The card as an RGB image (see ``end_card``; ``logo`` here is an already opened image)."""
    if design not in DESIGNS:
        raise ValueError(f"unknown CTA design {design!r}; designs: {', '.join(DESIGNS)}")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"an end card is {MIN_SIDE}..{MAX_SIDE} px a side, not {width}x{height}")
    lang = (language or "en").lower().split("-")[0]
    cta = cta_text.strip() or DEFAULT_CTA.get(lang, DEFAULT_CTA["en"])
    card = Card(width, height, company_name.strip(), cta, logo, rgb(colour or DEFAULT_COLOUR), lang in RTL_LANGUAGES)
    return PAINTERS[design](card).convert("RGB")


def _hex(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def _name(card: Card, family: str, weight: int, room: Box, start: float) -> Block:
    return fit(FaceChain.of(family, weight), card.company, (room[2], room[3]), round(start))


def _cta(card: Card, family: str, weight: int, room_w: float, start: float) -> Block:
    return fit(FaceChain.of(family, weight), card.cta, (room_w, card.height * 0.12), round(start))


def minimal(card: Card) -> Image.Image:
    paper, ink = (250, 250, 247), (24, 24, 24)
    img = card.canvas(paper)
    paste_logo(img, card.logo, card.box((0.3, 0.17, 0.4, 0.11), (0.4, 0.1, 0.2, 0.16)))
    room = card.box((0.12, 0.34, 0.76, 0.22), (0.15, 0.31, 0.7, 0.27))
    x, y, w, h = text(img, _name(card, "Poppins", 700, room, card.u * 0.085), room, ink)
    draw, accent = ImageDraw.Draw(img), readable(card.accent, paper, 3.0)
    rule_y, half = y + h + card.u * 0.04, card.width * 0.03
    draw.line((card.width / 2 - half, rule_y, card.width / 2 + half, rule_y), fill=accent, width=max(2, card.u // 180))
    cta = _cta(card, "Poppins", 400, card.width * 0.7, card.u * 0.045)
    cx, cy, cw, ch = text(img, cta, (card.width * 0.15, rule_y + card.u * 0.06, card.width * 0.7, cta.height),
                          readable(card.accent, paper))
    under = cy + ch + card.u * 0.012
    draw.line((cx, under, cx + cw, under), fill=accent, width=max(2, card.u // 240))
    return img


def bold(card: Card) -> Image.Image:
    img = card.canvas(card.accent)
    ink, band = ink_on(card.accent), shift_hue(card.accent, 0.0, 0.7)
    draw = ImageDraw.Draw(img)
    for top in (0.0, 0.93):
        draw.rectangle((0, top * card.height, card.width, (top + 0.07) * card.height), fill=band)
    paste_logo(img, card.logo, card.box((0.07, 0.1, 0.3, 0.07), (0.05, 0.1, 0.18, 0.1)), card.side("left"))
    room = card.box((0.07, 0.22, 0.86, 0.4), (0.06, 0.22, 0.88, 0.42))
    _, y, _, h = text(img, _name(card, "Anton", 400, room, card.u * 0.26), room, ink)
    cta = _cta(card, "Poppins", 700, card.width * 0.7, card.u * 0.05)
    button(img, cta, (card.width / 2, max(y + h + card.u * 0.08, card.height * 0.68)), ink, card.accent)
    return img


def gradient(card: Card) -> Image.Image:
    deep = shift_hue(card.accent, -0.07, 0.42)
    img = gradient_field((card.width, card.height), _hex(card.accent), _hex(deep), angle=60).convert("RGBA")
    ink = ink_on(mix(card.accent, deep, 0.5))
    ring = card.u * 0.5  # a thin ring half off the bottom-right corner, clear of the text
    ImageDraw.Draw(img).ellipse((card.width - ring * 0.6, card.height - ring * 0.6, card.width + ring * 0.4,
                                 card.height + ring * 0.4), outline=(255, 255, 255, 90), width=max(2, card.u // 120))
    paste_logo(img, card.logo, card.box((0.3, 0.2, 0.4, 0.1), (0.4, 0.12, 0.2, 0.15)))
    room = card.box((0.1, 0.34, 0.8, 0.24), (0.12, 0.32, 0.76, 0.28))
    _, y, _, h = text(img, _name(card, "Poppins", 700, room, card.u * 0.1), room, ink)
    cta = _cta(card, "Poppins", 700, card.width * 0.7, card.u * 0.05)
    white = (255, 255, 255)
    button(img, cta, (card.width / 2, y + h + card.u * 0.08), white if ink == white else (12, 12, 12),
           readable(card.accent, white) if ink == white else white)
    return img


def split(card: Card) -> Image.Image:
    paper, ink = (255, 255, 255), (20, 20, 28)
    img = card.canvas(paper)
    panel = (0, 0, card.width, card.height * 0.48) if card.portrait else (0, 0, card.width * 0.44, card.height)
    ImageDraw.Draw(img).rectangle(panel, fill=card.accent)
    inset = (panel[0] + panel[2] * 0.2, panel[1] + panel[3] * 0.25, panel[2] * 0.6, panel[3] * 0.5)
    if paste_logo(img, card.logo, inset) is None:
        initial = fit(FaceChain.of("Archivo Black"), card.company[:1] or " ", (inset[2], inset[3]), round(inset[3]))
        text(img, initial, inset, ink_on(card.accent))
    room = card.box((0.1, 0.53, 0.8, 0.22), (0.5, 0.2, 0.44, 0.36))
    align = card.side("left")
    _, y, _, h = text(img, _name(card, "Oswald", 700, room, card.u * 0.1), room, ink, align, 0.0)
    cta = _cta(card, "Poppins", 700, room[2] * 0.8, card.u * 0.045)
    edge = room[0] if align == "left" else room[0] + room[2]
    button(img, cta, (edge, y + h + card.u * 0.06), None, readable(card.accent, paper), radius=0.0,
           outline=readable(card.accent, paper, 3.0), width=max(3, card.u // 160), anchor=align)
    return img


def glass(card: Card) -> Image.Image:
    base = mix(card.accent, (8, 8, 20), 0.8)
    img = blobs((card.width, card.height), base, [
        (card.accent, (0.2, 0.25), 0.35), (shift_hue(card.accent, 0.33, 0.9), (0.85, 0.5), 0.3),
        (shift_hue(card.accent, -0.2, 0.8), (0.35, 0.85), 0.32)])
    panel = card.box((0.08, 0.28, 0.84, 0.44), (0.2, 0.16, 0.6, 0.68))
    frosted(img, panel, card.u * 0.05, card.u * 0.05, (255, 255, 255, 40), (255, 255, 255, 150), max(2, card.u // 300))
    x, y, w, h = panel
    paste_logo(img, card.logo, (x + w * 0.3, y + h * 0.07, w * 0.4, h * 0.16))
    room = (x + w * 0.08, y + h * 0.26, w * 0.84, h * 0.38)
    shadow = (0, 0, 0, 110)
    name = _name(card, "Poppins", 700, room, card.u * 0.09)
    offset = max(1, card.u // 400)
    text(img, name, (room[0] + offset, room[1] + 2 * offset, room[2], room[3]), shadow)
    text(img, name, room, (255, 255, 255))
    cta = _cta(card, "Poppins", 700, w * 0.7, card.u * 0.045)
    button(img, cta, (x + w / 2, y + h * 0.7), (255, 255, 255), base)
    return img


def neon(card: Card) -> Image.Image:
    night = (8, 7, 16)
    img = card.canvas(night)
    tube, core = readable(card.accent, night, 3.0), mix(card.accent, (255, 255, 255), 0.7)
    draw, step = ImageDraw.Draw(img), max(8, round(card.u * 0.08))
    for x in range(0, card.width, step):
        draw.line((x, 0, x, card.height), fill=(*tube, 28), width=1)
    for y in range(0, card.height, step):
        draw.line((0, y, card.width, y), fill=(*tube, 28), width=1)
    paste_logo(img, card.logo, card.box((0.32, 0.16, 0.36, 0.1), (0.42, 0.1, 0.16, 0.15)))
    room = card.box((0.1, 0.33, 0.8, 0.24), (0.12, 0.3, 0.76, 0.3))
    name = _name(card, "Oswald", 700, room, card.u * 0.11)
    glow(img, lambda d: text_on(d, name, room), tube, (card.u * 0.012, card.u * 0.035))
    _, y, _, h = text(img, name, room, core)
    cta = _cta(card, "Poppins", 400, card.width * 0.6, card.u * 0.045)
    top = y + h + card.u * 0.09
    ghost = card.canvas(night)
    bx, by, bw, bh = button(ghost, cta, (card.width / 2, top), None, core, outline=tube, width=max(3, card.u // 180))
    glow(img, lambda d: d.rounded_rectangle((bx, by, bx + bw, by + bh), radius=bh / 2, outline=255,
                                            width=max(3, card.u // 180)), tube, (card.u * 0.015,))
    button(img, cta, (card.width / 2, top), None, core, outline=tube, width=max(3, card.u // 180))
    return img


def text_on(draw: ImageDraw.ImageDraw, block: Block, room: Box) -> None:
    """``block`` drawn into a glow mask (fill 255), where the real text will go."""
    draw_block(draw, block, room, 255)


def editorial(card: Card) -> Image.Image:
    paper, ink = (243, 238, 228), (22, 20, 18)
    img = card.canvas(paper)
    draw, m, line = ImageDraw.Draw(img), card.width * 0.08, max(2, card.u // 360)
    for y in (0.07, 0.93):
        draw.line((m, card.height * y, card.width - m, card.height * y), fill=ink, width=line)
    align = card.side("left")
    paste_logo(img, card.logo, card.box((0.6, 0.09, 0.32, 0.07), (0.7, 0.12, 0.22, 0.14)), card.side("right"))
    room = card.box((0.14, 0.28, 0.76, 0.34), (0.12, 0.22, 0.54, 0.46))
    x, y, w, h = text(img, _name(card, "Oswald", 200, room, card.u * 0.14), room, ink, align, 0.0)
    # kept apart from the name: OCR reads a bar touching a word as an "I"
    bar = room[0] - card.u * 0.06 if align == "left" else room[0] + room[2] + card.u * 0.045
    draw.rectangle((bar, y, bar + card.u * 0.012, y + h), fill=card.accent)
    cta = _cta(card, "Poppins", 400, room[2] * 0.8, card.u * 0.04)
    cx, cy, cw, ch = text(img, cta, (room[0], y + h + card.u * 0.06, room[2], cta.height), ink, align, 0.0)
    _arrow(draw, (cx + cw + card.u * 0.03, cy + ch / 2) if align == "left" else (cx - card.u * 0.11, cy + ch / 2),
           card.u * 0.08, readable(card.accent, paper, 3.0), max(2, card.u // 200), align == "left")
    return img


def _arrow(draw: ImageDraw.ImageDraw, start: tuple[float, float], length: float, fill: RGB, width: int,
           rightward: bool) -> None:
    x, y = start
    tip, tail = (x + length, x) if rightward else (x, x + length)
    head = length * 0.28 * (1 if rightward else -1)
    draw.line((tail, y, tip, y), fill=fill, width=width)
    draw.line((tip - head, y - abs(head) * 0.8, tip, y, tip - head, y + abs(head) * 0.8), fill=fill, width=width)


def brutalist(card: Card) -> Image.Image:
    paper, ink = (255, 255, 255), (0, 0, 0)
    img = card.canvas(paper)
    draw, frame = ImageDraw.Draw(img), max(6, round(card.u * 0.03))
    draw.rectangle((0, 0, card.width - 1, card.height - 1), outline=ink, width=frame)
    band = card.box((0.0, 0.8, 1.0, 0.05), (0.0, 0.82, 1.0, 0.06))
    draw.rectangle((band[0], band[1], band[0] + band[2], band[1] + band[3]), fill=card.accent)
    for x in range(0, card.width + round(band[3]), max(12, round(card.u * 0.04))):
        draw.line((x, band[1], x - band[3], band[1] + band[3]), fill=ink, width=max(2, frame // 3))
    align = card.side("left")
    paste_logo(img, card.logo, card.box((0.08, 0.07, 0.3, 0.08), (0.06, 0.09, 0.18, 0.12)), align)
    room = card.box((0.08, 0.2, 0.84, 0.34), (0.06, 0.25, 0.62, 0.4))
    _, y, _, h = text(img, _name(card, "Archivo Black", 400, room, card.u * 0.13), room, ink, align, 0.0)
    cta = _cta(card, "Archivo Black", 400, room[2] * 0.7, card.u * 0.045)
    top, edge, hard = y + h + card.u * 0.07, room[0] if align == "left" else room[0] + room[2], frame // 1.5
    shade = button(card.canvas(paper), cta, (edge, top), ink, paper, radius=0.0, anchor=align)
    draw.rectangle((shade[0] + hard, shade[1] + hard, shade[0] + shade[2] + hard, shade[1] + shade[3] + hard),
                   fill=card.accent)
    button(img, cta, (edge, top), ink, paper, radius=0.0, anchor=align)
    return img


PAINTERS: dict[str, Callable[[Card], Image.Image]] = {
    "minimal": minimal, "bold": bold, "gradient": gradient, "split": split, "glass": glass, "neon": neon,
    "editorial": editorial, "brutalist": brutalist}
