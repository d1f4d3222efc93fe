"""What does a per-request ``seed`` cost, and are calls without one untouched?

CTranslate2 seeds each worker thread's random generator once, at its first
sample, so a seeded call samples on a fresh ``Generator`` of the same files
(``QwenGenerator.seeded_steps``). Rounds alternate three sampled calls on the
same prompt and settings (temperature 0.7, top-p 0.95, ``--max-tokens``):

- ``direct``: ``ctranslate2.Generator.generate_tokens`` on the loaded model (the baseline);
- ``no seed``: ``EmbeddedLlm.chat`` without a seed (must stay ≥ 0.95× direct's tokens/s);
- ``seeded``: ``EmbeddedLlm.chat`` with a seed (a fresh model load per call).

Printed: tokens/s and wall seconds per call (medians), the ratio no-seed/direct
per round and its median, the seeded call's extra seconds over the no-seed one,
whether the seeded text repeats, and how much memory a second ``Generator`` on
the same files adds (CTranslate2 does not share weights between Generators).

Example::

    .venv/bin/python scripts/bench/bench_llm_seed.py --model qwen2.5-coder-0.5b-instruct --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from noxus_local.config import load_config
from noxus_local.generate.llm.embedded import EmbeddedLlm, QwenGenerator, _ct2_options
from noxus_local.generate.llm.template import render
from noxus_local.generate.llm.types import Sampling
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry

MESSAGES = [{"role": "user", "content": "Write a short advert for a bakery in Valencia that bakes at dawn."}]
TARGET = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--data-dir", default=os.environ.get("NOXUS_DATA_DIR", ""),
                        help="a data dir where the model is installed (default: a temp one, fetched from the cache)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-llm-seed-") as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": args.data_dir or tmp, "NOXUS_INFERENCE_PREFER_GPU": "false",
                                 "NOXUS_LLM_MODEL": args.model})
        ModelRegistry.from_config(cfg).fetch([args.model])
        return run(cfg, args)


def run(cfg: Any, args: argparse.Namespace) -> int:
    cache = ModelCache(cfg)
    model_cls = QwenGenerator.for_id(args.model)
    model = cache.get(model_cls)
    llm = EmbeddedLlm(cache, model_cls)
    sampling = Sampling(max_tokens=args.max_tokens, temperature=0.7, top_p=0.95)
    tokens = model.tokenizer.encode(render(MESSAGES)).tokens
    print(f"model {args.model} on {model.device} {model.compute_type}; up to {args.max_tokens} tokens sampled "
          f"(temperature 0.7, top-p 0.95), {args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    calls = {"direct": lambda _: direct(model, tokens, sampling),
             "no seed": lambda _: ours(llm, sampling, None),
             "seeded": lambda r: ours(llm, sampling, 1000 + r % 2)}
    for call in calls.values():
        call(0)  # warm-up
    rows: dict[str, list[tuple[float, int, str]]] = {name: [] for name in calls}
    for r in range(args.rounds):
        for name, call in calls.items():
            rows[name].append(call(r))
    for name, runs in rows.items():
        print(f"{name:8s} {statistics.median(t for t, _, _ in runs):6.2f} s per call   "
              f"{statistics.median(n / t for t, n, _ in runs):5.2f} tok/s   "
              f"({', '.join(f'{t:.2f} s/{n}' for t, n, _ in runs)})")
    pairs = [(o[1] / o[0]) / (d[1] / d[0]) for d, o in zip(rows["direct"], rows["no seed"], strict=True)]
    ratio = statistics.median(pairs)
    extra = statistics.median(s[0] - o[0] for s, o in zip(rows["seeded"], rows["no seed"], strict=True))
    seeded = rows["seeded"]
    repeats = all(seeded[i][2] == seeded[i - 2][2] for i in range(2, len(seeded)))
    print(f"no seed / direct tokens/s per round: {', '.join(f'{p:.3f}' for p in pairs)}; median {ratio:.3f} "
          f"(target >= {TARGET}: {'OK' if ratio >= TARGET else 'BELOW TARGET'})")
    print(f"a seeded call costs +{extra:.2f} s over one without (a model load); the same seed gave the same "
          f"text: {repeats}; seeds 1000 and 1001 differ: {len(seeded) < 2 or seeded[0][2] != seeded[1][2]}")
    print(f"a second Generator on the same files adds {second_generator_mb(model):.0f} MB resident "
          f"(model.bin {Path(model.model_dir, 'model.bin').stat().st_size / 1e6:.0f} MB): weights are not shared")
    return 0


def direct(model: QwenGenerator, tokens: list[str], sampling: Sampling) -> tuple[float, int, str]:
    started = time.perf_counter()
    ids = [s.token_id for s in model.generator.generate_tokens(tokens, **_ct2_options(sampling))]
    return time.perf_counter() - started, len(ids), model.tokenizer.decode(ids)


def ours(llm: EmbeddedLlm, sampling: Sampling, seed: int | None) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = llm.chat(MESSAGES, max_tokens=sampling.max_tokens, temperature=sampling.temperature,
                    top_p=sampling.top_p, seed=seed)
    return time.perf_counter() - started, done.completion_tokens, done.text


def second_generator_mb(model: QwenGenerator) -> float:
    import ctranslate2

    before = rss_mb()
    other = ctranslate2.Generator(str(model.model_dir), device="cpu", compute_type="int8")
    grown = rss_mb() - before
    del other
    return grown


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


if __name__ == "__main__":
    sys.exit(main())
