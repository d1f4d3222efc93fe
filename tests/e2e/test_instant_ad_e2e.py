"""instant-ad through the real server (issue 24 item 3, its bad input and evidence), judged by independent
decoders: Pillow for the sizes, our PP-OCR for the words on the rendered ads.

The test serves its own product page on 127.0.0.1 (allowed by ``[assets] fetch_allow_hosts``): a title, a
JSON-LD price, a theme colour and a product photo (a red bottle on white, which ISNet cuts out). No text
model is installed, so the template writes the copy (``writer: template``) and the run says so.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import Server, SharedServer, accounts_config, balance_usd, start_module_server
from tests.http_fixture import media_server
from tests.media_samples import product_photo

TOOL = "/api/v1/tools/instant-ad"
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 4
[apex]
key_tiers = ["free"]
[assets]
fetch_allow_hosts = ["127.0.0.1"]
fetch_timeout_seconds = 10
"""
TITLE = "Glow Bottle"
PAGE = """<!doctype html><html lang="en"><head><title>Glow Bottle | Acme Home</title>
<meta name="description" content="A steel bottle that keeps drinks cold all day.">
<meta property="og:image" content="/bottle.jpg"><meta property="og:site_name" content="Acme Home">
<meta name="theme-color" content="#1d6fd8">
<script type="application/ld+json">{"@type": "Product", "name": "Glow Bottle",
 "offers": {"price": "24.90", "priceCurrency": "USD"}}</script></head>
<body><h1>Glow Bottle</h1><p>Cold for 24 hours.</p></body></html>"""
NO_IMAGES = PAGE.replace('<meta property="og:image" content="/bottle.jpg">', "")


