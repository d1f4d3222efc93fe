"""The tools API as a client sees it: catalog, one-shot runs, outputs, billing, jobs, limits."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import Server, png, start_module_server

QR = "/api/v1/tools/qr"
CONVERT = "/api/v1/tools/image-convert"
PRICE = Decimal("0.002")



@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "tools", """
        [tiers.free]
        requests_per_minute = 0
        concurrent_jobs = 10
        [tiers.two_jobs]
        jobs_per_hour = 2
        requests_per_minute = 0
        [tiers.three_rpm]
        jobs_per_hour = 0
        requests_per_minute = 3
        [[accounts]]
        id = "other"
        initial_test_balance_usd = "1"
        [[accounts]]
        id = "hourly"
        tier = "two_jobs"
        initial_test_balance_usd = "1"
        [[accounts]]
        id = "rpm"
        tier = "three_rpm"
        initial_test_balance_usd = "1"
        """)
    yield server
    server.stop()



def balance_usd(server: Server, key: str) -> Decimal:
    r = server.get("/api/v1/balance", key=key)
    assert r.status_code == 200, r.text
    return Decimal(r.json()["balance"]["balance_usd"])


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def decoded(body: dict[str, Any]) -> bytes:
    return base64.b64decode(body["output"]["content_base64"], validate=True)


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_lists_qr_and_image_convert(srv):
    tools = {t["slug"]: t for t in ok(srv.get("/api/v1/tools", key=srv.key))["tools"]}
    assert {"qr", "image-convert"} <= set(tools)
    assert tools["qr"]["aliases"] == ["crear-qr"]
    assert tools["image-convert"]["aliases"] == ["convertir-formato-imagen"]
    assert tools["qr"]["pricing"] == {"type": "fixed", "price_usd": "0.002"}
    assert tools["image-convert"]["pricing"] == {"type": "fixed", "price_usd": "0.002"}
    qr_inputs = {i["name"]: i for i in tools["qr"]["inputs"]}
    assert qr_inputs["text"]["required"] is True
    assert qr_inputs["output_format"]["allowed_values"] == ["png", "svg", "jpeg", "webp"]
    convert_inputs = {i["name"]: i for i in tools["image-convert"]["inputs"]}
    assert convert_inputs["image"] == {"name": "image", "type": "file", "required": True}
    assert {"png", "jpeg", "webp"} <= set(convert_inputs["output_format"]["allowed_values"])
    assert all(t["available"] is True for t in tools.values())


def test_catalog_entry_by_alias(srv):
    by_alias = ok(srv.get("/api/v1/tools/crear-qr", key=srv.key))["tool"]
    by_slug = ok(srv.get("/api/v1/tools/qr", key=srv.key))["tool"]
    assert by_alias == by_slug
    assert by_alias["slug"] == "qr"


# --- qr outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,pil_format,mime,ext", [
    ("png", "PNG", "image/png", "png"),
    ("jpeg", "JPEG", "image/jpeg", "jpg"),
    ("webp", "WEBP", "image/webp", "webp"),
])
def test_qr_raster_formats_decode(srv, fmt, pil_format, mime, ext):
    body = ok(srv.post(QR, key=srv.key, json={"text": "https://noxus.lat", "output_format": fmt, "size": 256}))
    assert body["tool"] == "qr"
    assert (body["output"]["filename"], body["output"]["mime_type"]) == (f"qr.{ext}", mime)
    data = decoded(body)
    assert body["output"]["size_bytes"] == len(data)
    with Image.open(io.BytesIO(data)) as img:
        assert (img.format, img.size) == (pil_format, (256, 256))


def test_qr_svg(srv):
    body = ok(srv.post("/api/v1/tools/crear-qr", key=srv.key,
                       json={"text": "https://noxus.lat", "output_format": "svg"}))
    assert (body["output"]["filename"], body["output"]["mime_type"]) == ("qr.svg", "image/svg+xml")
    data = decoded(body).lstrip()
    assert data.startswith(b"<?xml") or data.startswith(b"<svg")
    assert b"<svg" in data


def test_output_url_serves_the_same_bytes_without_a_key(srv):
    body = ok(srv.post(QR, key=srv.key, json={"text": "url"}))
    url = body["output"]["url"]
    assert url.startswith("/api/v1/files/") and "sig=" in url and "expires=" in url
    r = srv.get(url)
    assert r.status_code == 200
    assert r.content == decoded(body)
    assert r.headers["content-type"].startswith("image/png")
    sig = url.rsplit("sig=", 1)[1]
    tampered = url[: -len(sig)] + ("0" if sig[0] != "0" else "1") + sig[1:]
    r = srv.get(tampered)
    assert r.status_code == 404
    assert r.json()["success"] is False and r.json()["error_code"] == "not_found"


def test_return_base64_false_omits_content(srv):
    body = ok(srv.post(QR, key=srv.key, json={"text": "sin base64", "return_base64": False}))
    assert "content_base64" not in body["output"]
    assert srv.get(body["output"]["url"]).status_code == 200
    form = ok(srv.post(CONVERT, key=srv.key, files={"image": ("foto.png", png(), "image/png")},
                       data={"output_format": "png", "return_base64": "false"}))
    assert "content_base64" not in form["output"]


# --- image-convert inputs ---------------------------------------------------------------------


def test_multipart_like_the_seed_curl(srv):
    r = srv.post(CONVERT, key=srv.key, files={"image": ("foto.png", png(), "image/png")},
                 data={"output_format": "webp", "filename": "mi-imagen"})
    body = ok(r)
    assert body["tool"] == "image-convert"
    assert (body["output"]["filename"], body["output"]["mime_type"]) == ("mi-imagen.webp", "image/webp")
    with Image.open(io.BytesIO(decoded(body))) as img:
        assert (img.format, img.size) == ("WEBP", (64, 64))


@pytest.mark.parametrize("prefix", ["", "data:image/png;base64,"])
def test_json_base64_input(srv, prefix):
    content = prefix + base64.b64encode(png()).decode()
    body = ok(srv.post(CONVERT, key=srv.key,
                       json={"filename": "foto.png", "content_base64": content, "output_format": "webp"}))
    assert (body["output"]["filename"], body["output"]["mime_type"]) == ("foto.webp", "image/webp")
    with Image.open(io.BytesIO(decoded(body))) as img:
        assert (img.format, img.size) == ("WEBP", (64, 64))


# --- billing and jobs -------------------------------------------------------------------------


def test_billing_block_and_balance_after(srv):
    before = balance_usd(srv, srv.key)
    body = ok(srv.post(QR, key=srv.key, json={"text": "billing"}))
    after = before - PRICE
    assert body["billing"] == {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.002",
                               "balance_after_usd": format(after.normalize(), "f")}
    assert balance_usd(srv, srv.key) == after


def test_jobs_list_and_show(srv):
    body = ok(srv.post(QR, key=srv.key, json={"text": "job"}))
    job_id = body["job_id"]
    listing = ok(srv.get("/api/v1/jobs", key=srv.key, params={"tool": "qr", "limit": 100}))
    assert job_id in [j["job_id"] for j in listing["jobs"]]
    assert listing["pagination"]["total"] >= 1
    job = ok(srv.get(f"/api/v1/jobs/{job_id}", key=srv.key))
    assert (job["job_id"], job["tool"], job["status"], job["progress"]) == (job_id, "qr", "succeeded", 100)
    assert job["billing"]["charged_usd"] == "0.002"
    assert job["output"]["filename"] == "qr.png"


def test_other_account_cannot_see_the_job(srv):
    job_id = ok(srv.post(QR, key=srv.key, json={"text": "private"}))["job_id"]
    other = srv.new_key("other")
    r = srv.get(f"/api/v1/jobs/{job_id}", key=other)
    assert r.status_code == 404
    assert r.json()["error_code"] == "job_not_found"
    listing = ok(srv.get("/api/v1/jobs", key=other))
    assert job_id not in [j["job_id"] for j in listing["jobs"]]


# --- limits -----------------------------------------------------------------------------------


def test_rate_limit_headers_on_authenticated_responses(srv):
    for r in (srv.get("/api/v1/balance", key=srv.key), srv.post(QR, key=srv.key, json={"text": "h"}),
              srv.post(QR, key=srv.key, json={"text": "h", "size": "big"})):
        assert r.status_code in (200, 400)
        assert r.headers["x-ratelimit-limit"] == "60"
        assert 0 <= int(r.headers["x-ratelimit-remaining"]) <= 60
        assert int(r.headers["x-ratelimit-reset"]) >= int(time.time())


def test_successful_jobs_per_hour(srv):
    key = srv.new_key("hourly")
    for text in ("uno", "dos"):
        ok(srv.post(QR, key=key, json={"text": text}))
    before = balance_usd(srv, key)
    r = srv.post(QR, key=key, json={"text": "tres"})
    assert r.status_code == 429, r.text
    body = r.json()
    assert (body["success"], body["error_code"]) == (False, "rate_limit_exceeded")
    assert body["limit"] == {"limit": 2, "window_seconds": 3600}
    assert body["billing"] == {"charged_usd": "0"}
    assert int(r.headers["retry-after"]) > 0
    assert balance_usd(srv, key) == before == Decimal("1") - 2 * PRICE


def test_requests_per_minute(srv):
    key = srv.new_key("rpm")
    for _ in range(3):
        assert srv.get("/api/v1/balance", key=key).status_code == 200
    r = srv.post(QR, key=key, json={"text": "cuarta"})
    assert r.status_code == 429, r.text
    body = r.json()
    assert (body["success"], body["error_code"]) == (False, "rate_limit_exceeded")
    assert body["limit"] == {"limit": 3, "window_seconds": 60}
    assert int(r.headers["retry-after"]) > 0
