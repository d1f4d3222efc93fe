"""Dubbing speed: a whole dub-video run per minute of source, against ASR + TTS of the same text alone.

A Spanish narration (Kokoro ef_dora over colour, tests/dub_samples.py, the three sentences said
``--repeat`` times; ``--repeat 6`` is about a minute) is dubbed into English in-process (``--target es``:
the English narration by af_heart dubbed into Spanish with ef_dora): ``validate``, ``plan``, ``check_installed`` and
``execute`` with a real ModelCache (Whisper base, Silero VAD, Kokoro, the configured text model,
fetched through the registry into a temp data dir). Printed: minutes of wall per minute of source
(target <= 1.5 on the 2-core box), each step's seconds, and the baseline measured in the same run on
the same warm models: Whisper transcribing the same audio plus Kokoro speaking the job's own
translations once at speed 1 (the floor of any dub: what it must hear and say), and the ratio.

Usage::

    python scripts/bench/bench_dub.py [--repeat 2] [--target en|es] [--llm qwen2.5-coder-1.5b-instruct]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.whisper import WhisperModel  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.media.probe import probe  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402
from noxus_local.runtime.steps import StepTracker  # noqa: E402
from noxus_local.speech import asr, tts  # noqa: E402
from noxus_local.tools.base import InputFile, Limits, ToolContext  # noqa: E402
from noxus_local.tools.dub_video import DubVideoTool  # noqa: E402
from tests.dub_samples import english_video, spanish_video  # noqa: E402

MODELS = ["kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-af-heart", "whisper-base", "silero-vad"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="times the three sentences are said")
    ap.add_argument("--target", choices=("en", "es"), default="en", help="en: es→en; es: en→es")
    ap.add_argument("--llm", default="", help="text model id (default: the config's)")
    args = ap.parse_args()
    root = scratch_dir("bench-dub-")
    env = {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"}
    if args.llm:
        env["NOXUS_LLM_MODEL"] = args.llm
    cfg = load_config(None, env)
    ModelRegistry.from_config(cfg).fetch([*MODELS, cfg.llm.model])
    cache = ModelCache(cfg)
    work = root / "work"
    work.mkdir()
    made = english_video if args.target == "es" else spanish_video
    video, _spans = made(work, cfg, repeat=args.repeat)
    heard, voice, tag = ("en", "ef_dora", "es") if args.target == "es" else ("es", "af_heart", "en-us")
    source = probe(video).duration or 0.0
    tool = DubVideoTool()
    files = {"video": InputFile(video, video.name, "video/mp4", video.stat().st_size)}
    # warm the models once (a server keeps them loaded): Whisper, Kokoro, the text model
    _baseline(cache, video, ["Hello."], heard, voice, tag)
    from noxus_local.generate.llm.models import text_models

    text_models(cfg).llm(cfg.llm.model, cache).chat([{"role": "user", "content": "Hi"}], max_tokens=2)

    started = time.monotonic()
    params = tool.validate({"target_language": args.target}, files, Limits())
    typed = tool.typed(params)
    plan = tool.plan(typed, files, Limits())
    params = tool.stored(typed)
    tool.check_installed(params, plan, cfg)
    steps = StepTracker(tool.steps)
    out = tool.execute(ToolContext(params, files, Limits(), work, models=cache, steps=steps, settings=cfg), plan)
    wall = time.monotonic() - started
    texts = [s["translation"] for s in out.result["segments"]]
    base = _baseline(cache, video, texts, heard, voice, tag)
    print(f"source {source:.1f} s ({len(texts)} lines), translator {out.result['translator']}")
    print(f"dub-video: wall {wall:.1f} s = {wall / source:.2f} min per min of source (target <= 1.5)")
    segs = out.result["segments"]
    print(f"  lines spoken again faster: {sum(s['speed'] > 1 for s in segs)}, stretched: "
          f"{sum(s['tempo'] > 1 for s in segs)}, warnings: {len(out.result.get('warnings', []))}")
    for s in steps.snapshot():
        took = (s.get("finished_at") or 0) - (s.get("started_at") or 0)
        print(f"  {s['name']:14} {took:6.1f} s")
    print(f"baseline (Whisper transcribe + Kokoro speak of the same text): {base:.1f} s = "
          f"{base / source:.2f} min per min; dub / baseline = {wall / base:.2f}x")


def _baseline(cache: ModelCache, video: Path, texts: list[str], heard: str, voice_id: str, tag: str) -> float:
    started = time.monotonic()
    with cache.use(WhisperModel) as whisper:
        asr.transcribe(video, model=whisper, language=heard)
    with tts.open_voice(cache, {voice_id: 1.0}, tag) as voice:
        for text in texts:
            tts.speak(text, voice, 1.0, cancel=CancelToken())
    return time.monotonic() - started


if __name__ == "__main__":
    main()
