"""Voice activity: Silero VAD v6 (ONNX, MIT), where speech is in 16 kHz mono audio.

The graph takes one 512-sample window at a time, preceded by the last 64
samples of the window before (its "context"), plus a recurrent state
``[2, 1, 128]`` and the sample rate; it returns the window's speech
probability and the next state. The thresholds and the segment rules are
those of silero-vad's ``get_speech_timestamps`` (without its optional cut of
long segments).

Example::

    vad = SileroVad.from_config(cfg)
    vad.speech_segments(pcm)      # [(1.02, 2.46)]: seconds; pcm is float32 in [-1, 1] at 16 kHz
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noxus_local.inference.engines.onnx_runtime import OnnxModel

SAMPLE_RATE = 16_000
WINDOW = 512  # samples per probability: 32 ms
CONTEXT = 64
INPUTS = ["input", "state", "sr"]


class SileroVad(OnnxModel):
    identity = "silero-vad"
    files = ("silero_vad.onnx",)
    threads = 1  # one 32 ms window at a time: more threads only add hand-off cost

    def speech_segments(self, pcm16k: np.ndarray, threshold: float = 0.5, neg_threshold: float = 0.35,
                        min_speech_ms: int = 250, min_silence_ms: int = 100,
                        speech_pad_ms: int = 30) -> list[tuple[float, float]]:
        """(start, end) seconds of each stretch of speech."""
        probs = self.predict(pcm16k)
        spans = segments_from_probs(probs, len(pcm16k), threshold, neg_threshold,
                                    min_speech_ms * SAMPLE_RATE // 1000, min_silence_ms * SAMPLE_RATE // 1000,
                                    speech_pad_ms * SAMPLE_RATE // 1000)
        return [(round(start / SAMPLE_RATE, 3), round(end / SAMPLE_RATE, 3)) for start, end in spans]

    def _predict(self, pcm16k: Any) -> np.ndarray:
        """One speech probability per 512-sample window (the last one zero-padded)."""
        session = self.session
        names = [i.name for i in session.get_inputs()]
        if names != INPUTS:
            raise RuntimeError(f"{self.identity}: unexpected model inputs {names}, expected {INPUTS}")
        audio = np.asarray(pcm16k, dtype=np.float32).reshape(-1)
        windows = -(-len(audio) // WINDOW)
        padded = np.zeros(CONTEXT + windows * WINDOW, dtype=np.float32)  # zeros = the first window's context
        padded[CONTEXT:CONTEXT + len(audio)] = audio
        state = np.zeros((2, 1, 128), dtype=np.float32)
        rate = np.array(SAMPLE_RATE, dtype=np.int64)
        probs = np.empty(windows, dtype=np.float32)
        for i in range(windows):
            chunk = padded[i * WINDOW:(i + 1) * WINDOW + CONTEXT][np.newaxis, :]
            out, state = session.run(None, {"input": chunk, "state": state, "sr": rate})
            probs[i] = out[0, 0]
        return probs


def segments_from_probs(probs: np.ndarray, total: int, threshold: float, neg_threshold: float,
                        min_speech: int, min_silence: int, pad: int) -> list[tuple[int, int]]:
    """Sample spans: speech starts at a window >= threshold and ends after
    ``min_silence`` samples below ``neg_threshold``; spans shorter than
    ``min_speech`` are dropped; each is padded, without overlapping the next."""
    spans: list[tuple[int, int]] = []
    start, silence_from = None, 0
    for i, prob in enumerate(probs):
        sample = i * WINDOW
        if prob >= threshold:
            silence_from = 0
            if start is None:
                start = sample
        elif prob < neg_threshold and start is not None:
            silence_from = silence_from or sample
            if sample - silence_from >= min_silence:
                if silence_from - start > min_speech:
                    spans.append((start, silence_from))
                start, silence_from = None, 0
    if start is not None and total - start > min_speech:
        spans.append((start, total))
    return _pad(spans, total, pad)


def _pad(spans: list[tuple[int, int]], total: int, pad: int) -> list[tuple[int, int]]:
    """Widen each span by ``pad``; a gap narrower than two pads is split in the middle."""
    out = [list(span) for span in spans]
    for i, span in enumerate(out):
        if i == 0:
            span[0] = max(0, span[0] - pad)
        if i == len(out) - 1:
            span[1] = min(total, span[1] + pad)
            continue
        gap = out[i + 1][0] - span[1]
        half = gap // 2 if gap < 2 * pad else pad
        span[1] += half
        out[i + 1][0] = max(0, out[i + 1][0] - half)
    return [(a, b) for a, b in out]
