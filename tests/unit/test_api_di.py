"""Issue 18 item 4: injected services and principal, operations Litestar generates, tool schemas from Structs.

The app is ``create_app`` on a temp data dir (real SQLite, a real key from
``prepare``), driven in-process by Litestar's TestClient: no server, no mocks.

Example failure::

    AssertionError: ('get', '/api/v1/balance') is still a hand-kept table entry
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import get
from litestar.params import FromQuery
from litestar.testing import TestClient

from noxus_local.api.deps import ServicesDep, SettingsDep
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.node.services import prepare
from noxus_local.tools.params import inputs_of


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], str]]:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("di") / "data")})
    key = prepare(cfg)
    app = create_app(cfg, start_workers=False)

    @get("/test/typed", include_in_schema=False)
    async def typed(n: FromQuery[int]) -> dict[str, int]:  # a Litestar-validated parameter, as new routes declare them
        return {"n": n}

    @get("/test/settings", include_in_schema=False)
    async def locale(settings: SettingsDep, svc: ServicesDep) -> dict[str, str]:  # a dependency of a dependency
        assert settings is svc.cfg
        return {"locale": settings.server.locale}

    app.register(typed)
    app.register(locale)
    with TestClient(app) as c:
        yield c, str(key)
    app.state["services"].db.close()


def test_principal_dependency_authenticates_in_the_contract_envelope(client: tuple[TestClient[Any], str]) -> None:
    c, key = client
    r = c.post("/api/v1/ping")
    assert r.status_code == 401
    body = r.json()
    assert body["error_code"] == "missing_api_key" and body["success"] is False
    assert body["billing"] == {"charged_usd": "0"} and body["request_id"] == r.headers["x-request-id"]
    r = c.post("/api/v1/ping", headers={"Authorization": "Bearer noxus_test_nope"})
    assert (r.status_code, r.json()["error_code"]) == (401, "invalid_api_key")
    r = c.post("/api/v1/ping", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert set(r.json()) == {"success", "status", "api_key", "account", "request_id"}
    assert r.json()["request_id"] == r.headers["x-request-id"]
    assert r.json()["api_key"]["environment"] == "test" and r.json()["account"]["status"] == "active"


def test_a_typed_struct_body_is_the_same_json_as_before(client: tuple[TestClient[Any], str]) -> None:
    c, key = client
    r = c.get("/api/v1/balance", headers={"Authorization": f"Bearer {key}", "X-Request-Id": "mine-1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body == {"success": True, "balance": {"currency": "USD", "balance_usd": body["balance"]["balance_usd"],
                                                 "available_usd": body["balance"]["available_usd"],
                                                 "lifetime_spent_usd": "0"},
                    "environment": "test", "request_id": "mine-1"}
    r = c.get("/api/v1/usage?days=%C2%B2", headers={"Authorization": f"Bearer {key}"})  # "²": strict reader
    assert r.status_code == 400 and r.json()["details"]["field_errors"]["days"]


def test_litestar_validation_answers_our_envelope(client: tuple[TestClient[Any], str]) -> None:
    c, _ = client
    r = c.get("/test/typed?n=abc")
    assert r.status_code == 400
    body = r.json()
    assert body["error_code"] == "validation_error" and body["success"] is False
    assert list(body["details"]["field_errors"]) == ["n"]
    assert c.get("/test/typed?n=3").json() == {"n": 3}


def test_settings_arrive_by_injection(client: tuple[TestClient[Any], str]) -> None:
    c, _ = client
    assert c.get("/test/settings").json() == {"locale": c.app.state["services"].cfg.server.locale}


def test_converted_routes_are_generated_not_hand_kept(client: tuple[TestClient[Any], str]) -> None:
    c, _ = client
    doc = c.get("/schema/openapi.json").json()
    for method, path, schema in (("get", "/api/v1/balance", "Balance"), ("post", "/api/v1/ping", "Ping"),
                                 ("get", "/api/v1/usage", "Usage"), ("get", "/api/v1/health", "Health"),
                                 ("get", "/api/v1/assets", "AssetList"),
                                 ("get", "/api/v1/assets/{asset_id}", "AssetDetail"),
                                 ("delete", "/api/v1/assets/{asset_id}", "AssetDeleted"),
                                 ("get", "/api/v1/voices", "VoiceList"),
                                 ("get", "/api/v1/voices/{voice_id}", "VoiceDetail"),
                                 ("delete", "/api/v1/voices/{voice_id}", "VoiceDeleted"),
                                 ("get", "/api/v1/music", "MusicList")):
        op = doc["paths"][path][method]
        success = op["responses"][min(op["responses"])]
        assert success["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}
        component = doc["components"]["schemas"][schema]
        assert {"success", "request_id"} <= set(component["required"]), schema
        assert "X-Request-Id" in success["headers"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    usage = doc["paths"]["/api/v1/usage"]["get"]["parameters"]
    days = next(p for p in usage if p.get("name") == "days")
    assert days["schema"] == {"type": "integer", "minimum": 1, "maximum": 365, "default": 30,
                              "description": "Days back from now, 1-365"}


def test_tool_request_schemas_come_from_the_params_struct(client: tuple[TestClient[Any], str]) -> None:
    c, _ = client
    doc = c.get("/schema/openapi.json").json()
    svc = c.app.state["services"]
    checked = 0
    for tool in svc.catalog.tools.values():
        if tool.Params is None:
            continue
        (_,), components = msgspec.json.schema_components([tool.Params], ref_template="#/components/schemas/{name}")
        declared = components[tool.Params.__name__]["properties"]
        listed = {i.name for i in inputs_of(tool.Params) if i.type != "file"}
        op = doc["paths"][f"/api/v1/tools/{tool.slug}"]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        for name in set(declared) - listed:  # Internal fields: set by the server, never documented
            assert name not in body["properties"], (tool.slug, name)
        for name in listed - set(tool.file_lists):
            mine, theirs = body["properties"][name], declared[name]
            arms = [a for a in theirs.get("anyOf", [theirs]) if a != {"type": "null"}]
            for bound in ("minimum", "maximum", "maxLength", "enum", "description"):
                expected = next((a[bound] for a in [theirs, *arms] if bound in a), None)
                if expected is not None and bound == "enum":  # the same values, published in declared order
                    assert sorted(mine["enum"]) == sorted(expected), (tool.slug, name)
                elif expected is not None and bound != "description":
                    assert mine.get(bound) == expected, (tool.slug, name, bound)
                elif expected is not None:
                    assert expected in mine["description"], (tool.slug, name)
        checked += 1
    assert checked >= 5


def test_every_handler_is_registered_once_with_the_shared_dependencies(tmp_path: Path) -> None:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    prepare(cfg)
    app = create_app(cfg, start_workers=False)
    try:
        assert {"svc", "settings", "principal"} <= set(app.dependencies)
    finally:
        app.state["services"].db.close()
