"""How well the auto-clip hook judge ranks strong openings above weak ones (issue 22, clips/hook.py).

The labelled set is scripts/bench/data/hook_openings.json: openings in English and Spanish, each
``strong`` or ``weak``. Every opening is judged once by the rules (``heuristic_hook``) and once by
the text model (``model_score``: the constrained 1–10 JSON question, greedy, with the prompt's
examples); the judges compared are the rules alone (the baseline), the model alone and the two
mixed at several model shares (``combine``, ``[clips] hook_model_share``). The figure is the
pairwise ranking accuracy: over every (strong, weak) pair of the same language, the share where
the strong one scores higher (a tie counts a half). ``ratio`` is each judge's accuracy over the
rules'. The model's answers are greedy, so a second run repeats the first's accuracies: the
timings are what moves.

Example::

    PYTHONPATH=. .venv/bin/python scripts/bench/bench_hook_judge.py                       # [llm] model
    PYTHONPATH=. .venv/bin/python scripts/bench/bench_hook_judge.py --model qwen2.5-coder-0.5b-instruct
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from noxus_local.clips.hook import combine, heuristic_hook, model_score
from noxus_local.config import Config, load_config
from noxus_local.generate.structured import StructuredOutputError
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.tools.auto_clip import hook_llm

DATA = Path(__file__).parent / "data" / "hook_openings.json"
SHARES = (0.25, 0.5, 0.75)


def pairwise_accuracy(items: Sequence[dict], scores: Sequence[float]) -> float:
    """Share of (strong, weak) pairs of one language where the strong one scores higher; ties count a half."""
    right = total = 0.0
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            if a["language"] == b["language"] and a["label"] == "strong" and b["label"] == "weak":
                total += 1
                right += 1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
    return right / max(total, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="", help="the text model (default: [clips] hook_model or [llm] model)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(Path(tmp) / "data")})
        # the model is asked whatever the configured share (0 = rules only would not load it)
        cfg = replace(cfg, clips=replace(cfg.clips, hook_model=args.model or cfg.clips.hook_model,
                                         hook_model_share=0.5, llm_candidates=max(1, cfg.clips.llm_candidates)))
        ModelRegistry.from_config(cfg).fetch([cfg.clips.hook_model or cfg.llm.model])  # from the shared cache
        bench(cfg)


def bench(cfg: Config) -> None:
    llm = hook_llm(cfg, ModelCache(cfg))
    if llm is None:
        raise SystemExit(f"the text model {cfg.clips.hook_model or cfg.llm.model} is not installed "
                         "(noxus-local models fetch ID)")
    items = json.loads(DATA.read_text("utf-8"))["openings"]
    t0 = time.perf_counter()
    rules = [heuristic_hook(x["text"]) for x in items]
    rules_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    answers: list[tuple[int, str]] = []
    failed = 0
    for n, x in enumerate(items, 1):
        try:
            answers.append(model_score(llm, x["text"], x["language"], 5.0))
        except StructuredOutputError:
            failed += 1
            answers.append((0, "no valid answer"))
        print(f"  {n}/{len(items)} {x['language']}/{x['label']}: {answers[-1][0]} ({answers[-1][1][:60]})",
              file=sys.stderr, flush=True)
    model_s = time.perf_counter() - t0
    base = pairwise_accuracy(items, [r.strength for r in rules])
    judges = {"rules": [r.strength for r in rules],
              "model": [(s - 1) / 9 if s else r.strength for (s, _), r in zip(answers, rules, strict=True)]}
    for share in SHARES:
        judges[f"combined@{share}"] = [combine(s, r, said, share).strength if s else r.strength
                                       for (s, said), r in zip(answers, rules, strict=True)]
    name = cfg.clips.hook_model or cfg.llm.model
    print(f"openings={len(items)} pairs={int(pairwise_accuracy_pairs(items))} model={name}"
          f" invalid_answers={failed} rules_s={rules_s:.4f} model_s={model_s:.1f} "
          f"({model_s / len(items):.2f} s an opening)")
    for name, scores in judges.items():
        acc = pairwise_accuracy(items, scores)
        by_lang = {lang: pairwise_accuracy([x for x in items if x["language"] == lang],
                                           [s for x, s in zip(items, scores, strict=True) if x["language"] == lang])
                   for lang in ("en", "es")}
        print(f"{name:14s} accuracy={acc:.3f} en={by_lang['en']:.3f} es={by_lang['es']:.3f} ratio={acc / base:.2f}")
    print("model scores:", " ".join(f"{x['language']}/{x['label'][0]}={s}" for x, (s, _) in zip(items, answers,
                                                                                             strict=True)))


def pairwise_accuracy_pairs(items: Sequence[dict]) -> float:
    return sum(1 for a in items for b in items
               if a["language"] == b["language"] and a["label"] == "strong" and b["label"] == "weak")


if __name__ == "__main__":
    main()
