"""The admin REST API through HTTP on the real server (issue 25 items 3, 4, 6).

The admin token from the environment (``NOXUS_ADMIN_TOKEN``); its bad input (no
token, a wrong one, an API key, the token in the query string, no token
configured); accounts, keys (the plain key shown once and working), budgets,
jobs (a running job cancelled, charged 0), usage, the CSV (parsed with Python's
csv module, its sums equal to the ledger's as the API reports it, and the CLI's
export byte for byte the same), and every action in the audit log, by HTTP and
by ``noxus-local admin audit``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Server, start_module_server

TOKEN = "e2e-admin-token-7f3c9a1b5d2e8f40"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
A = "/api/v1/admin"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "admin", """
        [jobs]
        diagnostic_tools = true
        [tiers.free]
        requests_per_minute = 0
        """, env={"NOXUS_ADMIN_TOKEN": TOKEN})
    yield server
    server.stop()


def call(srv: Server, method: str, path: str, **kw: Any) -> Any:
    headers = {**ADMIN, **kw.pop("headers", {})}
    return srv.client.request(method, A + path, headers=headers, **kw)


def test_the_token_is_required_compared_and_never_taken_from_the_query_string(srv: Server) -> None:
    for headers, code in (({}, "missing_admin_token"), ({"Authorization": "Bearer wrong"}, "invalid_admin_token"),
                          ({"Authorization": f"Bearer {TOKEN}x"}, "invalid_admin_token"),
                          ({"X-Admin-Token": TOKEN[:-1]}, "invalid_admin_token"),
                          ({"Authorization": f"Bearer {srv.key}"}, "invalid_admin_token")):  # an API key: never
        r = srv.client.get(f"{A}/overview", headers=headers)
        assert (r.status_code, r.json()["error_code"]) == (401, code), headers
        assert r.json()["billing"] == {"charged_usd": "0"} and r.headers["x-request-id"]
    for name in ("token", "admin_token", "access_token"):
        r = srv.client.get(f"{A}/overview", params={name: TOKEN}, headers=ADMIN)
        assert (r.status_code, r.json()["details"]["reason"]) == (400, "token_in_query_string")
    assert srv.client.get(f"{A}/overview", headers={"X-Admin-Token": TOKEN}).status_code == 200
    assert call(srv, "GET", "/overview").status_code == 200
    # the admin token is not an API key either
    assert srv.post("/api/v1/ping", key=TOKEN).status_code == 401


def test_no_configured_token_refuses_every_admin_route(make_server: Any) -> None:
    bare = make_server("", name="noadmin")
    for method, path in (("GET", "/overview"), ("POST", "/accounts"), ("GET", "/usage.csv")):
        r = bare.client.request(method, A + path, headers={"Authorization": "Bearer anything"})
        assert (r.status_code, r.json()["error_code"]) == (503, "admin_disabled"), path


def test_ten_wrong_tokens_a_minute_lock_the_address_out_even_for_the_right_one(make_server: Any) -> None:
    locked = make_server("", name="lockout", env={"NOXUS_ADMIN_TOKEN": TOKEN})
    for _ in range(10):
        r = locked.client.get(f"{A}/overview", headers={"Authorization": "Bearer guess"})
        assert r.json()["error_code"] == "invalid_admin_token"
    for headers in ({"Authorization": "Bearer guess"}, ADMIN):  # the right token learns nothing either
        r = locked.client.get(f"{A}/overview", headers=headers)
        assert (r.status_code, r.json()["error_code"]) == (429, "rate_limit_exceeded")
        assert 1 <= int(r.headers["retry-after"]) <= 60


def test_accounts_keys_budgets_and_suspension_through_http(srv: Server) -> None:
    r = call(srv, "POST", "/accounts", json={"account_id": "acme", "name": "ACME", "tier": "free"})
    assert r.status_code == 201 and r.json()["account"]["status"] == "active"
    assert call(srv, "POST", "/accounts", json={"account_id": "acme"}).json()["error_code"] == "already_exists"
    r = call(srv, "POST", "/accounts/acme/credit", json={"amount_usd": "2", "environment": "test", "note": "po 7"})
    assert r.status_code == 200 and r.json()["credit"]["balance"]["balance_usd"] == "2"
    for amount in ("-1", "abc", "0", -1, 2):
        r = call(srv, "POST", "/accounts/acme/credit", json={"amount_usd": amount})
        assert (r.status_code, list(r.json()["details"]["field_errors"])) == (400, ["amount_usd"]), amount

    r = call(srv, "POST", "/keys", json={"account_id": "acme", "name": "ci"})
    assert r.status_code == 201
    plain, key = r.json()["key"], r.json()["api_key"]
    assert plain.startswith("noxus_test_") and plain not in call(srv, "GET", "/keys").text  # shown once only
    assert srv.post("/api/v1/tools/qr", key=plain, json={"text": "hola"}).status_code == 200
    listed = next(k for k in call(srv, "GET", "/keys", params={"account_id": "acme"}).json()["keys"]
                  if k["id"] == key["id"])
    assert listed["spent_usd"] != "0" and listed["jobs"] == 1 and listed["last_used_at"]

    for body, field in (({"max_spend_usd": "-1"}, "max_spend_usd"), ({"max_spend_usd": "abc"}, "max_spend_usd"),
                        ({"max_spend_usd": -1}, "max_spend_usd"), ({"max_spend_usd": "5", "budget_period": "year"},
                                                                   "budget_period")):
        r = call(srv, "PUT", f"/keys/{key['id']}/budget", json=body)
        assert (r.status_code, list(r.json()["details"]["field_errors"])) == (400, [field]), body
    r = call(srv, "PUT", f"/keys/{key['id']}/budget",
             json={"max_spend_usd": "5", "budget_period": "month", "soft_limit_usd": "4"})
    assert r.json()["api_key"]["budget"]["max_spend_usd"] == "5"

    # suspended: the key is refused at once; a suspended account may still be credited; unsuspended: it works
    assert call(srv, "POST", "/accounts/acme/suspend").json()["account"]["status"] == "suspended"
    time.sleep(0.1)  # the API's key cache rechecks every 50 ms
    assert srv.post("/api/v1/ping", key=plain).json()["error_code"] == "account_suspended"
    r = call(srv, "POST", "/accounts/acme/credit", json={"amount_usd": "1"})
    assert r.status_code == 200 and r.json()["credit"]["suspended"] is True
    call(srv, "POST", "/accounts/acme/unsuspend")
    time.sleep(0.1)
    assert srv.post("/api/v1/ping", key=plain).status_code == 200

    r = call(srv, "POST", f"/keys/{key['id']}/rotate")
    new_plain = r.json()["key"]
    assert r.json()["api_key"]["budget"]["max_spend_usd"] == "5"
    time.sleep(0.1)  # the key cache rechecks within 50 ms
    assert srv.post("/api/v1/ping", key=plain).json()["error_code"] == "revoked_api_key"
    assert srv.post("/api/v1/ping", key=new_plain).status_code == 200
    new_id = r.json()["api_key"]["id"]
    assert call(srv, "POST", f"/keys/{new_id}/revoke").json()["api_key"]["status"] == "revoked"
    assert call(srv, "POST", f"/keys/{new_id}/revoke").json()["error_code"] == "state_conflict"
    assert call(srv, "POST", "/keys/key_nope/revoke").status_code == 404

    actions = [e["action"] for e in call(srv, "GET", "/audit", params={"limit": 200}).json()["entries"]
               if e["target"] in ("acme", key["id"], new_id)]
    assert actions == ["key.revoke", "key.rotate", "account.unsuspend", "account.credit", "account.suspend",
                       "key.budget", "key.create", "account.credit", "account.create"]
    entry = call(srv, "GET", "/audit", params={"action": "account.credit", "target": "acme"}).json()["entries"][0]
    assert (entry["actor"], entry["via"], entry["ip"]) == ("admin", "api", "127.0.0.1")
    assert entry["details"] == {"amount_usd": "1", "environment": "test", "note": None, "suspended": True}
    out = srv.cli("admin", "audit", "--target", "acme").stdout
    assert "account.suspend" in out and "account.create" in out and "127.0.0.1" in out


def test_jobs_list_and_cancel_a_running_job(srv: Server) -> None:
    r = srv.post("/api/v1/tools/wait", key=srv.key, json={"seconds": 30}, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = call(srv, "GET", "/jobs", params={"status": "running", "tool": "wait"}).json()["jobs"]
        if any(j["job_id"] == job_id for j in rows):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the job never ran")
    assert call(srv, "GET", "/workers").json()["workers"]["running"][0]["running_jobs"] >= 1
    r = call(srv, "POST", f"/jobs/{job_id}/cancel")
    assert r.status_code == 200 and (r.json()["job"]["status"], r.json()["job"]["charged_usd"]) == ("cancelled", "0")
    assert call(srv, "POST", f"/jobs/{job_id}/cancel").json()["error_code"] == "state_conflict"
    assert call(srv, "POST", "/jobs/job_nope/cancel").json()["error_code"] == "job_not_found"
    assert call(srv, "GET", "/jobs", params={"status": "nope"}).status_code == 400
    page = call(srv, "GET", "/jobs", params={"limit": 1}).json()
    assert len(page["jobs"]) == 1 and page["pagination"]["total"] >= 2
    overview = call(srv, "GET", "/overview").json()["overview"]
    assert overview["jobs"]["cancelled"] >= 1 and overview["jobs"]["succeeded"] >= 1


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_usage_and_the_csv_export_agree_with_the_ledger(srv: Server) -> None:
    for text in ("uno", "dos", "tres"):
        assert srv.post("/api/v1/tools/qr", key=srv.key, json={"text": text}).status_code == 200
    spent = Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["lifetime_spent_usd"])
    assert spent > 0

    r = call(srv, "GET", "/usage.csv", params={"account_id": "default"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = parse(r.text)
    assert rows and list(rows[0]) == ["movement_id", "time", "account_id", "environment", "kind", "amount_usd",
                                      "balance_after_usd", "available_after_usd", "job_id", "key_id", "tool", "note"]
    charges = sum(Decimal(row["amount_usd"]) for row in rows if row["kind"] == "charge")
    credits = sum(Decimal(row["amount_usd"]) for row in rows if row["kind"] == "credit")
    balance = Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])
    assert charges == spent and credits - charges == balance

    per_job = parse(call(srv, "GET", "/usage.csv", params={"per": "job", "account_id": "default"}).text)
    assert sum(Decimal(row["charged_usd"]) for row in per_job) == spent
    assert {row["tool"] for row in per_job} >= {"qr"}

    usage = call(srv, "GET", "/usage", params={"group_by": "account,tool", "account_id": "default"}).json()["usage"]
    assert Decimal(usage["total_spent_usd"]) == spent
    assert call(srv, "GET", "/usage", params={"group_by": "week"}).status_code == 400

    # the CLI writes the same file, byte for byte, from the data dir (no token needed there)
    until = f"{time.time():.3f}"
    r = call(srv, "GET", "/usage.csv", params={"per": "job", "until": until})
    assert r.status_code == 200
    http = r.content
    out = srv.data_dir.parent / "usage.csv"
    done = srv.cli("usage", "export", "--csv", "--per", "job", "--until", until, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == http
