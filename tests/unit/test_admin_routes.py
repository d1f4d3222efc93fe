"""The admin API's Router (api/admin_routes.py) in-process: the guard runs first on every route, OPTIONS
answers without a token, and the generated document marks every admin operation with the admin scheme.

The HTTP behaviour end to end (lockout, audit, CSV) is tests/e2e/test_admin_api_e2e.py's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.node.services import prepare

TOKEN = "unit-admin-token-0123456789abcdef"
A = "/api/v1/admin"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data: Path = tmp_path_factory.mktemp("admin-routes") / "data"
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data), "NOXUS_ADMIN_TOKEN": TOKEN})
    prepare(cfg)
    app = create_app(cfg, start_workers=False)
    with TestClient(app) as test_client:
        yield test_client
    app.state["services"].db.close()


def test_the_guard_answers_before_any_body_is_read(client: TestClient) -> None:
    """A bad body and no token: 401 (the token is checked first); the token in the URL: 400 before that."""
    r = client.post(f"{A}/accounts", content=b"{not json")
    assert (r.status_code, r.json()["error_code"]) == (401, "missing_admin_token")
    r = client.put(f"{A}/keys/key_x/budget", content=b"[]", headers={"Authorization": "Bearer nope"})
    assert (r.status_code, r.json()["error_code"]) == (401, "invalid_admin_token")
    r = client.get(f"{A}/audit", params={"access_token": TOKEN}, headers={"X-Admin-Token": TOKEN})
    assert (r.status_code, r.json()["details"]["reason"]) == (400, "token_in_query_string")
    r = client.post(f"{A}/accounts", content=b"{not json", headers={"X-Admin-Token": TOKEN})
    assert (r.status_code, r.json()["error_code"]) == (400, "validation_error")


def test_options_lists_every_method_without_a_token(client: TestClient) -> None:
    r = client.options(f"{A}/accounts")
    assert (r.status_code, r.headers["allow"]) == (204, "GET, OPTIONS, POST")
    assert client.options(f"{A}/keys/key_x/budget").headers["allow"] == "OPTIONS, PUT"


def test_the_actor_in_the_audit_log_is_the_guarded_caller(client: TestClient) -> None:
    headers = {"X-Admin-Token": TOKEN, "X-Request-Id": "req_" + "ab" * 12}
    assert client.post(f"{A}/accounts", json={"account_id": "unit"}, headers=headers).status_code == 201
    entry = client.get(f"{A}/audit", params={"target": "unit"}, headers=headers).json()["entries"][0]
    assert (entry["action"], entry["actor"], entry["via"], entry["request_id"]) == (
        "account.create", "admin", "api", "req_" + "ab" * 12)


def test_every_admin_operation_is_documented_with_the_admin_scheme(client: TestClient) -> None:
    doc = client.get("/schema/openapi.json").json()
    ops = [(path, op) for path, item in doc["paths"].items() if path.startswith(A) for op in item.values()]
    assert len(ops) == 22
    for path, op in ops:
        assert op["security"] == [{"adminTokenAuth": []}] and op["tags"] == ["admin"], path
        assert {"400", "401", "429", "503"} <= set(op["responses"]), path
    assert "adminTokenAuth" in doc["components"]["securitySchemes"]
    csv = doc["paths"][f"{A}/usage.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]
