"""Piper (VITS, ONNX): espeak-ng IPA phonemes → speech, here its English voice ``en_US-joe-medium``.

The graph takes ``input`` [1, n] int64 (phoneme ids from the voice's
``.onnx.json`` ``phoneme_id_map``, Piper's layout: ``^`` first, ``$`` last, the
pad ``_`` after every phoneme), ``input_lengths`` [1] and ``scales`` [3] =
[noise_scale, length_scale, noise_w] (the json's ``inference`` values; speed
divides the length scale). It returns [1, 1, 1, samples] at the voice's rate
(22,050 Hz for joe-medium); ``predict`` resamples to 24 kHz (FFT, whole piece)
so the rest of the speech code — pauses, streaming, /v1/audio/speech's pcm —
has one rate for every voice model. It has the same ``tokenize``/``predict``
shape as ``Kokoro``, so speech/synthesis.py drives both (the style is unused).

Example::

    with cache.use(PiperJoe) as piper:
        audio = piper.predict(piper.tokenize("həlˈoʊ."), None, speed=1.0)   # float32, 24 kHz
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.models.kokoro import SAMPLE_RATE


class PiperJoe(OnnxModel):
    identity = "piper-en-us-joe"
    files = ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json")
    threads = 2

    _config: dict[str, Any] | None = None

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = json.loads((self.model_dir / self.files[1]).read_text())
        return self._config

    def tokenize(self, phonemes: str) -> list[int]:
        """One id per phoneme the voice knows (others dropped); ``predict`` adds ^, $ and the pads."""
        ids = self.config["phoneme_id_map"]
        return [ids[ch][0] for ch in phonemes if ch in ids]

    def _predict(self, tokens: list[int], style: Any = None, speed: float = 1.0) -> Any:
        if not tokens:
            return np.zeros(0, dtype=np.float32)
        ids, pad = self.config["phoneme_id_map"], self.config["phoneme_id_map"]["_"][0]
        sequence = [ids["^"][0], pad]
        for token in tokens:
            sequence += [token, pad]
        sequence.append(ids["$"][0])
        scales = self.config["inference"]
        feed = {"input": np.array([sequence], dtype=np.int64),
                "input_lengths": np.array([len(sequence)], dtype=np.int64),
                "scales": np.array([scales["noise_scale"], scales["length_scale"] / speed, scales["noise_w"]],
                                   dtype=np.float32)}
        audio = np.asarray(self.session.run(None, feed)[0], dtype=np.float32).reshape(-1)
        return resample(audio, int(self.config["audio"]["sample_rate"]), SAMPLE_RATE)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling of a whole piece by FFT (a sentence starts and ends in silence,
    so treating it as periodic costs nothing audible).

    Example: ``len(resample(np.zeros(22050), 22050, 24000)) == 24000``.
    """
    if rate == target or not len(audio):
        return audio.astype(np.float32)
    n_out = round(len(audio) * target / rate)
    spectrum = np.fft.rfft(audio)
    out = np.zeros(n_out // 2 + 1, dtype=spectrum.dtype)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n_out) * (n_out / len(audio))).astype(np.float32)
