"""instant-ad's page reading (issue 24 item 3): facts from fixture HTML (Open Graph, JSON-LD prices,
theme-color, CSS colours, logo, relative URLs) and the HTML-only fetch through the SSRF guard against a
real local server (not HTML, a redirect to a private address, a 50 MB page), plus the brand kit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.net.fetch import FetchPolicy
from noxus_local.web.brand import BrandKit, kit_of, logo_palette
from noxus_local.web.fetch import fetch_html, fetch_image, looks_html
from noxus_local.web.page import PageFacts, Price, rank_colours, read_page
from tests.http_fixture import media_server

PRODUCT_PAGE = """<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><title>Taza Brillo | Casa Acme</title>
<meta name="description" content="Mantiene tu café caliente seis horas.">
<meta property="og:title" content="Taza Brillo — edición azul">
<meta property="og:image" content="/img/taza.jpg">
<meta property="og:site_name" content="Casa Acme">
<meta name="theme-color" content="#1D6FD8">
<link rel="icon" href="/favicon.ico"><link rel="apple-touch-icon" href="/touch.png">
<style>body{color:#222} .btn{background:#e63946} a{color:#E63946} .x{border-color:rgb(29, 111, 216)}</style>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
 {"@type": "Organization", "name": "Casa Acme", "logo": "https://cdn.example/logo.png"},
 {"@type": "Product", "name": "Taza Brillo", "image": ["/img/taza-1.jpg", {"url": "/img/taza-2.jpg"}],
  "offers": {"@type": "Offer", "price": 349.5, "priceCurrency": "MXN"}}]}
