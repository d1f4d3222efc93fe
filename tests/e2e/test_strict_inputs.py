"""Issue 8 item 1 and friends: every header, query value and body field read as its declared type.

Each test is one defect class that used to reach a 500 (or the wrong answer);
all of them must now get the contract's envelope with the right status and
code, be charged nothing, and leave no file behind. The module's server
refuses any 5xx through its client hook.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, png, start_module_server
from tests.e2e.test_errors import assert_error, balance, files_under

QR = "/api/v1/tools/qr"
CONVERT = "/api/v1/tools/image-convert"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "strict", """
        [tiers.free]
        requests_per_minute = 0
        concurrent_jobs = 10
        [jobs]
        max_processing_seconds = 3600
        diagnostic_tools = true
        """)
    yield server
    server.stop()


def field_errors(r: Any, status: int = 400, code: str = "validation_error") -> dict[str, list[str]]:
    body = assert_error(r, status, code)
    errors = body["details"]["field_errors"]
    assert errors and all(isinstance(m, list) and m and all(isinstance(t, str) for t in m)
                          for m in errors.values()), body
    return errors


def no_trace(server: Server, before: dict[str, Any]) -> None:
    assert balance(server, server.key) == before
    assert files_under(server.data_dir, "work") == []


def multipart(*parts: bytes) -> dict[str, Any]:
    body = b"".join(b"--b\r\n" + part + b"\r\n" for part in parts) + b"--b--\r\n"
    return {"content": body, "headers": {"Content-Type": "multipart/form-data; boundary=b"}}


def text_part(name: str, value: bytes, extra: bytes = b"") -> bytes:
    return b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n' + extra + b"\r\n" + value


# --- integers in headers and query values: ASCII digits, bounded --------------------------------

NOT_INTEGERS = ["²".encode(), "١٢".encode(), b"9" * 5000, b"99999999999999999999", b"-1", b"1e3", b"", b"3600.5"]


@pytest.mark.parametrize("value", NOT_INTEGERS + [b"3601"])
def test_max_processing_time_is_ascii_digits_up_to_the_configured_maximum(srv, value):
    before = balance(srv, srv.key)
    r = srv.post(QR, key=srv.key, json={"text": "hola"}, headers={"Max-Processing-Time": value})
    assert "Max-Processing-Time" in field_errors(r)
    no_trace(srv, before)


def test_max_processing_time_at_the_maximum_is_accepted(srv):
    r = srv.post(QR, key=srv.key, json={"text": "hola"}, headers={"Max-Processing-Time": "3600"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A1%D9%A2", "9" * 5000, "-1", "1e3", "", "1000000001"])
def test_job_list_paging_is_ascii_digits_in_range(srv, name, value):
    assert name in field_errors(srv.get(f"/api/v1/jobs?{name}={value}", key=srv.key))


def test_job_list_offset_maximum_is_the_documented_one(srv):
    documented = {p["name"]: p["schema"] for p in srv.get("/schema/openapi.json").json()
                  ["paths"]["/api/v1/jobs"]["get"]["parameters"] if "name" in p}
    top = documented["offset"]["maximum"]
    assert srv.get(f"/api/v1/jobs?offset={top}", key=srv.key).status_code == 200
    assert "offset" in field_errors(srv.get(f"/api/v1/jobs?offset={top + 1}", key=srv.key))


@pytest.mark.parametrize("value", ["%C2%B2", "9" * 5000, "2026-13-01", "0000-01-01", "ma%C3%B1ana", "1.2.3",
                                   "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01"])
def test_job_list_since_is_unix_seconds_or_iso_8601(srv, value):
    assert "since" in field_errors(srv.get(f"/api/v1/jobs?since={value}", key=srv.key))


@pytest.mark.parametrize("value", ["1767225600", "1767225600.5", "2026-05-25T00:00:00Z", "2026-05-25t00:00:00z"])
def test_job_list_since_accepts_both_forms(srv, value):
    assert srv.get(f"/api/v1/jobs?since={value}", key=srv.key).status_code == 200


def test_job_list_status_filter_is_one_of_the_statuses(srv):
    assert "status" in field_errors(srv.get("/api/v1/jobs?status=done", key=srv.key))


@pytest.mark.parametrize("value", ["%C2%B2", "0", "366", "9" * 40])
def test_usage_days_is_an_integer_from_1_to_365(srv, value):
    assert "days" in field_errors(srv.get(f"/api/v1/usage?days={value}", key=srv.key))


# --- the signed file URL: expires and sig as their types, never reaching the HMAC malformed ----


@pytest.fixture(scope="module")
def file_url(srv: Server) -> str:
    r = srv.post(QR, key=srv.key, json={"text": "firmado"})
    assert r.status_code == 200, r.text
    return str(r.json()["output"]["url"])


@pytest.mark.parametrize("expires,sig,field", [
    ("9999999999", "%C3%A9", "sig"),
    ("9999999999", "g" * 64, "sig"),
    ("%C2%B2", "a" * 64, "expires"),
    ("9" * 5000, "a" * 64, "expires"),
    ("", "a" * 64, "expires"),
])
def test_malformed_signature_parts_are_400(srv, file_url, expires, sig, field):
    path = file_url.split("?")[0]
    assert field in field_errors(srv.client.get(f"{path}?expires={expires}&sig={sig}"))


def test_wrong_but_well_formed_signature_is_still_404(srv, file_url):
    path, query = file_url.split("?")
    expires = query.split("&")[0]
    assert_error(srv.client.get(f"{path}?{expires}&sig={'0' * 64}"), 404, "not_found")
    assert srv.client.get(file_url).status_code == 200


# --- JSON bodies: depth, lone surrogates, numbers ------------------------------------------------


def test_json_nested_10000_deep_is_400(srv):
    before = balance(srv, srv.key)
    deep = b'{"text": "x", "extra": ' + b"[" * 10000 + b"]" * 10000 + b"}"
    r = srv.post(QR, key=srv.key, content=deep, headers={"Content-Type": "application/json"})
    assert "body" in field_errors(r)
    no_trace(srv, before)


@pytest.mark.parametrize("raw", [b"{not json", b'{"text": "a"', "{\"text\": \"ñ\"}".encode("latin-1"), b"1" * 5000])
def test_invalid_json_names_the_body(srv, raw):
    assert "body" in field_errors(srv.post(QR, key=srv.key, content=raw, headers={"Content-Type": "application/json"}))


def test_json_nested_past_the_bound_names_the_field(srv):
    deep = b'{"text": "x", "webhook": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}"
    r = srv.post(QR, key=srv.key, content=deep, headers={"Content-Type": "application/json"})
    assert "webhook" in field_errors(r)


@pytest.mark.parametrize("raw,field", [
    (b'{"text": "\\ud800"}', "text"),
    (b'{"text": "ok", "filename": "a\\udfffb"}', "filename"),
    (b'{"text": "ok", "unknown": ["\\ud800"]}', "unknown[0]"),
    (b'{"text": "ok", "webhook": {"url": "https://example.com/\\udc00"}}', "webhook.url"),
    (b'{"text": "ok", "\\ud800": 1}', "\\ud800"),
])
def test_lone_surrogate_in_any_text_is_400_naming_it(srv, raw, field):
    before = balance(srv, srv.key)
    r = srv.post(QR, key=srv.key, content=raw, headers={"Content-Type": "application/json"})
    assert field in field_errors(r)
    no_trace(srv, before)


@pytest.mark.parametrize("body,field", [
    ({"text": "x", "size": "²⁵⁶"}, "size"),
    ({"text": "x", "size": "1" * 13}, "size"),
    ({"text": "x", "size": 10**30}, "size"),
    ({"text": "x", "border": 4.5}, "border"),  # 4.0 is an integer to JSON Schema and taken (issue 17)
])
def test_integer_fields_are_ascii_and_bounded(srv, body, field):
    assert field in field_errors(srv.post(QR, key=srv.key, json=body))


@pytest.mark.parametrize("raw", [b'"NaN"', b'"inf"', b'"1_000"', "\"١\"".encode(), b"1e400", b"NaN"])
def test_number_fields_are_finite_ascii_numbers(srv, raw):
    body = b'{"seconds": ' + raw + b"}"
    r = srv.post("/api/v1/tools/wait", key=srv.key, content=body, headers={"Content-Type": "application/json"})
    assert "seconds" in field_errors(r)


# --- multipart: parts without a filename, CR/LF in names, broken bodies ---------------------------


def test_file_part_without_filename_is_400_not_500(srv):
    """curl -F 'image=<small.png': the PNG's bytes arrive as a text field (not UTF-8)."""
    before = balance(srv, srv.key)
    r = srv.post(CONVERT, key=srv.key, **multipart(
        text_part("image", png(), b"Content-Type: image/png\r\n"), text_part("output_format", b"webp")))
    assert "body" in field_errors(r)
    no_trace(srv, before)


