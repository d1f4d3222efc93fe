"""API docs offline: /schema/openapi.json describes every route, and the viewers render with no internet.

The document is checked against the app's own route table (built in-process
from the same config), so a new route without an entry in
``noxus_local/api/openapi_spec.py`` fails here. The viewers are loaded in
headless Chromium with every host name but 127.0.0.1 unresolvable, so a page
that still needed a CDN would stay blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from openapi_spec_validator import validate

from noxus_local.api.apex_routes import is_apex_path
from noxus_local.api.job_schemas import JobFailed
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.errors import ERRORS_BY_CODE
from noxus_local.node.services import prepare
from tests.e2e.conftest import Server

AUTH_FREE = {("get", "/api/v1/health"), ("get", "/api/v1/files/{job_id}/{filename}"), ("get", "/metrics"),
             ("get", "/api/v1/assets/{asset_id}/content"), ("get", "/api/v1/voices/{voice_id}/preview"),
             ("get", "/api/v1/music/{track_id}/preview"),
             ("get", "/api/voice-agent/audio/{call_id}/{filename}")}  # a voice-agent reply: signed, no key
NO_CDN = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
# served but not API: the docs' own pages and the /admin console's HTML (issue 25; include_in_schema=False)
NOT_API = ("/schema", "/admin")
JOB_FAILED_OR_ERROR = {"anyOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/JobFailed"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module: its tests only read the document and run a few cheap calls."""
    srv = Server(tmp_path_factory.mktemp("docs") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def doc(server: Any) -> dict[str, Any]:
    r = server.get("/schema/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def app_operations(tmp_path: Path) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, minus the docs' own."""
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "routes")})
    prepare(cfg)
    app = create_app(cfg, start_workers=False)
    try:
        return {(method.lower(), route.path_format) for route in app.routes
                for method in getattr(route, "route_handler_map", {})
                if method not in ("HEAD", "OPTIONS") and not route.path_format.startswith(NOT_API)}
    finally:
        app.state["services"].db.close()


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m, p): op for p, item in doc["paths"].items() for m, op in item.items()}


def test_document_is_valid_openapi_31_and_covers_every_route(doc: dict[str, Any], tmp_path: Path) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    served = app_operations(tmp_path)
    missing = served - set(operations(doc))
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    assert not [path for path in doc["paths"] if path.startswith("/admin")], "the console's pages are not API"
    for key in served:
        op = operations(doc)[key]
        assert op["summary"] and op["description"] and op["operationId"], key
        assert op["tags"], key


SEED_003 = {"/api/v1/generate", "/api/v1/credits", "/api/v1/packages", "/api/v1/projects", "/api/v1/cta-designs",
            "/api/v1/cta-designs/{design}/preview"}


def test_every_operation_has_success_example_and_error_examples(doc: dict[str, Any]) -> None:
    for key, op in operations(doc).items():
        statuses = sorted(op["responses"], key=int)
        success = op["responses"][statuses[0]]
        assert statuses[0].startswith("2"), key
        media = next(iter(success["content"].values()))
        binary = media["schema"].get("format") == "binary"  # a file download: its bytes are the example
        assert binary or media.get("examples") or media.get("example"), f"no success example: {key}"
        assert "X-Request-Id" in success["headers"], key
        errors = [s for s in statuses if int(s) >= 400]
        assert "500" in errors, key
        for status in errors:
            body = op["responses"][status]["content"]["application/json"]
            if key[1].startswith("/v1/"):  # OpenAI's error body on its routes (CONTRACT §9)
                assert body["schema"] == {"$ref": "#/components/schemas/OpenAiError"}, (key, status)
                continue
            if key[1] in SEED_003:  # seed 003's own error body on its routes (CONTRACT §10)
                assert body["schema"] == {"$ref": "#/components/schemas/SeedError"}, (key, status)
                continue
            if is_apex_path(key[1]):  # seed 002's {"error", "code"} on its routes (CONTRACT §10)
                assert body["schema"] == {"$ref": "#/components/schemas/ApexError"}, (key, status)
                continue
            if body["schema"] == JOB_FAILED_OR_ERROR:  # a tool run's status a job can end with (JobFailed too)
                assert key[1].startswith("/api/v1/tools/") and key[0] == "post", key
            else:
                assert body["schema"] == {"$ref": "#/components/schemas/Error"}, (key, status)
            assert body["examples"], (key, status)
            for name, ref in body["examples"].items():
                value = resolve(doc, ref)["value"]
                code = name.removesuffix(" (failed job)")
                if code != name:  # the failed job's answer, as the run builds it
                    failed = msgspec.convert(value, JobFailed)
                    assert failed.error_code == code and failed.billing.charged_usd == "0", (key, name)
                    assert ERRORS_BY_CODE[code].status == int(status), (key, code)
                    assert body["schema"] == JOB_FAILED_OR_ERROR, (key, status)
                    continue
                assert value["error_code"] == code and value["success"] is False
                assert ERRORS_BY_CODE[code].status == int(status), (key, code)
                assert value["billing"] == {"charged_usd": "0"}


