"""The instant-ad tool in process (issue 24 items 3-4): held per variation before it runs, the page read
at the request, and ``output_format=video`` through the video-ad engine, judged by PyAV.

The page is served by the test on 127.0.0.1 (allowed by ``[assets] fetch_allow_hosts``); ISNet, Kokoro
and the bundled music come from the shared model cache. No text model: the template writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from noxus_local.billing.charges import estimate
from noxus_local.config import Config, load_config
from noxus_local.errors import ValidationError
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.money import Price
from noxus_local.tools.base import Limits, ToolContext
from noxus_local.tools.catalog import Catalog
from noxus_local.tools.instant_ad import VIDEO_UNITS, InstantAdTool
from tests.http_fixture import media_server
from tests.media_samples import product_photo

PAGE = """<!doctype html><html lang="es"><head><title>Botella Brillo | Casa Acme</title>
<meta property="og:image" content="/bottle.jpg"><meta name="theme-color" content="#e63946">
<script type="application/ld+json">{"@type": "Product", "name": "Botella Brillo",
 "offers": {"price": "19.90", "priceCurrency": "EUR"}}</script></head><body><h1>Botella Brillo</h1></body></html>"""


def jpeg() -> bytes:
    photo, _ = product_photo(size=(600, 800), background="white")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with media_server({"/p.html": PAGE.encode(), "/bottle.jpg": jpeg()}) as server:
        yield server


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    data = tmp_path_factory.mktemp("iad") / "data"
    toml = data.parent / "noxus.toml"
    toml.write_text(f'[server]\ndata_dir = "{data}"\n[inference]\nprefer_gpu = false\n'
                    '[assets]\nfetch_allow_hosts = ["127.0.0.1"]\n')
    return load_config(toml, {})


def test_registered_with_its_alias_and_a_per_variation_price():
    catalog = Catalog.default()
    tool = catalog.resolve("anuncio-instantaneo")
    assert tool.slug == "instant-ad" and isinstance(tool, InstantAdTool)
    assert [i.name for i in tool.inputs] == ["website_url", "platform", "count", "style", "output_format",
                                             "brand_profile_id", "language"]


@pytest.mark.parametrize(("fmt", "count", "units"), [("image", 1, 1), ("image", 4, 4), ("video", 2, 2 * VIDEO_UNITS),
                                                     ("both", 3, 3 * (1 + VIDEO_UNITS))])
def test_the_hold_is_counted_per_variation_before_anything_runs(fmt, count, units):
    tool = InstantAdTool()
    params = tool.validate({"website_url": "https://shop.example/p", "count": count, "output_format": fmt}, {},
                           Limits())
    plan = tool.plan(tool.typed(params), {}, Limits())
    assert plan.units == units
    assert estimate(tool, Price("image", 10_000, 10_000), params, plan) == (units * 10_000, float(units))


def test_count_5_and_an_unknown_platform_are_refused_by_the_reader():
    tool = InstantAdTool()
    for raw, field in (({"website_url": "https://x.example", "count": 5}, "count"),
                       ({"website_url": "https://x.example", "platform": "myspace"}, "platform")):
        with pytest.raises(ValidationError) as err:
            tool.validate(raw, {}, Limits())
        assert field in err.value.details["field_errors"]


def test_a_video_variation_is_a_15_second_ad_from_the_pages_product(site, cfg, tmp_path: Path):
    ModelRegistry.from_config(cfg).fetch(["isnet-general", "kokoro-82m", "kokoro-voice-ef-dora",
                                          "music-immich-memories"])
    tool = InstantAdTool()
    params = tool.validate({"website_url": site.base + "/p.html", "platform": "facebook", "count": 1,
                            "style": "bold", "output_format": "video"}, {}, Limits())
    tool.check_installed(params, tool.plan(tool.typed(params), {}, Limits()), cfg)  # the page is read now
    assert params["page"]["title"] == "Botella Brillo" and params["page"]["prices"][0]["currency"] == "EUR"
    out = tool.call(ToolContext(params, {}, Limits(), tmp_path, models=ModelCache(cfg), settings=cfg))
    assert out.name == "video-1" and out.mime_type == "video/mp4"
    assert [f.name for f in out.extras] == ["page"]  # format video: no image outputs
    variation = out.result["variations"][0]
    assert variation["video"] == "ad-1.mp4" and variation["image"] is None
    assert out.result["brand"]["colours"][0] == "#e63946" and out.units == VIDEO_UNITS
    with av.open(str(out.data)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)  # facebook is landscape: a 16:9 video
        assert abs(float(container.duration / 1e6) - 15.0) < 0.5
        assert container.streams.audio