def test_file_sent_as_utf8_text_field_says_how_to_send_it(srv):
    r = srv.post(CONVERT, key=srv.key, **multipart(text_part("image", b"hola"), text_part("output_format", b"webp")))
    assert "curl -F 'campo=@archivo'" in field_errors(r)["image"][0]  # es: the server's default locale


def test_unknown_charset_in_a_part_is_400(srv):
    part = text_part("text", b"hola", b"Content-Type: text/plain; charset=nope\r\n")
    r = srv.post(QR, key=srv.key, **multipart(part))
    assert "body" in field_errors(r)


def test_raw_cr_lf_inside_a_filename_is_400(srv):
    before = balance(srv, srv.key)
    part = b'Content-Disposition: form-data; name="image"; filename="a\r\nb.png"\r\nContent-Type: image/png\r\n\r\n'
    r = srv.post(CONVERT, key=srv.key, **multipart(part + png(), text_part("output_format", b"webp")))
    assert "body" in field_errors(r)
    no_trace(srv, before)


def test_control_characters_in_a_filename_are_removed(srv):
    """An escaped CR/LF (what httpx and browsers send) is kept out of the stored and output names."""
    r = srv.post(CONVERT, key=srv.key, files={"image": ("mi\r\nfoto\t.png", png(), "image/png")},
                 data={"output_format": "webp"})
    assert r.status_code == 200, r.text
    name = r.json()["output"]["filename"]
    assert name.endswith(".webp") and not any(ch in name for ch in "\r\n\t"), name