def test_auth_rate_limit_headers_and_security(doc: dict[str, Any]) -> None:
    scheme = doc["components"]["securitySchemes"]["apiKeyAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for key, op in operations(doc).items():
        if key in AUTH_FREE:
            assert op["security"] == [] and "401" not in op["responses"], key
            continue
        if key[1].startswith("/api/v1/admin/"):  # the admin token, never an API key: no rate-limit headers
            assert op["security"] == [{"adminTokenAuth": []}] and "admin" in op["tags"], key
            assert {"400", "401", "503"} <= set(op["responses"]), key
            continue
        assert op["security"] == [{"apiKeyAuth": []}], key
        assert {"401", "403", "429"} <= set(op["responses"]), key
        success = op["responses"][min(s for s in op["responses"] if s.startswith("2"))]["headers"]
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(success), key
        assert "Retry-After" in op["responses"]["429"]["headers"], key


def test_the_admin_api_has_its_own_tag_and_security_scheme(doc: dict[str, Any]) -> None:
    scheme = doc["components"]["securitySchemes"]["adminTokenAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "X-Admin-Token" in scheme["description"]
    assert "admin" in {t["name"] for t in doc["tags"]}
    admin_ops = {k for k in operations(doc) if k[1].startswith("/api/v1/admin/")}
    assert {("get", "/api/v1/admin/usage.csv"), ("get", "/api/v1/admin/audit"), ("post", "/api/v1/admin/keys"),
            ("put", "/api/v1/admin/keys/{key_id}/budget")} <= admin_ops
    assert "text/csv" in operations(doc)[("get", "/api/v1/admin/usage.csv")]["responses"]["200"]["content"]


def test_run_tool_documents_both_bodies_headers_and_every_contract_error(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/api/v1/tools/{name}"]["post"]
    body = op["requestBody"]["content"]
    assert body["application/json"]["examples"]["qr"]["value"] == {"text": "https://noxus.lat",
                                                                   "output_format": "png"}
    assert body["multipart/form-data"]["examples"]["image-convert"]["value"] == {
        "image": "(binary: foto.png)", "output_format": "webp", "filename": "mi-imagen"}
    headers = {resolve(doc, p)["name"] for p in op["parameters"] if resolve(doc, p)["in"] == "header"}
    assert {"Idempotency-Key", "Prefer", "Max-Processing-Time", "X-Request-Id"} <= headers
    codes = {code for r in op["responses"].values() for code in r["content"].get("application/json", {})
             .get("examples", {}) if code in ERRORS_BY_CODE}
    assert {"validation_error", "invalid_media", "missing_api_key", "insufficient_api_balance", "scope_denied",
            "tool_not_found", "idempotency_conflict", "limit_exceeded", "unsupported_media_type",
            "rate_limit_exceeded", "concurrency_limit_exceeded", "internal_error", "tool_unavailable",
            "processing_timeout"} <= codes
    assert "Location" in op["responses"]["202"]["headers"]
    form = resolve(doc, doc["paths"]["/api/v1/tools/image-convert"]["post"]["requestBody"]
                   ["content"]["multipart/form-data"]["schema"])
    assert form["properties"]["image"] == {"type": "string", "format": "binary", "description": "The file"}


def test_documented_examples_are_what_the_server_answers(doc: dict[str, Any], server: Any) -> None:
    """The request examples run as written; the answers have the documented shape."""
    op = doc["paths"]["/api/v1/tools/{name}"]["post"]
    documented = op["responses"]["200"]["content"]["application/json"]["examples"]
    for name, example in op["requestBody"]["content"]["application/json"]["examples"].items():
        if name.split(" ")[0] not in ("qr", "image-convert"):
            continue  # the model tools' examples (script-to-video needs an asset) run in their own e2e tests
        tool = "image-convert" if "content_base64" in example["value"] else "qr"
        r = server.post(f"/api/v1/tools/{tool}", key=server.key, json=example["value"])
        assert r.status_code == 200, r.text
        assert set(r.json()) == set(documented[tool]["value"])
        assert set(r.json()["output"]) == set(documented[tool]["value"]["output"])
    r = server.post("/api/v1/ping")
    expected = resolve(doc, {"$ref": "#/components/examples/missing_api_key"})["value"]
    assert r.json() == {**expected, "request_id": r.json()["request_id"]}
    ping = doc["paths"]["/api/v1/ping"]["post"]["responses"]["200"]["content"]["application/json"]
    assert set(server.post("/api/v1/ping", key=server.key).json()) == set(ping["examples"]["ok"]["value"])


def test_viewer_pages_load_nothing_from_outside(server: Any) -> None:
    for page in ("/schema", "/schema/swagger", "/schema/redoc"):
        html = server.get(page).text
        assets = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["']([^"']+)""", html)
        assert assets and all(a.startswith("/schema/static/") for a in assets), (page, assets)
        for asset in assets:
            r = server.get(asset)
            assert r.status_code == 200 and len(r.content) > 100, asset


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    # not a skip (issue 17): `make setup` installs it with apt-get, or says in one line that it could not
    assert found, "chromium is not installed: `make setup` installs it (apt-get install chromium)"
    return found


def render(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, with every host but 127.0.0.1 unresolvable."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--host-resolver-rules={NO_CDN}", "--virtual-time-budget=10000",
         "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_swagger_and_redoc_render_offline(server: Any, doc: dict[str, Any], tmp_path: Path) -> None:
    ops = operations(doc)
    swagger = render(f"{server.base}/schema/swagger", tmp_path / "swagger")
    assert len(re.findall(r'class="opblock opblock-', swagger)) == len(ops)
    assert 'data-path="/api/v1/ping"' in swagger
    for op in ops.values():
        assert op["summary"] in swagger.replace("&amp;", "&").replace("&#39;", "'")
    redoc = render(f"{server.base}/schema/redoc", tmp_path / "redoc")
    rendered = set(re.findall(r'id="operation/([^"]+)"', redoc))
    assert rendered == {op["operationId"] for op in ops.values()}
