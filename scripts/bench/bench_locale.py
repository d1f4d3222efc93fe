"""What the one locale table costs a sentence: ``t("key", ...)`` vs the inline ``Text("es", "en")`` it replaced.

A sentence is built only when something is refused (a 400, a failed job), so this is not on a hot path,
but the table lookup, the placeholder check and two ``str.format`` calls must stay cheap next to the
f-strings they replace. Both sides build the same ``Text`` (asserted), in alternating rounds so drift
hits both; the ratio is t/inline per sentence (lower is better; the issue's bar is "no regression" on
the request paths, where a refusal's other work dwarfs either). Also prints what reading the table at
import costs.

Example::

    PYTHONPATH=$PWD .venv/bin/python scripts/bench/bench_locale.py          # 5 rounds of 200k sentences
    PYTHONPATH=$PWD .venv/bin/python scripts/bench/bench_locale.py --quick  # 5 rounds of 20k
"""

from __future__ import annotations

import argparse
import os
import time

from noxus_local.errors import Text, ValidationError, say
from noxus_local.locale import load, t


def inline(host: str) -> Text:
    return Text(f"no se pudo resolver {host}", f"could not resolve {host}")


def tabled(host: str) -> Text:
    return t("ssrf.could_not_resolve", host=host)


def refused_inline(low: int, high: int) -> dict:
    exc = ValidationError.fields({"n": [Text(f"entero entre {low} y {high}", f"integer from {low} to {high}")]})
    return say(exc.details, "en")


def refused_tabled(low: int, high: int) -> dict:
    exc = ValidationError.fields({"n": [t("common.integer_from", low=low, high=high)]})
    return say(exc.details, "en")


def timed(fn, n: int, *args) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    assert (str(inline("a.example")), inline("a.example").en) == (str(tabled("a.example")), tabled("a.example").en)
    assert refused_inline(1, 9) == refused_tabled(1, 9)
    pairs = {"sentence": (inline, tabled, ("a.example",)), "refusal+say": (refused_inline, refused_tabled, (1, 9))}
    for name, (base, new, fargs) in pairs.items():
        b = w = 0.0
        for _ in range(args.rounds):
            b += timed(base, n, *fargs)
            w += timed(new, n, *fargs)
        per = args.rounds * n
        print(f"{name:12} inline {b / per * 1e9:7.0f} ns   t() {w / per * 1e9:7.0f} ns   ratio t/inline {w / b:.2f}x")
    start = time.perf_counter()
    for _ in range(20):
        table = load()
    print(f"table read   {len(table)} keys in {(time.perf_counter() - start) / 20 * 1e3:.2f} ms (once, at import)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
