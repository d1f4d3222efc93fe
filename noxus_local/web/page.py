"""What a product or landing page says about itself: title, description, Open Graph, images, prices,
brand colours and logo, read with the standard library's ``html.parser`` (no extra dependency; a
tolerant tokenizer is all this needs: no DOM, no scripts run).

Sources, best first: JSON-LD (``Product``: name, image, ``offers.price``/``priceCurrency``;
``Organization``: logo), Open Graph and ``product:price:*`` meta, ``itemprop`` microdata, then the
page itself (``<title>``, the first ``<h1>``, large ``<img>``s, prices written in the text).
Colours: ``<meta name="theme-color">`` first, then the CSS colours of ``<style>`` blocks and
``style=""`` attributes by how often they appear (greys last). Every URL is made absolute against
the page's address (or its ``<base href>``); only http(s) URLs are kept.

Example::

    facts = read_page('<html><head><title>Glow Mug | Acme</title>'
                      '<meta property="og:price:amount" content="24.90"></head></html>',
                      "https://shop.example/mug")
    facts.title, facts.price_text       # ("Glow Mug | Acme", "24.90")
"""

from __future__ import annotations

import colorsys
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_IMAGES = 8
MAX_COLOURS = 5
CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "R$": "BRL", "S/": "PEN", "₹": "INR"}
SIGN_OF = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "BRL": "R$", "PEN": "S/", "INR": "₹", "MXN": "$",
           "ARS": "$", "COP": "$", "CLP": "$", "CAD": "$", "AUD": "$"}
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})")
_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_TEXT_PRICE = re.compile(
    rf"(?P<pre>R\$|S/|US\$|[$€£¥₹]|\b(?:USD|EUR|GBP|MXN|ARS|COP|CLP|BRL|PEN)\b)\s?(?P<a>{_NUMBER})"
    rf"|(?P<b>{_NUMBER})\s?(?P<post>[€£]|\b(?:USD|EUR|GBP|MXN|ARS|COP|CLP|BRL|PEN)\b)")
_SKIP_TEXT = {"script", "style", "noscript", "template", "svg"}
_LOGO_WORDS = ("logo", "brand")


@dataclass(frozen=True)
class Price:
    """A price as the page gives it: ``amount`` as written ("24.90"), ``currency`` ISO code or ""."""

    amount: str
    currency: str = ""

    @property
    def text(self) -> str:
        """Shown on an ad: ``Price("24.90", "USD").text == "$24.90"``, ``Price("19,99", "EUR").text == "19,99 €"``."""
        sign = SIGN_OF.get(self.currency, "")
        if self.currency == "EUR":
            return f"{self.amount} €"
        if sign:
            return f"{sign}{self.amount}"
        return f"{self.amount} {self.currency}".strip()


@dataclass
class PageFacts:
    """Everything an ad is built from, as plain values (stored with the job as JSON)."""

    url: str
    title: str = ""
    description: str = ""
    site_name: str = ""
    language: str = ""
    headline: str = ""  # the first <h1>
    images: list[str] = field(default_factory=list)  # product images first (JSON-LD, og:image), then <img>
    prices: list[Price] = field(default_factory=list)
    theme_color: str = ""
    colours: list[str] = field(default_factory=list)  # "#rrggbb", brand-like first
    logo: str = ""

    @property
    def product(self) -> str:
        """The product's name: JSON-LD's or og:title, else the title without its " | Brand" tail."""
        return self.title

    @property
    def price_text(self) -> str:
        return self.prices[0].text if self.prices else ""

    @property
    def brand(self) -> str:
        """The brand: og:site_name, else the title's tail after " | " or " - ", else the host."""
        if self.site_name:
            return self.site_name
        host = urlsplit(self.url).hostname or ""
        if _tail(self.title) or not re.search(r"[a-z]", host):  # an IP address names no brand
            return _tail(self.title)
        return host.removeprefix("www.").split(".")[0].capitalize()

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "description": self.description, "site_name": self.site_name,
                "language": self.language, "headline": self.headline, "images": list(self.images),
                "prices": [{"amount": p.amount, "currency": p.currency} for p in self.prices],
                "theme_color": self.theme_color, "colours": list(self.colours), "logo": self.logo}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PageFacts:
        return cls(**{**raw, "prices": [Price(**p) for p in raw.get("prices", [])]})


