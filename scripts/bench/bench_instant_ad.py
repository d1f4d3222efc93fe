"""instant-ad with 2 image variations and the embedded text model (issue 24's target: ≤ 60 s on 2 cores).

A product page is served on 127.0.0.1 (title, JSON-LD price, theme colour, the test's product photo),
allowed by ``[assets] fetch_allow_hosts``. The tool runs as the server runs it: ``validate``,
``check_installed`` (the page fetched and read), then ``run`` with a real ModelCache (ISNet, the text
model). The baseline, measured in the same process once the models are loaded, is the text model's call
for one variation plus one ad rendered: the ratio says what the rest (fetching, cutting out, the second
variation) adds. Run 1 is cold (models load), run 2 warm.

Example::

    .venv/bin/python scripts/bench/bench_instant_ad.py                  # qwen2.5-coder-1.5b-instruct
    .venv/bin/python scripts/bench/bench_instant_ad.py --llm qwen2.5-coder-0.5b-instruct
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.generate.ad_variations import write_variations  # noqa: E402
from noxus_local.generate.llm.models import text_models  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.products.ad_layouts import PLATFORMS, AdContent, render_ad  # noqa: E402
from noxus_local.runtime.steps import StepTracker  # noqa: E402
from noxus_local.tools.base import Limits, ToolContext  # noqa: E402
from noxus_local.tools.instant_ad import InstantAdTool  # noqa: E402
from tests.media_samples import product_photo  # noqa: E402

PAGE = """<!doctype html><html lang="en"><head><title>Glow Bottle | Acme Home</title>
<meta name="description" content="A steel bottle that keeps drinks cold for 24 hours, light and leak-proof.">
<meta property="og:image" content="/bottle.jpg"><meta name="theme-color" content="#1d6fd8">
<script type="application/ld+json">{"@type": "Product", "name": "Glow Bottle",
 "offers": {"price": "24.90", "priceCurrency": "USD"}}</script></head><body><h1>Glow Bottle</h1></body></html>"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llm", default="qwen2.5-coder-1.5b-instruct", help="the embedded text model")
    ap.add_argument("--count", type=int, default=2, choices=(1, 2, 3, 4))
    ap.add_argument("--style", default="modern")
    args = ap.parse_args()
    root = scratch_dir("bench-iad-")
    site = root / "site"
    site.mkdir()
    (site / "p.html").write_text(PAGE)
    product_photo(size=(900, 1200), background="white")[0].save(site / "bottle.jpg", quality=90)
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/p.html"
    toml = root / "noxus.toml"
    toml.write_text(f'[server]\ndata_dir = "{root / "data"}"\n[inference]\nprefer_gpu = false\n'
                    f'[llm]\nmodel = "{args.llm}"\n[assets]\nfetch_allow_hosts = ["127.0.0.1"]\n')
    cfg = load_config(toml, {})
    ModelRegistry.from_config(cfg).fetch(["isnet-general", args.llm])
    cache, tool = ModelCache(cfg), InstantAdTool()
    runs = []
    for run in (1, 2):
        wall, out, steps = _job(tool, cfg, cache, url, args, root / f"run{run}")
        runs.append(wall)
        print(f"run {run} ({'cold' if run == 1 else 'warm'}): {args.count} variations, copy by "
              f"{out.result['writer']}, wall {wall:.1f} s; "
              + ", ".join(f"{s['name']} {_seconds(s):.1f} s" for s in steps.snapshot()))
        for v in out.result["variations"]:
            print(f"    {v['headline']!r} / {v['body']!r} / {v['cta']!r}")
        if run == 1:
            base = _baseline(cfg, cache, args)
            print(f"baseline (text model, 1 variation, + 1 render): {base:.1f} s")
    print(f"instant-ad {args.count} image variations: cold {runs[0]:.1f} s, warm {runs[1]:.1f} s "
          f"(target ≤ 60 s); warm / baseline = {runs[1] / base:.2f}x")
    server.shutdown()


def _job(tool: InstantAdTool, cfg, cache, url: str, args, work: Path):  # type: ignore[no-untyped-def]
    work.mkdir()
    started = time.monotonic()
    params = tool.validate({"website_url": url, "platform": "instagram", "count": args.count,
                            "style": args.style}, {}, Limits())
    plan = tool.plan(tool.typed(params), {}, Limits())
    tool.check_installed(params, plan, cfg)
    steps = StepTracker(tool.steps)
    out = tool.execute(ToolContext(params, {}, Limits(), work, models=cache, steps=steps, settings=cfg), plan)
    return time.monotonic() - started, out, steps


def _baseline(cfg, cache, args) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    llm = text_models(cfg).llm(cfg.llm.model, cache)
    written = write_variations(llm, product="Glow Bottle", description="A steel bottle that keeps drinks cold for "
                               "24 hours, light and leak-proof.", price="$24.90", brand="Acme Home",
                               platform="instagram", style=args.style, count=1, language="en")
    v = written.items[0]
    render_ad(AdContent(v.headline, v.body, v.cta, "Glow Bottle", "$24.90", "Acme Home"), args.style,
              PLATFORMS["instagram"], ["#1d6fd8"], product=product_photo(size=(300, 400), background="white")[0]
              .convert("RGBA"))
    print(f"    baseline copy by {written.writer} in {written.tries} answer(s)")
    return time.monotonic() - started


def _seconds(step: dict) -> float:
    if not step.get("started_at") or not step.get("finished_at"):
        return 0.0
    return float(step["finished_at"]) - float(step["started_at"])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    main()
