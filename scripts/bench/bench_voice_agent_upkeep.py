"""What a voice agent turn's compute slot and Idempotency-Key add to its bookkeeping (vagent2), in-process.

A turn's own SQLite work was ``store.hold_turn`` (balance and key budget held) and ``store.finish_turn``
(charged, its call and two messages written, one transaction). Now a turn also takes a CPU slot of the
compute pool (``agent_turn.take_slot``, given back by ``free_slot``) and, with an ``Idempotency-Key``,
reserves the key (one IMMEDIATE transaction) and stores its answer (one UPDATE). Cases on one real store
and one real pool, interleaved in batches so drift hits all of them:

- ``baseline``: hold + finish (a new call each time)
- ``+ slot``: the same with the slot taken and given back
- ``+ slot + key``: the same with a key reserved and the answer stored
- ``baseline again``: an A/A check of this machine's noise

Ratios are against ``baseline`` in the same run. A real turn takes seconds (Whisper, the text model,
Kokoro), so what matters is the added milliseconds, printed too.

Example::

    .venv/bin/python scripts/bench/bench_voice_agent_upkeep.py            # 600 turns per case
    .venv/bin/python scripts/bench/bench_voice_agent_upkeep.py --quick    # 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.accounts.keys import authenticate, create_key  # noqa: E402
from noxus_local.accounts.store import create_account, credit_account  # noqa: E402
from noxus_local.agents import store  # noqa: E402
from noxus_local.api import agent_keys  # noqa: E402
from noxus_local.api.agent_turn import take_slot  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.jobs.pool import ComputePool  # noqa: E402
from noxus_local.store.db import Database  # noqa: E402

BATCH = 20
MICROS = 40_000


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--turns", type=int, default=600, help="turns per case")
    p.add_argument("--quick", action="store_true", help="200 turns per case")
    args = p.parse_args()
    n = 200 if args.quick else args.turns
    with tempfile.TemporaryDirectory(prefix="noxus-bench-vagent2-") as tmp:
        db = Database(Path(tmp) / "noxus.db")
        db.migrate()
        create_account(db, "bench", tier="free")
        credit_account(db, "bench", "test", 10**12)
        plain, _ = create_key(db, account_id="bench", name="k", environment="test")
        principal = authenticate(db, plain)
        agent = store.create_agent(db, "bench", "test", store.AgentFields(
            "Lumen", "You answer for Lumen.", "Hi!", "kokoro", "qwen2.5-coder-0.5b-instruct", "af_heart", "en-us"))
        svc = SimpleNamespace(db=db, pool=ComputePool({"cpu": 2, "gpu": 0}), cfg=load_config(None, {}))
        counter = iter(range(10**9))

        def turn(slot: bool, key: bool) -> Callable[[], None]:
            def run() -> None:
                turn_id = f"turn_{next(counter):016x}"
                if key:
                    assert agent_keys.reserve(svc, principal, turn_id, "fp", turn_id) is None  # type: ignore[arg-type]
                if slot:
                    take_slot(svc, turn_id)  # type: ignore[arg-type]
                store.hold_turn(db, principal, MICROS, turn_id)
                record = store.TurnRecord("When do you open?", "At nine.", f"{turn_id}.wav", 1.2)
                store.finish_turn(db, principal, store.open_call(agent), "Hi!", record, MICROS, MICROS, turn_id)
                if slot:
                    svc.pool.release(turn_id)
                if key:
                    agent_keys.remember(svc, principal, turn_id, turn_id, b'{"data": {}}')  # type: ignore[arg-type]
            return run

        cases = {"baseline": turn(False, False), "+ slot": turn(True, False), "+ slot + key": turn(True, True),
                 "baseline again": turn(False, False)}
        for fn in cases.values():  # warm-up
            for _ in range(BATCH):
                fn()
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(n // BATCH):
            for name, fn in cases.items():
                began = time.perf_counter()
                for _ in range(BATCH):
                    fn()
                times[name].append((time.perf_counter() - began) / BATCH)
        db.close()
    base = statistics.median(times["baseline"])
    print(f"voice agent turn bookkeeping, {n} turns per case, median of batches of {BATCH}:")
    for name, found in times.items():
        med = statistics.median(found)
        print(f"  {name:15s} {med * 1000:7.3f} ms/turn  ratio {med / base:5.2f}x  (+{(med - base) * 1000:6.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