def read_page(html: str, url: str) -> PageFacts:
    """The facts of ``html`` served at ``url`` (relative links resolved against it)."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    base = parser.base or url
    meta = parser.meta
    ld = _json_ld(parser.ld_blocks)
    product = next((o for o in ld if _is(o, "Product")), {})
    org = next((o for o in ld if _is(o, "Organization") or _is(o, "Brand")), {})

    title = _clean(product.get("name") if isinstance(product.get("name"), str) else "") or \
        _clean(meta.get("og:title", "")) or _clean(parser.title) or _clean(parser.h1)
    description = _clean(meta.get("og:description", "") or meta.get("description", "")
                         or (product.get("description") if isinstance(product.get("description"), str) else ""))
    images = _absolute(base, [*_ld_images(product.get("image")), meta.get("og:image", ""),
                              meta.get("og:image:url", ""), meta.get("twitter:image", ""),
                              *parser.item_images, *parser.images])
    logo_candidates = [*_ld_images(org.get("logo")), *_ld_images(product.get("brand", {}).get("logo")
                                                                    if isinstance(product.get("brand"), dict)
                                                                    else None),
                       *parser.logos, *parser.icons]
    logos = _absolute(base, logo_candidates)
    logo = logos[0] if logos else ""
    images = [i for i in images if i != logo and not _looks_icon(i)][:MAX_IMAGES]
    theme = _hex_of(meta.get("theme-color", ""))
    colours = rank_colours(parser.css)
    if theme:
        colours = [theme, *[c for c in colours if c != theme]]
    site = _clean(meta.get("og:site_name", "") or (org.get("name") if isinstance(org.get("name"), str) else "")
                  or _tail(_clean(parser.title)))
    return PageFacts(url=url, title=title, description=description[:500], site_name=site,
                     language=parser.lang.split("-")[0].lower()[:8], headline=_clean(parser.h1),
                     images=images, prices=_prices(product, meta, parser), theme_color=theme,
                     colours=colours[:MAX_COLOURS], logo=logo)


# ---------------------------------------------------------------- the tokenizer


class _Collector(HTMLParser):
    """One pass over the page: meta, links, JSON-LD, CSS, images, the title, the first h1, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.base = ""
        self.lang = ""
        self.title = ""
        self.h1 = ""
        self.images: list[str] = []
        self.item_images: list[str] = []
        self.logos: list[str] = []
        self.icons: list[str] = []
        self.item_prices: list[tuple[str, str]] = []
        self.item_currency = ""
        self.ld_blocks: list[str] = []
        self.css: list[str] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._in_h1 = False
        self._h1_done = False
        self._ld = False  # inside a <script type="application/ld+json">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag not in ("meta", "link", "img", "br", "hr", "input", "source", "base"):
            self._stack.append(tag)
        if a.get("style"):
            self.css.append(a["style"])
        if tag == "html" and a.get("lang"):
            self.lang = a["lang"]
        elif tag == "base" and a.get("href") and not self.base:
            self.base = a["href"]
        elif tag == "meta":
            self._meta(a)
        elif tag == "link":
            rel = a.get("rel", "").lower()
            if "icon" in rel and a.get("href"):
                # an apple-touch-icon is larger than a favicon: first
                (self.icons.insert(0, a["href"]) if "apple" in rel else self.icons.append(a["href"]))
        elif tag == "img":
            self._img(a)
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        elif tag == "script":
            self._ld = a.get("type", "").lower() == "application/ld+json"
            if self._ld:
                self.ld_blocks.append("")

    def _meta(self, a: dict[str, str]) -> None:
        key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
        content = a.get("content", "")
        if not key or not content:
            return
        if key in ("price", "lowprice"):
            self.item_prices.append((content, ""))
        elif key == "pricecurrency":
            self.item_currency = content
        self.meta.setdefault(key, content)

    def _img(self, a: dict[str, str]) -> None:
        src = a.get("src") or a.get("data-src") or ""
        if not src:
            return
        words = " ".join(a.get(k, "") for k in ("class", "id", "alt", "src")).lower()
        if any(w in words for w in _LOGO_WORDS):
            self.logos.append(src)
        elif a.get("itemprop", "").lower() == "image":
            self.item_images.append(src)
        elif not _small(a):
            self.images.append(src)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self._in_h1:
            self._in_h1, self._h1_done = False, True
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        top = self._stack[-1] if self._stack else ""
        if top == "title" and not self.title:
            self.title = data
        elif top == "script":
            if self._ld:
                self.ld_blocks[-1] += data
        elif top == "style":
            self.css.append(data)
        elif not (set(self._stack) & _SKIP_TEXT):
            if self._in_h1:
                self.h1 += data
            if data.strip():
                self.text.append(data.strip())


# ---------------------------------------------------------------- helpers


