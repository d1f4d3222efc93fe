"""Bad input against the real server: every refusal is the contract's error envelope.

Two servers per module: ``srv`` for ordinary refusals, ``tight`` (1 MB body,
a 0.5 MB upload tier) only for requests that must leave nothing on disk, so
its work/ and outputs/ folders stay empty for the whole module.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, no_server_errors, png, start_module_server

QR = "/api/v1/tools/qr"
CONVERT = "/api/v1/tools/image-convert"



@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "errors", """
        [tiers.free]
        requests_per_minute = 0
        jobs_per_hour = 0
        concurrent_jobs = 10
        [[accounts]]
        id = "poor"
        initial_test_balance_usd = "0.001"
        """)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "tight", """
        [server]
        max_body_mb = 1
        [tiers.free]
        requests_per_minute = 0
        [tiers.small]
        max_upload_mb = 0.5
        requests_per_minute = 0
        [[accounts]]
        id = "small"
        tier = "small"
        initial_test_balance_usd = "1"
        """)
    yield server
    server.stop()



def balance(server: Server, key: str) -> dict[str, Any]:
    r = server.get("/api/v1/balance", key=key)
    assert r.status_code == 200, r.text
    return r.json()["balance"]


def files_under(data_dir: Path, *folders: str) -> list[Path]:
    return [p for folder in folders for p in (data_dir / folder).rglob("*") if p.is_file()]


def assert_error(r: httpx.Response, status: int, code: str, request_id: str | None = None) -> dict[str, Any]:
    """The contract's error envelope (CONTRACT.md §1), whatever the error."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False
    assert body["error_code"] == code
    assert isinstance(body["error"], str) and body["error"].strip()
    assert body["billing"] == {"charged_usd": "0"}
    assert body["request_id"] == r.headers["x-request-id"]
    if request_id is None:
        assert re.fullmatch(r"req_[0-9a-f]{24}", body["request_id"]), body["request_id"]
    else:
        assert body["request_id"] == request_id
    return body


def key_id_of(server: Server, name: str) -> str:
    lines = [line for line in server.cli("keys", "list").stdout.splitlines() if f"  {name}  " in line]
    assert len(lines) == 1, lines
    return lines[0].split()[0]


# --- authentication -------------------------------------------------------------------------


def test_missing_key_is_401(srv):
    assert_error(srv.post("/api/v1/ping"), 401, "missing_api_key")
    assert_error(srv.post(QR, json={"text": "hola"}), 401, "missing_api_key")


@pytest.mark.parametrize("token", [
    "not-a-key",
    "noxus_test_short",
    "noxus_test_" + "A" * 43,          # well-formed, unknown
    "noxus_prod_" + "A" * 43,          # unknown environment
])
def test_malformed_or_unknown_key_is_401(srv, token):
    assert_error(srv.post("/api/v1/ping", key=token), 401, "invalid_api_key")


