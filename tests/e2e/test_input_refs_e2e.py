"""<field>_asset_id and <field>_url inputs through the real server, and every bad one charged 0."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, start_module_server
from tests.http_fixture import media_server
from tests.media_samples import png_bytes

CONVERT = "/api/v1/tools/image-convert"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "refs", """
        [jobs]
        workers = 1
        diagnostic_tools = true
        [assets]
        fetch_allow_hosts = ["127.0.0.1"]
        fetch_timeout_seconds = 1.0
        [tiers.free]
        requests_per_minute = 0
        concurrent_jobs = 5
        max_upload_mb = 0.2
        [[accounts]]
        id = "other"
        initial_test_balance_usd = "1"
        """)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media() -> Iterator[Any]:
    with media_server({"/ok.png": png_bytes(7, (24, 12)), "/page.html": b"<!doctype html><p>hi</p>"}) as http:
        yield http


def balance(srv: Server, key: str | None = None) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=key or srv.key).json()["balance"]["balance_usd"])


def asset(srv: Server, data: bytes, key: str | None = None) -> str:
    r = srv.post("/api/v1/assets", key=key or srv.key, files={"file": ("p.png", data)})
    assert r.status_code == 201, r.text
    return str(r.json()["assetId"])


def refused(srv: Server, status: int, code: str, **kw: Any) -> dict[str, Any]:
    before = balance(srv)
    r = srv.post(CONVERT, key=srv.key, **kw)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code and body["billing"]["charged_usd"] == "0", body
    assert balance(srv) == before
    assert not [p for p in (srv.data_dir / "work").iterdir()], "a refused request left a work folder"
    return dict(body)


def wait_job(srv: Server, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return dict(body)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


def test_asset_id_json_and_form(srv: Server) -> None:
    aid = asset(srv, png_bytes(1, (20, 10)))
    r = srv.post(CONVERT, key=srv.key, json={"image_asset_id": aid, "output_format": "webp"})
    assert r.status_code == 200, r.text
    assert r.json()["result"]["input_width"] == 20 and r.json()["output"]["mime_type"] == "image/webp"
    form = srv.post(CONVERT, key=srv.key, data={"image_asset_id": aid, "output_format": "jpeg"})
    assert form.status_code == 200, form.text
    assert (srv.data_dir / "assets" / aid).is_file()  # assets outlive jobs
    assert not (srv.data_dir / "work" / r.json()["job_id"]).exists()  # job inputs do not


def test_asset_of_the_wrong_kind_is_invalid_media(srv: Server, tmp_path: Any) -> None:
    from tests.media_samples import ffmpeg_sample

    song = asset(srv, ffmpeg_sample(tmp_path, "mp3"))
    refused(srv, 400, "invalid_media", json={"image_asset_id": song, "output_format": "png"})


def test_asset_id_of_another_account_unknown_or_doubled(srv: Server) -> None:
    theirs = asset(srv, png_bytes(2), key=srv.new_key("other"))
    refused(srv, 403, "asset_forbidden", json={"image_asset_id": theirs, "output_format": "png"})
    refused(srv, 404, "asset_not_found", json={"image_asset_id": "asset_nope", "output_format": "png"})
    # a lone surrogate is refused by the strict JSON reader before any lookup
    refused(srv, 400, "validation_error", content=b'{"image_asset_id": "\\ud800", "output_format": "png"}',
            headers={"Content-Type": "application/json"})
    refused(srv, 400, "validation_error", content=b'{"image_url": "http://127.0.0.1/\\ud800.png"}',
            headers={"Content-Type": "application/json"})
    mine = asset(srv, png_bytes(3))
    body = refused(srv, 400, "validation_error", files={"image": ("a.png", png_bytes(3))},
                   data={"image_asset_id": mine, "image_url": "http://127.0.0.1/x.png"})
    assert "image" in body["details"]["field_errors"]


def test_deleted_asset_fails_the_queued_job_charged_zero(srv: Server) -> None:
    aid = asset(srv, png_bytes(4))
    blocker = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 2},
                       headers={"Prefer": "respond-async"})
    assert blocker.status_code == 202, blocker.text
    queued = srv.post(CONVERT, key=srv.key, json={"image_asset_id": aid, "output_format": "png"},
                      headers={"Prefer": "respond-async"})
    assert queued.status_code == 202, queued.text
    assert srv.request("DELETE", f"/api/v1/assets/{aid}", key=srv.key).status_code == 200
    job = wait_job(srv, queued.json()["job_id"])
    assert job["status"] == "failed" and job["error"]["code"] == "asset_not_found", job
    assert job["error"]["message"] == f"El asset {aid} fue eliminado."  # the server's locale, es by default
    assert job["billing"]["charged_usd"] == "0"
    assert wait_job(srv, blocker.json()["job_id"])["status"] == "succeeded"


def test_url_input_downloads(srv: Server, media: Any) -> None:
    r = srv.post(CONVERT, key=srv.key, json={"image_url": f"{media.base}/ok.png", "output_format": "webp"})
    assert r.status_code == 200, r.text
    assert (r.json()["result"]["input_width"], r.json()["output"]["filename"]) == (24, "ok.webp")
    form = srv.post(CONVERT, key=srv.key, data={"image_url": f"{media.base}/ok.png", "output_format": "png"})
    assert form.status_code == 200, form.text


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data", "http://10.0.0.8/p.png",
                                    "http://192.168.1.1/p.png", "http://[::1]/p.png"])
def test_url_to_internal_addresses_and_redirects_to_them(srv: Server, media: Any, target: str) -> None:
    for url in (target, f"{media.base}/redirect?to={target}"):
        body = refused(srv, 400, "validation_error", json={"image_url": url, "output_format": "png"})
        assert list(body["details"]["field_errors"]) == ["image_url"]


def test_url_timeout_oversize_and_non_media(srv: Server, media: Any) -> None:
    started = time.monotonic()
    body = refused(srv, 400, "validation_error", json={"image_url": f"{media.base}/never"})
    assert time.monotonic() - started < 10 and "1 s" in body["details"]["field_errors"]["image_url"][0]
    big = refused(srv, 413, "limit_exceeded", json={"image_url": f"{media.base}/endless", "output_format": "png"})
    assert big["details"]["limit"] == "max_upload_mb"
    refused(srv, 400, "invalid_media", json={"image_url": f"{media.base}/page.html", "output_format": "png"})
    refused(srv, 400, "validation_error", json={"image_url": f"{media.base}/missing.png"})
    refused(srv, 400, "validation_error", json={"image_url": "ftp://127.0.0.1/x.png"})


def test_loopback_refused_when_the_allow_list_is_empty(make_server: Any, media: Any) -> None:
    server = make_server("[tiers.free]\nrequests_per_minute = 0\n", name="strict")
    hits = len(media.seen)
    r = server.post(CONVERT, key=server.key, json={"image_url": f"{media.base}/ok.png", "output_format": "png"})
    assert r.status_code == 400 and r.json()["billing"]["charged_usd"] == "0", r.text
    assert "127.0.0.1" in r.json()["details"]["field_errors"]["image_url"][0]
    assert len(media.seen) == hits  # refused before connecting
    assert httpx.get(f"{media.base}/ok.png").status_code == 200  # the server was up: the guard refused


def test_idempotent_replay_with_an_asset_id(srv: Server) -> None:
    aid = asset(srv, png_bytes(60))
    before = balance(srv)
    body = {"image_asset_id": aid, "output_format": "webp"}
    first = srv.post(CONVERT, key=srv.key, json=body, headers={"Idempotency-Key": "asset-run-1"})
    again = srv.post(CONVERT, key=srv.key, json=body, headers={"Idempotency-Key": "asset-run-1"})
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    assert balance(srv) == before - Decimal("0.002")
    other = asset(srv, png_bytes(61))
    conflict = srv.post(CONVERT, key=srv.key, json={**body, "image_asset_id": other},
                        headers={"Idempotency-Key": "asset-run-1"})
    assert conflict.status_code == 409, conflict.text
