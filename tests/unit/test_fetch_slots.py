"""core.fetch_slots: a bounded number of URL downloads at once; one more waits briefly, then 503."""

import time

import anyio
import pytest

from noxus_local.errors import ServerBusy
from noxus_local.net.fetch_slots import FetchSlots


def test_one_more_than_the_slots_waits_then_is_server_busy() -> None:
    slots = FetchSlots(2, 0.3)

    async def main() -> float:
        async with slots.hold(), slots.hold():
            assert slots.in_use == 2
            started = anyio.current_time()
            with pytest.raises(ServerBusy) as info:
                async with slots.hold():
                    pass
            waited = anyio.current_time() - started
        assert info.value.details == {"limit": "fetch_slots", "max": 2} and info.value.headers["Retry-After"]
        assert slots.in_use == 0
        return waited

    assert 0.25 < anyio.run(main) < 1.0


def test_a_slot_freed_within_the_wait_is_taken() -> None:
    slots = FetchSlots(1, 2.0)

    async def hold_briefly() -> None:
        async with slots.hold():
            await anyio.sleep(0.2)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold_briefly)
            await anyio.sleep(0.05)
            async with slots.hold():
                assert slots.in_use == 1

    started = time.monotonic()
    anyio.run(main)
    assert time.monotonic() - started < 1.0


def test_the_ca_bundle_is_loaded_once() -> None:
    slots = FetchSlots(4, 1.0)

    async def main() -> list[object]:
        found: list[object] = []

        async def one() -> None:
            found.append(await slots.tls())

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
        return found

    contexts = anyio.run(main)
    assert len(contexts) == 4 and len({id(c) for c in contexts}) == 1
