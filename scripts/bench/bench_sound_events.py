"""The laughter/applause detector (clips/sound_events.py): hits, false positives and cost.

Soundtracks built as the tests build them (tests/sound_samples.py): the positives are synthesised
applause after a narration and espeak-ng "ha" bursts at 5 Hz; the negatives are every test narration
(tests/clip_samples.py SCRIPT and SPANISH read by espeak-ng, and by Kokoro when ``--kokoro``), music
and a steady hiss. Printed: the seconds flagged on the negatives over their length (the false-positive
rate), the share of each positive flagged, and the detector's seconds per minute of audio against the
level track the tool computes anyway (``levels_db``), measured in the same run (``ratio``).

Example::

    PYTHONPATH=. .venv/bin/python scripts/bench/bench_sound_events.py            # ~20 s
    PYTHONPATH=. .venv/bin/python scripts/bench/bench_sound_events.py --kokoro   # + Kokoro narration
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from noxus_local.clips.signals import levels_db
from noxus_local.clips.sound_events import EventSpans, detect_events
from tests.clip_samples import SCRIPT, SPANISH
from tests.sound_samples import RATE, applause, laughter, music, narration


def flagged(spans: EventSpans) -> float:
    return sum(b - a for a, b in spans.applause + spans.laughter)


def best_of(fn: object, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kokoro", action="store_true", help="also Kokoro's narration (models from the shared cache)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        negatives: dict[str, np.ndarray] = {}
        for n, seg in enumerate(SCRIPT):
            negatives[f"espeak-en-{n}"] = narration(seg.text, folder, "en", f"en{n}.wav")
        for n, seg in enumerate(SPANISH):
            negatives[f"espeak-es-{n}"] = narration(seg.text, folder, "es", f"es{n}.wav")
        if args.kokoro:
            from noxus_local.config import load_config
            from noxus_local.inference.registry.installed import ModelRegistry
            from tests.sound_samples import kokoro_narration

            cfg = load_config(None, {"NOXUS_DATA_DIR": str(folder / "data")})
            ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-af-heart", "kokoro-voice-ef-dora"])
            for n, seg in enumerate(SCRIPT):
                negatives[f"kokoro-en-{n}"] = kokoro_narration(seg.text, cfg)
            for n, seg in enumerate(SPANISH):
                negatives[f"kokoro-es-{n}"] = kokoro_narration(seg.text, cfg, "ef_dora", "es")
        negatives["music"] = music(20.0)
        negatives["hiss"] = np.random.default_rng(1).normal(0, 0.1, 10 * RATE).astype(np.float32)
        talk = negatives["espeak-en-1"]
        positives = {"applause": (np.concatenate([talk, applause(4.0)]), "applause", len(talk) / RATE, 4.0),
                     "laughter": (np.concatenate([talk, laughter(4.0, folder)]), "laughter", len(talk) / RATE, 4.0)}
        seconds = sum(len(x) for x in negatives.values()) / RATE
        false = {name: flagged(detect_events(x)) for name, x in negatives.items()}
        print(f"negatives: {len(negatives)} soundtracks, {seconds:.1f} s; flagged {sum(false.values()):.2f} s "
              f"(false-positive rate {sum(false.values()) / seconds:.4f}); "
              + ", ".join(f"{k}={v:.2f}" for k, v in false.items() if v))
        for name, (pcm, kind, start, length) in positives.items():
            spans = detect_events(pcm)
            inside = spans.inside(start, start + length)[f"{kind}_s"]
            print(f"{name}: {float(inside) / length:.2f} of the {length:.0f} s flagged as {kind}; "
                  f"other seconds flagged: {flagged(spans) - float(inside):.2f}")
        minute = np.concatenate(list(negatives.values()) + [p[0] for p in positives.values()])[: 60 * RATE]
        minute = np.pad(minute, (0, max(0, 60 * RATE - len(minute))))
        base = best_of(lambda: levels_db(minute))
        ours = best_of(lambda: detect_events(minute))
        print(f"detector s per min of audio={ours:.3f}  baseline levels_db={base:.4f}  ratio={ours / base:.1f}")


if __name__ == "__main__":
    main()