def _small(a: dict[str, str]) -> bool:
    """An <img> that says it is under 100 px (an icon, a tracking pixel)."""
    for side in ("width", "height"):
        value = a.get(side, "").removesuffix("px")
        if value.isdigit() and int(value) < 100:
            return True
    return False


def _looks_icon(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith((".ico", ".svg")) or "favicon" in path or "sprite" in path


def _tail(title: str) -> str:
    """The brand a title ends with: ``"Glow Mug | Acme Home"`` → ``"Acme Home"``; "" without a separator."""
    for sep in (" | ", " - ", " – ", " — "):
        if sep in title:
            return title.rsplit(sep, 1)[1].strip()
    return ""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _absolute(base: str, urls: list[Any]) -> list[str]:
    out: list[str] = []
    for raw in urls:
        if not isinstance(raw, str) or not raw.strip() or raw.strip().startswith("data:"):
            continue
        url = urljoin(base, raw.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in out:
            out.append(url)
    return out


def _json_ld(blocks: list[str]) -> list[dict[str, Any]]:
    """Every JSON-LD object, ``@graph`` members included; a block that is not JSON is skipped."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            found.append(node)
            if "@graph" in node:
                walk(node["@graph"])

    for block in blocks:
        try:
            walk(json.loads(block))
        except ValueError:
            continue
    return found


def _is(obj: dict[str, Any], kind: str) -> bool:
    types = obj.get("@type")
    return kind in (types if isinstance(types, list) else [types])


def _ld_images(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value.get("url") or value.get("contentUrl") or ""]
    if isinstance(value, list):
        return [u for v in value for u in _ld_images(v)]
    return []


def _prices(product: dict[str, Any], meta: dict[str, str], parser: _Collector) -> list[Price]:
    """JSON-LD offers, then ``product:price``/``og:price`` meta, then microdata, then the text."""
    out: list[Price] = []
    offers = product.get("offers")
    for offer in offers if isinstance(offers, list) else [offers]:
        if isinstance(offer, dict):
            amount = offer.get("price", offer.get("lowPrice"))
            if isinstance(amount, int | float | str) and str(amount).strip():
                out.append(Price(_amount(str(amount)), str(offer.get("priceCurrency") or "").upper()))
    for prefix in ("product:price", "og:price"):
        if meta.get(f"{prefix}:amount"):
            out.append(Price(_amount(meta[f"{prefix}:amount"]), meta.get(f"{prefix}:currency", "").upper()))
    out += [Price(_amount(a), (c or parser.item_currency).upper()) for a, c in parser.item_prices]
    for m in _TEXT_PRICE.finditer(" ".join(parser.text)):
        sign = (m.group("pre") or m.group("post") or "").strip()
        code = CURRENCY_SIGNS.get(sign, "USD" if sign == "US$" else sign.upper())
        out.append(Price(m.group("a") or m.group("b"), code))
    unique: list[Price] = []
    for p in out:
        if p.amount and p not in unique:
            unique.append(p)
    return unique[:4]


def _amount(raw: str) -> str:
    """``"24.9"`` → ``"24.90"``; other text kept as written."""
    text = raw.strip()
    if re.fullmatch(r"\d+\.\d", text):
        return text + "0"
    if re.fullmatch(r"\d+\.\d{3,}", text):
        return f"{float(text):.2f}"
    return text


def _hex_of(value: str) -> str:
    m = _HEX.search(value) or None
    if m:
        return _norm_hex(m.group(1))
    r = _RGB.search(value)
    if r:
        return "#{:02x}{:02x}{:02x}".format(*(min(255, int(v)) for v in r.groups()))
    return ""


def _norm_hex(h: str) -> str:
    h = h.lower()
    return "#" + ("".join(c * 2 for c in h) if len(h) == 3 else h)


def rank_colours(css: list[str]) -> list[str]:
    """CSS colours by how often they appear, the saturated ones (a brand's) before greys, white and black.

    Example: ``rank_colours(["a{color:#e63946} b{color:#fff} c{background:#E63946}"])`` → ``["#e63946", "#ffffff"]``.
    """
    counts: Counter[str] = Counter()
    for block in css:
        counts.update(_norm_hex(m.group(1)) for m in _HEX.finditer(block))
        counts.update("#{:02x}{:02x}{:02x}".format(*(min(255, int(v)) for v in m.groups()))
                      for m in _RGB.finditer(block))
    return sorted(counts, key=lambda c: (not vivid(c), -counts[c], c))


def vivid(colour: str) -> bool:
    """A colour a brand would pick: saturated, neither near white nor near black (``#e63946`` yes, ``#333333`` no)."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    _, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    return saturation > 0.25 and 0.12 < lightness < 0.92
