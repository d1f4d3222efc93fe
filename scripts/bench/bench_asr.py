"""Our speech recognition vs faster-whisper on the same audio, model files and thread count, in one run.

Two ~60 s espeak-ng narrations (Spanish and English, known scripts) are
transcribed by ``noxus_local.speech.asr`` (batched VAD windows) and by
faster-whisper, sequential (``WhisperModel.transcribe``, VAD on) and batched
(``BatchedInferencePipeline``), all loading the same ctranslate2 whisper-base
folder, int8, beam 5, word timestamps, language detected. faster-whisper
pulls the onnxruntime CPU package, so it is installed by this script into a
throwaway venv (``--fw-venv``, default /tmp/fw-venv) and run there as a child
process that stays up and takes one run per line. After a warm-up run of each,
``--rounds`` rounds run ours, sequential and batched on each clip in turn
(interleaved, so outside load falls on all three alike) and the best of the
rounds is kept. Printed: the real-time factor (processing seconds / audio
seconds) of each, CPU seconds per audio second (this process / the child's,
all threads: steadier than wall time on a shared machine), our speed-up over
each, and the word error rate of each against the script (lower-cased,
punctuation removed, a plain edit distance).

Settings, the same on every side: whisper-base int8 on CPU, ``--threads``
(2), ``--beam-size`` (5: faster-whisper's default in both modes), word
timestamps, language detected, VAD on (sequential: ``vad_filter=True`` with
its default VAD options; batched and ours: 160 ms silences, 400 ms pad),
``--batch-size`` (8) for ours and batched, temperature fallback on for all.
The 2 threads are used as each engine uses them: faster-whisper runs one
ctranslate2 replica with ``cpu_threads=2`` (its ``num_workers`` only serves
several ``transcribe`` calls at once, not one file); ours runs two
one-threaded replicas side by side on one file's batches (speech/batches.py).

Example::

    .venv/bin/python scripts/bench/bench_asr.py                 # ~5 min on 2 idle cores
    .venv/bin/python scripts/bench/bench_asr.py --rounds 1 --beam-size 1
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
model_dir, threads, batch, beam = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
batched = BatchedInferencePipeline(model)

def run(mode, clip):
    if mode == "sequential":  # its defaults but VAD on (as ours), beam and word timestamps as ours
        segs, info = model.transcribe(clip, beam_size=beam, word_timestamps=True, vad_filter=True)
    else:  # its defaults (VAD on, no timestamp tokens, temperature fallback), beam, batch as ours
        segs, info = batched.transcribe(clip, beam_size=beam, word_timestamps=True, batch_size=batch)
    return " ".join(s.text.strip() for s in segs), info.language

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:  # one request per line: {"mode", "clip"}; one answer per line
    req = json.loads(line)
    t0, c0 = time.perf_counter(), time.process_time()
    text, language = run(req["mode"], req["clip"])
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "text": text,
                      "language": language}), flush=True)
'''
MODES = ("ours", "sequential", "batched")


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
    from noxus_local.speech.espeak_process import speak_wav

    clips = {}
    for lang, text in SCRIPTS.items():
        wav = folder / f"{lang}.wav"
        speak_wav(text, lang, wav)  # the espeak-ng library the package carries, not a system program
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
    from noxus_local.inference.registry.installed import ModelRegistry

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data_dir)})
    ModelRegistry.from_config(cfg).fetch(["silero-vad", "whisper-base"])
    return data_dir / "models"


class Ours:
    """Our pipeline in this process, on the same model folder, threads, batch and beam as theirs."""

    def __init__(self, models_dir: Path, threads: int, batch: int, beam: int) -> None:
        from noxus_local.inference.models.whisper import WhisperModel

        self.model = WhisperModel(models_dir / "whisper-base", prefer_gpu=False, threads=threads)
        self.model.load()
        self.batch, self.beam = batch, beam

    def __call__(self, clip: Path) -> dict:
        from noxus_local.speech.asr import transcribe

        t0, c0 = time.perf_counter(), time.process_time()
        t = transcribe(clip, model=self.model, batch_size=self.batch, beam_size=self.beam, word_timestamps=True)
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "text": t.text,
                "language": t.language, "duration": t.duration}


class Theirs:
    """faster-whisper in its throwaway venv, one long-lived child: one JSON line per run."""

    def __init__(self, fw_python: Path, models_dir: Path, threads: int, batch: int, beam: int) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        self.proc = subprocess.Popen([str(fw_python), "-c", FW_CHILD, str(models_dir / "whisper-base"),
                                      str(threads), str(batch), str(beam)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert json.loads(self._line())["ready"]

    def _line(self) -> str:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the faster-whisper child exited")
            if line.startswith("{"):
                return line

    def __call__(self, mode: str, clip: Path) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"mode": mode, "clip": str(clip)}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._line())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--fw-venv", type=Path, default=Path("/tmp/fw-venv"))
    args = parser.parse_args()
    fw_python = ensure_fw_venv(args.fw_venv)
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as tmp:
        folder = Path(tmp)
        clips = make_clips(folder)
        models_dir = models(folder / "data")
        ours = Ours(models_dir, args.threads, args.batch_size, args.beam_size)
        theirs = Theirs(fw_python, models_dir, args.threads, args.batch_size, args.beam_size)
        first = next(iter(clips.values()))
        ours(first), theirs("sequential", first), theirs("batched", first)  # warm-up: allocator, batch shapes
        runs: dict[tuple[str, str], list[dict]] = {}
        for _ in range(args.rounds):  # interleaved: outside load falls on all three alike
            for lang, clip in clips.items():
                for mode in MODES:
                    r = ours(clip) if mode == "ours" else theirs(mode, clip)
                    runs.setdefault((mode, lang), []).append(r)
        theirs.close()
        durations = {lang: ours(clip)["duration"] for lang, clip in clips.items()}
    report(runs, durations, args)


def report(runs: dict[tuple[str, str], list[dict]], durations: dict[str, float], args: argparse.Namespace) -> None:
    """Best of the rounds (wall and CPU seconds, each its own minimum), per clip and in total."""
    audio = sum(durations.values())
    best = {k: {"seconds": min(r["seconds"] for r in v), "cpu": min(r["cpu"] for r in v), "text": v[0]["text"],
                "language": v[0]["language"]} for k, v in runs.items()}
    print(f"audio: {audio:.1f} s (es + en espeak-ng narrations); every engine: the same whisper-base folder, "
          f"int8 CPU, {args.threads} threads, beam {args.beam_size}, word timestamps, language detected, VAD on; "
          f"batch {args.batch_size} for ours and fw-batched; best of {args.rounds} interleaved rounds")
    total, cpu, errors = {}, {}, {}
    for mode in MODES:
        total[mode] = sum(best[(mode, lang)]["seconds"] for lang in durations)
        cpu[mode] = sum(best[(mode, lang)]["cpu"] for lang in durations)
        errors[mode] = sum(wer(SCRIPTS[lang], best[(mode, lang)]["text"]) for lang in durations) / len(durations)
    for lang, duration in durations.items():
        row = []
        for mode in MODES:
            r = best[(mode, lang)]
            row.append(f"{mode} {r['seconds'] / duration:.3f} RTF ({r['language']}, "
                       f"WER {wer(SCRIPTS[lang], r['text']):.3f})")
        print(f"  {lang}: " + " | ".join(row))
    for mode in MODES:
        label = "ours" if mode == "ours" else f"faster-whisper {mode}"
        print(f"{label:28s} RTF {total[mode] / audio:.3f}  CPU-s/audio-s {cpu[mode] / audio:.3f}  "
              f"WER {errors[mode]:.3f}")
    for mode, target in (("sequential", 2), ("batched", 1)):
        print(f"speed-up vs faster-whisper {mode + ':':11s} {total[mode] / total['ours']:.2f}x wall, "
              f"{cpu[mode] / cpu['ours']:.2f}x CPU (target >= {target})")
    print(f"WER ours - batched: {errors['ours'] - errors['batched']:+.3f}, ours - sequential: "
          f"{errors['ours'] - errors['sequential']:+.3f} (target <= +0.01)")


if __name__ == "__main__":
    main()
