"""Issue 18 item 4, the media routes: typed handlers that answer as they did, documented from their types.

The app is ``create_app`` on a temp data dir (real SQLite, a real key from ``prepare``), driven
in-process by Litestar's TestClient: no server, no mocks. Each test pins a behaviour clients rely on
that the conversion could have changed: seed 003's error shape on the CTA routes (the key's errors
too, now raised by the injected principal), the signed-URL routes' 400/404 split, the voice mix's field
names, and that the documented operations come from the decorators, not the hand tables.

Example failure::

    AssertionError: ('post', '/api/v1/voices') is still a hand-kept table entry
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from noxus_local.api.analysis_schemas import AnalysisAccepted, AnalysisImages, AnalysisItem
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.node.services import prepare

CONVERTED = [("post", "/api/v1/assets"), ("get", "/api/v1/assets/{asset_id}/content"),
             ("post", "/api/v1/voices"), ("get", "/api/v1/voices/{voice_id}/preview"),
             ("post", "/api/v1/voices/clone"), ("get", "/api/v1/music/{track_id}/preview"),
             ("get", "/api/v1/cta-designs"), ("get", "/api/v1/cta-designs/{design}/preview"),
             ("post", "/api/v1/analysis/images"), ("get", "/api/v1/analysis/images/{job_id}"),
             ("post", "/api/v1/analysis/video"), ("get", "/api/v1/analysis/video/{job_id}")]
SIG = "0" * 64


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("media") / "data")})
    key = prepare(cfg)
    app = create_app(cfg, start_workers=False)
    with TestClient(app) as c:
        yield c, {"Authorization": f"Bearer {key}"}
    app.state["services"].db.close()


def test_cta_errors_keep_seed_003_shape_even_for_the_key(client: tuple[TestClient[Any], dict[str, str]]) -> None:
    c, auth = client
    r = c.get("/api/v1/cta-designs")
    assert r.status_code == 401 and r.headers["x-request-id"]
    assert list(r.json()) == ["error"], r.json()  # no envelope: seed 003's {"error"}
    r = c.get("/api/v1/cta-designs/bold/preview?aspectRatio=4:3&gradientColor=", headers=auth)
    assert r.status_code == 400
    assert r.json() == {"error": "Validation failed", "details": {"fieldErrors": {
        "aspectRatio": ["Must be one of: 9:16, 16:9"], "gradientColor": ["Must be a hex colour such as #FF5500"]},
        "formErrors": []}}
    r = c.get("/api/v1/cta-designs/retro/preview", headers=auth)
    assert r.status_code == 404 and r.json()["details"]["designs"][0] == "minimal"
    r = c.get("/api/v1/cta-designs", headers=auth)
    assert r.status_code == 200 and r.json()["designs"][1] == {"id": "bold", "name": "Bold",
                                                               "previewUrl": "/api/v1/cta-designs/bold/preview"}


def test_signed_routes_answer_400_for_a_malformed_signature_and_404_for_a_wrong_one(
        client: tuple[TestClient[Any], dict[str, str]]) -> None:
    c, _ = client
    r = c.get("/api/v1/voices/ef_dora/preview")  # documented as required, read by the route: its own 400
    assert r.status_code == 400 and set(r.json()["details"]["field_errors"]) == {"expires", "sig"}
    assert c.get(f"/api/v1/voices/ef_dora/preview?expires=99&sig={SIG}").status_code == 404
    assert c.get(f"/api/v1/music/calm_acoustic_1/preview?expires=%C2%B2&sig={SIG}").status_code == 400
    assert c.get(f"/api/v1/music/Not-A-Track/preview?expires=99&sig={SIG}").status_code == 404
    r = c.get("/api/v1/assets/asset_5b1c0e8f2a9d4c7e1f3a6b2d/content")  # assets: never a 400, as before
    assert (r.status_code, r.json()["details"]) == (404, {"reason": "invalid_or_expired_signature"})


def test_voice_mix_and_clone_answer_as_before(client: tuple[TestClient[Any], dict[str, str]]) -> None:
    c, auth = client
    for body, field in (({"name": 5, "mix": {"ef_dora": 1}}, "name"), ({"name": "x", "mix": {"ef_dora": 0}}, "mix"),
                        ({"name": "x", "mix": ["ef_dora"]}, "mix"), ({"name": "x"}, "mix")):
        r = c.post("/api/v1/voices", json=body, headers=auth)
        assert (r.status_code, list(r.json()["details"]["field_errors"])) == (400, [field]), r.text
    assert c.post("/api/v1/voices/clone").status_code == 401
    r = c.post("/api/v1/voices/clone", headers=auth)
    assert (r.status_code, r.json()["error_code"], r.json()["details"]["reason"]) == (
        503, "tool_unavailable", "model_missing")


def test_the_media_operations_are_generated_from_their_decorators(
        client: tuple[TestClient[Any], dict[str, str]]) -> None:
    c, _ = client
    doc = c.get("/schema/openapi.json").json()
    for method, path in CONVERTED:
        assert doc["paths"][path][method]["operationId"], (method, path)
    preview = doc["paths"]["/api/v1/cta-designs/{design}/preview"]["get"]["responses"]
    assert preview["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SeedError"}
    assert preview["200"]["content"] == {"image/png": {"schema": {"type": "string", "format": "binary"}}}
    video = doc["paths"]["/api/v1/analysis/video"]["post"]
    assert set(video["requestBody"]["content"]) == {"video/*", "application/octet-stream", "multipart/form-data",
                                                    "application/json"}
    assert video["requestBody"]["content"]["application/json"]["schema"]["allOf"] == [
        {"$ref": "#/components/schemas/VideoAnalysisIn"}]
    assert "Location" in video["responses"]["202"]["headers"]
    signed = {p["name"]: p for p in doc["paths"]["/api/v1/voices/{voice_id}/preview"]["get"]["parameters"]
              if p.get("in") == "query"}
    assert signed["sig"]["required"] and signed["sig"]["schema"]["pattern"] == "^[0-9a-f]{64}$"


def _conforms(body: dict[str, Any], model: type) -> None:
    """``body`` reads strictly as ``model`` and has no member the Struct (the published schema) leaves out."""
    msgspec.convert(body, model, strict=True)
    assert set(body) <= set(model.__struct_fields__), (model.__name__, set(body) - set(model.__struct_fields__))


def test_seed_001_answers_are_what_their_structs_publish(client: tuple[TestClient[Any], dict[str, str]]) -> None:
    """The seed 001 routes answer raw bytes (kept for Idempotency-Key replays and webhooks): their published
    Structs must still describe them, member for member."""
    c, auth = client
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    r = c.post("/api/v1/analysis/images", headers=auth,
               json={"images": [{"id": "a", "data_base64": png}, {"id": "b", "data_base64": "not base64 at all!"}],
                     "features": ["hash"]})
    assert r.status_code == 202, r.text
    _conforms(r.json(), AnalysisAccepted)
    assert r.headers["location"] == r.json()["location"]
    shown = c.get(r.json()["location"], headers=auth).json()
    _conforms(shown, AnalysisImages)
    for item in shown["items"]:
        _conforms(item, AnalysisItem)
    assert [i["status"] for i in shown["items"]] == ["queued", "failed"]  # the bad item failed alone, at once