# --- base64 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["!!!!****", "a", "aGVsbG8=x", "===="])
def test_garbage_base64_says_not_valid_base64(srv, value):
    r = srv.post(CONVERT, key=srv.key, json={"content_base64": value, "output_format": "png"})
    message = field_errors(r)["content_base64"][0]
    assert "base64" in message and "empty" not in message


def test_empty_base64_says_empty_file(srv):
    r = srv.post(CONVERT, key=srv.key, json={"content_base64": "", "output_format": "png"})
    assert field_errors(r)["content_base64"] == ["archivo vacío"]  # es: the server's default locale


def test_url_safe_and_wrapped_base64_still_decode(srv):
    data = base64.urlsafe_b64encode(png()).decode().rstrip("=")
    wrapped = "\n".join(data[i:i + 60] for i in range(0, len(data), 60))
    r = srv.post(CONVERT, key=srv.key, json={"content_base64": wrapped, "output_format": "png"})
    assert r.status_code == 200, r.text


# --- common body fields: webhook, return_base64 ------------------------------------------------


@pytest.mark.parametrize("url", ["http://[", "http://x:99999/", "http://[::1", "https://exa mple.com"])
def test_malformed_webhook_url_is_400_naming_it(srv, url):
    before = balance(srv, srv.key)
    assert "webhook.url" in field_errors(srv.post(QR, key=srv.key, json={"text": "a", "webhook": {"url": url}}))
    no_trace(srv, before)


def test_webhook_form_field_that_is_not_json_is_400_not_ignored(srv):
    assert "webhook" in field_errors(srv.post(QR, key=srv.key, data={"text": "a", "webhook": "{bad"}))


@pytest.mark.parametrize("value", [[1], "maybe", {"a": 1}])
def test_return_base64_is_a_boolean(srv, value):
    before = balance(srv, srv.key)
    assert "return_base64" in field_errors(srv.post(QR, key=srv.key, json={"text": "a", "return_base64": value}))
    no_trace(srv, before)


# --- other headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["é".encode(), b"a" * 256])
def test_idempotency_key_is_printable_ascii(srv, value):
    r = srv.post(QR, key=srv.key, json={"text": "x"}, headers={"Idempotency-Key": value})
    assert "Idempotency-Key" in field_errors(r)


