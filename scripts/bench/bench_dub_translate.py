"""Dub translation speed: numbered batches (``dubbing.translate.llm_lines``) against one JSON call per line.

The baseline is the way lines were translated before (``prompts/dub_line``, ``{"translation"}``,
one call per line with the line before it, asked again once on a failed check), measured in the
same process on the same warm text model, interleaved with the batched way (baseline, batched,
baseline, batched) so a load that comes and goes on the shared box hits both alike. Printed: the
seconds, calls and answer tokens of each, and batched / per-line.

Usage::

    python scripts/bench/bench_dub_translate.py [--lines 16] [--target English]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.dubbing.translate import LINE_SCHEMA, llm_lines, problems_of  # noqa: E402
from noxus_local.generate.llm.models import text_models  # noqa: E402
from noxus_local.generate.structured import StructuredOutputError, ask_structured  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402

SPANISH = ("Hola, me llamo Ana y vivo en Madrid.", "Cada mañana camino tres kilómetros hasta el mercado.",
           "Hoy compré naranjas y un pan muy grande.", "El tren de las 8 llega a Sevilla a las 10 y media.",
           "Mi hermano Carlos trabaja en una tienda desde 2019.", "Sí, claro.",
           "¿Quieres venir conmigo al cine esta noche?", "La película dura 2 horas y cuesta 9,50 euros.")


class Counting:
    """The text model, counting calls and answer tokens."""

    def __init__(self, llm: Any) -> None:
        self.llm, self.name, self.calls, self.tokens = llm, llm.name, 0, 0

    def chat(self, messages: Any, **settings: Any) -> Any:
        done = self.llm.chat(messages, **settings)
        self.calls += 1
        self.tokens += done.completion_tokens
        return done


def per_line(llm: Any, texts: list[str], target: str) -> list[str]:
    out: list[str] = []
    for text in texts:
        variables = {"source": "Spanish", "target": target, "text": text,
                     "before": out[-1] if out else "(none: this is the first line)"}
        try:
            out.append(ask_structured(llm, "dub_line", "en", variables, LINE_SCHEMA,
                                      check=lambda d, text=text: problems_of(text, d["translation"]),
                                      max_tokens=40 + 3 * len(text), temperature=0.0).data["translation"])
        except StructuredOutputError as exc:
            out.append(exc.answers[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=16, help="lines to translate (the sample's, repeated)")
    ap.add_argument("--target", default="English")
    args = ap.parse_args()
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(scratch_dir("bench-dubtr-") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch([cfg.llm.model])
    llm = text_models(cfg).llm(cfg.llm.model, ModelCache(cfg))
    llm.chat([{"role": "user", "content": "Hi"}], max_tokens=2)
    texts = [SPANISH[i % len(SPANISH)] for i in range(args.lines)]
    totals = {"per-line": [0.0, 0, 0], "batched": [0.0, 0, 0]}
    for _round in range(2):
        for name in totals:
            counted = Counting(llm)
            started = time.monotonic()
            if name == "per-line":
                per_line(counted, texts, args.target)
            else:
                llm_lines(counted, texts, "es", args.target)
            took = time.monotonic() - started
            totals[name][0] += took
            totals[name][1] += counted.calls
            totals[name][2] += counted.tokens
            print(f"  {name:9} {took:6.1f} s  {counted.calls:3} calls  {counted.tokens:5} answer tokens")
    (a, _, _), (b, _, _) = totals["per-line"], totals["batched"]
    print(f"{args.lines} lines into {args.target}, {cfg.llm.model}: per line {a / 2:.1f} s, batched {b / 2:.1f} s "
          f"(mean of 2); batched / per line = {b / a:.2f}x")


if __name__ == "__main__":
    main()
