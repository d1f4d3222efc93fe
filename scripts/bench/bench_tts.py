"""Text-to-speech speed: our Kokoro code vs the ``kokoro-onnx`` package on the same model file.

Both read the same ``kokoro-v1.0.int8.onnx`` and the same voice vectors (for
kokoro-onnx they are packed into the ``.npz`` it wants), speak the same text
with the same voice on CPU, and report the real-time factor (seconds of compute
per second of audio; lower is faster) as the median of ``--runs``, after one
warm-up. kokoro-onnx runs in a throwaway venv under /tmp that this script
makes (it depends on the onnxruntime CPU package, which must never enter the
project's venv). Also: time to first audio for a 1,000-character text,
sentence by sentence (ours: ``speech.tts.stream``; theirs:
``create_stream``); time to the first audio byte of the same text streamed by
a real ``noxus-local serve`` through the ``openai`` client
(``with_streaming_response``, pcm and mp3); and intelligibility: Kokoro's
English and Spanish read back by our whisper-base, as word error rate
(targets <= 0.05 English, <= 0.10 Spanish).

Usage::

    python scripts/bench/bench_tts.py [--runs 3] [--voice af_heart] [--lang en-us] [--skip-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.models.kokoro import SAMPLE_RATE, Kokoro, load_voice  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.inference.registry.manifest import models_dir  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402
from noxus_local.speech.tts import Speech, Voice, speak, stream  # noqa: E402

TEXT = ("The old lighthouse keeper climbed the stairs every evening. He lit the lamp, wiped the glass, "
        "and watched the ships pass safely through the narrow channel. Nobody in the village remembered "
        "a single night when the light had failed.")
LONG = " ".join([TEXT] * 5)[:1000]
# intelligibility: (voice, espeak-ng language, whisper's language, text, WER target)
ROUND_TRIPS = [
    ("af_heart", "en-us", "en", TEXT, 0.05),
    ("bm_george", "en-gb", "en", TEXT, 0.05),
    ("ef_dora", "es", "es", "El viejo farero subía las escaleras cada tarde. Encendía la lámpara, limpiaba el "
     "cristal y miraba pasar los barcos por el estrecho canal. Nadie en el pueblo recordaba una sola noche sin luz.",
     0.10),
    ("em_alex", "es", "es", "Buenos días a todos. Hoy vamos a hablar del tiempo en Madrid y en Barcelona. "
     "Mañana lloverá por la tarde, así que no olvidéis el paraguas.", 0.10),
]
KEY_RE = re.compile(r"noxus_test_[A-Za-z0-9_-]{40,}")
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


def synthesize(model, style, text: str, language: str) -> Speech:
    """The whole speech of ``text`` through the pipeline (speech/tts.py), with a loaded model."""
    return speak(text, Voice(model, style, language), cancel=CancelToken())


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
    first = next(iter(stream(LONG, Voice(kokoro, style, lang), cancel=CancelToken())))
    return {"rtfs": rtfs, "first_audio_s": time.perf_counter() - started,
            "first_piece_s": len(first.samples) / SAMPLE_RATE}


def round_trips(cfg) -> list[tuple[str, str, float, float, str]]:
    """(voice, language, WER, target, what Whisper heard) for each of ROUND_TRIPS."""
    from noxus_local.inference.models.whisper import WhisperModel
    from noxus_local.speech.asr import transcribe
    from noxus_local.speech.wer import wer

    kokoro, whisper = Kokoro.from_config(cfg), WhisperModel.from_config(cfg)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for voice, lang, whisper_lang, text, target in ROUND_TRIPS:
            audio = synthesize(kokoro, load_voice(models_dir(cfg), voice), text, lang).samples
            path = Path(tmp) / f"{voice}.wav"
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(SAMPLE_RATE)
                w.writeframes(np.clip(np.rint(audio * 32767), -32768, 32767).astype("<i2").tobytes())
            heard = transcribe(path, model=whisper, language=whisper_lang).text
            out.append((voice, whisper_lang, wer(text, heard), target, heard))
    return out


def served_first_byte(data: Path, voice: str, runs: int) -> dict[str, tuple[float, float]]:
    """Median (first byte, whole body) seconds of LONG streamed by a real server, per format."""
    import openai

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = data / "bench.toml"
    config.write_text("[tiers.free]\nrequests_per_minute = 0\njobs_per_hour = 0\n")
    env = {**os.environ, "NOXUS_DATA_DIR": str(data / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "noxus_local", "serve", "--config", str(config), "--port",
                             str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        key = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            key = key or (m.group(0) if (m := KEY_RE.search(line)) else "")
            if "listening on" in line:
                break
        import httpx

        deadline = time.monotonic() + 60
        while True:  # "listening on" comes before the socket answers
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0, timeout=600)
        client.audio.speech.create(model="kokoro-82m", voice=voice, input="Hello.")  # warm-up: models load
        out = {}
        for fmt in ("pcm", "mp3"):
            firsts, totals = [], []
            for _ in range(runs):
                started = time.perf_counter()
                first = None
                with client.audio.speech.with_streaming_response.create(
                        model="kokoro-82m", voice=voice, input=LONG, response_format=fmt) as response:
                    for _chunk in response.iter_bytes(4096):
                        first = first or time.perf_counter() - started
                firsts.append(first or 0.0)
                totals.append(time.perf_counter() - started)
            out[fmt] = (statistics.median(firsts), statistics.median(totals))
        return out
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--voice", default="af_heart")
    parser.add_argument("--lang", default="en-us")
    parser.add_argument("--served-runs", type=int, default=1, help="streamed requests per format (each ~1 min)")
    parser.add_argument("--skip-peer", action="store_true", help="no kokoro-onnx comparison (no throwaway venv)")
    args = parser.parse_args()
    data = scratch_dir("bench-tts-")
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    from noxus_local.inference.models.kokoro import voice_model_id

    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "whisper-base", "silero-vad", voice_model_id(args.voice),
                                          *{voice_model_id(v) for v, *_ in ROUND_TRIPS}])
    print(f"CPU, {os.cpu_count()} cores")
    for voice, lang, error, target, heard in round_trips(cfg):
        verdict = "ok" if error <= target else "OVER TARGET"
        print(f"WER {voice} ({lang}) {error:.3f} (target <= {target:.2f}, {verdict}): {heard!r}")
    for fmt, (first, total) in served_first_byte(data, args.voice, args.served_runs).items():
        print(f"served /v1/audio/speech, 1,000 chars streamed as {fmt}: first audio byte {first:.2f} s, "
              f"whole body {total:.2f} s (median of {args.served_runs})")
    if args.skip_peer:
        return
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
