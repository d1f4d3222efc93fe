"""Does the text model fill ``search_en``, and do its terms find the right material? (issue 20 item 3a)

Ten Spanish scripts (``data/scene_search_es.toml``), three sentences each, each
sentence about one of the six bench photos (scikit-image's coffee, cat, rocket,
motorcycle, astronaut, Hubble field; fetched as bench_script_to_video.py does).
The photos are analysed once by the real tagger and OCR (analysis/materials.py)
and given meaningless names (``IMG_000n``), so only what they show can match.
Per script the planner (``generate.scenes.ask_visuals``, one scene per sentence,
the config's text model: the 1.5B by default) plans the scenes, then the tool's
matcher (``compose.visuals.match``, with the scene texts and the tagger's labels)
picks one of the six photos per scene. Printed:

- ``filled``: scenes whose ``search_en`` is not empty; ``english``: ones with a term
  that is not one of the Spanish ``search`` terms (a translation, not a copy);
  ``on subject``: ones whose ``search_en`` alone meets the right photo's tags
  (through compose/lexicon.py) — what the field is there for;
- ``content match``: scenes given the right photo *by content*, with the model's
  terms (search + search_en), with its Spanish terms only (search_en dropped),
  and — the baseline, in the same run — the deterministic sentence planner's.

Example::

    .venv/bin/python scripts/bench/bench_scene_search.py              # the config's model (1.5B)
    .venv/bin/python scripts/bench/bench_scene_search.py --llm qwen2.5-coder-0.5b-instruct --limit 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
import tomllib
from pathlib import Path

from _server import scratch_dir  # noqa: E402
from bench_script_to_video import photos  # noqa: E402

from noxus_local.analysis.materials import describe
from noxus_local.compose import lexicon
from noxus_local.compose.visuals import Material, match
from noxus_local.config import load_config
from noxus_local.generate.llm import llm_from_config
from noxus_local.generate.scenes import PlannedScene, ask_visuals, deterministic, sentences
from noxus_local.generate.structured import StructuredOutputError
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.runtime.cancel import CancelToken

DATA = Path(__file__).parent / "data" / "scene_search_es.toml"


def on_subject(terms: tuple[str, ...], material: Material, labels: list[str]) -> bool:
    """Whether ``terms`` alone meet the material's tags, as the matcher's lexicon bridges them."""
    keys = lexicon.keys(" ".join(terms))
    index = {label: i for i, label in enumerate(labels)}
    return any(keys & lexicon.label_keys(tag, index.get(tag)) for tag in material.tags)


def correct(plan: list[PlannedScene], want: list[str], mats: list[Material], names: list[str],
            labels: list[str], english: bool = True) -> list[bool]:
    """Per scene, whether the matcher gives it its own photo, by content."""
    terms = [s.terms() if english else s.search for s in plan]
    found = match(terms, mats, labels, [s.text for s in plan])
    return [m is not None and m.by == "content" and names[m.index] == w for m, w in zip(found, want, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llm", default="", help="text model id (default: the config's)")
    ap.add_argument("--limit", type=int, default=10, help="how many scripts")
    args = ap.parse_args()
    root = scratch_dir("bench-scene-search-")
    try:
        env = {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"}
        if args.llm:
            env["NOXUS_LLM_MODEL"] = args.llm
        cfg = load_config(None, env)
        ModelRegistry.from_config(cfg).fetch(["efficientnet-lite0", "ppocr-v6-tiny", cfg.llm.model])
        cache = ModelCache(cfg)
        pictures = photos(root)
        names = [p.name for p in pictures]
        started = time.monotonic()
        mats = []
        for i, p in enumerate(pictures):
            facts = describe(p, "image", cache, CancelToken(), root / "k")
            mats.append(Material(p, f"IMG_{i:04}.png", tuple(t for t, _ in facts.tags), facts.text))
        labels = [str(x) for x in json.loads((models_dir(cfg) / "efficientnet-lite0" / "labels.json").read_text(
            encoding="utf-8"))]
        print(f"model {cfg.llm.model}; photos analysed in {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{n}={m.tags[0] if m.tags else '-'}" for n, m in zip(names, mats, strict=True)))
        llm = llm_from_config(cfg, cache)
        scripts = tomllib.loads(DATA.read_text(encoding="utf-8"))["script"][: args.limit]
        totals = dict(scenes=0, filled=0, english=0, subject=0, llm=0, llm_es=0, sentences=0, failed=0)
        seconds: list[float] = []
        per_photo: dict[str, list[int]] = {}
        for n, entry in enumerate(scripts, start=1):
            texts, want = sentences(entry["text"]), list(entry["photos"])
            t0 = time.monotonic()
            try:
                plan = ask_visuals(llm, texts, "es")
            except StructuredOutputError:
                plan, totals["failed"] = deterministic(texts), totals["failed"] + 1
            seconds.append(time.monotonic() - t0)
            by_name = dict(zip(names, mats, strict=True))
            filled = [bool(s.search_en) for s in plan]
            english = [bool(set(s.search_en) - set(s.search)) for s in plan]
            subject = [on_subject(s.search_en, by_name[w], labels) for s, w in zip(plan, want, strict=True)]
            hits = (correct(plan, want, mats, names, labels), correct(plan, want, mats, names, labels, False),
                    correct(deterministic(texts), want, mats, names, labels))
            got = tuple(sum(h) for h in hits)
            for i, w in enumerate(want):
                row = per_photo.setdefault(w, [0, 0, 0])
                row[0], row[1], row[2] = row[0] + hits[0][i], row[1] + 1, row[2] + hits[2][i]
            for key, value in (("scenes", len(plan)), ("filled", sum(filled)), ("english", sum(english)),
                               ("subject", sum(subject)), ("llm", got[0]), ("llm_es", got[1]),
                               ("sentences", got[2])):
                totals[key] += value
            print(f"script {n:2}: {seconds[-1]:5.1f} s  search / search_en " + " | ".join(
                f"{','.join(s.search) or '-'} / {','.join(s.search_en) or '-'}" for s in plan)
                + f"   content match {got[0]}/{len(plan)} (es only {got[1]}, sentences {got[2]})")
        s = totals["scenes"]
        print(f"\n{len(scripts)} scripts, {s} scenes, {totals['failed']} plans fell back to the sentences; "
              f"{sum(seconds) / len(seconds):.1f} s a plan")
        print(f"search_en filled {totals['filled']}/{s} ({totals['filled'] / s:.0%}), english "
              f"{totals['english']}/{s} ({totals['english'] / s:.0%}), on subject {totals['subject']}/{s} "
              f"({totals['subject'] / s:.0%})")
        print("by photo (llm, sentences / scenes): " + ", ".join(
            f"{name} {row[0]}, {row[2]} / {row[1]}" for name, row in per_photo.items()))
        base = max(totals["sentences"], 1)
        print(f"content match: llm {totals['llm']}/{s} ({totals['llm'] / s:.0%}), llm without search_en "
              f"{totals['llm_es']}/{s} ({totals['llm_es'] / s:.0%}), sentence planner (baseline) "
              f"{totals['sentences']}/{s} ({totals['sentences'] / s:.0%}); llm / baseline = "
              f"{totals['llm'] / base:.2f}x; load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
