"""Our speech recognition vs faster-whisper on the same audio, model files and thread count, in one run.

Two ~60 s espeak-ng narrations (Spanish and English, known scripts) are
transcribed by ``noxus_local.speech.transcribe`` (batched VAD windows) and by
faster-whisper, sequential (``WhisperModel.transcribe``, VAD on) and batched
(``BatchedInferencePipeline``), all loading the same ctranslate2 whisper-base
folder, int8, beam 5, word timestamps, language detected. faster-whisper
pulls the onnxruntime CPU package, so it is installed by this script into a
throwaway venv (``--fw-venv``, default /tmp/fw-venv) and run there as a child
process. Printed: the real-time factor (processing seconds / audio seconds)
of each, our speed-up over each, and the word error rate of each against the
script (lower-cased, punctuation removed, a plain edit distance).

Example::

    .venv/bin/python scripts/bench/bench_asr.py                 # ~3 min on 2 cores
    .venv/bin/python scripts/bench/bench_asr.py --threads 2 --batch-size 8
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FW_VERSION = "1.2.1"
SCRIPTS = {
    "es": ("Buenos días a todos y bienvenidos al programa de hoy. Vamos a hablar del tiempo en España durante "
           "la próxima semana. En Madrid el lunes hará sol y las temperaturas subirán hasta los veinte grados. "
           "En Barcelona habrá nubes por la mañana y algo de lluvia por la tarde. El martes llegará un frente "
           "frío desde el norte y bajarán las temperaturas en toda la península. En Sevilla seguirá haciendo "
           "calor, aunque el viento soplará con fuerza cerca de la costa. El miércoles volverá la calma y el "
           "cielo estará despejado en casi todo el país. Recuerden llevar paraguas si viajan al norte. Los "
           "agricultores esperan que la lluvia llegue pronto porque los campos están muy secos. Gracias por "
           "escucharnos y hasta mañana."),
    "en": ("Good morning everyone and welcome to the evening news. Today we will talk about the weather in "
           "the United Kingdom for the coming week. In London the sun will shine on Monday and temperatures "
           "will reach twenty degrees. In Manchester there will be clouds in the morning and some rain in the "
           "afternoon. On Tuesday a cold front will arrive from the north and temperatures will fall across "
           "the country. In Cornwall it will stay warm, although the wind will blow hard near the coast. On "
           "Wednesday the calm will return and the sky will be clear almost everywhere. Remember to take an "
           "umbrella if you travel to Scotland. Farmers hope the rain will come soon because the fields are "
           "very dry. Thank you for listening and see you tomorrow."),
}

FW_CHILD = r'''
import json, sys, time
from faster_whisper import WhisperModel, BatchedInferencePipeline
model_dir, threads, batch, clips = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
batched = BatchedInferencePipeline(model)
list(model.transcribe(clips[0], beam_size=5)[0])  # warm-up
out = {}
for mode in ("sequential", "batched"):
    for clip in clips:
        t0 = time.perf_counter()
        if mode == "sequential":
            segs, info = model.transcribe(clip, beam_size=5, word_timestamps=True, vad_filter=True)
        else:
            segs, info = batched.transcribe(clip, beam_size=5, word_timestamps=True, batch_size=batch)
        text = " ".join(s.text.strip() for s in segs)
        out[f"{mode}:{clip}"] = {"seconds": time.perf_counter() - t0, "text": text, "language": info.language}
print(json.dumps(out))
'''


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def make_clips(folder: Path) -> dict[str, Path]:
    clips = {}
    for lang, text in SCRIPTS.items():
        wav = folder / f"{lang}.wav"
        subprocess.run(["espeak-ng", "-v", lang, "-w", str(wav), text], check=True)
        clips[lang] = wav
    return clips


def ensure_fw_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    probe = [str(python), "-c", f"import faster_whisper; assert faster_whisper.__version__ == '{FW_VERSION}'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"installing faster-whisper=={FW_VERSION} into {venv} (throwaway venv)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"faster-whisper=={FW_VERSION}"], check=True)
    return python


def models(data_dir: Path) -> Path:
    from noxus_local.config import load_config
    from noxus_local.inference.registry import ModelRegistry

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data_dir)})
    ModelRegistry.from_config(cfg).fetch(["silero-vad", "whisper-base"])
    return data_dir / "models"


def ours(models_dir: Path, clips: dict[str, Path], threads: int, batch: int) -> dict[str, dict]:
    from noxus_local.inference.whisper import WhisperModel
    from noxus_local.speech.transcribe import transcribe

    model = WhisperModel(models_dir / "whisper-base", prefer_gpu=False, threads=threads)
    model.load()
    transcribe(clips["en"], model=model, batch_size=batch)  # warm-up, like theirs
    out = {}
    for lang, clip in clips.items():
        t0 = time.perf_counter()
        t = transcribe(clip, model=model, batch_size=batch, word_timestamps=True)
        out[lang] = {"seconds": time.perf_counter() - t0, "text": t.text, "language": t.language,
                     "duration": t.duration}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--fw-venv", type=Path, default=Path("/tmp/fw-venv"))
    args = parser.parse_args()
    fw_python = ensure_fw_venv(args.fw_venv)
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as tmp:
        folder = Path(tmp)
        clips = make_clips(folder)
        models_dir = models(folder / "data")
        mine = ours(models_dir, clips, args.threads, args.batch_size)
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        raw = subprocess.run([str(fw_python), "-c", FW_CHILD, str(models_dir / "whisper-base"), str(args.threads),
                              str(args.batch_size), json.dumps([str(clips[k]) for k in clips])],
                             capture_output=True, text=True, env=env, check=True).stdout
        theirs = json.loads(raw.strip().splitlines()[-1])
    report(mine, theirs, clips, args)


def report(mine: dict, theirs: dict, clips: dict[str, Path], args: argparse.Namespace) -> None:
    audio = sum(mine[k]["duration"] for k in clips)
    total = {"ours": sum(mine[k]["seconds"] for k in clips)}
    errors = {"ours": sum(wer(SCRIPTS[k], mine[k]["text"]) for k in clips) / len(clips)}
    for mode in ("sequential", "batched"):
        total[mode] = sum(theirs[f"{mode}:{clips[k]}"]["seconds"] for k in clips)
        errors[mode] = sum(wer(SCRIPTS[k], theirs[f"{mode}:{clips[k]}"]["text"]) for k in clips) / len(clips)
    print(f"audio: {audio:.1f} s (es + en espeak-ng narrations), whisper-base int8 CPU, beam 5, word timestamps, "
          f"{args.threads} threads, batch {args.batch_size}")
    for lang in clips:
        row = [f"{lang}: ours {mine[lang]['seconds'] / mine[lang]['duration']:.3f} RTF ({mine[lang]['language']}, "
               f"WER {wer(SCRIPTS[lang], mine[lang]['text']):.3f})"]
        for mode in ("sequential", "batched"):
            r = theirs[f"{mode}:{clips[lang]}"]
            row.append(f"fw-{mode} {r['seconds'] / mine[lang]['duration']:.3f} RTF ({r['language']}, "
                       f"WER {wer(SCRIPTS[lang], r['text']):.3f})")
        print("  " + " | ".join(row))
    for name in ("ours", "sequential", "batched"):
        label = "ours" if name == "ours" else f"faster-whisper {name}"
        print(f"{label:28s} RTF {total[name] / audio:.3f}   WER {errors[name]:.3f}")
    print(f"speed-up vs faster-whisper sequential: {total['sequential'] / total['ours']:.2f}x (target >= 2)")
    print(f"speed-up vs faster-whisper batched:    {total['batched'] / total['ours']:.2f}x (target >= 1)")
    print(f"WER ours - batched: {errors['ours'] - errors['batched']:+.3f}, ours - sequential: "
          f"{errors['ours'] - errors['sequential']:+.3f} (target <= +0.01)")


if __name__ == "__main__":
    main()
