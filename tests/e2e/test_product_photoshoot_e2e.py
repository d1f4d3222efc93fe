"""product-photoshoot through the real server (issue 24 item 2, its billing and bad input), on the NOXUS route,
its Spanish alias and seed 002's ``/api/generate/photoshoot``.

The test draws its product (a teal rounded jar on a textured table), runs the tool over HTTP and judges the
photos with Pillow (format, size, the product's colour, the backdrop's), the ledger with the balance, and bad
input by status and by a balance that did not move. No image generator is configured: lifestyle is 503.
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

from tests.e2e.conftest import Server, SharedServer, accounts_config
from tests.unit.test_product_photoshoot import drawn_product

TOOL = "/api/v1/tools/product-photoshoot"
CONFIG = """
[server]
locale = "en"
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
"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(8)
    server = Server(tmp_path_factory.mktemp("shoot") / "data", CONFIG + toml)
    fetched = server.cli("models", "fetch", "isnet-general")
    assert fetched.returncode == 0, fetched.stderr
    server.start()
    try:
        yield SharedServer(server, keys)
    finally:
        server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


@pytest.fixture(scope="module")
def jar() -> bytes:
    photo, _ = drawn_product((480, 360))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    return buffer.getvalue()


def balance(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def picture(srv: Server, url: str) -> Image.Image:
    r = srv.get(url) if url.startswith("/") else httpx.get(url, timeout=30)
    assert r.status_code == 200, r.text
    img = Image.open(io.BytesIO(r.content))
    img.load()
    return img


def teal_share(img: Image.Image) -> float:
    """The share of the photo in the jar's teal (green and blue well above red)."""
    px = np.asarray(img.convert("RGB"), np.int32)
    return float(((px[..., 1] - px[..., 0] > 60) & (px[..., 2] - px[..., 0] > 60)).mean())


def test_two_photos_as_png_and_jpeg_at_the_inputs_size_charged_per_photo(srv: Server, jar: bytes) -> None:
    before = balance(srv)
    r = srv.post(TOOL, key=srv.key, files={"image": ("jar.png", jar)},
                 data={"count": "2", "background": "studio-white", "angle": "hero", "lighting": "dramatic",
                       "seed": "9"}, timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [o["name"] for o in body["outputs"]] == ["primary", "photo-1-jpeg", "photo-2", "photo-2-jpeg", "cutout"]
    urls = {o["name"]: o["url"] for o in body["outputs"]}
    photos = {name: picture(srv, urls[name]) for name in ("primary", "photo-1-jpeg", "photo-2", "photo-2-jpeg")}
    assert {n: (p.format, p.size) for n, p in photos.items()} == {
        "primary": ("PNG", (480, 360)), "photo-1-jpeg": ("JPEG", (480, 360)),
        "photo-2": ("PNG", (480, 360)), "photo-2-jpeg": ("JPEG", (480, 360))}
    for photo in photos.values():
        assert teal_share(photo) > 0.03  # the product is in every photo
        corner = np.asarray(photo.convert("RGB"))[:20, :20].mean(axis=(0, 1))
        assert corner.min() > 150 and np.ptp(corner) < 30  # on the light, neutral studio sweep
    one, two = (np.asarray(photos[n].convert("RGB"), np.float32) for n in ("primary", "photo-2"))
    assert np.abs(one - two).mean() > 3.0  # two distinct variations
    cutout = picture(srv, urls["cutout"])
    assert cutout.mode == "RGBA" and cutout.getpixel((0, 0))[3] == 0
    result = body["result"]
    assert result["count"] == 2 and result["seed"] == 9 and result["mask"]["confidence"] > 0.8
    billing = body["billing"]
    assert Decimal(billing["estimated_usd"]) == Decimal(billing["charged_usd"]) == Decimal("0.06")  # 2 × 0.03
    assert balance(srv) == before - Decimal("0.06")


def test_the_spanish_alias_with_an_asset_on_a_custom_colour(srv: Server, jar: bytes) -> None:
    up = srv.post("/api/v1/assets", key=srv.key, files={"file": ("jar.png", jar)})
    assert up.status_code == 201, up.text
    r = srv.post("/api/v1/tools/fotos-de-producto", key=srv.key, timeout=300,
                 json={"image_asset_id": up.json()["assetId"],
                       "background": "custom", "custom_background": "#F4D35E", "angle": "close-up"})
    assert r.status_code == 200, r.text
    photo = picture(srv, r.json()["output"]["url"])
    r_, g_, b_ = np.asarray(photo.convert("RGB"))[:10, :10].mean(axis=(0, 1))
    assert r_ > 200 and g_ > 170 and b_ < 140  # the yellow backdrop
    assert teal_share(photo) > 0.15  # a close-up: the product fills the frame
    assert r.json()["billing"]["charged_usd"] == "0.03"


def test_bad_input_is_refused_and_charged_nothing(srv: Server, jar: bytes) -> None:
    before = balance(srv)
    five = srv.post(TOOL, key=srv.key, files={"image": ("jar.png", jar)}, data={"count": "5"})
    assert five.status_code == 400 and "count" in five.json()["details"]["field_errors"], five.text
    custom = srv.post(TOOL, key=srv.key, files={"image": ("jar.png", jar)}, data={"background": "custom"})
    assert custom.status_code == 400 and "custom_background" in custom.json()["details"]["field_errors"]
    life = srv.post(TOOL, key=srv.key, files={"image": ("jar.png", jar)}, data={"background": "lifestyle"})
    assert life.status_code == 503, life.text
    assert "[generators.<name>]" in life.json()["error"] and "lifestyle" in life.json()["error"]
    assert life.json()["billing"]["charged_usd"] == "0"
    text = srv.post(TOOL, key=srv.key, files={"image": ("notes.txt", b"not a picture at all")})
    assert text.status_code in (400, 415) and text.json()["billing"]["charged_usd"] == "0"
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(blank, "PNG")
    none = srv.post(TOOL, key=srv.key, files={"image": ("wall.png", blank.getvalue())}, timeout=300)
    assert none.status_code == 400, none.text
    error = none.json()
    assert error["error_code"] == "invalid_media" and error["details"]["reason"] == "no_foreground"
    assert "mask confidence" in error["error"] and 0 <= error["details"]["mask_confidence"] <= 1
    assert none.json()["billing"]["charged_usd"] == "0"
    assert balance(srv) == before


class Apex:
    def __init__(self, srv: Server) -> None:
        self.base, self.headers = srv.base, {"Authorization": f"Bearer {srv.key}"}

    def post(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.base}/api/generate/photoshoot", headers=self.headers, json=body, timeout=60)

    def wait(self, job_id: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = httpx.get(f"{self.base}/api/jobs?id={job_id}", headers=self.headers, timeout=30).json()["data"]
            if job["status"] in ("completed", "failed"):
                return dict(job)
            time.sleep(0.6)
        raise AssertionError(f"{job_id} did not end")


def test_seed_002s_photoshoot_route_runs_the_tool_at_30_credits_a_photo(srv: Server, jar: bytes) -> None:
    from tests.http_fixture import media_server

    api, before = Apex(srv), balance(srv)
    with media_server({"/jar.png": jar}) as media:
        resp = api.post({"productImage": f"{media.base}/jar.png", "background": "flat-lay", "angle": "top-down",
                         "lighting": "soft", "count": 2})
    assert resp.status_code == 200, resp.text
    queued = resp.json()["data"]
    assert queued["status"] == "queued"
    job = api.wait(queued["jobId"])
    assert job["status"] == "completed", job
    assert job["type"] == "photoshoot" and job["outputType"] == "image/png"
    assert {k: job["metadata"][k] for k in ("photoCount", "background", "lighting")} == \
        {"photoCount": 2, "background": "flat-lay", "lighting": "soft"}
    assert job["creditsCharged"] == 60
    photo = picture(srv, job["outputUrl"])
    assert photo.format == "PNG" and photo.size == (480, 360) and teal_share(photo) > 0.03
    assert balance(srv) == before - Decimal("0.06")
    # bad input: the seed's shapes, nothing held
    five = api.post({"productImage": f"{srv.base}/x.png", "background": "studio-white", "count": 5})
    assert five.status_code == 400 and five.json()["code"] == "BAD_REQUEST" and "count" in five.json()["error"]
    nobg = api.post({"productImage": f"{srv.base}/x.png"})
    assert nobg.status_code == 400 and "background" in nobg.json()["error"]
    with media_server({"/jar.png": jar}) as media:
        life = api.post({"productImage": f"{media.base}/jar.png", "background": "lifestyle", "count": 1})
    assert life.status_code == 503 and life.json()["code"] == "SERVICE_UNAVAILABLE", life.text
    assert "generators" in life.json()["error"]
    assert balance(srv) == before - Decimal("0.06")
    used = httpx.get(f"{srv.base}/api/usage", headers=api.headers, timeout=30).json()["data"]["used"]
    assert used["photoshoots"] == 1
