"""What Kokoro's extra ``durations`` output costs: the same graph with and without it, same tokens.

inference/models/kokoro.py adds the duration predictor's int64 tensor to the graph's
outputs in memory, so word timings come from the model. The tensor is computed
anyway (the decoder needs it), so returning it should cost nothing; this
measures it. Two sessions on CPU, one from the file as it is and one from the
edited bytes, run in alternation on one sentence's tokens (one warm-up each);
the median of ``--runs`` per session, and the load time (finding the tensor and
editing the protobuf included).

Usage::

    python scripts/bench/bench_tts_durations.py [--runs 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.engines.onnx_edit import INT64, add_outputs  # noqa: E402
from noxus_local.inference.engines.onnx_runtime import create_session  # noqa: E402
from noxus_local.inference.models.kokoro import STYLE_DIM, Kokoro, find_durations, load_voice  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.inference.registry.manifest import models_dir  # noqa: E402
from noxus_local.speech.phonemes import phonemize_words  # noqa: E402

TEXT = ("The old lighthouse keeper climbed the stairs every evening. He lit the lamp, wiped the glass, "
        "and watched the ships pass safely through the narrow channel.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=Kokoro.threads)
    args = parser.parse_args()
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(scratch_dir("bench-kdur-") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-af-heart"])
    kokoro = Kokoro.from_config(cfg)
    path = kokoro.model_dir / kokoro.files[0]
    tokens = kokoro.tokenize(" ".join(ipa for _, ipa in phonemize_words(TEXT, "en-us") if ipa))
    style = load_voice(models_dir(cfg), "af_heart")
    feed = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style[len(tokens)].reshape(1, STYLE_DIM), "speed": np.array([1.0], dtype=np.float32)}

    started = time.perf_counter()
    plain = create_session(path, prefer_gpu=False, threads=args.threads).session
    plain_load = time.perf_counter() - started
    started = time.perf_counter()
    model = onnx.load(path)
    name = find_durations(model)
    assert name is not None, "no duration tensor in this export"
    timed = create_session(add_outputs(model, {name: INT64}).SerializeToString(), prefer_gpu=False,
                           threads=args.threads).session
    timed_load = time.perf_counter() - started

    audio = plain.run(None, feed)[0]
    audio2, frames = timed.run(None, feed)
    assert np.array_equal(audio, audio2) and int(frames.sum()) * 600 == audio.size
    seconds = {"as is": [], "with durations": []}
    for _ in range(args.runs):
        for label, session in (("as is", plain), ("with durations", timed)):
            started = time.perf_counter()
            session.run(None, feed)
            seconds[label].append(time.perf_counter() - started)
    audio_s = audio.size / 24_000
    print(f"{len(tokens)} tokens, {audio_s:.2f} s of audio, {args.threads} threads, median of {args.runs}")
    for label, load in (("as is", plain_load), ("with durations", timed_load)):
        median = statistics.median(seconds[label])
        print(f"{label:>15}: run {median:.3f} s (RTF {median / audio_s:.3f}), load {load:.1f} s")
    ratio = statistics.median(seconds["with durations"]) / statistics.median(seconds["as is"])
    print(f"with durations / as is: {ratio:.3f}x; same audio: yes")


if __name__ == "__main__":
    main()
