"""A whole script-to-video job with a given Spanish script, through the tool's own code, per step.

A Spanish script of about ``--seconds`` of speech (sentences from a fixed text,
repeated as needed), two solid-colour materials, the bundled ``calm`` music and
``yellow_punch`` captions go through ``ScriptToVideoTool.validate``,
``check_installed`` and ``run`` with a real ModelCache (Kokoro ef_dora, the
music, and the configured text model, fetched through the registry into a temp
data dir from the shared download cache). The text model plans the scenes when
``--llm`` names an installed one (default: the config's 1.5B); ``--llm none``
plans from the sentences. Models are loaded by the first run, so with ``--runs
2`` the second is what a warm server does. The job's recorded steps give the
per-step times.

Example::

    .venv/bin/python scripts/bench/bench_script_to_video.py                       # ~30 s script, 1 run
    .venv/bin/python scripts/bench/bench_script_to_video.py --seconds 60 --runs 2 --planner sentences
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from PIL import Image

from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.media.probe import probe
from noxus_local.runtime.steps import StepTracker
from noxus_local.tools.base import InputFile, Limits, ToolContext
from noxus_local.tools.script_to_video import ScriptToVideoTool

SENTENCES = ("El café llegó a Europa hace más de cuatro siglos y cambió la forma de conversar.",
             "En Valencia, los tostadores pequeños eligen cada grano con paciencia.",
             "Una buena taza empieza por el agua, la molienda y el tiempo justo.",
             "Prueba un café de especialidad y descubre sabores a fruta y chocolate.",
             "Ven a visitarnos esta semana y te invitamos a la primera taza.",
             "Cada mañana abrimos a las siete para los más madrugadores.")


def script_of(seconds: float) -> str:
    """Sentences in turn until ~``seconds`` of speech at ~14 characters a second."""
    out: list[str] = []
    while sum(len(s) + 1 for s in out) < seconds * 14:
        out.append(SENTENCES[len(out) % len(SENTENCES)])
    return " ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--llm", default="", help="text model id, or none (default: the config's)")
    ap.add_argument("--planner", default="auto", choices=("auto", "llm", "sentences"))
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-s2v-"))
    env = {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"}
    if args.llm and args.llm != "none":
        env["NOXUS_LLM_MODEL"] = args.llm
    cfg = load_config(None, env)
    wanted = ["kokoro-82m", "kokoro-voice-ef-dora", "music-immich-memories"]
    ModelRegistry.from_config(cfg).fetch(wanted + ([] if args.llm == "none" else [cfg.llm.model]))
    cache, tool, script = ModelCache(cfg), ScriptToVideoTool(), script_of(args.seconds)
    for run in range(1, args.runs + 1):
        work = root / f"run{run}"
        work.mkdir()
        files = {}
        for i, colour in enumerate(((200, 40, 40), (40, 80, 200))):
            Image.new("RGB", (1280, 720), colour).save(work / f"in_materials_{i}", "PNG")
            files[f"materials_{i}"] = InputFile(work / f"in_materials_{i}", f"m{i}.png", "image/png", 0)
        started = time.monotonic()
        params = tool.validate({"script": script, "music": "calm", "caption_style": "yellow_punch",
                                "planner": args.planner}, files, Limits())
        tool.check_installed(params, cfg)
        steps = StepTracker(tool.steps)
        out = tool.run(ToolContext(params, files, Limits(), work, models=cache, steps=steps))
        wall = time.monotonic() - started
        video = probe(Path(out.data)).duration or 0.0
        print(f"run {run}: {len(script)} chars, {len(out.result['scenes'])} scenes, planner {params['planner']}, "
              f"video {video:.1f} s, wall {wall:.1f} s ({wall / video:.2f} of real time)")
        for s in steps.snapshot():
            print(f"  {s['name']:8} {s['status']:9} {_seconds(s):6.1f} s")


def _seconds(step: dict) -> float:
    if not step.get("started_at") or not step.get("finished_at"):
        return 0.0
    return float(step["finished_at"]) - float(step["started_at"])


if __name__ == "__main__":
    main()
