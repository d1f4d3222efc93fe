"""Per-unit prices on the real server: the catalog, holds equal to estimates, charges equal
to processed units × unit price, exact ledger rows, 402 on the estimate, and config errors."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from noxus_local.money import format_usd
from tests.e2e.conftest import Server, png, start_module_server

WAIT = "/api/v1/tools/wait"
CONFIG = """
    [jobs]
    diagnostic_tools = true
    [tiers.free]
    requests_per_minute = 0
    jobs_per_hour = 0
    concurrent_jobs = 10
    [prices]
    wait = { unit = "second", unit_usd = "0.000123", minimum_usd = "0.00005" }
    qr = { unit = "1k_chars", unit_usd = "0.0007" }
    [prices."image-convert"]
    unit = "image"
    unit_usd = "0.003"
    [[accounts]]
    id = "acme"
    initial_test_balance_usd = "1"
    [[accounts]]
    id = "poor"
    initial_test_balance_usd = "0.0004"
    """


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "pricing", CONFIG)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def acme(srv: Server) -> str:
    return srv.new_key("acme")


def ledger_rows(srv: Server, job_id: str) -> list[tuple[str, int, int]]:
    with sqlite3.connect(f"file:{srv.data_dir / 'noxus.db'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT kind, amount_micros, balance_after_micros FROM ledger WHERE job_id = ?"
                            " ORDER BY id", (job_id,)).fetchall()


def balance_micros(srv: Server, key: str) -> dict[str, Any]:
    body = srv.get("/api/v1/balance", key=key).json()["balance"]
    return {k: round(float(body[k]) * 1_000_000) for k in ("balance_usd", "available_usd")}


def wait_until_done(srv: Server, key: str, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = srv.get(f"/api/v1/jobs/{job_id}", key=key).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_catalog_shows_dynamic_prices(srv, acme):
    tools = {t["slug"]: t["pricing"] for t in srv.get("/api/v1/tools", key=acme).json()["tools"]}
    configured = {  # the prices this module's config sets
        "wait": {"type": "dynamic", "unit": "second", "unit_usd": "0.000123", "starting_usd": "0.000123"},
        "qr": {"type": "dynamic", "unit": "1k_chars", "unit_usd": "0.0007", "starting_usd": "0.0007"},
        "image-convert": {"type": "dynamic", "unit": "image", "unit_usd": "0.003", "starting_usd": "0.003"},
        "pipeline": {"type": "fixed", "price_usd": "0.001"}}
    assert {slug: tools[slug] for slug in configured} == configured
    # every other tool shows its default price in one of the two shapes, never none
    assert all(p["type"] in ("fixed", "dynamic") for p in tools.values()), tools
    assert tools["text-to-speech"] == {"type": "dynamic", "unit": "1k_chars", "unit_usd": "0.015",
                                       "starting_usd": "0.015"}
    assert srv.get("/api/v1/tools/esperar", key=acme).json()["tool"]["pricing"] == tools["wait"]


def conforms(doc: dict[str, Any], schema: str, body: dict[str, Any]) -> None:
    """Validate a real body against the published component schema ($refs resolve in ``doc``)."""
    jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{schema}",
                                     "components": doc["components"]}).validate(body)


def test_openapi_documents_both_pricing_types(srv, acme):
    doc = srv.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    pricing = [schemas[p["$ref"].rsplit("/", 1)[1]]  # generated from the Structs: one component per arm
               for p in schemas["ToolDescription"]["properties"]["pricing"]["oneOf"]]
    assert [set(p["required"]) for p in pricing] == [{"type", "price_usd"},
                                                     {"type", "unit", "unit_usd", "starting_usd"}]
    billing = doc["components"]["schemas"]["Billing"]["properties"]
    assert {"unit", "estimated_units", "units"} <= set(billing)
    conforms(doc, "ToolList", srv.get("/api/v1/tools", key=acme).json())
    conforms(doc, "ToolRun", srv.post(WAIT, key=acme, json={"seconds": 0.1}).json())
    conforms(doc, "Usage", srv.get("/api/v1/usage", key=acme).json())
    with pytest.raises(jsonschema.ValidationError):  # the check has teeth: a dynamic price needs its unit
        conforms(doc, "ToolDescription", {"slug": "x", "aliases": [], "title": "x", "description": "x",
                                          "media_type": "image", "inputs": [], "limits": {}, "available": True,
                                          "pricing": {"type": "dynamic", "unit_usd": "1"}})
    conforms(doc, "ToolDescription", {"slug": "x", "aliases": [], "title": "x", "description": "x",  # and passes
             "media_type": "image", "inputs": [], "limits": {}, "available": True,
             "pricing": {"type": "dynamic", "unit": "second", "unit_usd": "1", "starting_usd": "1"}})


def test_a_shorter_run_is_charged_the_seconds_it_processed(srv, acme):
    before = balance_micros(srv, acme)
    r = srv.post(WAIT, key=acme, json={"seconds": 3.5, "stop_after": 1.25})
    assert r.status_code == 200, r.text
    body = r.json()
    # hold ceil(3.5 × 123) = ceil(430.5) = 431; charge ceil(1.25 × 123) = ceil(153.75) = 154
    assert body["billing"] == {"currency": "USD", "estimated_usd": "0.000431", "charged_usd": "0.000154",
                               "unit": "second", "estimated_units": 3.5, "units": 1.25,
                               "balance_after_usd": format_usd(before["balance_usd"] - 154)}
    after = before["balance_usd"] - 154
    assert ledger_rows(srv, body["job_id"]) == [
        ("hold", 431, before["balance_usd"]), ("charge", 154, after), ("release", 277, after)]
    assert balance_micros(srv, acme) == {"balance_usd": after, "available_usd": after}


def test_a_full_run_is_charged_its_estimate_rounded_up(srv, acme):
    body = srv.post(WAIT, key=acme, json={"seconds": 0.5}).json()
    assert (body["billing"]["estimated_usd"], body["billing"]["charged_usd"]) == ("0.000062", "0.000062")
    assert [kind for kind, _, _ in ledger_rows(srv, body["job_id"])] == ["hold", "charge"]


def test_the_hold_is_the_estimate_while_the_job_runs(srv, acme):
    before = balance_micros(srv, acme)
    r = srv.post(WAIT, key=acme, json={"seconds": 20}, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = srv.get(f"/api/v1/jobs/{job_id}", key=acme).json()
    assert job["billing"]["estimated_usd"] == "0.00246"  # 20 × 123
    assert (job["billing"]["unit"], job["billing"]["estimated_units"]) == ("second", 20)
    assert "units" not in job["billing"]  # not settled yet
    assert balance_micros(srv, acme) == {"balance_usd": before["balance_usd"],
                                         "available_usd": before["balance_usd"] - 2460}
    assert srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=acme).status_code == 200
    done = wait_until_done(srv, acme, job_id)
    assert done["status"] == "cancelled"
    assert (done["billing"]["charged_usd"], done["billing"]["units"]) == ("0", 0)
    assert ledger_rows(srv, job_id) == [("hold", 2460, before["balance_usd"]),
                                        ("release", 2460, before["balance_usd"])]
    assert balance_micros(srv, acme) == {"balance_usd": before["balance_usd"],
                                         "available_usd": before["balance_usd"]}


def test_a_failed_per_unit_job_charges_nothing(srv, acme):
    r = srv.post(WAIT, key=acme, json={"seconds": 0.1, "fail": True}, headers={"Prefer": "respond-async"})
    done = wait_until_done(srv, acme, r.json()["job_id"])  # async: the module's client refuses a 500
    assert done["status"] == "failed"
    assert (done["billing"]["charged_usd"], done["billing"]["units"]) == ("0", 0)
    assert [kind for kind, _, _ in ledger_rows(srv, done["job_id"])] == ["hold", "release"]


def test_image_convert_per_image(srv, acme):
    r = srv.post("/api/v1/tools/image-convert", key=acme, files={"image": ("a.png", png(), "image/png")},
                 data={"output_format": "webp"})
    assert r.status_code == 200, r.text
    billing = r.json()["billing"]
    assert (billing["estimated_usd"], billing["charged_usd"], billing["unit"], billing["units"]) == (
        "0.003", "0.003", "image", 1)


def test_qr_per_thousand_characters(srv, acme):
    r = srv.post("/api/v1/tools/qr", key=acme, json={"text": "x" * 1234})
    assert r.status_code == 200, r.text
    billing = r.json()["billing"]  # 1.234 × 700 = 863.8 → 864
    assert (billing["charged_usd"], billing["estimated_units"], billing["units"]) == ("0.000864", 1.234, 1.234)


def test_402_when_the_estimate_exceeds_the_available_balance(srv):
    key = srv.new_key("poor")
    r = srv.post(WAIT, key=key, json={"seconds": 5})  # 615 µUSD > 400 available
    assert r.status_code == 402
    assert r.json()["error_code"] == "insufficient_api_balance"
    assert r.json()["details"] == {"estimated_usd": "0.000615", "available_usd": "0.0004"}
    with sqlite3.connect(f"file:{srv.data_dir / 'noxus.db'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ledger WHERE account_id = 'poor' AND kind != 'credit'"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM jobs WHERE account_id = 'poor'").fetchone()[0] == 0
    ok = srv.post(WAIT, key=key, json={"seconds": 3})  # 369 µUSD fits: the estimate decides, not a fixed price
    assert ok.status_code == 200 and ok.json()["billing"]["charged_usd"] == "0.000369"


def test_usage_lists_units_per_tool(srv):
    key = srv.new_key("acme", "--name", "usage")
    before = {t["tool"]: t for t in srv.get("/api/v1/usage", key=key).json()["by_tool"]}
    srv.post(WAIT, key=key, json={"seconds": 0.2})
    srv.post(WAIT, key=key, json={"seconds": 0.4, "stop_after": 0.1})
    by_tool = {t["tool"]: t for t in srv.get("/api/v1/usage", key=key).json()["by_tool"]}
    earlier = before.get("wait", {}).get("units", {}).get("second", 0)
    assert round(by_tool["wait"]["units"]["second"] - earlier, 6) == 0.3


# --- config errors at start ---------------------------------------------------------------------


def test_config_check_names_a_unit_the_tool_cannot_measure(make_server):
    server = make_server('[prices]\nqr = { unit = "minute", unit_usd = "0.01" }\n', start=False)
    result = server.cli("config", "check")
    assert result.returncode == 2
    assert "prices.qr.unit: qr cannot be priced per minute (it measures characters)" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_prints_prices(make_server):
    server = make_server('[prices]\nwait = { unit = "minute", unit_usd = "0.01" }\n', start=False)
    result = server.cli("config", "check")
    assert result.returncode == 0, result.stderr
    assert 'prices.qr = "0.002"' in result.stdout
    assert 'prices.wait = {"unit": "minute", "unit_usd": "0.01", "minimum_usd": "0"}' in result.stdout


def test_serve_refuses_a_bad_price_before_touching_the_data_dir(make_server):
    server = make_server('[prices]\n"image-convert" = { unit = "second", unit_usd = "0.01" }\n', start=False)
    with pytest.raises(RuntimeError, match=r"server exited"):
        server.start(timeout=20)
    assert server.proc is not None and server.proc.wait(10) == 2
    log = (server.data_dir.parent / f"{server.data_dir.name}.log").read_text()
    assert "prices.image-convert.unit: image-convert cannot be priced per second (it measures images)" in log
    assert not (server.data_dir / "noxus.db").exists()