def test_non_ascii_request_id_is_replaced_not_echoed(srv):
    r = srv.post("/api/v1/ping", key=srv.key, headers={"X-Request-Id": "réq-1".encode()})
    assert r.status_code == 200
    assert r.headers["x-request-id"].startswith("req_")


# --- issue 7 item 11 (a), (b) -------------------------------------------------------------------


@pytest.mark.parametrize("length", [3000, 8000, 100_000])
def test_qr_text_over_any_capacity_is_413_qr_capacity(srv, length):
    before = balance(srv, srv.key)
    body = assert_error(srv.post(QR, key=srv.key, json={"text": "x" * length}), 413, "limit_exceeded")
    assert body["details"]["limit"] == "qr_capacity"
    no_trace(srv, before)


def test_qr_capacity_counts_the_mode_not_the_length(srv):
    """4,500 digits fit (numeric mode holds 7,089) though 4,500 letters would not."""
    r = srv.post(QR, key=srv.key, json={"text": "7" * 4500, "error_correction": "L", "return_base64": False})
    assert r.status_code == 200, r.text


def test_rate_limit_remaining_counts_the_job_just_run(make_server):
    server = make_server("[tiers.free]\nrequests_per_minute = 0\n")
    seen = [server.post(QR, key=server.key, json={"text": f"n{i}"}) for i in range(4)]
    assert [r.status_code for r in seen] == [200] * 4
    assert [r.headers["x-ratelimit-remaining"] for r in seen] == ["59", "58", "57", "56"]
    assert server.post("/api/v1/ping", key=server.key).headers["x-ratelimit-remaining"] == "56"


# --- issue 8 item 6: the published schema and the server agree ----------------------------------


def test_failed_and_cancelled_jobs_have_an_error_message(srv):
    with httpx.Client(base_url=srv.base, timeout=30) as plain:  # the 504 is the point: no 5xx hook here
        failed = plain.post("/api/v1/tools/wait", json={"seconds": 5},
                            headers={"Max-Processing-Time": "1", "Authorization": f"Bearer {srv.key}"})
    assert failed.status_code == 504, failed.text
    queued = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30}, headers={"Prefer": "respond-async"})
    job_id = queued.json()["job_id"]
    assert srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=srv.key).status_code == 200
    for jid, code in ((failed.json()["job_id"], "processing_timeout"), (job_id, "job_cancelled")):
        error = srv.get(f"/api/v1/jobs/{jid}", key=srv.key).json()["error"]
        assert error["code"] == code
        assert isinstance(error["message"], str) and error["message"].strip(), error
    schemas = srv.get("/schema/openapi.json").json()["components"]["schemas"]
    ref = schemas["Job"]["properties"]["error"]["oneOf"][0]["$ref"]  # generated from the Struct: a component
    documented = schemas[ref.rsplit("/", 1)[1]]
    assert documented["properties"]["message"]["type"] == "string" and "message" in documented["required"]


def test_options_lists_every_method_of_the_path(srv):
    r = srv.client.options("/api/v1/jobs/job_x")
    assert r.status_code == 204
    assert r.headers["allow"] == "DELETE, GET, OPTIONS"
    assert srv.client.options("/api/v1/ping").headers["allow"] == "OPTIONS, POST"


@pytest.mark.parametrize("method,path", [("TRACE", "/api/v1/jobs/job_x"), ("PUT", "/api/v1/ping"),
                                         ("PATCH", "/api/v1/balance")])
def test_unsupported_method_is_405_with_allow_in_the_envelope(srv, method, path):
    r = srv.request(method, path, key=srv.key)
    assert_error(r, 405, "method_not_allowed")
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert method not in allowed and "OPTIONS" in allowed


def test_empty_required_text_is_refused_and_the_schema_says_so(srv):
    assert "text" in field_errors(srv.post(QR, key=srv.key, json={"text": ""}))
    text = srv.get("/schema/openapi.json").json()["components"]["schemas"]["QrJsonInput"]["properties"]["text"]
    assert text["minLength"] == 1 and "maxLength" not in text


def test_nothing_was_left_in_work(srv: Server) -> None:
    """Run last in the module: every refusal above removed its work folder."""
    assert files_under(Path(srv.data_dir), "work") == []
