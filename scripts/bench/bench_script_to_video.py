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

The baseline, measured in the same run right after the job on the same warm
models: the pipelines the job is made of called directly — the scenes' texts
spoken by ``compose.narration.narrate`` and the same timeline drawn by
``compose.render`` — and the job's wall time as a ratio of their sum (what the
tool adds: validation, planning, visuals, the extra outputs and the MP3).
``--scenes 6`` speaks six long sentences (one scene each, ~``seconds``/6 of
speech) and gives six materials, one per scene.

``--materials photos`` gives real photos instead of solid colours (scikit-image's
coffee, cat, rocket, motorcycle, astronaut and Hubble field, CC0 / public
domain, out of its wheel through the registry), so the ``visuals`` step's
analysis of each material (ImageNet tags + OCR, analysis/materials.py) works on
real pictures; its time is the ``visuals`` line and ``analysis`` below. There is
no account in the bench, so nothing is cached: every run analyses every file.

Example::

    .venv/bin/python scripts/bench/bench_script_to_video.py                       # ~30 s script, 1 run
    .venv/bin/python scripts/bench/bench_script_to_video.py --seconds 60 --runs 2 --planner sentences
    .venv/bin/python scripts/bench/bench_script_to_video.py --seconds 60 --scenes 6 --runs 2 --llm none \
        --planner sentences    # the whole job against TTS + render alone: "ratio 1.0x"
    .venv/bin/python scripts/bench/bench_script_to_video.py --seconds 60 --scenes 6 --runs 2 --llm none \
        --planner sentences --materials photos   # the issue's target: ≤ 45 s wall
    .venv/bin/python scripts/bench/bench_script_to_video.py --seconds 60 --scenes 6 --runs 2 --materials photos \
        --idea "Un café de especialidad en Valencia"   # the idea path's extra time over the script path

With ``--idea`` each run also writes the video from that idea (``duration`` = ``--seconds``) on the same
warm models, right after the script job, and prints its wall time and steps (``write`` is the text
model writing the script) and its extra time over the script job of the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path
from typing import Any

from _server import scratch_dir  # noqa: E402
from PIL import Image

from noxus_local import compose
from noxus_local.compose.narration import narrate, write_wav
from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.media.probe import probe
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import StepTracker
from noxus_local.speech import tts
from noxus_local.tools.base import InputFile, Limits, Plan, ToolContext
from noxus_local.tools.script_to_video import ScriptToVideoTool, _timeline, frame_size

SENTENCES = ("El café llegó a Europa hace más de cuatro siglos y cambió la forma de conversar.",
             "En Valencia, los tostadores pequeños eligen cada grano con paciencia.",
             "Una buena taza empieza por el agua, la molienda y el tiempo justo.",
             "Prueba un café de especialidad y descubre sabores a fruta y chocolate.",
             "Ven a visitarnos esta semana y te invitamos a la primera taza.",
             "Cada mañana abrimos a las siete para los más madrugadores.")


LONG = ("Hace más de cuatro siglos el café llegó a los puertos de Europa desde Etiopía y el Yemen, y con él cambió "
        "para siempre la forma en que la gente se reunía a conversar.",
        "En los barrios antiguos de Valencia, los tostadores pequeños eligen cada grano con paciencia, prueban "
        "cada lote por la mañana y anotan en un cuaderno lo que descubren.",
        "Una buena taza empieza mucho antes de la cafetera, con el agua limpia, la molienda justa para cada método "
        "y el tiempo exacto que el café necesita para abrirse.",
        "Si pruebas un café de especialidad con calma descubrirás sabores que no esperabas, como fruta roja, "
        "caramelo, flores blancas o un chocolate muy suave al final.",
        "Esta semana abrimos nuestra nueva tienda junto al mercado central y queremos que vengas a conocer a las "
        "personas que tuestan, muelen y preparan cada saco que servimos.",
        "Ven a visitarnos cualquier mañana a partir de las siete, siéntate junto a la ventana con calma y deja "
        "que la primera taza del día corra de nuestra cuenta.")


