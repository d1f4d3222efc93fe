"""instant-ad's page fetch takes one of the server's fetch slots, through the real server (issue 24).

The server has one fetch slot. A slow sender on loopback (``/drip``: one byte a second) holds it through
an ``image_url`` download; an instant-ad request meanwhile waits the slot's short wait and is answered 503
``server_busy`` with ``Retry-After``, charged nothing, no job made (never a 500, never queued for the
drip's whole deadline). When the drip's deadline has freed the slot, the same request is accepted and its
ad is made from the page read at the request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, balance_usd, start_module_server
from tests.http_fixture import media_server, wait_until

TOOL = "/api/v1/tools/instant-ad"
DEADLINE = 5.0
PAGE = b"""<!doctype html><html lang="en"><head><title>Glow Bottle | Acme Home</title>
<script type="application/ld+json">{"@type": "Product", "name": "Glow Bottle",
 "offers": {"price": "24.90", "priceCurrency": "USD"}}</script></head><body><h1>Glow Bottle</h1></body></html>"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "iadslot", f"""
        [inference]
        prefer_gpu = false
        [assets]
        fetch_allow_hosts = ["127.0.0.1"]
        fetch_timeout_seconds = {DEADLINE}
        fetch_min_bytes_per_second = 0
        fetch_slots = 1
        fetch_slot_wait_seconds = 0.5
        [tiers.free]
        requests_per_minute = 0
        jobs_per_hour = 0
        concurrent_jobs = 2
        """)
    yield server
    server.stop()


def test_a_page_fetch_with_the_slots_full_is_server_busy_then_served_when_one_frees(srv: Server) -> None:
    before = balance_usd(srv)
    held: list[Any] = []
    client = httpx.Client(base_url=srv.base, headers={"Authorization": f"Bearer {srv.key}"}, timeout=DEADLINE + 10)
    with client, media_server({"/p.html": PAGE}) as site:
        def slow() -> None:
            held.append(client.post("/api/v1/tools/image-convert",
                                    json={"image_url": f"{site.base}/drip", "output_format": "png"}))

        hog = threading.Thread(target=slow, daemon=True)
        hog.start()
        assert wait_until(lambda: site.dripping == 1, 10), "the slow download never started"
        started = time.monotonic()
        busy = client.post(TOOL, json={"website_url": f"{site.base}/p.html", "count": 1})
        waited = time.monotonic() - started
        assert site.dripping == 1, "the slot was not held while the page was asked for"
        body = busy.json()
        assert busy.status_code == 503 and body["error_code"] == "server_busy", body
        assert body["details"] == {"limit": "fetch_slots", "max": 1} and busy.headers["retry-after"], body
        assert body["billing"]["charged_usd"] == "0" and waited < DEADLINE - 1, (waited, body)
        hog.join(DEADLINE + 10)
        assert held and held[0].status_code == 400, held  # the drip ended at its deadline, freeing the slot
        ok = client.post(TOOL, json={"website_url": f"{site.base}/p.html", "count": 1},
                         headers={"Prefer": "respond-async"})
        assert ok.status_code == 202, ok.text
        job = _finished(client, ok.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["page"]["title"].startswith("Glow Bottle"), job["result"]["page"]
    assert balance_usd(srv) == before - _charged(job)


def _finished(client: httpx.Client, job_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError("the job did not end")


def _charged(job: dict[str, Any]) -> Any:
    from decimal import Decimal

    return Decimal(job["billing"]["charged_usd"])