def test_revoked_key_is_401(srv):
    key = srv.new_key("default", "--name", "to-revoke")
    assert srv.post("/api/v1/ping", key=key).status_code == 200
    key_id = key_id_of(srv, "to-revoke")
    revoked = srv.cli("keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert_error(srv.post("/api/v1/ping", key=key), 401, "revoked_api_key")
    assert_error(srv.post(QR, key=key, json={"text": "hola"}), 401, "revoked_api_key")


# --- money, tools, scopes ---------------------------------------------------------------------


def test_insufficient_balance_is_402_and_charges_nothing(srv):
    key = srv.new_key("poor")
    before = balance(srv, key)
    body = assert_error(srv.post(QR, key=key, json={"text": "hola"}), 402, "insufficient_api_balance")
    assert body["error"] == "Saldo API insuficiente."
    assert balance(srv, key) == before == {"currency": "USD", "balance_usd": "0.001",
                                           "available_usd": "0.001", "lifetime_spent_usd": "0"}


def test_unknown_tool_is_404(srv):
    assert_error(srv.post("/api/v1/tools/no-such-tool", key=srv.key, json={}), 404, "tool_not_found")
    assert_error(srv.get("/api/v1/tools/no-such-tool", key=srv.key), 404, "tool_not_found")


def test_tool_outside_key_list_is_403(srv):
    key = srv.new_key("default", "--tool", "crear-qr")
    assert srv.post("/api/v1/tools/qr", key=key, json={"text": "slug"}).status_code == 200
    assert srv.post("/api/v1/tools/crear-qr", key=key, json={"text": "alias"}).status_code == 200
    image = {"image": ("foto.png", png(), "image/png")}
    for name in ("image-convert", "convertir-formato-imagen"):
        r = srv.post(f"/api/v1/tools/{name}", key=key, files=image, data={"output_format": "webp"})
        assert_error(r, 403, "tool_not_allowed")


def test_key_without_tools_run_scope_is_403(srv):
    key = srv.new_key("default", "--scope", "other")
    assert_error(srv.post(QR, key=key, json={"text": "hola"}), 403, "scope_denied")


# --- limits: nothing may be left on disk ------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "multipart"])
def test_body_over_server_limit_is_413(tight, kind):
    before = balance(tight, tight.key)
    two_mb = 2 * 1024 * 1024
    if kind == "json":
        r = tight.post(QR, key=tight.key, content=b"{" + b" " * two_mb + b"}",
                       headers={"Content-Type": "application/json"})
    else:
        r = tight.post(CONVERT, key=tight.key, files={"image": ("big.png", b"\x00" * two_mb, "image/png")},
                       data={"output_format": "webp"})
    body = assert_error(r, 413, "limit_exceeded")
    assert body["details"]["limit"] == "max_body_mb"
    assert balance(tight, tight.key) == before
    assert files_under(tight.data_dir, "work", "outputs") == []


def test_file_over_tier_upload_limit_is_413(tight):
    key = tight.new_key("small")
    before = balance(tight, key)
    blob = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2400  # ~0.6 MB, under the 1 MB body limit
    r = tight.post(CONVERT, key=key, files={"image": ("big.png", blob, "image/png")},
                   data={"output_format": "webp"})
    body = assert_error(r, 413, "limit_exceeded")
    assert body["details"]["limit"] == "max_upload_mb"
    assert balance(tight, key) == before
    assert files_under(tight.data_dir, "work", "outputs") == []


def test_file_over_tier_upload_limit_as_base64_is_413(tight):
    key = tight.new_key("small")
    blob = base64.b64encode(bytes(range(256)) * 2400).decode()
    r = tight.post(CONVERT, key=key, json={"filename": "big.png", "content_base64": blob,
                                           "output_format": "webp"})
    assert assert_error(r, 413, "limit_exceeded")["details"]["limit"] == "max_upload_mb"
    assert files_under(tight.data_dir, "work", "outputs") == []


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A ~50 KB PNG whose header claims 20000 x 20000 (400 M pixels)."""
    return png((20000, 20000), mode="1")


def test_decompression_bomb_is_413_and_charges_nothing(tight, bomb):
    assert len(bomb) < 1024 * 1024
    before = balance(tight, tight.key)
    r = tight.post(CONVERT, key=tight.key, files={"image": ("bomb.png", bomb, "image/png")},
                   data={"output_format": "png"})
    body = assert_error(r, 413, "limit_exceeded")
    assert body["details"]["limit"] == "max_image_pixels"
    assert balance(tight, tight.key) == before
    assert files_under(tight.data_dir, "work", "outputs") == []
    jobs = tight.get("/api/v1/jobs", key=tight.key).json()
    assert jobs["pagination"]["total"] == 0


# --- bad media and fields ---------------------------------------------------------------------


@pytest.mark.parametrize("filename,content", [
    ("foto.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50),   # PNG signature, corrupt body
    ("notas.txt", b"hola, esto es texto y no una imagen\n" * 20),
])
def test_undecodable_file_is_400_invalid_media(srv, filename, content):
    before = balance(srv, srv.key)
    r = srv.post(CONVERT, key=srv.key, files={"image": (filename, content, "image/png")},
                 data={"output_format": "webp"})
    assert_error(r, 400, "invalid_media")
    assert balance(srv, srv.key) == before


def test_undecodable_base64_file_is_400_invalid_media(srv):
    content = base64.b64encode(b"GIF89a not really").decode()
    r = srv.post(CONVERT, key=srv.key, json={"filename": "x.gif", "content_base64": content,
                                             "output_format": "png"})
    assert_error(r, 400, "invalid_media")


def test_wrong_field_types_name_each_field(srv):
    before = balance(srv, srv.key)
    r = srv.post(QR, key=srv.key, json={"text": "hola", "size": "big", "border": -1, "output_format": "exe"})
    body = assert_error(r, 400, "validation_error")
    assert sorted(body["details"]["field_errors"]) == ["border", "output_format", "size"]
    assert all(isinstance(m, list) and m for m in body["details"]["field_errors"].values())
    assert balance(srv, srv.key) == before


def test_missing_required_fields_are_named(srv):
    r = srv.post(CONVERT, key=srv.key, json={"filename": "x.png"})
    body = assert_error(r, 400, "validation_error")
    assert sorted(body["details"]["field_errors"]) == ["image", "output_format"]


def test_path_in_filename_is_dropped(srv):
    r = srv.post(QR, key=srv.key, json={"text": "hola", "filename": "../../x"})
    assert r.status_code == 200, r.text
    assert r.json()["output"]["filename"] == "x.png"
    r = srv.post(CONVERT, key=srv.key, files={"image": ("../../etc/foto.png", png(), "image/png")},
                 data={"output_format": "webp"})
    assert r.status_code == 200, r.text
    assert r.json()["output"]["filename"] == "foto.webp"
    r = srv.post(CONVERT, key=srv.key, files={"image": ("a.png", png(), "image/png")},
                 data={"output_format": "webp", "filename": "..\\..\\x"})
    assert r.status_code == 200, r.text
    assert r.json()["output"]["filename"] == "x.webp"


# --- idempotency ------------------------------------------------------------------------------


def test_idempotency_key_with_different_body_is_409(srv):
    headers = {"Idempotency-Key": "errors-conflict-1"}
    first = srv.post(QR, key=srv.key, json={"text": "uno"}, headers=headers)
    assert first.status_code == 200, first.text
    spent = balance(srv, srv.key)["lifetime_spent_usd"]
    r = srv.post(QR, key=srv.key, json={"text": "dos"}, headers=headers)
    assert_error(r, 409, "idempotency_conflict")
    assert balance(srv, srv.key)["lifetime_spent_usd"] == spent


def test_idempotency_key_with_same_body_replays_without_second_charge(srv):
    headers = {"Idempotency-Key": "errors-replay-1"}
    before = Decimal(balance(srv, srv.key)["balance_usd"])
    first = srv.post(QR, key=srv.key, json={"text": "igual"}, headers=headers)
    second = srv.post(QR, key=srv.key, json={"text": "igual"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert Decimal(balance(srv, srv.key)["balance_usd"]) == before - Decimal("0.002")


def test_idempotency_key_must_be_printable(srv):
    r = srv.post(QR, key=srv.key, json={"text": "x"}, headers={"Idempotency-Key": "a" * 256})
    assert_error(r, 400, "validation_error")


# --- envelope ---------------------------------------------------------------------------------


def test_client_request_id_is_echoed(srv):
    r = srv.post("/api/v1/ping", key=srv.key, headers={"X-Request-Id": "abc-123"})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == r.json()["request_id"] == "abc-123"
    r = srv.post("/api/v1/ping", headers={"X-Request-Id": "abc-123"})
    assert_error(r, 401, "missing_api_key", request_id="abc-123")


def test_malformed_client_request_id_is_replaced(srv):
    r = srv.post("/api/v1/ping", key=srv.key, headers={"X-Request-Id": "no spaces allowed"})
    assert re.fullmatch(r"req_[0-9a-f]{24}", r.headers["x-request-id"])
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_unknown_route_and_wrong_method_use_the_envelope(srv):
    assert_error(srv.get("/api/v1/nothing-here", key=srv.key), 404, "not_found")
    assert_error(srv.request("DELETE", "/api/v1/balance", key=srv.key), 405, "method_not_allowed")


def test_unsupported_content_type_is_415(srv):
    r = srv.post(QR, key=srv.key, content=b"text=hola", headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


def test_invalid_json_is_400(srv):
    r = srv.post(QR, key=srv.key, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "validation_error")


def test_locale_en_gives_english_messages(make_server):
    en = make_server('[server]\nlocale = "en"\n')
    en.client.event_hooks = {"request": [], "response": [no_server_errors]}
    assert assert_error(en.post("/api/v1/ping"), 401, "missing_api_key")["error"] == \
        "Missing API key. Send Authorization: Bearer YOUR_API_KEY."
    assert assert_error(en.post("/api/v1/tools/nope", key=en.key, json={}), 404, "tool_not_found")["error"] == \
        "Tool not found."