</script>
<script>window.cart = {"total": "$999.00"};</script>
</head><body>
<img src="/img/banner.jpg" alt="Promo"><img src="/px.gif" width="1" height="1">
<h1>Taza <b>Brillo</b></h1><p>Antes $420.00, ahora $349.50</p>
</body></html>"""


def test_a_product_page_gives_title_price_images_colours_and_logo():
    facts = read_page(PRODUCT_PAGE, "https://shop.example/p/taza")
    assert facts.title == "Taza Brillo"  # JSON-LD's Product name wins over og:title and <title>
    assert facts.description == "Mantiene tu café caliente seis horas."
    assert facts.site_name == facts.brand == "Casa Acme"
    assert facts.language == "es" and facts.headline == "Taza Brillo"
    assert facts.images[:4] == ["https://shop.example/img/taza-1.jpg", "https://shop.example/img/taza-2.jpg",
                                "https://shop.example/img/taza.jpg", "https://shop.example/img/banner.jpg"]
    assert not any("px.gif" in i or "favicon" in i for i in facts.images)
    assert facts.prices[0] == Price("349.50", "MXN") and facts.price_text == "$349.50"
    assert Price("420.00", "USD") in facts.prices  # the text's prices come after the structured ones
    assert "$999.00" not in {p.text for p in facts.prices}  # script text is not page text
    assert facts.theme_color == "#1d6fd8" and facts.colours[:2] == ["#1d6fd8", "#e63946"]
    assert facts.logo == "https://cdn.example/logo.png"


def test_open_graph_and_product_price_meta_without_json_ld():
    html = ('<html><head><meta property="og:title" content="Glow Mug">'
            '<meta property="og:image" content="https://cdn.example/mug.png">'
            '<meta property="product:price:amount" content="24.9">'
            '<meta property="product:price:currency" content="usd"></head>'
            '<body><img class="site-logo" src="/logo.svg"></body></html>')
    facts = read_page(html, "http://127.0.0.1:8000/mug")
    assert facts.title == "Glow Mug" and facts.price_text == "$24.90"
    assert facts.images == ["https://cdn.example/mug.png"]
    assert facts.logo == "http://127.0.0.1:8000/logo.svg"
    assert facts.brand == ""  # an IP address names no brand


def test_microdata_prices_euro_text_and_a_base_href():
    html = ('<html><head><base href="https://cdn.example/shop/"><title>Lámpara Nube - Lumo</title></head><body>'
            '<div itemscope><meta itemprop="price" content="59.00"><meta itemprop="priceCurrency" content="EUR">'
            '<img itemprop="image" src="nube.webp"></div><p>Envío 4,95 €</p></body></html>')
    facts = read_page(html, "https://lumo.example/nube")
    assert facts.images == ["https://cdn.example/shop/nube.webp"]
    assert facts.prices[0] == Price("59.00", "EUR") and facts.price_text == "59.00 €"
    assert Price("4,95", "EUR") in facts.prices
    assert facts.brand == "Lumo"


def test_a_page_without_images_or_prices_reads_as_empty_lists():
    facts = read_page("<html><head><title>Only words</title></head><body><p>Hello</p></body></html>",
                      "https://words.example/")
    assert facts.images == [] and facts.prices == [] and facts.price_text == "" and facts.logo == ""
    assert facts.brand == "Words"


def test_broken_html_and_bad_json_ld_do_not_raise():
    facts = read_page('<html><head><script type="application/ld+json">{not json</script><title>X</title>'
                      '<img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA"><body><h1>Y',
                      "https://x.example/")
    assert facts.title == "X" and facts.images == [] and facts.headline == "Y"


def test_css_colours_rank_vivid_ones_first_by_frequency():
    assert rank_colours(["a{color:#fff} b{color:#e63946} c{background:#E63946} d{color:#1d3557}"]) == \
        ["#e63946", "#1d3557", "#ffffff"]


def test_the_facts_survive_the_job_rows_json():
    facts = read_page(PRODUCT_PAGE, "https://shop.example/p/taza")

    assert PageFacts.from_dict(facts.to_dict()) == facts


def test_a_kit_from_a_page_and_a_logos_palette():
    kit = kit_of(read_page(PRODUCT_PAGE, "https://shop.example/p/taza"))
    assert kit == BrandKit("Casa Acme", ["#1d6fd8", "#e63946"], "https://cdn.example/logo.png")
    logo = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rectangle((0, 0, 139, 99), fill=(230, 57, 70, 255))
    draw.rectangle((140, 0, 199, 99), fill=(29, 53, 87, 255))
    palette = logo_palette(logo)
    assert len(palette) == 2 and palette[0].startswith("#e") and palette[1].startswith("#1")
    assert BrandKit("A", ["#e63946"]).with_colours(palette).colours == ["#e63946", *palette[1:]]


# ---------------------------------------------------------------- fetching


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 30, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def site():
    big = b"<!doctype html><html><body>" + b"<p>x</p>" * (50 * 2**20 // 8)  # a 50 MB page
    with media_server({"/p.html": PRODUCT_PAGE.encode(), "/ok.png": png(), "/big.html": big,
                       "/latin1.html": '<html><head><meta charset="iso-8859-1"><title>Caña</title></head></html>'
                       .encode("latin-1")}) as server:
        yield server


def policy(allow: list[str]) -> FetchPolicy:
    return FetchPolicy(allow, 10.0, 3)


def test_looks_html_is_about_the_bytes():
    assert looks_html(b"\xef\xbb\xbf  <!-- hi -->\n<!DOCTYPE html><html>")
    assert looks_html(b"<HTML><HEAD>") and looks_html(b"<head><title>x")
    assert not looks_html(png()) and not looks_html(b'{"a": 1}') and not looks_html(b"%PDF-1.7")


def test_an_allowed_local_page_is_fetched_and_decoded(site, tmp_path: Path):
    html = fetch_html(site.base + "/p.html", "website_url", policy(["127.0.0.1"]), 5 * 2**20, tmp_path)
    assert read_page(html, site.base + "/p.html").title == "Taza Brillo"
    assert list(tmp_path.iterdir()) == []  # nothing left on disk
    latin = fetch_html(site.base + "/latin1.html", "website_url", policy(["127.0.0.1"]), 2**20, tmp_path)
    assert "Caña" in latin


def test_loopback_is_refused_unless_allowed(site, tmp_path: Path):
    with pytest.raises(ValidationError) as err:
        fetch_html(site.base + "/p.html", "website_url", policy([]), 5 * 2**20, tmp_path)
    assert "website_url" in err.value.details["field_errors"]


def test_a_url_that_is_not_html_is_a_400_on_the_field(site, tmp_path: Path):
    with pytest.raises(ValidationError) as err:
        fetch_html(site.base + "/ok.png", "website_url", policy(["127.0.0.1"]), 5 * 2**20, tmp_path)
    assert "HTML" in str(err.value.details["field_errors"]["website_url"])
    assert list(tmp_path.iterdir()) == []


def test_a_redirect_to_a_private_address_is_refused(site, tmp_path: Path):
    with pytest.raises(ValidationError) as err:
        fetch_html(site.base + "/redirect?to=http://10.20.30.40/p.html", "website_url", policy(["127.0.0.1"]),
                   5 * 2**20, tmp_path)
    assert "10.20.30.40" in str(err.value.details["field_errors"]["website_url"])


def test_a_50_mb_page_is_a_413_naming_the_page_limit(site, tmp_path: Path):
    with pytest.raises(LimitExceeded) as err:
        fetch_html(site.base + "/big.html", "website_url", policy(["127.0.0.1"]), 5 * 2**20, tmp_path)
    assert err.value.details["limit"] == "max_page_mb" and err.value.details["max"] == 5


def test_page_images_are_fetched_checked_or_skipped(site, tmp_path: Path):
    path = fetch_image(site.base + "/ok.png", tmp_path / "img", policy(["127.0.0.1"]), 10 * 2**20)
    assert path is not None and Image.open(path).size == (300, 300)
    assert fetch_image(site.base + "/p.html", tmp_path / "img2", policy(["127.0.0.1"]), 10 * 2**20) is None
    assert fetch_image(site.base + "/missing.png", tmp_path / "img3", policy(["127.0.0.1"]), 10 * 2**20) is None
    assert fetch_image(site.base + "/ok.png", tmp_path / "img4", policy([]), 10 * 2**20) is None
