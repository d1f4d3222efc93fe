"""Assets through the real server: upload, dedupe, list, show, delete, publicUrl, and every bad upload."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import Server, start_module_server
from tests.media_samples import EXTERNAL_SVG, SAFE_SVG, SCRIPT_SVG, ffmpeg_sample, noise_png, png_bytes

ASSETS = "/api/v1/assets"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "assets", """
        [assets]
        max_image_mb = 0.05
        max_audio_mb = 0.1
        [tiers.free]
        requests_per_minute = 0
        max_upload_mb = 0.2
        [tiers.tiny]
        requests_per_minute = 0
        storage_quota_mb = 0.05
        [[accounts]]
        id = "other"
        [[accounts]]
        id = "tiny"
        tier = "tiny"
        """)
    yield server
    server.stop()


def upload(srv: Server, data: bytes, name: str = "f.png", key: str | None = None, **form: str) -> httpx.Response:
    return srv.post(ASSETS, key=key or srv.key, files={"file": (name, data, "image/png")}, data=form)


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code and body["billing"] == {"charged_usd": "0"}, body
    return dict(body)


def stored_files(srv: Server) -> list[Path]:
    return sorted(p for p in (srv.data_dir / "assets").rglob("*") if p.is_file())


def test_upload_shape_and_public_url(srv: Server) -> None:
    r = upload(srv, png_bytes(1), "product.png", category="product_image")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True and body["request_id"].startswith("req_")
    assert (body["type"], body["category"], body["mime_type"]) == ("image", "product_image", "image/png")
    assert body["size_bytes"] == len(png_bytes(1)) and body["assetId"].startswith("asset_")
    assert body["deduplicated"] is False and body["filename"] == "product.png"
    public = httpx.get(body["publicUrl"])  # no key
    assert public.status_code == 200 and public.content == png_bytes(1)
    assert public.headers["content-type"] == "image/png"
    tampered = body["publicUrl"].replace("sig=", "sig=0")
    error(httpx.get(tampered), 404, "not_found")
    error(httpx.get(body["publicUrl"].replace("sig=", "sig=%C3%A9")), 404, "not_found")
    shown = srv.get(f"{ASSETS}/{body['assetId']}", key=srv.key).json()
    assert {k: shown[k] for k in ("assetId", "type", "category", "sha256")} == \
        {k: body[k] for k in ("assetId", "type", "category", "sha256")}


def test_same_bytes_twice_same_asset_one_file(srv: Server) -> None:
    first = upload(srv, png_bytes(2), category="logo").json()
    before = stored_files(srv)
    again = upload(srv, png_bytes(2), "another-name.png")
    assert again.status_code == 201 and again.json()["assetId"] == first["assetId"]
    assert again.json()["deduplicated"] is True
    assert stored_files(srv) == before


def test_kind_from_bytes_and_inferred_category(srv: Server, tmp_path: Path) -> None:
    mp3 = upload(srv, ffmpeg_sample(tmp_path, "mp3"), "song.png")  # the name lies; the bytes do not
    assert mp3.status_code == 201, mp3.text
    assert (mp3.json()["type"], mp3.json()["category"], mp3.json()["mime_type"]) == ("audio", "audio", "audio/mpeg")
    video = upload(srv, ffmpeg_sample(tmp_path, "mp4"), "clip.mp4")
    assert (video.json()["type"], video.json()["category"]) == ("video", "video")
    svg = upload(srv, SAFE_SVG, "logo.svg", category="logo")
    assert svg.status_code == 201 and svg.json()["mime_type"] == "image/svg+xml"
    served = httpx.get(svg.json()["publicUrl"])
    assert "default-src 'none'" in served.headers["content-security-policy"]


def test_bad_uploads_are_refused_and_leave_nothing(srv: Server, tmp_path: Path) -> None:
    before = stored_files(srv)
    body = error(upload(srv, png_bytes(3), category="music"), 400, "validation_error")
    assert "category" in body["details"]["field_errors"]
    error(upload(srv, png_bytes(3), category="poster"), 400, "validation_error")
    error(upload(srv, b""), 400, "validation_error")
    error(upload(srv, b"hello, I am text", "photo.png"), 400, "invalid_media")
    assert error(upload(srv, SCRIPT_SVG, "x.svg"), 400, "invalid_media")["details"]["reason"] == "svg_script"
    assert error(upload(srv, EXTERNAL_SVG, "x.svg"), 400,
                 "invalid_media")["details"]["reason"] == "svg_external_reference"
    big = error(upload(srv, noise_png(60_000)), 413, "limit_exceeded")
    assert big["details"] == {"limit": "max_image_mb", "max": 0.05}
    long_audio = ffmpeg_sample(tmp_path, "wav", seconds=4)  # ~128 KB of WAV, over 0.1 MB
    assert error(upload(srv, long_audio), 413, "limit_exceeded")["details"]["limit"] == "max_audio_mb"
    error(srv.post(ASSETS, key=srv.key, data={"category": "logo"}, files={"other": ("a", b"x")}),
          400, "validation_error")
    error(srv.post(ASSETS, key=srv.key, json={"file": "abc"}), 415, "unsupported_media_type")
    error(srv.post(ASSETS, files={"file": ("a.png", png_bytes(4))}), 401, "missing_api_key")
    assert stored_files(srv) == before  # incoming/ is empty again too


LOGO_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10"><style>.b { fill: #0000ff }</style>'
            b'<rect width="15" height="10" fill="#ff0000"/><rect class="b" x="15" width="15" height="10"/></svg>')


def test_svg_asset_converts_to_png_by_asset_id(srv: Server) -> None:
    """Issue 17 item 5: a stored SVG is usable; image-convert answered "could not read the image"."""
    aid = upload(srv, LOGO_SVG, "logo.svg", category="logo").json()["assetId"]
    r = srv.post("/api/v1/tools/image-convert", key=srv.key,
                 json={"image_asset_id": aid, "output_format": "png", "width": 300})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"]["filename"] == "logo.png" and body["result"]["input_format"] == "svg"
    img = Image.open(io.BytesIO(base64.b64decode(body["output"]["content_base64"]))).convert("RGB")
    assert img.size == (300, 100)
    assert img.getpixel((70, 50)) == (255, 0, 0) and img.getpixel((230, 50)) == (0, 0, 255)


@pytest.mark.parametrize(("svg", "reason"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><set attributeName="href" to="javascript:alert(1)"/>'
     b'<rect width="9" height="9"/></a></svg>', "svg_script"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: \\75 rl(http://169.254.169.254/x) }</style>'
     b'<rect/></svg>', "svg_external_reference"),
])
def test_malicious_svg_refused_with_a_clear_message(srv: Server, svg: bytes, reason: str) -> None:
    body = error(upload(srv, svg, "evil.svg"), 400, "invalid_media")
    assert body["details"] == {"reason": reason} and "SVG" in body["error"], body


def test_list_filters_and_pagination(srv: Server, tmp_path: Path) -> None:
    for seed in range(10, 13):
        assert upload(srv, png_bytes(seed)).status_code == 201
    page = srv.get(ASSETS, key=srv.key, params={"type": "image", "limit": 2}).json()
    assert len(page["assets"]) == 2 and page["pagination"]["has_more"] is True
    assert all(a["type"] == "image" for a in page["assets"])
    rest = srv.get(ASSETS, key=srv.key, params={"type": "image", "limit": 100, "offset": 2}).json()
    assert len(rest["assets"]) == page["pagination"]["total"] - 2
    logos = srv.get(ASSETS, key=srv.key, params={"category": "logo"}).json()["assets"]
    assert logos and all(a["category"] == "logo" for a in logos)
    for params in ({"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"type": "pdf"}, {"limit": "²"}):
        error(srv.get(ASSETS, key=srv.key, params=params), 400, "validation_error")


def test_other_account_gets_403_and_sees_nothing(srv: Server) -> None:
    mine = upload(srv, png_bytes(20)).json()["assetId"]
    other = srv.new_key("other")
    error(srv.get(f"{ASSETS}/{mine}", key=other), 403, "asset_forbidden")
    error(srv.request("DELETE", f"{ASSETS}/{mine}", key=other), 403, "asset_forbidden")
    assert srv.get(ASSETS, key=other).json()["assets"] == []
    error(srv.get(f"{ASSETS}/asset_000000000000000000000000", key=other), 404, "asset_not_found")
    for odd in ("asset_%C3%A9", "%ED%A0%80", "x" * 300):
        error(srv.get(f"{ASSETS}/{odd}", key=other), 404, "asset_not_found")
        error(srv.get(f"{ASSETS}/{odd}/content?expires=9999999999&sig={'0' * 64}"), 404, "not_found")
    # the same bytes in another account are its own asset
    theirs = upload(srv, png_bytes(20), key=other).json()
    assert theirs["assetId"] != mine and theirs["deduplicated"] is False


def test_scopes_upload_and_delete_need_tools_run(srv: Server) -> None:
    reader = srv.new_key("default", "--scope", "usage:read")
    error(upload(srv, png_bytes(30), key=reader), 403, "scope_denied")
    asset = upload(srv, png_bytes(30)).json()["assetId"]
    assert srv.get(f"{ASSETS}/{asset}", key=reader).status_code == 200
    error(srv.request("DELETE", f"{ASSETS}/{asset}", key=reader), 403, "scope_denied")


def test_storage_quota(srv: Server) -> None:
    key = srv.new_key("tiny")
    first = upload(srv, noise_png(30_000, seed=1), key=key)
    assert first.status_code == 201, first.text
    over = error(upload(srv, noise_png(30_000, seed=2), key=key), 413, "limit_exceeded")
    assert over["details"]["limit"] == "storage_quota"
    assert srv.request("DELETE", f"{ASSETS}/{first.json()['assetId']}", key=key).status_code == 200
    assert upload(srv, noise_png(30_000, seed=2), key=key).status_code == 201


def test_delete(srv: Server) -> None:
    body = upload(srv, png_bytes(40)).json()
    r = srv.request("DELETE", f"{ASSETS}/{body['assetId']}", key=srv.key)
    assert r.status_code == 200 and r.json()["deleted"] is True
    error(srv.get(f"{ASSETS}/{body['assetId']}", key=srv.key), 404, "asset_not_found")
    error(srv.request("DELETE", f"{ASSETS}/{body['assetId']}", key=srv.key), 404, "asset_not_found")
    error(httpx.get(body["publicUrl"]), 404, "not_found")
    assert not (srv.data_dir / "assets" / body["assetId"]).exists()


def test_responses_match_the_openapi_document(srv: Server) -> None:
    """Each asset route's real body validates against the schema the document publishes for it."""
    import jsonschema

    doc = srv.get("/schema/openapi.json").json()

    def check(body: dict[str, Any], method: str, path: str, status: str) -> None:
        media = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
        jsonschema.validate(body, {**media["schema"], "components": doc["components"]},
                            cls=jsonschema.Draft202012Validator)

    created = upload(srv, png_bytes(50), category="logo")
    check(created.json(), "post", ASSETS, "201")
    aid = created.json()["assetId"]
    check(srv.get(ASSETS, key=srv.key).json(), "get", ASSETS, "200")
    check(srv.get(f"{ASSETS}/{aid}", key=srv.key).json(), "get", f"{ASSETS}/{{asset_id}}", "200")
    other = srv.new_key("other")
    check(srv.get(f"{ASSETS}/{aid}", key=other).json(), "get", f"{ASSETS}/{{asset_id}}", "403")
    check(upload(srv, b"").json(), "post", ASSETS, "400")
    check(upload(srv, noise_png(60_000)).json(), "post", ASSETS, "413")
    check(srv.request("DELETE", f"{ASSETS}/{aid}", key=srv.key).json(), "delete", f"{ASSETS}/{{asset_id}}", "200")
    check(srv.get(f"{ASSETS}/{aid}", key=srv.key).json(), "get", f"{ASSETS}/{{asset_id}}", "404")
