"""Money and idempotency under real concurrent HTTP load.

A balance that covers exactly 20 runs is hit by 50 parallel requests; the
ledger in the SQLite file must agree with the API to the micro-dollar.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import Server, png, start_module_server

CONVERT = "/api/v1/tools/image-convert"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "concurrency", """
        [prices]
        image-convert = "0.002"
        [tiers.bulk]
        jobs_per_hour = 0
        requests_per_minute = 0
        concurrent_jobs = 100
        [[accounts]]
        id = "acme"
        tier = "bulk"
        initial_test_balance_usd = "0.04"
        [[accounts]]
        id = "idem"
        tier = "bulk"
        initial_test_balance_usd = "1"
        """)
    yield server
    server.stop()



def hammer(server: Server, n: int, key: str, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    """``n`` simultaneous image-convert calls, one connection each."""
    image = png()
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    with httpx.Client(base_url=server.base, timeout=120, limits=limits) as client:
        def call(_: int) -> httpx.Response:
            r = client.post(CONVERT, files={"image": ("foto.png", image, "image/png")},
                            data={"output_format": "webp"},
                            headers={"Authorization": f"Bearer {key}", **(headers or {})})
            r.read()
            return r
        with ThreadPoolExecutor(max_workers=n) as pool:
            responses = list(pool.map(call, range(n)))
    assert [r.text for r in responses if r.status_code >= 500] == []
    return responses


def test_balance_for_twenty_runs_serves_exactly_twenty_of_fifty(srv):
    key = srv.new_key("acme")
    responses = hammer(srv, 50, key)
    assert Counter(r.status_code for r in responses) == {200: 20, 402: 30}
    assert {r.json()["error_code"] for r in responses if r.status_code == 402} == {"insufficient_api_balance"}
    assert all(r.json()["billing"]["charged_usd"] == "0.002" for r in responses if r.status_code == 200)
    balance = srv.get("/api/v1/balance", key=key).json()["balance"]
    assert balance == {"currency": "USD", "balance_usd": "0", "available_usd": "0",
                       "lifetime_spent_usd": "0.04"}

    with sqlite3.connect(f"file:{srv.data_dir / 'noxus.db'}?mode=ro", uri=True) as conn:
        sums = dict(conn.execute(
            "SELECT kind, SUM(amount_micros) FROM ledger WHERE account_id = 'acme' AND environment = 'test'"
            " GROUP BY kind").fetchall())
        counts = dict(conn.execute(
            "SELECT kind, COUNT(*) FROM ledger WHERE account_id = 'acme' AND environment = 'test'"
            " AND amount_micros > 0 GROUP BY kind").fetchall())
        jobs = conn.execute("SELECT status, COUNT(*) FROM jobs WHERE account_id = 'acme' GROUP BY status").fetchall()
        negative = conn.execute("SELECT COUNT(*) FROM ledger WHERE account_id = 'acme'"
                                " AND (balance_after_micros < 0 OR available_after_micros < 0)").fetchone()[0]
    assert sums["credit"] - sums["charge"] == 0
    assert sums["hold"] == sums["charge"] + sums.get("release", 0)
    assert (sums["credit"], sums["hold"], sums["charge"]) == (40_000, 40_000, 40_000)
    assert (counts["credit"], counts["hold"], counts["charge"]) == (1, 20, 20)
    assert jobs == [("succeeded", 20)]
    assert negative == 0


def test_concurrent_duplicates_with_one_idempotency_key_run_once(srv):
    key = srv.new_key("idem")
    responses = hammer(srv, 20, key, headers={"Idempotency-Key": "concurrent-dup-1"})
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] >= 1
    assert len({r.content for r in responses if r.status_code == 200}) == 1
    assert sum(r.headers.get("idempotent-replayed") != "true" for r in responses if r.status_code == 200) == 1
    assert {r.json()["error_code"] for r in responses if r.status_code == 409} <= {"idempotency_conflict"}

    jobs = srv.get("/api/v1/jobs", key=key, params={"tool": "image-convert"}).json()
    assert jobs["pagination"]["total"] == 1
    balance = srv.get("/api/v1/balance", key=key).json()["balance"]
    assert (balance["balance_usd"], balance["lifetime_spent_usd"]) == ("0.998", "0.002")