def jpeg() -> bytes:
    photo, _ = product_photo(size=(600, 800), background="white")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    big = b"<!doctype html><html><body>" + b"<p>x</p>" * (50 * 2**20 // 8)
    with media_server({"/p.html": PAGE.encode(), "/bare.html": NO_IMAGES.encode(), "/bottle.jpg": jpeg(),
                       "/ok.png": jpeg(), "/big.html": big}) as server:
        yield server


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(12)
    server = start_module_server(tmp_path_factory, "iad", CONFIG + toml,
                                 models=("isnet-general", "kokoro-82m", "kokoro-voice-af-heart",
                                         "music-immich-memories"))
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


@pytest.fixture(scope="module")
def ocr(shared: SharedServer) -> Any:
    from noxus_local.config import load_config
    from noxus_local.inference.cache import ModelCache
    from noxus_local.inference.models.ppocr import PpOcr
    from noxus_local.inference.registry.installed import ModelRegistry

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(shared.server.data_dir / "ocr"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false", "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["ppocr-v6-tiny"])
    return ModelCache(cfg).get(PpOcr)


def squash(text: str) -> str:
    return "".join(text.casefold().split())


def run(srv: Server, body: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    r = srv.post(TOOL, key=srv.key, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = srv.get(f"/api/v1/jobs/{r.json()['job_id']}", key=srv.key).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            assert job["status"] == "succeeded", job
            return dict(job)
        time.sleep(0.3)
    raise AssertionError("the job did not end")


def image_of(srv: Server, body: dict[str, Any], name: str) -> Image.Image:
    out = next(o for o in body["outputs"] if o["name"] == name)
    r = srv.get(out["url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/png")
    return Image.open(io.BytesIO(r.content)).convert("RGB")


def test_two_instagram_ads_from_a_local_page_carry_its_title_and_price(srv, site, ocr):
    before = balance_usd(srv)
    body = run(srv, {"website_url": site.base + "/p.html", "platform": "instagram", "count": 2, "style": "bold"})
    result = body["result"]
    assert result["page"]["title"] == TITLE and result["page"]["price"] == "$24.90"
    assert result["brand"]["name"] == "Acme Home" and result["brand"]["colours"][0] == "#1d6fd8"
    assert result["writer"] == "template" and result["variation_count"] == 2
    assert [o["name"] for o in body["outputs"]] == ["ad-1", "ad-2", "page"]
    for name in ("ad-1", "ad-2"):
        ad = image_of(srv, body, name)
        assert ad.size == (1080, 1080)
        seen = squash(ocr.predict([ad])[0]["text"])
        assert squash(TITLE) in seen and "24.90" in seen, seen
        pixels = np.asarray(ad).astype(int)
        assert ((pixels[..., 0] - pixels[..., 1]) > 120).mean() > 0.01  # the red product, cut out, is on it
    assert body["billing"]["charged_usd"] == "0.02"  # two image variations at 0.01
    assert balance_usd(srv) == before - Decimal("0.02")


def test_a_page_without_images_gives_text_only_ads_with_a_warning(srv, site, ocr):
    body = run(srv, {"website_url": site.base + "/bare.html", "platform": "facebook", "count": 1,
                     "style": "minimal"})
    assert any("text only" in w for w in body["result"]["warnings"] if isinstance(w, str))
    ad = image_of(srv, body, "ad-1")
    assert ad.size == (1200, 628)
    seen = squash(ocr.predict([ad])[0]["text"])
    assert squash(TITLE) in seen and "24.90" in seen, seen


@pytest.mark.parametrize(("path", "status", "where"), [
    ("/ok.png", 400, "website_url"),                           # not HTML
    ("/redirect?to=http://10.20.30.40/p.html", 400, "website_url"),  # a redirect to a private address
    ("/big.html", 413, "max_page_mb"),                         # a 50 MB page
])
def test_bad_pages_are_refused_before_the_hold_and_charged_nothing(srv, site, path, status, where):
    before = balance_usd(srv)
    r = srv.post(TOOL, key=srv.key, json={"website_url": site.base + path, "count": 1})
    assert r.status_code == status, r.text
    assert where in r.text
    assert balance_usd(srv) == before
    assert srv.get("/api/v1/jobs", key=srv.key).json()["jobs"] == []


def test_count_5_an_unknown_style_and_a_non_http_url_are_400(srv, site):
    before = balance_usd(srv)
    for body, field in (({"website_url": site.base + "/p.html", "count": 5}, "count"),
                        ({"website_url": site.base + "/p.html", "style": "grunge"}, "style"),
                        ({"website_url": "file:///etc/passwd"}, "website_url")):
        r = srv.post(TOOL, key=srv.key, json=body)
        assert r.status_code == 400 and field in r.json()["details"]["field_errors"], r.text
    assert balance_usd(srv) == before


def test_a_brand_profile_from_a_page_is_saved_listed_used_and_deleted(srv, site, shared):
    r = srv.post("/api/v1/brand-profiles", key=srv.key,
                 json={"website_url": site.base + "/p.html", "colors": ["#E63946", "#1d3557"]})
    assert r.status_code == 201, r.text
    profile = r.json()["brand_profile"]
    assert profile["name"] == "Acme Home" and profile["colors"] == ["#e63946", "#1d3557"]
    assert srv.get("/api/v1/brand-profiles", key=srv.key).json()["brand_profiles"] == [profile]
    other = shared.view()
    assert other.get(f"/api/v1/brand-profiles/{profile['id']}", key=other.key).status_code == 404
    refused = other.post(TOOL, key=other.key, json={"website_url": site.base + "/p.html",
                                                    "brand_profile_id": profile["id"]})
    assert refused.status_code == 400 and "brand_profile_id" in refused.json()["details"]["field_errors"]

    body = run(srv, {"website_url": site.base + "/bare.html", "platform": "linkedin", "style": "modern",
                     "brand_profile_id": profile["id"]})
    assert body["result"]["brand"]["colours"] == ["#e63946", "#1d3557"]
    assert srv.request("DELETE", f"/api/v1/brand-profiles/{profile['id']}", key=srv.key).status_code == 200
    assert srv.get(f"/api/v1/brand-profiles/{profile['id']}", key=srv.key).status_code == 404
    bad = srv.post("/api/v1/brand-profiles", key=srv.key, json={"website_url": site.base + "/ok.png"})
    assert bad.status_code == 400 and "website_url" in bad.text
    assert srv.post("/api/v1/brand-profiles", key=srv.key, json={"colors": ["red"]}).status_code == 400


def apex(srv: Server, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {srv.key}", "Content-Type": "application/json"}
    if body is None:
        return httpx.get(f"{srv.base}{path}", headers=headers, timeout=30)
    return httpx.post(f"{srv.base}{path}", headers=headers, json=body, timeout=30)


def test_seed_002_instant_ad_is_held_per_variation_and_completes(srv, site, ocr):
    before = balance_usd(srv)
    r = apex(srv, "/api/generate/instant-ad", {"websiteUrl": site.base + "/p.html", "platform": "tiktok",
                                                "count": 1, "style": "luxury"})
    assert r.status_code == 200, r.text
    job_id = r.json()["data"]["jobId"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = apex(srv, f"/api/jobs?id={job_id}").json()["data"]
        if job["status"] in ("completed", "failed"):
            break
        time.sleep(0.6)
    assert job["status"] == "completed", job
    assert job["outputType"] == "image/png" and job["metadata"]["variationCount"] == 1
    assert job["metadata"]["format"] == "image"
    assert job["metadata"]["platform"] == "tiktok" and job["creditsCharged"] == 500  # 1250 - 3 x 250
    ad = Image.open(io.BytesIO(httpx.get(job["outputUrl"], timeout=30).content)).convert("RGB")
    assert ad.size == (1080, 1920)
    seen = squash(ocr.predict([ad])[0]["text"])
    assert squash(TITLE) in seen and "24.90" in seen, seen
    assert balance_usd(srv) == before - Decimal("0.5")  # 500 credits at 0.001 USD


def wait_apex(srv: Server, job_id: str, timeout: float = 400) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = apex(srv, f"/api/jobs?id={job_id}").json()["data"]
        if job["status"] in ("completed", "failed"):
            return dict(job)
        time.sleep(0.6)
    raise AssertionError("the job did not end")


def test_seed_002_commercial_runs_the_video_ad_engine_on_the_product_images(srv, site, tmp_path):
    import av

    before = balance_usd(srv)
    r = apex(srv, "/api/generate/commercial", {"product": "Glow Bottle, a steel bottle that keeps drinks cold",
                                                "platform": "tiktok", "duration": 15, "tone": "energetic",
                                                "targetAudience": "hikers",
                                                "productImages": [site.base + "/bottle.jpg"]})
    assert r.status_code == 200, r.text
    job = wait_apex(srv, r.json()["data"]["jobId"])
    assert job["status"] == "completed", job
    assert job["outputType"] == "video/mp4" and job["metadata"]["platform"] == "tiktok"
    assert job["metadata"]["duration"] == 15 and len(job["metadata"]["sceneClips"]) >= 2
    assert job["creditsCharged"] == 3000 and balance_usd(srv) == before - Decimal("3")
    path = tmp_path / "commercial.mp4"
    path.write_bytes(httpx.get(job["outputUrl"], timeout=60).content)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (720, 1280)  # tiktok: 9:16
        assert abs(float(container.duration / 1e6) - 15.0) < 0.5 and container.streams.audio


def test_seed_002_bad_instant_ad_and_commercial_bodies_are_400_charged_nothing(srv, site):
    before = balance_usd(srv)
    five = apex(srv, "/api/generate/instant-ad", {"websiteUrl": site.base + "/p.html", "platform": "tiktok",
                                                   "count": 5, "style": "bold"})
    assert five.status_code == 400 and "count" in five.json()["error"]
    png = apex(srv, "/api/generate/instant-ad", {"websiteUrl": site.base + "/ok.png", "platform": "tiktok",
                                                  "count": 1, "style": "bold"})
    assert png.status_code == 400 and "websiteUrl" in png.json()["error"]
    no_images = apex(srv, "/api/generate/commercial", {"product": "Glow Bottle", "platform": "tiktok",
                                                        "duration": 15, "tone": "energetic"})
    assert no_images.status_code == 400 and "productImages" in no_images.json()["error"]
    private = apex(srv, "/api/generate/commercial", {"product": "Glow Bottle", "platform": "tv", "duration": 30,
                                                      "tone": "luxury", "productImages": ["http://10.0.0.9/a.png"]})
    assert private.status_code == 400 and "productImages" in private.json()["error"]
    assert balance_usd(srv) == before
