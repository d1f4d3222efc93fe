"""What reading seed 002's bodies into their Structs costs per request (api/apex_body.py), in one run.

Seed 002's routes read a body strictly into its Struct (``apex_body.read``: the JSON
object, depth and surrogate checks, ``msgspec.convert(strict=True)``, and on a refusal
the member's sentence from the Struct's type). The baseline, measured alternately in the
same run, is ``inputs.json_object`` alone: the JSON parse every body needs anyway (the
hand-written checks it replaced ran on top of that parse too). Three bodies: the seed's
voice example, a full commercial (ten image URLs), and a refused voice body (the 400 path).
In-process, no server: the ratio is the reading's own cost, not a request's.

Example::

    .venv/bin/python scripts/bench/bench_apex_bodies.py           # ~10 s
    .venv/bin/python scripts/bench/bench_apex_bodies.py --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from noxus_local.api.apex_body import read
from noxus_local.api.apex_schemas import ApexCommercialIn, ApexVoiceIn
from noxus_local.api.inputs import json_object
from noxus_local.errors import ValidationError

VOICE = json.dumps({"text": "Hello there, this is a short line to speak.", "voiceId": "af_heart",
                    "speed": 1.1, "language": "en"}).encode()
COMMERCIAL = json.dumps({"product": "Glow Bottle, a steel bottle that keeps drinks cold", "platform": "tiktok",
                         "duration": 30, "tone": "energetic", "targetAudience": "hikers",
                         "productImages": [f"https://shop.example/img/bottle-{i}.jpg" for i in range(10)],
                         "voiceId": "af_heart", "musicMood": "upbeat"}).encode()
REFUSED = json.dumps({"text": "hi", "model": "elevenlabs-v3"}).encode()


def typed(raw: bytes, model: type) -> Callable[[], object]:
    def run() -> object:
        try:
            return read(raw, model)
        except ValidationError as exc:
            return exc
    return run


def per_call_us(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    n, rounds = (2_000, 3) if args.quick else (10_000, 5)
    print(f"{'body':<12} {'typed µs':>10} {'parse µs':>10} {'typed/parse':>12}")
    worst = 0.0
    for name, raw, model in (("voice", VOICE, ApexVoiceIn), ("commercial", COMMERCIAL, ApexCommercialIn),
                             ("refused", REFUSED, ApexVoiceIn)):
        typed_us, parse_us = [], []
        for _ in range(rounds):  # alternated: the machine's load hits both alike
            typed_us.append(per_call_us(typed(raw, model), n))
            parse_us.append(per_call_us(lambda raw=raw: json_object(raw), n))  # type: ignore[misc]
        t, p = statistics.median(typed_us), statistics.median(parse_us)
        worst = max(worst, t)
        print(f"{name:<12} {t:>10.1f} {p:>10.1f} {t / p:>12.2f}")
    print(f"verdict: slowest typed read {worst:.1f} µs per body (target ≤ 100 µs): "
          f"{'OK' if worst <= 100 else 'SLOW'}")


if __name__ == "__main__":
    main()
