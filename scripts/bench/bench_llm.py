"""Does our text-model path cost anything over CTranslate2 itself? Tokens/s and time to first token.

"Ours" is ``EmbeddedLlm.stream`` (chat template, tokenizer, the model cache,
the concurrency slot, incremental decoding and stop-string hold-back);
"direct" is ``ctranslate2.Generator.generate_tokens`` on the same loaded
generator with the same prompt tokens and settings (greedy, the same
``max_length`` and end tokens), decoding once at the end — what a careful
script would write. Runs alternate (direct, ours) so load on the machine hits
both; a warm-up of each runs first. Reported: time to first token (median),
generated tokens/s after the first (median), their ratio ours/direct (target
≥ 0.95), prompt processing tokens/s (a ~700-token prompt, one token
generated), the load time and the process's peak RSS.

Example::

    .venv/bin/python scripts/bench/bench_llm.py                          # the 1.5B, 5 rounds
    .venv/bin/python scripts/bench/bench_llm.py --model qwen2.5-coder-0.5b-instruct --rounds 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from typing import Any

from noxus_local.config import load_config
from noxus_local.generate.llm.embedded import EmbeddedLlm, QwenGenerator, _ct2_options
from noxus_local.generate.llm.template import render
from noxus_local.generate.llm.types import Sampling
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry

MESSAGES = [{"role": "system", "content": "Eres un guionista de vídeos cortos. Escribes en español."},
            {"role": "user", "content": "Escribe el guion narrado de un anuncio de 45 segundos para una cafetería de "
                                        "especialidad en Valencia que tuesta su propio grano. Solo la narración."}]
LONG_CONTEXT = ("La cafetería abrió en 2015 en el barrio de Ruzafa. Tuesta cada semana granos de Etiopía, "
                "Colombia y Guatemala, y ofrece catas los sábados por la mañana. ") * 20
TARGET = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--data-dir", default=os.environ.get("NOXUS_DATA_DIR", ""),
                        help="a data dir where the model is installed (default: a temp one, fetched from the cache)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": args.data_dir or tmp, "NOXUS_INFERENCE_PREFER_GPU": "false",
                                 "NOXUS_LLM_MODEL": args.model})
        ModelRegistry.from_config(cfg).fetch([args.model])
        return run(cfg, args)


def run(cfg: Any, args: argparse.Namespace) -> int:
    cache = ModelCache(cfg)
    model_cls = QwenGenerator.for_id(args.model)
    started = time.perf_counter()
    model = cache.get(model_cls)
    load_s = time.perf_counter() - started
    llm = EmbeddedLlm(cache, model_cls)
    sampling = Sampling(max_tokens=args.max_tokens, temperature=0.0)
    tokens = model.tokenizer.encode(render(MESSAGES)).tokens
    print(f"model {args.model} on {model.device} {model.compute_type}, loaded in {load_s:.1f} s; prompt "
          f"{len(tokens)} tokens, up to {args.max_tokens} generated, greedy, {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    direct_run(model, tokens, sampling), ours_run(llm, sampling)  # warm-up
    rows: dict[str, list[tuple[float, float, int]]] = {"direct": [], "ours": []}
    texts: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, fn in (("direct", lambda: direct_run(model, tokens, sampling)),
                         ("ours", lambda: ours_run(llm, sampling))):
            first, total, count, text = fn()
            rows[name].append((first, total, count))
            texts[name] = text
    report(rows, texts, args)
    prefill(model, llm)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


def direct_run(model: QwenGenerator, tokens: list[str], sampling: Sampling) -> tuple[float, float, int, str]:
    started = time.perf_counter()
    first, ids = 0.0, []
    for step in model.generator.generate_tokens(tokens, **_ct2_options(sampling)):
        if not ids:
            first = time.perf_counter() - started
        ids.append(step.token_id)
    text = model.tokenizer.decode(ids)
    return first, time.perf_counter() - started, len(ids), text


def ours_run(llm: EmbeddedLlm, sampling: Sampling) -> tuple[float, float, int, str]:
    started = time.perf_counter()
    first, pieces = 0.0, []
    stream = llm.stream(MESSAGES, max_tokens=sampling.max_tokens, temperature=0.0)
    for piece in stream:
        if not pieces:
            first = time.perf_counter() - started
        pieces.append(piece)
    return first, time.perf_counter() - started, stream.tally.completion_tokens, "".join(pieces)


def report(rows: dict[str, list[tuple[float, float, int]]], texts: dict[str, str], args: argparse.Namespace) -> None:
    stats = {}
    for name, runs in rows.items():
        ttft = statistics.median(r[0] for r in runs)
        rate = statistics.median((r[2] - 1) / (r[1] - r[0]) for r in runs)
        stats[name] = (ttft, rate)
        print(f"{name:7s} time to first token {ttft * 1000:7.0f} ms   {rate:5.2f} tok/s after it   "
              f"({', '.join(f'{(r[2] - 1) / (r[1] - r[0]):.2f}' for r in runs)}; {runs[0][2]} tokens)")
    # each round ran direct then ours back to back: the median of their ratios resists the machine's drift
    pairs = [(o[2] - 1) / (o[1] - o[0]) / ((d[2] - 1) / (d[1] - d[0])) for d, o in zip(rows["direct"], rows["ours"],
                                                                                        strict=True)]
    ratio = statistics.median(pairs)
    print(f"per-round ratios ours/direct: {', '.join(f'{p:.3f}' for p in pairs)}")
    verdict = "OK" if ratio >= TARGET else "BELOW TARGET"
    best = max((o[2] - 1) / (o[1] - o[0]) for o in rows["ours"]) / max((d[2] - 1) / (d[1] - d[0])
                                                                       for d in rows["direct"])
    print(f"ours/direct tokens/s, median of rounds {ratio:.3f} (target >= {TARGET}: {verdict}); best round of "
          f"each {best:.3f} (what other load on the box leaves least touched); time to first token "
          f"+{(stats['ours'][0] - stats['direct'][0]) * 1000:.0f} ms; same text: {texts['ours'] == texts['direct']}")


def prefill(model: QwenGenerator, llm: EmbeddedLlm) -> None:
    messages = [{"role": "user", "content": LONG_CONTEXT + "\nResume el texto en una frase."}]
    tokens = model.tokenizer.encode(render(messages)).tokens
    times = []
    for _ in range(2):
        started = time.perf_counter()
        llm.chat(messages, max_tokens=1, temperature=0.0)
        times.append(time.perf_counter() - started)
    print(f"prompt processing: {len(tokens)} tokens in {min(times):.2f} s = {len(tokens) / min(times):.0f} tok/s")


if __name__ == "__main__":
    sys.exit(main())
