"""Voice agent turn: time to first audio and the whole turn, against Whisper + LLM + Kokoro in sequence.

A ~5 s caller question ("Hello, I'm calling about the shop Lumen. What time does it open in the
morning?", Kokoro am_michael) goes through ``agents.turn.respond`` — Whisper base (greedy), the
embedded text model (greedy, streamed, at most three sentences) and Kokoro af_heart, each sentence
spoken as soon as the model has finished it — and through the baseline measured in the same run on the
same warm models: ``asr.transcribe`` with the server's default settings, ``llm.chat`` for the whole
answer, then ``tts.speak`` of the whole answer (its first audio is the end of that sequence). Printed:
the median over ``--rounds`` of each (which of the two runs first alternates), and the ratios
baseline / pipeline (above 1: the pipeline is faster). The issue's target: first audio <= 4 s for a
5 s question and a one-sentence answer.

Usage::

    python scripts/bench/bench_voice_agent.py [--model qwen2.5-coder-0.5b-instruct] [--rounds 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from _server import scratch_dir  # noqa: E402

from noxus_local.agents.turn import Caller, Persona, messages, respond  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.generate.llm.models import text_models  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.whisper import WhisperModel  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.runtime.cancel import CancelToken  # noqa: E402
from noxus_local.speech import asr, tts  # noqa: E402

MODELS = ["kokoro-82m", "kokoro-voice-af-heart", "kokoro-voice-am-michael", "whisper-base", "silero-vad"]
QUESTION = "Hello, I'm calling about the shop Lumen. What time does it open in the morning?"
PROMPT = "You answer calls for the shop Lumen. The shop Lumen opens at nine in the morning and closes at six."
GREETING = [{"role": "assistant", "content": "Hello, thanks for calling Lumen!"}]


def question(cache: ModelCache, folder: Path) -> tuple[Path, float]:
    with tts.open_voice(cache, {"am_michael": 1.0}, "en-us") as voice:
        speech = tts.speak(QUESTION, voice, cancel=CancelToken())
    path = folder / "question.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(speech.sample_rate)
        w.writeframes(np.clip(np.rint(speech.samples * 32768), -32768, 32767).astype("<i2").tobytes())
    return path, speech.duration


def baseline(cache: ModelCache, llm: object, persona: Persona, audio: Path, cfg: object) -> tuple[float, str]:
    """Whisper, then the whole answer, then its whole speech: each called directly, in sequence."""
    began = time.perf_counter()
    with cache.use(WhisperModel.for_id("whisper-base")) as whisper:
        heard = asr.transcribe(audio, model=whisper, language="en", word_timestamps=True, cancel=CancelToken(),
                               batch_size=cfg.speech.batch_size, beam_size=cfg.speech.beam_size)  # type: ignore[attr-defined]
    text = " ".join(s.text for s in heard.segments)
    answer = llm.chat(messages(persona, GREETING, text), max_tokens=96, temperature=0.0).text  # type: ignore[attr-defined]
    with tts.open_voice(cache, persona.voice, persona.speaks) as voice:
        tts.speak(answer, voice, cancel=CancelToken())
    return time.perf_counter() - began, answer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    root = scratch_dir("bench-vagent-")
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false",
                             "NOXUS_LLM_MODEL": args.model})
    ModelRegistry.from_config(cfg).fetch([*MODELS, args.model])
    cache = ModelCache(cfg)
    llm = text_models(cfg).llm(args.model, cache)
    persona = Persona(PROMPT, {"af_heart": 1.0}, "en-us", "en")
    audio, seconds = question(cache, root)
    respond(persona, GREETING, Caller(audio=audio), models=cache, llm=llm, cancel=CancelToken())  # warm-up
    baseline(cache, llm, persona, audio, cfg)
    first, whole, base, replies = [], [], [], set()
    for n in range(args.rounds):
        if n % 2:  # which goes first alternates: on a loaded box the order alone moves the numbers
            base.append(baseline(cache, llm, persona, audio, cfg)[0])
        reply = respond(persona, GREETING, Caller(audio=audio), models=cache, llm=llm, cancel=CancelToken())
        first.append(reply.first_audio_seconds)
        whole.append(reply.timings["done"])
        replies.add(reply.text)
        if not n % 2:
            base.append(baseline(cache, llm, persona, audio, cfg)[0])
    f, w, b = statistics.median(first), statistics.median(whole), statistics.median(base)
    print(f"question {seconds:.1f} s, model {args.model}, {args.rounds} rounds, load {os.getloadavg()[0]:.2f}")
    print(f"reply(s): {sorted(replies)}")
    print(f"pipeline: first audio {f:.2f} s, whole turn {w:.2f} s (recognised at {reply.timings['recognised']:.2f} s)")
    print(f"baseline (whisper + llm + kokoro in sequence): {b:.2f} s")
    print(f"ratio baseline/pipeline: first audio {b / f:.2f}x, whole turn {b / w:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
