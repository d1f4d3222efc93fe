"""Every route the server answers is in the served /schema/openapi.json, with its request and response schemas.

Issue 18 ("Bad input"): the route table comes from ``create_app(config)``'s own
Litestar routes, built in-process on a temp data dir in multi-host mode (Redis
queue + worker tokens), so the internal worker API is served and checked too;
the document is the one ``GET /schema/openapi.json`` answers. A route added
without documentation, a POST documented without its body, or a success
documented without a schema fails here, naming the route.

Example failure::

    AssertionError: routes missing from /schema/openapi.json: [('post', '/api/v1/things')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.node.services import prepare

# What the document cannot describe, each with its reason; nothing else may be left out.
UNDOCUMENTED = {
    ("get", "/schema"): "the Swagger UI page that renders this document",
    ("get", "/schema/swagger"): "the Swagger UI page that renders this document",
    ("get", "/schema/redoc"): "the ReDoc page that renders this document",
    ("get", "/schema/oauth2-redirect.html"): "Swagger UI's OAuth2 helper page (a viewer asset)",
    ("get", "/schema/openapi.json"): "the document itself",
    ("get", "/schema/openapi.yaml"): "the document itself, as YAML",
    ("get", "/schema/openapi.yml"): "the document itself, as YAML",
    ("get", "/schema/{path}"): "Litestar's catch-all for the viewers' pages under /schema",
    ("get", "/schema/static/swagger/{file_path}"): "the Swagger UI's JS/CSS, served offline",
    ("get", "/schema/static/redoc/{file_path}"): "ReDoc's JS, served offline",
    # the /admin console (issue 25): HTML pages and forms for a signed-in operator, not API
    **{(method, path): "the /admin console's HTML (not API; include_in_schema=False)" for method, path in (
        ("get", "/admin"), ("get", "/admin/login"), ("post", "/admin/login"), ("post", "/admin/logout"),
        ("get", "/admin/jobs"), ("get", "/admin/keys"), ("get", "/admin/accounts"), ("get", "/admin/models"),
        ("get", "/admin/doctor"), ("get", "/admin/workers"), ("get", "/admin/audit"), ("get", "/admin/alerts"),
        ("post", "/admin/keys"), ("post", "/admin/keys/{key_id}/revoke"), ("post", "/admin/keys/{key_id}/budget"),
        ("post", "/admin/accounts/{account_id}/credit"))},
    ("get", "/admin/jobs.json"): "the console's live jobs list, polled by its page with the session cookie",
    ("get", "/admin/static/{file_path}"): "the console's CSS and JS, served offline",
}
# POST/PUT/PATCH routes that read no body, each with its reason; every other one must document its body.
BODYLESS = {
    ("post", "/api/v1/ping"): "checks the key only",
    ("post", "/api/v1/voices/clone"): "always refused (no offline cloning model) before any body is read",
    # the admin API's actions named by their path: the path says it all (issue 25)
    **{("post", f"/api/v1/admin/{path}"): "an admin action named by its path" for path in (
        "accounts/{account_id}/suspend", "accounts/{account_id}/unsuspend", "keys/{key_id}/revoke",
        "keys/{key_id}/rotate", "jobs/{job_id}/cancel")},
}
WITH_BODY = ("post", "put", "patch")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Litestar]:
    data = tmp_path_factory.mktemp("routes") / "data"
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data), "NOXUS_JOBS_QUEUE_BACKEND": "redis",
                             "NOXUS_WORKERS_TOKENS": '["docs-token-0123456789abcdef0123456789"]'})
    assert cfg.multi_host  # the internal worker routes are served, so they are checked too
    prepare(cfg)
    application = create_app(cfg, start_workers=False)
    yield application
    application.state["services"].db.close()


@pytest.fixture(scope="module")
def served(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers; HEAD and OPTIONS are answered for every path."""
    return {(method.lower(), route.path_format) for route in app.routes
            for method in getattr(route, "route_handler_map", {}) if method not in ("HEAD", "OPTIONS")}


@pytest.fixture(scope="module")
def operations(app: Litestar) -> dict[tuple[str, str], dict[str, Any]]:
    with TestClient(app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    return {(method, path): op for path, item in doc["paths"].items() for method, op in item.items()}


def test_every_served_route_is_documented(served: set[tuple[str, str]],
                                          operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    missing = sorted(served - set(operations) - set(UNDOCUMENTED))
    assert not missing, f"routes missing from /schema/openapi.json: {missing}"
    assert set(UNDOCUMENTED) <= served, "an exclusion names a route the server no longer answers"
    assert not set(UNDOCUMENTED) & set(operations), "an excluded route is documented after all"


def test_every_body_route_documents_its_request_schema(served: set[tuple[str, str]],
                                                       operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    for key in sorted(served - set(UNDOCUMENTED)):
        body = operations[key].get("requestBody")
        if key in BODYLESS:
            assert body is None, f"{key} is listed as reading no body but documents one"
        elif key[0] in WITH_BODY:
            assert body and body["content"], f"{key}: no request body documented"
            assert all(media.get("schema") for media in body["content"].values()), f"{key}: a body without schema"


def test_every_route_documents_its_success_schema(served: set[tuple[str, str]],
                                                  operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    for key in sorted(served - set(UNDOCUMENTED)):
        responses = operations[key]["responses"]
        success = [status for status in responses if status.startswith("2")]
        assert success, f"{key}: no success status documented"
        for status in success:
            content = responses[status].get("content")
            if status == "204":
                assert not content, f"{key}: a 204 documented with a body"
                continue
            assert content, f"{key} {status}: no response body documented"
            assert all(media.get("schema") for media in content.values()), f"{key} {status}: a body without schema"


def test_every_path_parameter_is_documented(served: set[tuple[str, str]],
                                            operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    for method, path in sorted(served - set(UNDOCUMENTED)):
        op = operations[(method, path)]
        documented = {p["name"] for p in op.get("parameters", []) if p.get("in") == "path" and p.get("schema")}
        expected = set(re.findall(r"{(\w+)}", path))
        assert expected <= documented, f"{(method, path)}: path parameters without schema: {expected - documented}"


def test_the_exclusions_are_only_the_viewers_and_the_document() -> None:
    """Nothing outside /schema and the /admin console (HTML, not API) may be excluded, nor listed as
    bodyless without a reason; the API's own admin routes (/api/v1/admin/*) are documented like any other."""
    assert all(path.startswith(("/schema", "/admin")) and reason for (_, path), reason in UNDOCUMENTED.items())
    assert all(reason for reason in BODYLESS.values())
