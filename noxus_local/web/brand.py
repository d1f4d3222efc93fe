"""A brand kit: the name, colours and logo an ad is painted with, from a page or a saved profile.

``kit_of(facts)`` takes them from a page's facts (web/page.py: og:site_name or the title's tail,
theme-color then the CSS's vivid colours, the logo's URL); ``logo_palette`` adds the colours of the
logo itself once it is fetched (Pillow's median cut over its opaque pixels, greys dropped), for a
page that declares none. A saved profile (accounts/brand_profiles.py) is the same kit as JSON.

Example::

    kit = kit_of(facts)                   # BrandKit(name="Acme Home", colours=["#e63946", ...], logo_url="…")
    kit.with_colours(logo_palette(Image.open("logo.png")))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.web.page import MAX_COLOURS, PageFacts, vivid


@dataclass(frozen=True)
class BrandKit:
    name: str = ""
    colours: list[str] = field(default_factory=list)  # "#rrggbb", the accent first
    logo_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> BrandKit:
        raw = raw or {}
        return cls(str(raw.get("name") or ""), [str(c) for c in raw.get("colours") or []][:MAX_COLOURS],
                   str(raw.get("logo_url") or ""))

    def with_colours(self, more: list[str]) -> BrandKit:
        """The kit with ``more`` colours after its own (no repeats, at most ``MAX_COLOURS``)."""
        return replace(self, colours=list(dict.fromkeys([*self.colours, *more]))[:MAX_COLOURS])


def kit_of(facts: PageFacts) -> BrandKit:
    """The kit a page declares: its brand name, the theme-color and vivid CSS colours, the logo's URL."""
    colours = [c for c in facts.colours if vivid(c)]
    if facts.theme_color and facts.theme_color not in colours:
        colours.insert(0, facts.theme_color)
    return BrandKit(facts.brand, colours[:MAX_COLOURS], facts.logo)


def logo_palette(logo: Image.Image, count: int = 3) -> list[str]:
    """The logo's main vivid colours, most pixels first (transparent pixels, greys, white and black dropped).

    Example: a red-and-navy logo → ``["#e63946", "#1d3557"]``.
    """
    img = logo.convert("RGBA")
    img.thumbnail((128, 128), Image.Resampling.NEAREST)  # no blended edge colours
    rgba = np.asarray(img).reshape(-1, 4)
    pixels = rgba[rgba[:, 3] > 200][:, :3]
    if not len(pixels):
        return []
    flat = Image.fromarray(np.ascontiguousarray(pixels.reshape(1, -1, 3)), "RGB")
    quant = flat.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    palette = quant.getpalette() or []
    out: list[str] = []
    chosen: list[tuple[int, int, int]] = []
    for _, index in sorted(quant.getcolors() or [], reverse=True):
        r, g, b = palette[index * 3: index * 3 + 3]
        colour = f"#{r:02x}{g:02x}{b:02x}"
        near = any(abs(r - c[0]) + abs(g - c[1]) + abs(b - c[2]) < 48 for c in chosen)
        if vivid(colour) and not near:
            out.append(colour)
            chosen.append((r, g, b))
    return out[:count]

