"""Seed 001's image batches over HTTP (issue 9 items 1 and 4): the real server, queue and SQLite.

One server for the module; every batch is a handful of small PNGs, so the
module runs in a few seconds.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import Server, balance_usd, start_module_server, wait_analysis
from tests.e2e.test_webhooks_e2e import Receiver, verify
from tests.unit.test_analysis_cheap import png_header_only

IMAGES = "/api/v1/analysis/images"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "analysis", """
        [tiers.free]
        max_batch_images = 6
        [webhooks]
        allow_hosts = ["127.0.0.1"]
        """)
    yield server
    server.stop()


def b64_png(colour: str = "#1e90ff", size: tuple[int, int] = (64, 48)) -> str:
    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).ellipse((8, 8, 40, 40), fill="white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def wait_batch(srv: Server, job_id: str) -> dict[str, Any]:
    return wait_analysis(srv, f"{IMAGES}/{job_id}")


def test_a_batch_charges_only_the_items_that_succeeded(srv: Server) -> None:
    before = balance_usd(srv)
    huge = base64.b64encode(png_header_only(20_000, 20_000)).decode()
    r = srv.post(IMAGES, key=srv.key, json={"images": [
        {"id": "blue", "data_base64": b64_png()},
        {"id": "bad-b64", "data_base64": "!!!! not base64"},
        {"id": "not-image", "data_base64": base64.b64encode(b"hello, not an image").decode()},
        {"id": "huge", "data_base64": huge},
        {"id": "odd-feature", "data_base64": b64_png(), "features": ["hash", "x-ray"]},
        {"id": "red", "data_base64": "data:image/png;base64," + b64_png("#ff0000"), "features": ["colors", "tags"]},
    ], "features": ["metadata", "hash", "quality"]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.headers["location"] == f"{IMAGES}/{job_id}" and r.json()["status"] == "queued"
    body = wait_batch(srv, job_id)
    assert body["status"] == "finished"
    items = {i["id"]: i for i in body["items"]}
    assert [i["id"] for i in body["items"]] == ["blue", "bad-b64", "not-image", "huge", "odd-feature", "red"]
    assert {k: i["status"] for k, i in items.items()} == {
        "blue": "finished", "bad-b64": "failed", "not-image": "failed", "huge": "failed",
        "odd-feature": "failed", "red": "finished"}
    assert items["bad-b64"]["error"]["code"] == "validation_error"
    assert items["not-image"]["error"]["code"] == "invalid_media"
    assert items["huge"]["error"]["code"] == "limit_exceeded"
    assert items["huge"]["error"]["details"]["limit"] == "max_image_pixels"
    assert items["odd-feature"]["error"]["details"]["unknown_features"] == ["x-ray"]
    assert set(items["blue"]["result"]) == {"metadata", "hash", "quality"}
    assert items["blue"]["result"]["metadata"]["width"] == 64
    assert items["red"]["result"]["colors"]["palette"][0]["hex"] == "#ff0000"
    assert items["red"]["result"]["tags"]["unavailable"] is True
    # held for the four that reached the queue, charged for the two that succeeded (0.001 USD each)
    assert (body["billing"]["estimated_usd"], body["billing"]["charged_usd"]) == ("0.004", "0.002")
    assert float(before) - float(balance_usd(srv)) == pytest.approx(0.002)
    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert job["status"] == "succeeded" and job["tool"] == "image-analyze-batch"  # NOXUS words there


def test_a_batch_over_the_tier_limit_is_413_and_costs_nothing(srv: Server) -> None:
    before = balance_usd(srv)
    r = srv.post(IMAGES, key=srv.key, json={"images": [{"data_base64": b64_png()}] * 7})
    assert r.status_code == 413, r.text
    assert r.json()["error_code"] == "limit_exceeded" and r.json()["details"]["limit"] == "max_batch_images"
    assert r.json()["billing"]["charged_usd"] == "0" and balance_usd(srv) == before


@pytest.mark.parametrize("body", [{"images": []}, {"images": "abc"}, {}, {"images": [{}], "features": ["x"]}])
def test_a_malformed_batch_is_400(srv: Server, body: dict[str, Any]) -> None:
    r = srv.post(IMAGES, key=srv.key, json=body)
    assert r.status_code == 400 and r.json()["error_code"] == "validation_error", r.text


def test_an_item_without_data_fails_alone_and_a_batch_of_only_bad_items_costs_nothing(srv: Server) -> None:
    before = balance_usd(srv)
    r = srv.post(IMAGES, key=srv.key, json={"images": [{"id": "empty"}, "not an object"]})
    assert r.status_code == 202, r.text
    body = wait_batch(srv, r.json()["job_id"])
    assert [(i["id"], i["status"], i["error"]["code"]) for i in body["items"]] == [
        ("empty", "failed", "validation_error"), ("1", "failed", "validation_error")]
    assert body["billing"]["charged_usd"] == "0" and balance_usd(srv) == before


def test_another_tools_job_is_not_an_image_batch(srv: Server) -> None:
    r = srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "hola"})
    assert srv.get(f"{IMAGES}/{r.json()['job_id']}", key=srv.key).status_code == 404
    assert srv.get(f"{IMAGES}/job_nope", key=srv.key).json()["error_code"] == "job_not_found"


def test_image_analyze_runs_one_image_one_shot_through_the_tools_route(srv: Server) -> None:
    r = srv.post("/api/v1/tools/image-analyze", key=srv.key,
                 json={"image_base64": b64_png(), "features": ["hash", "quality"]})
    assert r.status_code == 200, r.text
    assert set(r.json()["result"]["analysis"]) == {"hash", "quality"}
    assert r.json()["billing"]["charged_usd"] == "0.001"
    # the test server's data dir has no models: safety says how to install each, the hash still runs
    r = srv.post("/api/v1/tools/image-analyze", key=srv.key, json={"image_base64": b64_png(),
                                                                   "features": ["safety", "hash"]})
    analysis = r.json()["result"]["analysis"]
    assert analysis["safety"]["install"] == "noxus-local models fetch open-nsfw"
    assert analysis["safety"]["detections"]["install"] == "noxus-local models fetch nudenet-320n"
    assert len(analysis["hash"]["phash"]) == 16
    form = srv.post("/api/v1/tools/analizar-imagen", key=srv.key,
                    files={"image": ("a.png", base64.b64decode(b64_png()), "image/png")}, data={"features": "colors"})
    assert form.status_code == 200 and set(form.json()["result"]["analysis"]) == {"colors"}, form.text


def test_the_webhook_posts_seed_001s_batch_body_signed(srv: Server) -> None:
    receiver = Receiver([])
    try:
        r = srv.post(IMAGES, key=srv.key, json={
            "images": [{"id": "ok", "data_base64": b64_png()}, {"id": "bad", "data_base64": "!!"}],
            "features": ["hash"], "webhook": {"url": receiver.url, "secret": "s3cret"}})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        receiver.wait_for(1, timeout=60)
        headers, raw = receiver.requests[0]
        assert verify("s3cret", headers, raw) and headers["x-webhook-event"] == "job.completed"
        payload = json.loads(raw)
        shown = {k: v for k, v in wait_batch(srv, job_id).items() if k not in ("success", "request_id")}
        # seed 001's callback: the GET body (its status words, per-item status), plus the contract's event
        assert payload == {"event": "job.completed", **shown}
        assert (payload["job_id"], payload["status"]) == (job_id, "finished")
        assert [(i["id"], i["status"]) for i in payload["items"]] == [("ok", "finished"), ("bad", "failed")]
        # the same tool through /api/v1/tools keeps the NOXUS job body and words (a seed_route field is ignored)
        r = srv.post("/api/v1/tools/image-analyze-batch", key=srv.key, headers={"Prefer": "respond-async"}, json={
            "items": [{"id": "x", "status": "failed", "error": {"code": "validation_error", "message": "m"}}],
            "seed_route": "images", "webhook": {"url": receiver.url}})
        assert r.status_code == 202, r.text
        receiver.wait_for(2, timeout=60)
        other = json.loads(receiver.requests[1][1])
        assert (other["job_id"], other["tool"], other["event"]) == (r.json()["job_id"], "image-analyze-batch",
                                                                    "job.completed")
        assert other["status"] == "succeeded" and "items" not in other, other
    finally:
        receiver.httpd.shutdown()
