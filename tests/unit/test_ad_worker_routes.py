"""Issue 18 item 4 for seed 003's routes and the internal worker API: typed handlers, generated operations.

Two apps from ``create_app`` on temp data dirs (real SQLite, a real key from
``prepare``), driven in-process by Litestar's TestClient: one single-host (seed
003's routes), one multi-host (Redis queue + a worker token; the worker routes
read and write only SQLite on the calls made here, so no Redis runs). Seed 003's
errors keep its shape, the principal's 401 included (a route-level exception
handler); the worker routes keep our envelope and their worker-token security,
and are documented only where they are served.

Example failure::

    AssertionError: ('post', '/api/v1/generate') is still a hand-kept table entry
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from noxus_local.api.ad_routes import check_body, read_generate, tool_fields
from noxus_local.api.ad_schemas import AdGenerateIn
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.errors import ValidationError
from noxus_local.node.services import prepare

TOKEN = "unit-worker-token-0123456789abcdef0123"
SEED_PATHS = ("/api/v1/generate", "/api/v1/credits", "/api/v1/packages", "/api/v1/projects")
OK = {"prompt": "Red bottle", "imageAssetIds": ["asset_1"], "duration": 15, "voiceId": "af_heart"}


def _client(root: Any, env: dict[str, str]) -> Iterator[tuple[TestClient[Any], str]]:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(root / "data"), **env})
    key = prepare(cfg)
    app = create_app(cfg, start_workers=False)
    with TestClient(app) as c:
        yield c, str(key)
    app.state["services"].db.close()


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], str]]:
    yield from _client(tmp_path_factory.mktemp("seed"), {})


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], str]]:
    yield from _client(tmp_path_factory.mktemp("multi"), {"NOXUS_JOBS_QUEUE_BACKEND": "redis",
                                                          "NOXUS_WORKERS_TOKENS": TOKEN})


# ---------------------------------------------------------------- the generate body: validator and Struct agree

GOOD = [OK, {**OK, "imageAssetIds": None, "imageUrls": ["https://example.com/a.png"]},
        {**OK, "aspectRatio": "16:9", "ctaDesign": "neon", "gradientColor": "#ff5500", "qualityLoopVariants": 3,
         "companyName": "x" * 100, "editStyle": "y" * 500, "tone": "t" * 200, "logoAssetId": "asset_2"},
        {**OK, "aspectRatio": None, "qualityLoopVariants": None, "unknown": {"ignored": True}},
        {**OK, "duration": 60, "imageAssetIds": ["a"] * 10}]
BAD = [{**OK, "duration": 15.0}, {**OK, "duration": True}, {**OK, "duration": 20}, {**OK, "prompt": "   "},
       {**OK, "prompt": "x" * 2001}, {**OK, "imageUrls": ["https://example.com/a.png"]},
       {k: v for k, v in OK.items() if k != "imageAssetIds"}, {**OK, "imageAssetIds": []},
       {**OK, "imageAssetIds": ["a"] * 11}, {**OK, "imageAssetIds": [1]}, {**OK, "voiceId": ""},
       {**OK, "aspectRatio": "1:1"}, {**OK, "ctaDesign": "fancy"}, {**OK, "qualityLoopVariants": 4},
       {**OK, "qualityLoopVariants": True}, {**OK, "gradientColor": "orange"}, {**OK, "companyName": "x" * 101},
       {**OK, "editStyle": "y" * 501}, {**OK, "logoAssetId": 5}]


@pytest.mark.parametrize("body", GOOD)
def test_a_body_the_seeds_validator_accepts_converts_into_the_struct(body: dict[str, Any]) -> None:
    assert check_body(body) == {}
    read = read_generate(msgspec.json.encode(body))
    assert read.prompt == body["prompt"] and read.duration == body["duration"]


@pytest.mark.parametrize("body", BAD)
def test_a_body_the_seeds_validator_refuses_the_struct_refuses_too(body: dict[str, Any]) -> None:
    """The published schema (the Struct's, plus imageUrls xor imageAssetIds) says what the validator checks."""
    assert check_body(body)
    xor = (body.get("imageUrls") is None) != (body.get("imageAssetIds") is None)
    with pytest.raises(msgspec.ValidationError):
        if not xor:
            raise msgspec.ValidationError("both or neither: the operation's oneOf")
        msgspec.convert(body, AdGenerateIn, strict=True)
    with pytest.raises(ValidationError):
        read_generate(msgspec.json.encode(body))


def test_null_is_absent_and_defaults_are_the_tools() -> None:
    fields = tool_fields(read_generate(msgspec.json.encode({**OK, "aspectRatio": None, "tone": None})))
    assert fields == {"prompt": "Red bottle", "duration": 15, "voice_id": "af_heart", "quality_loop_variants": 2,
                      "music": "auto"}  # aspect_ratio: the tool's default (9:16)
    fields = tool_fields(read_generate(msgspec.json.encode({**OK, "musicAssetId": "asset_m"})))
    assert fields["aspect_ratio"] == "9:16" and fields["music"] == "none"


# ---------------------------------------------------------------- seed 003's routes


def test_the_principals_errors_are_in_the_seeds_shape(single: tuple[TestClient[Any], str]) -> None:
    c, _ = single
    for path in SEED_PATHS:
        r = c.post(path, json=OK) if path.endswith("generate") else c.get(path)
        assert r.status_code == 401, (path, r.text)
        assert set(r.json()) == {"error"} and r.json()["error"], r.json()
        assert r.headers["x-request-id"]
    r = c.get("/api/v1/credits", headers={"Authorization": "Bearer noxus_test_nope"})
    assert r.status_code == 401 and set(r.json()) == {"error"}


def test_credits_packages_and_projects_answer_the_seeds_bodies(single: tuple[TestClient[Any], str]) -> None:
    c, key = single
    auth = {"Authorization": f"Bearer {key}"}
    credits = c.get("/api/v1/credits", headers=auth).json()
    assert set(credits) == {"balance", "tier", "activeJobs", "limits"} and credits["activeJobs"] == 0
    assert set(credits["limits"]) == {"maxConcurrentJobs", "rateLimitRpm"}
    packages = c.get("/api/v1/packages", headers=auth).json()["packages"]
    assert [(p["id"], p["priceDisplay"]) for p in packages][0] == ("api-starter", "$39")
    assert c.get("/api/v1/projects", headers=auth).json() == {
        "projects": [], "pagination": {"limit": 20, "offset": 0, "total": 0, "hasMore": False}}
    for query in ("limit=0", "limit=101", "limit=%C2%B2", "limit=+5", "offset=-1", "offset=" + "9" * 400):
        r = c.get(f"/api/v1/projects?{query}", headers=auth)
        name = query.split("=")[0]
        assert r.status_code == 400, (query, r.text)
        assert r.json()["error"] == "Validation failed" and name in r.json()["details"]["fieldErrors"], r.text


def test_generate_names_every_bad_field_at_once_and_ignores_unknown_ones(single: tuple[TestClient[Any], str]) -> None:
    c, key = single
    auth = {"Authorization": f"Bearer {key}"}
    r = c.post("/api/v1/generate", headers=auth, json={"prompt": "", "duration": 20, "ctaDesign": "fancy"})
    assert r.status_code == 400
    assert set(r.json()["details"]["fieldErrors"]) == {"prompt", "imageUrls", "imageAssetIds", "duration",
                                                       "voiceId", "ctaDesign"}
    assert r.json()["details"]["formErrors"] == []
    r = c.post("/api/v1/generate", headers=auth, json={**OK, "imageAssetIds": ["asset_nope"], "extra": 1})
    assert r.status_code == 404 and set(r.json()) >= {"error"}, r.text  # read past the unknown member
    r = c.post("/api/v1/generate", headers=auth, content=b'{"prompt": "\\ud800"}')
    assert r.status_code == 400 and r.json()["error"] == "Validation failed", r.text
    r = c.post("/api/v1/generate", headers=auth, content=b"[1]")
    assert r.status_code == 400 and "error" in r.json(), r.text


def test_seed_routes_are_generated_with_the_seeds_error_schema(single: tuple[TestClient[Any], str]) -> None:
    c, _ = single
    doc = c.get("/schema/openapi.json").json()
    for path in SEED_PATHS:
        method = "post" if path.endswith("generate") else "get"
        op = doc["paths"][path][method]
        for status, response in op["responses"].items():
            media = response["content"]["application/json"]
            if int(status) >= 400:
                assert media["schema"] == {"$ref": "#/components/schemas/SeedError"}, (path, status)
                assert all("error" in e["value"] for e in media["examples"].values()), (path, status)
    body = doc["paths"]["/api/v1/generate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["allOf"] == [{"$ref": "#/components/schemas/AdGenerateIn"}] and len(body["oneOf"]) == 2
    schema = doc["components"]["schemas"]["AdGenerateIn"]
    assert schema["properties"]["duration"]["enum"] == [15, 30, 60]
    assert set(schema["required"]) == {"prompt", "duration", "voiceId"}
    assert not any(p.startswith("/internal/") for p in doc["paths"])  # single-host: no worker API
    assert "workerTokenAuth" not in doc["components"]["securitySchemes"]
    assert not {"HeartbeatIn", "OutcomeIn", "OutputIn"} & set(doc["components"]["schemas"])  # nor its bodies


# ---------------------------------------------------------------- the internal worker API


def test_a_wrong_worker_token_is_a_401_before_the_body_is_read(multi: tuple[TestClient[Any], str]) -> None:
    c, key = multi
    for headers in ({}, {"Authorization": f"Bearer {key}"}, {"Authorization": "Bearer nope"}):
        r = c.post("/internal/v1/workers/heartbeat", headers=headers, content=b"not json")
        assert r.status_code == 401 and r.json()["error_code"] == "invalid_worker_token", r.text
    r = c.put("/internal/v1/jobs/job_x/outputs/a.png", headers={"Authorization": "Bearer nope"}, content=b"x")
    assert r.status_code == 401 and r.json()["error_code"] == "invalid_worker_token", r.text


def test_heartbeat_then_list_and_strict_bodies(multi: tuple[TestClient[Any], str]) -> None:
    c, _ = multi
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = c.post("/internal/v1/workers/heartbeat", headers=auth,
               json={"name": "gpu-1", "tools": ["wait"], "slots": {"cpu": 2}, "busy": {}, "running": {},
                     "newer_worker_field": 1})
    assert r.status_code == 200 and r.json()["cancel"] == [] and r.json()["success"] is True, r.text
    listed = c.get("/internal/v1/workers", headers=auth).json()["workers"]
    assert [(w["name"], w["slots"], w["live"]) for w in listed] == [("gpu-1", {"cpu": 2}, True)]
    r = c.post("/internal/v1/workers/heartbeat", headers=auth, json={"tools": ["wait"]})
    assert r.status_code == 400 and "name" in r.json()["details"]["field_errors"], r.text
    r = c.post("/internal/v1/workers/heartbeat", headers=auth, json={"name": "x", "slots": {"cpu": "two"}})
    assert r.status_code == 400 and r.json()["error_code"] == "validation_error", r.text
    r = c.post("/internal/v1/jobs/job_x/progress", headers=auth, json={"progress": 10})
    assert r.status_code == 400 and "attempt" in r.json()["details"]["field_errors"], r.text
    r = c.post("/internal/v1/jobs/job_x/claim", headers=auth, json={"attempt": "a" * 32, "worker": "gpu-1"})
    assert r.status_code == 409 and r.json()["error_code"] == "stale_attempt", r.text
    r = c.post("/internal/v1/jobs/job_x/outcome", headers=auth, json={"attempt": "a" * 32, "status": "done"})
    assert r.status_code == 400 and "status" in r.json()["details"]["field_errors"], r.text
    r = c.get("/internal/v1/jobs/job_x/inputs/image?attempt=" + "a" * 32, headers=auth)
    assert r.status_code == 409, r.text
    r = c.get("/internal/v1/jobs/job_x/inputs/image", headers=auth)
    assert r.status_code == 400 and "attempt" in r.json()["details"]["field_errors"], r.text
    r = c.put("/internal/v1/jobs/job_x/outputs/a.png?attempt=" + "a" * 32, headers=auth, content=b"x")
    assert r.status_code == 409, r.text  # no X-Sha256: the attempt is looked at first, as before


def test_worker_routes_are_generated_with_the_worker_token(multi: tuple[TestClient[Any], str]) -> None:
    c, _ = multi
    doc = c.get("/schema/openapi.json").json()
    internal = {(m, p): op for p, item in doc["paths"].items() if p.startswith("/internal/") for m, op in item.items()}
    assert len(internal) == 8  # with the chat relay of a remote worker (POST /internal/v1/jobs/{id}/stream)
    for key, op in internal.items():
        assert op["security"] == [{"workerTokenAuth": []}] and op["tags"] == ["Internal"], key
        assert "X-RateLimit-Limit" not in op["responses"]["200"]["headers"], key  # a worker token, not a key
        assert "401" in op["responses"] and "500" in op["responses"], key
    assert {t["name"] for t in doc["tags"]} >= {"Internal"}
    put = internal[("put", "/internal/v1/jobs/{job_id}/outputs/{filename}")]
    assert any(p.get("name") == "X-Sha256" and p["required"] for p in put["parameters"])
    assert "application/octet-stream" in put["requestBody"]["content"]
    assert {"HeartbeatIn", "OutcomeIn", "OutputIn", "AdGenerateIn"} <= set(doc["components"]["schemas"])
