"""Kokoro-82M (int8 ONNX, Apache-2.0): IPA phonemes + a voice's style vector → 24 kHz speech.

The graph takes ``tokens`` [1, n] int64 (the phonemes' ids in vocab.json,
wrapped in a 0 at each end), ``style`` [1, 256] (row n of the voice's 510×256
table: the style depends on the length) and ``speed`` [1]; it returns the
audio only (no durations: word timings are estimated, see speech/synthesis.py).
A call takes at most 510 tokens; speech/synthesis.py splits longer text.

Voices are separate models of the manifest (``kokoro-voice-ef-dora`` holds
``ef_dora.bin``), so each can be installed on its own.

Example::

    with cache.use(Kokoro) as kokoro:
        style = load_voice(models_dir(cfg), "ef_dora")
        audio = kokoro.predict(kokoro.tokenize("ˈola"), style, speed=1.0)   # float32, 24 kHz
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.inference.session import ModelNotInstalled, OnnxModel

SAMPLE_RATE = 24_000
MAX_TOKENS = 510
STYLE_DIM = 256


class Kokoro(OnnxModel):
    identity = "kokoro-82m"
    files = ("kokoro-v1.0.int8.onnx", "vocab.json")
    threads = 2  # measured: the 2-core machine's best; more threads only wait on each other

    _vocab: dict[str, int] | None = None

    @property
    def vocab(self) -> dict[str, int]:
        if self._vocab is None:
            self._vocab = json.loads((self.model_dir / "vocab.json").read_text())["vocab"]
        return self._vocab

    def tokenize(self, phonemes: str) -> list[int]:
        """Ids of the phonemes Kokoro knows; others (rare espeak-ng marks) are dropped."""
        vocab = self.vocab
        return [vocab[ch] for ch in phonemes if ch in vocab]

    def _predict(self, tokens: list[int], style: np.ndarray, speed: float = 1.0) -> Any:
        if not tokens:
            return np.zeros(0, dtype=np.float32)
        if len(tokens) > MAX_TOKENS:
            raise ValueError(f"{len(tokens)} tokens: Kokoro takes at most {MAX_TOKENS} per call")
        feed = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style[len(tokens)].reshape(1, STYLE_DIM).astype(np.float32),
                "speed": np.array([speed], dtype=np.float32)}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32).reshape(-1)


def voice_model_id(voice: str) -> str:
    """The manifest id holding a voice: ``ef_dora`` → ``kokoro-voice-ef-dora``."""
    return "kokoro-voice-" + voice.replace("_", "-")


def voice_file(models_dir: Path, voice: str) -> Path:
    return models_dir / voice_model_id(voice) / f"{voice}.bin"


def load_voice(models_dir: Path, voice: str) -> np.ndarray:
    """The voice's style table, float32 [510, 256]; ModelNotInstalled names the fetch command."""
    path = voice_file(models_dir, voice)
    if not path.is_file():
        raise ModelNotInstalled.for_model(voice_model_id(voice), [path.name])
    return np.fromfile(path, dtype=np.float32).reshape(-1, STYLE_DIM)


def mix_voices(models_dir: Path, weights: dict[str, float]) -> np.ndarray:
    """A weighted blend of voices' style tables (weights normalised to sum 1), as Kokoro allows.

    Example: ``mix_voices(d, {"ef_dora": 0.7, "em_alex": 0.3})``.
    """
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("mix weights must sum to a positive number")
    return sum((load_voice(models_dir, v) * (w / total) for v, w in weights.items()),
               start=np.zeros((MAX_TOKENS, STYLE_DIM), dtype=np.float32))
