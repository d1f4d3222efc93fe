"""Speaker-gender estimation cost: dubbing/speakers.py per minute of audio, against the transcription step.

A Spanish dialogue (tests/dub_samples.py ``DIALOGUE`` and ``MORE`` below: ef_dora and em_alex taking
turns, eight different lines, the whole said ``--repeat`` times; Whisper base skips a repeat it has just
heard, so the default is one pass, ≈ 30 s) is transcribed by Whisper base as dub-video does (batch and
beam from the config), cut into lines the same way (split at silences, joined, tightened), and the
estimator (YIN per line, the speakers' split) runs on those lines. Printed: seconds of each per
minute of audio, the lines' labels, and the estimator's cost as a fraction of the transcription's,
both measured in this run on the same audio (the estimator is best of 3 runs; Whisper once, warm).

Usage::

    python scripts/bench/bench_speaker_gender.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
from _server import scratch_dir  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.dubbing.segments import lines_of, split_at_silences, tighten  # noqa: E402
from noxus_local.dubbing.speakers import estimate  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402
from noxus_local.inference.models.whisper import WhisperModel  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402
from noxus_local.speech import asr  # noqa: E402
from tests.dub_samples import DIALOGUE, dialogue_video  # noqa: E402

MORE = (("ef_dora", "Los domingos visitamos a mis abuelos en el pueblo."),
        ("em_alex", "Mi hermano tiene un perro negro que se llama Toby."),
        ("ef_dora", "En verano nadamos en el río cuando hace calor."),
        ("em_alex", "El tren de las ocho llega siempre con retraso."))
MODELS = ["kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-em-alex", "whisper-base", "silero-vad"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=1, help="times the eight-line dialogue is said")
    args = ap.parse_args()
    root = scratch_dir("bench-gender-")
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(root / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(MODELS)
    work = root / "work"
    work.mkdir()
    lines_said = (DIALOGUE + MORE) * args.repeat
    video, _spans = dialogue_video(work, cfg, lines_said)
    wav = work / "audio16k.wav"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-ac", "1",
                    "-ar", "16000", str(wav)], check=True)
    pcm = asr.load_audio(wav)
    minutes = len(pcm) / 16_000 / 60
    with ModelCache(cfg).use(WhisperModel) as whisper:
        asr.transcribe(wav, model=whisper, language="es", batch_size=cfg.speech.batch_size,
                       beam_size=cfg.speech.beam_size)  # warm-up, not timed
        t0 = time.perf_counter()
        transcript = asr.transcribe(wav, model=whisper, language="es", batch_size=cfg.speech.batch_size,
                                    beam_size=cfg.speech.beam_size)
        heard = time.perf_counter() - t0
    lines = tighten(lines_of(split_at_silences(transcript.segments, pcm), minutes * 60), pcm)
    spans = [(line.start, line.end) for line in lines]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        found = estimate(pcm, spans)
        best = min(best, time.perf_counter() - t0)
    said = "".join("F" if v.startswith("ef") else "M" for v, _t in lines_said)
    labels = "".join({"female": "F", "male": "M"}.get(p.gender, "?") for p in found.pitches)
    print(f"audio {minutes * 60:.1f} s, {len(lines)} lines (said {len(lines_said)}), labels {labels} (said {said}), "
          f"speakers {[s.as_dict() for s in found.speakers]}")
    print(f"transcribe (whisper-base, baseline): {heard / minutes:.2f} s per minute of audio")
    print(f"speaker gender (YIN + split):        {best / minutes:.3f} s per minute of audio")
    print(f"ratio estimator / transcription: {best / heard:.4f}")


if __name__ == "__main__":
    main()
