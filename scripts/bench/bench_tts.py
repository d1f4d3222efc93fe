"""Text-to-speech speed: our Kokoro code vs the ``kokoro-onnx`` package on the same model file.

Both read the same ``kokoro-v1.0.int8.onnx`` and the same voice vectors (for
kokoro-onnx they are packed into the ``.npz`` it wants), speak the same text
with the same voice on CPU, and report the real-time factor (seconds of compute
per second of audio; lower is faster) as the median of ``--runs``, after one
warm-up. kokoro-onnx runs in a throwaway venv under /tmp that this script
makes (it depends on the onnxruntime CPU package, which must never enter the
project's venv). Also: time to first audio for a 1,000-character text,
sentence by sentence (ours: ``speech.synthesis.stream``; theirs:
``create_stream``).

Usage::

    python scripts/bench/bench_tts.py [--runs 3] [--voice af_heart] [--lang en-us]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.kokoro import SAMPLE_RATE, Kokoro, load_voice  # noqa: E402
from noxus_local.inference.registry import ModelRegistry, models_dir  # noqa: E402
from noxus_local.speech.synthesis import stream, synthesize  # noqa: E402

TEXT = ("The old lighthouse keeper climbed the stairs every evening. He lit the lamp, wiped the glass, "
        "and watched the ships pass safely through the narrow channel. Nobody in the village remembered "
        "a single night when the light had failed.")
LONG = " ".join([TEXT] * 5)[:1000]
VENV = Path(tempfile.gettempdir()) / "noxus-bench-kokoro-onnx"
PEER = "kokoro-onnx==0.6.1"

PEER_SCRIPT = r"""
import json, sys, time, asyncio
import numpy as np
from kokoro_onnx import Kokoro
model, voices, voice, lang, text, long_text, runs = sys.argv[1:8]
k = Kokoro(model, voices)
k.create(text, voice=voice, speed=1.0, lang=lang)  # warm-up
rtfs = []
for _ in range(int(runs)):
    t = time.perf_counter(); audio, rate = k.create(text, voice=voice, speed=1.0, lang=lang)
    rtfs.append((time.perf_counter() - t) / (len(audio) / rate))
async def first():
    t = time.perf_counter()
    async for audio, rate in k.create_stream(long_text, voice=voice, speed=1.0, lang=lang):
        return time.perf_counter() - t
print(json.dumps({"rtfs": rtfs, "first_audio_s": asyncio.run(first())}))
"""


def peer_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER], check=True)
    return python


def ours(cfg, voice: str, lang: str, runs: int) -> dict[str, object]:
    kokoro = Kokoro.from_config(cfg)
    style = load_voice(models_dir(cfg), voice)
    synthesize(kokoro, style, TEXT, lang)  # warm-up: the session loads
    rtfs = []
    for _ in range(runs):
        started = time.perf_counter()
        speech = synthesize(kokoro, style, TEXT, lang)
        rtfs.append((time.perf_counter() - started) / speech.duration)
    started = time.perf_counter()
    first = next(iter(stream(kokoro, style, LONG, lang)))
    return {"rtfs": rtfs, "first_audio_s": time.perf_counter() - started,
            "first_piece_s": len(first[0]) / SAMPLE_RATE}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--voice", default="af_heart")
    parser.add_argument("--lang", default="en-us")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-tts-"))
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    from noxus_local.inference.kokoro import voice_model_id

    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", voice_model_id(args.voice)])
    model = models_dir(cfg) / "kokoro-82m" / "kokoro-v1.0.int8.onnx"
    voices = data / "voices.npz"  # kokoro-onnx's format: one [510, 1, 256] array per voice
    np.savez(voices, **{args.voice: load_voice(models_dir(cfg), args.voice).reshape(-1, 1, 256)})
    python = peer_python()
    env = {**os.environ, "PYTHONPATH": ""}
    peer_out = subprocess.run([str(python), "-c", PEER_SCRIPT, str(model), str(voices), args.voice, args.lang,
                               TEXT, LONG, str(args.runs)], check=True, capture_output=True, text=True, env=env)
    theirs = json.loads(peer_out.stdout.strip().splitlines()[-1])
    mine = ours(cfg, args.voice, args.lang, args.runs)
    ours_rtf, peer_rtf = statistics.median(mine["rtfs"]), statistics.median(theirs["rtfs"])
    print(f"voice {args.voice}, {len(TEXT)} chars, median of {args.runs} runs, CPU, {os.cpu_count()} cores")
    print(f"RTF ours        {ours_rtf:.3f}")
    print(f"RTF kokoro-onnx {peer_rtf:.3f}")
    print(f"ratio ours / kokoro-onnx: {ours_rtf / peer_rtf:.2f}x (target <= 1.0x)")
    print(f"time to first audio, 1,000 chars: ours {mine['first_audio_s']:.2f} s "
          f"(a {mine['first_piece_s']:.1f} s sentence), kokoro-onnx {theirs['first_audio_s']:.2f} s")


if __name__ == "__main__":
    main()