def script_of(seconds: float, scenes: int = 0) -> str:
    """``scenes`` long sentences (one scene each), or sentences in turn until ~``seconds`` of speech at ~14
    characters a second."""
    if scenes:
        per = seconds * 17 / scenes  # long sentences read faster than short ones: ~17 characters a second
        return " ".join(_stretched(LONG[i % len(LONG)], per) for i in range(scenes))
    """Sentences in turn until ~``seconds`` of speech at ~14 characters a second."""
    out: list[str] = []
    while sum(len(s) + 1 for s in out) < seconds * 14:
        out.append(SENTENCES[len(out) % len(SENTENCES)])
    return " ".join(out)


def _stretched(sentence: str, chars: float) -> str:
    """The sentence cut at a comma or word near ``chars`` characters, always one sentence."""
    if len(sentence) <= chars:
        return sentence
    cut = sentence[: int(chars)].rsplit(" ", 1)[0].rstrip(",")
    return cut + "."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--llm", default="", help="text model id, or none (default: the config's)")
    ap.add_argument("--planner", default="auto", choices=("auto", "llm", "sentences"))
    ap.add_argument("--scenes", type=int, default=0, help="long sentences, one scene and one material each")
    ap.add_argument("--materials", default="colours", choices=("colours", "photos"))
    ap.add_argument("--idea", default="", help="also run this idea (duration --seconds) after each script job "
                    "and print its extra time over the script path (needs the text model: not --llm none)")
    args = ap.parse_args()
    root = scratch_dir("bench-s2v-")
    env = {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"}
    if args.llm and args.llm != "none":
        env["NOXUS_LLM_MODEL"] = args.llm
    cfg = load_config(None, env)
    wanted = ["kokoro-82m", "kokoro-voice-ef-dora", "music-immich-memories", "efficientnet-lite0", "ppocr-v6-tiny"]
    ModelRegistry.from_config(cfg).fetch(wanted + ([] if args.llm == "none" else [cfg.llm.model]))
    cache, tool, script = ModelCache(cfg), ScriptToVideoTool().bind(cfg), script_of(args.seconds, args.scenes)
    colours = [(200, 40, 40), (40, 80, 200), (40, 160, 60), (220, 180, 40), (120, 40, 160), (30, 30, 30)]
    pictures = photos(root) if args.materials == "photos" else []
    for run in range(1, args.runs + 1):
        work = root / f"run{run}"
        work.mkdir()
        files = {}
        for i, colour in enumerate(colours[: max(2, args.scenes)]):
            if pictures:
                shutil.copyfile(pictures[i % len(pictures)], work / f"in_materials_{i}")
            else:
                Image.new("RGB", (1280, 720), colour).save(work / f"in_materials_{i}", "PNG")
            files[f"materials_{i}"] = InputFile(work / f"in_materials_{i}", f"IMG_{i:04}.png", "image/png", 0)
        params, out, wall = job(tool, cache, {"script": script, "music": "calm", "caption_style": "yellow_punch",
                                              "planner": args.planner}, files, work)
        print(f"run {run}: {len(script)} chars, {len(out.result['scenes'])} scenes, planner {params['planner']}, "
              f"video {probe(Path(out.data)).duration or 0.0:.1f} s, wall {wall:.1f} s")
        print("  matches: " + ", ".join(f"{s['visual']['source']} by {s['visual'].get('match', {}).get('by')}"
                                        for s in out.result["scenes"]))
        speech, drawing = baseline(cache, tool, params, files, work, out.result)
        print(f"  baseline: narrate {speech:.1f} s + render {drawing:.1f} s = {speech + drawing:.1f} s; "
              f"whole job {wall:.1f} s = {wall / (speech + drawing):.2f}x the pipelines alone")
        if args.idea:
            (work / "idea").mkdir()
            for f in files.values():  # a job reads its inputs from its own folder
                shutil.copyfile(f.path, work / "idea" / f.path.name)
            files = {k: InputFile(work / "idea" / f.path.name, f.filename, f.content_type, f.size_bytes)
                     for k, f in files.items()}
            body = {"idea": args.idea, "duration": args.seconds, "music": "calm", "caption_style": "yellow_punch",
                    "planner": args.planner}
            _, idea, idea_wall = job(tool, cache, body, files, work / "idea")
            per_second = idea_wall / max(idea.result["duration"], 1e-6)
            print(f"  idea: {len(idea.result['script'])} chars written, {len(idea.result['scenes'])} scenes, video "
                  f"{idea.result['duration']:.1f} s, wall {idea_wall:.1f} s; extra over the script path "
                  f"{idea_wall - wall:+.1f} s ({per_second / (wall / max(out.result['duration'], 1e-6)):.2f}x "
                  "its wall per second of video)")


def job(tool: ScriptToVideoTool, cache: ModelCache, body: dict, files: dict, work: Path) -> tuple[dict, Any, float]:
    """One job through the tool's own validate/check_installed/call; prints its steps' times."""
    started = time.monotonic()
    params = tool.validate(body, files, Limits())
    plan = tool.plan(tool.typed(params), files, Limits())
    tool.check_installed(params, plan, cache.cfg)
    steps = StepTracker(tool.steps)
    out = tool.execute(ToolContext(params, files, Limits(), work, models=cache, steps=steps), plan)
    wall = time.monotonic() - started
    print(f"  {'idea' if 'idea' in body else 'script'} job, load average {os.getloadavg()[0]:.1f}:")
    for s in steps.snapshot():
        print(f"  {s['name']:8} {s['status']:9} {_seconds(s):6.1f} s")
    return params, out, wall


def baseline(cache: ModelCache, tool: ScriptToVideoTool, params: dict, files: dict, work: Path,
             result: dict) -> tuple[float, float]:
    """Seconds to speak the job's scenes with ``narrate`` and to draw the same timeline with ``render``,
    called directly (the models are warm: the job loaded them)."""
    started = time.monotonic()
    with tts.open_voice(cache, {params["voice_id"]: 1.0}, params["language"]) as voice:
        told = narrate([s["text"] for s in result["scenes"]], voice, params["speed"], cancel=CancelToken())
    wav = write_wav(told, work / "baseline.wav")
    speech = time.monotonic() - started
    by_name = {f.filename: f.path for f in files.values()}
    scenes = [compose.Scene(i, s["text"], span.start, span.end,
                            compose.Visual("material", by_name[s["visual"]["source"]]), span.words)
              for i, (s, span) in enumerate(zip(result["scenes"], told.spans, strict=True))]
    width, height = frame_size(params["aspect_ratio"], params["resolution"])
    ctx = ToolContext(params, files, Limits(), work, models=cache)
    plan = Plan(facts={"fps": cache.cfg.video.fps, "loudness": cache.cfg.video.loudness_lufs})
    kept = {k: (f.path, None) for k, f in files.items() if k in ("logo", "music_file")}
    started = time.monotonic()
    compose.render(_timeline(ctx, plan, scenes, wav, width, height, kept), work / "baseline.mp4",
                   workdir=work / "brender",
                   cancel=CancelToken())
    return speech, time.monotonic() - started


PHOTOS = (("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", 466706),
          ("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", 240512),
          ("rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", 112525),
          ("motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179", 644701),
          ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", 791555),
          ("hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4", 527940))


def photos(root: Path) -> list[Path]:
    """Six real photos out of the scikit-image wheel, through the registry and the shared download cache."""
    import os

    from noxus_local.inference.registry.manifest import ModelFile, ModelSpec, default_cache_dir

    spec = ModelSpec("bench-photos", "test-image", "CC0", False, tuple(
        ModelFile(name, sha, size, (f"pypi:scikit-image==0.26.0#skimage/data/{name}",)) for name, sha, size in PHOTOS))
    ModelRegistry(root / "photos", [spec], default_cache_dir(os.environ)).fetch([spec.id])
    return [root / "photos" / spec.id / name for name, _, _ in PHOTOS]


def _seconds(step: dict) -> float:
    if not step.get("started_at") or not step.get("finished_at"):
        return 0.0
    return float(step["finished_at"]) - float(step["started_at"])


if __name__ == "__main__":
    main()
