"""instant-ad's page fetch takes one of the server's fetch slots (issue 24, item 2 of the follow-up).

``InstantAdTool.prefetch`` is what ``api/submit.prepare_job`` awaits before the hold: the page is
downloaded under ``FetchSlots.hold()``, as every ``<field>_url`` download is. With every slot taken it
waits the slots' short wait, then is a 503 ``server_busy`` (never a 500, nothing fetched); a slot freed
within the wait is taken and the page read. The page is served by the test on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from noxus_local.config import Config, load_config
from noxus_local.errors import ServerBusy
from noxus_local.net.fetch_slots import FetchSlots
from noxus_local.tools.base import Plan
from noxus_local.tools.instant_ad import InstantAdTool
from tests.http_fixture import media_server

PAGE = b"""<!doctype html><html lang="en"><head><title>Glow Bottle | Acme</title>
<script type="application/ld+json">{"@type": "Product", "name": "Glow Bottle",
 "offers": {"price": "24.90", "priceCurrency": "USD"}}</script></head><body><h1>Glow Bottle</h1></body></html>"""


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with media_server({"/p.html": PAGE}) as server:
        yield server


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    data = tmp_path_factory.mktemp("iadslots") / "data"
    toml = data.parent / "noxus.toml"
    toml.write_text(f'[server]\ndata_dir = "{data}"\n[assets]\nfetch_allow_hosts = ["127.0.0.1"]\n')
    return load_config(toml, {})


def test_a_page_fetch_with_every_slot_taken_waits_then_is_server_busy(site, cfg):
    slots = FetchSlots(1, 0.3)
    params: dict[str, Any] = {"website_url": f"{site.base}/p.html"}

    async def main() -> float:
        async with slots.hold():  # another download holds the only slot
            started = anyio.current_time()
            with pytest.raises(ServerBusy) as info:
                await InstantAdTool().prefetch(params, cfg, slots)
            waited = anyio.current_time() - started
        assert info.value.status == 503 and info.value.code == "server_busy"
        assert info.value.details == {"limit": "fetch_slots", "max": 1} and info.value.headers["Retry-After"]
        return waited

    assert 0.25 < anyio.run(main) < 2.0
    assert "page" not in params and slots.in_use == 0


def test_a_page_fetch_takes_a_slot_freed_within_the_wait_and_holds_it_while_it_downloads(site, cfg):
    slots = FetchSlots(1, 3.0)
    params: dict[str, Any] = {"website_url": f"{site.base}/p.html"}
    seen: list[int] = []

    async def other_download() -> None:
        async with slots.hold():
            await anyio.sleep(0.3)

    async def watch() -> None:
        for _ in range(200):
            seen.append(slots.in_use)
            await anyio.sleep(0.005)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(other_download)
            await anyio.sleep(0.05)
            tg.start_soon(watch)
            await InstantAdTool().prefetch(params, cfg, slots)

    anyio.run(main)
    assert params["page"]["title"].startswith("Glow Bottle") and params["page"]["prices"][0]["amount"]
    assert slots.in_use == 0 and max(seen) == 1  # one slot, never more than the size


def test_check_installed_uses_the_prefetched_page_and_fetches_none_itself(cfg):
    params: dict[str, Any] = {"website_url": "http://10.0.0.1/unreachable.html", "output_format": "image",
                              "page": {"url": "http://10.0.0.1/unreachable.html", "title": "Read at the request"}}
    InstantAdTool().check_installed(params, Plan(), cfg)  # a fetch of that address would be refused by the guard
    assert params["page"]["title"] == "Read at the request" and params["fetch"]["allow_hosts"] == ["127.0.0.1"]
