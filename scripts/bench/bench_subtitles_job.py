"""A whole auto-subtitles job per minute of 720p video: transcribe + burn, through the tool's own code.

A 1280×720 30 fps H.264 + AAC clip with Spanish speech (espeak-ng reading a
weather script, looped to ``--seconds``) over ffmpeg's ``testsrc2`` picture
(moving colour bars and a counter: harder for x264 than a still frame) goes
through ``AutoSubtitlesTool.validate`` and ``.run`` with a real ModelCache
(whisper-base int8 and Silero VAD fetched through the registry into a temp data
dir, the same as the server runs), style ``yellow_punch``, ``language=auto``;
the model is loaded once before timing, as in a running server. The steps the
job records (``probe → extract_audio → transcribe → segment → render``) give
the per-step times; the total is processing minutes per media minute.

Example::

    .venv/bin/python scripts/bench/bench_subtitles_job.py                  # 60 s clip, 2 runs, ~3 min
    .venv/bin/python scripts/bench/bench_subtitles_job.py --seconds 30 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_asr import SCRIPTS  # noqa: E402  # the same Spanish script

from noxus_local.captions.video import PRESET  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.whisper import WhisperModel  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.media.ffmpeg import run_ffmpeg  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402
from noxus_local.runtime.steps import StepTracker  # noqa: E402
from noxus_local.tools.auto_subtitles import AutoSubtitlesTool  # noqa: E402
from noxus_local.tools.base import InputFile, Limits, ToolContext  # noqa: E402

TARGET = 0.5  # processing minutes per media minute on the 2-core CPU


def make_video(folder: Path, seconds: float) -> Path:
    speech = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "es", "-w", str(speech), SCRIPTS["es"]], check=True, timeout=60)
    video = folder / "clip-720p.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={seconds}", "-stream_loop", "-1",
                "-i", str(speech), "-t", f"{seconds}", "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
                "-shortest", str(video)], CancelToken())
    return video


def _seconds(record: dict[str, Any]) -> float:
    def parse(value: Any) -> float:
        return value if isinstance(value, int | float) else dt.datetime.fromisoformat(str(value)).timestamp()

    return parse(record["finished_at"]) - parse(record["started_at"])


def run_once(tool: AutoSubtitlesTool, models: ModelCache, video: Path,
             work: Path) -> tuple[float, float, dict, dict]:
    work.mkdir(parents=True, exist_ok=True)
    files = {"video": InputFile(video, video.name, "video/mp4", video.stat().st_size)}
    limits = Limits(max_video_seconds=24 * 3600)
    t0, c0 = time.perf_counter(), _cpu()
    params = tool.validate({"language": "auto", "style": "yellow_punch"}, files, limits)
    tracker = StepTracker(tool.steps)
    ctx = ToolContext(params=params, files=files, limits=limits, workdir=work, steps=tracker, models=models)
    out = tool.call(ctx)
    total, cpu = time.perf_counter() - t0, _cpu() - c0
    steps = {s["name"]: _seconds(s) for s in tracker.snapshot() if s["started_at"] and s["finished_at"]}
    return total, cpu, steps, out.result


def _cpu() -> float:
    """CPU seconds of this process and its finished children (ffmpeg), all threads."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length (media seconds)")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-subs-") as tmp:
        folder = Path(tmp)
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(folder / "data")})
        ModelRegistry.from_config(cfg).fetch(["silero-vad", "whisper-base"])
        video = make_video(folder, args.seconds)
        models = ModelCache(cfg)
        with models.use(WhisperModel):  # loaded once, as in a running server
            pass
        tool = AutoSubtitlesTool()
        print(f"clip: {args.seconds:g} s 1280x720 30 fps testsrc2 + Spanish espeak-ng speech; whisper-base int8 "
              f"CPU, {cfg.speech.batch_size=}, {cfg.speech.beam_size=}; burn: libx264 -preset {PRESET}; "
              f"{os.cpu_count()} CPUs", flush=True)
        for n in range(args.runs):
            total, cpu, steps, result = run_once(tool, models, video, folder / f"run{n}")
            per_minute = total / args.seconds
            heard = result["transcript"]
            print(f"run {n + 1}: {total:6.1f} s = {per_minute:.3f} min per media minute "
                  f"(target <= {TARGET}) {'OK' if per_minute <= TARGET else 'OVER'}; "
                  f"{len(result['segments'])} cues, language {result['language']}, "
                  f"{len(heard.split())} words heard; CPU {cpu:.1f} s = {cpu / 2 / args.seconds:.3f} min per "
                  f"media minute if 2 idle cores did it (load average now {os.getloadavg()[0]:.1f})")
            print("   " + "  ".join(f"{name} {sec:.1f} s ({sec / args.seconds:.3f})"
                                    for name, sec in steps.items()), flush=True)


if __name__ == "__main__":
    main()
