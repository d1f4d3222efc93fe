"""Is the copy good enough? Ten Spanish and ten English ideas → narrated scripts at 30 and 60 s.

For each idea (``data/llm_ideas.toml``) and target, ``write_script`` on the
embedded model (or ``--backend openai`` with ``--base-url``/``--engine-model``:
an engine the admin runs) and per script: the word count within ±20 % of the
target (2.5 words/s), no sentence repeated (the same words, give or take a
fifth), the language detected right by stopwords (``generate/language.py``),
and the JSON asks that were valid on the first try. Prints one line per script
and the rates per language and target, and the seconds per script.

Example::

    .venv/bin/python scripts/bench/bench_llm_quality.py                                  # the 1.5B, 40 scripts
    .venv/bin/python scripts/bench/bench_llm_quality.py --model qwen2.5-coder-0.5b-instruct --seconds 30 --limit 5
    .venv/bin/python scripts/bench/bench_llm_quality.py --backend openai --base-url http://127.0.0.1:18080/v1 \
        --seconds 60 --languages es --limit 5                                             # one share, beside others
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from noxus_local.config import load_config
from noxus_local.generate.language import guess_language
from noxus_local.generate.llm import llm_from_config
from noxus_local.generate.script import Script, drop_repeats, sentences, write_script
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry

IDEAS = Path(__file__).parent / "data" / "llm_ideas.toml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", "--engine-model", default="qwen2.5-coder-1.5b-instruct",
                        help="our model id, or the model name sent to the engine with --backend openai")
    parser.add_argument("--data-dir", default=os.environ.get("NOXUS_DATA_DIR", ""))
    parser.add_argument("--seconds", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--limit", type=int, default=10, help="ideas per language")
    parser.add_argument("--languages", nargs="+", default=["es", "en"], choices=["es", "en"],
                        help="e.g. --languages es: a share of a run split over processes served at once")
    parser.add_argument("--backend", default="embedded", choices=["embedded", "openai"])
    parser.add_argument("--base-url", default="")
    parser.add_argument("--allow-host", default="127.0.0.1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-llm-quality-") as tmp:
        env = {"NOXUS_DATA_DIR": args.data_dir or tmp, "NOXUS_INFERENCE_PREFER_GPU": "false",
               "NOXUS_LLM_MODEL": args.model, "NOXUS_LLM_BACKEND": args.backend,
               "NOXUS_LLM_BASE_URL": args.base_url, "NOXUS_LLM_ALLOW_HOSTS": args.allow_host}
        cfg = load_config(None, env)
        if args.backend == "embedded":
            ModelRegistry.from_config(cfg).fetch([args.model])
        llm = llm_from_config(cfg, ModelCache(cfg))
        ideas = tomllib.loads(IDEAS.read_text(encoding="utf-8"))
        print(f"model {args.model} ({args.backend}), {args.limit} ideas per language, targets {args.seconds} s, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        results = [measure(llm, idea, language, seconds)
                   for seconds in args.seconds for language in args.languages
                   for idea in ideas[language][: args.limit]]
        summary(results, args.seconds)
    return 0


def measure(llm: Any, idea: str, language: str, seconds: int) -> dict[str, Any]:
    started = time.perf_counter()
    script = write_script(llm, idea, language, seconds)
    took = time.perf_counter() - started
    row = {"language": language, "seconds": seconds, "took": took, "words": script.word_count,
           "target": script.target_words, "length_ok": script.within_target, "no_repeat": no_repeat(script),
           "language_ok": guess_language(script.text) == language,
           "json_first": sum(t == 1 for t in script.report.json_tries),
           "json_asks": len(script.report.json_tries) + script.report.json_failures,
           "regenerated": script.report.regenerated, "fallback": script.report.plan_fallback,
           "repaired": script.report.plan_repaired}
    print(f"{language} {seconds:3d}s {took:6.1f} s  words {row['words']:3d}/{row['target']:3d} "
          f"{'ok ' if row['length_ok'] else 'OFF'} repeat {'no ' if row['no_repeat'] else 'YES'} "
          f"lang {'ok ' if row['language_ok'] else 'BAD'} json {row['json_first']}/{row['json_asks']} "
          f"redone {row['regenerated']}{' plan-fallback' if row['fallback'] else ''}"
          f"{' plan-repaired' if row['repaired'] else ''} | {idea[:40]} | "
          f"{script.text[:90]}", flush=True)
    return row


def no_repeat(script: Script) -> bool:
    return drop_repeats(script.text, []) == " ".join(sentences(script.text))


def summary(rows: list[dict[str, Any]], targets: list[int]) -> None:
    print("\nlanguage target  scripts  length±20%  no repeat  language  JSON 1st try  s/script")
    for seconds in targets:
        for language in ("es", "en"):
            group = [r for r in rows if r["seconds"] == seconds and r["language"] == language]
            if group:
                print(line(f"{language:8s} {seconds:4d} s", group))
    print(line("all              ", rows))


def line(label: str, group: list[dict[str, Any]]) -> str:
    n = len(group)
    asks = sum(r["json_asks"] for r in group)

    def rate(key: str) -> str:
        return f"{sum(r[key] for r in group) / n:9.0%}"

    return (f"{label} {n:8d} {rate('length_ok')}  {rate('no_repeat')} {rate('language_ok')}  "
            f"{sum(r['json_first'] for r in group) / max(1, asks):12.0%}  {sum(r['took'] for r in group) / n:8.1f}")


if __name__ == "__main__":
    sys.exit(main())
