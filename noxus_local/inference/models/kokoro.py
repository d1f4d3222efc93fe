"""Kokoro-82M (int8 ONNX, Apache-2.0): IPA phonemes + a voice's style vector → 24 kHz speech.

The graph takes ``tokens`` [1, n] int64 (the phonemes' ids in vocab.json,
wrapped in a 0 at each end), ``style`` [1, 256] (row n of the voice's 510×256
table: the style depends on the length) and ``speed`` [1]; it returns the
audio only. Inside, its duration predictor gives each token a whole number of
frames (``round(sigmoid(d).sum() / speed)`` then ``clip(min=1)``, cast to
int64) and the decoder makes 600 samples per frame: ``sum(durations) * 600 ==
len(audio)`` exactly (measured). At load that int64 tensor is found by the ops
around it (Round → Clip → Cast) and added as a second graph output in memory
(inference/engines/onnx_edit.py; the file and its sha256 stay as they are), so the
same ``session.run`` returns audio and durations and words are timed from
them (speech/synthesis.py). An export without that pattern loads unedited:
``durations_output`` is None and words fall back to an estimate.
A call takes at most 510 tokens; speech/synthesis.py splits longer text.

Voices are separate models of the manifest (``kokoro-voice-ef-dora`` holds
``ef_dora.bin``), so each can be installed on its own.

Example::

    with cache.use(Kokoro) as kokoro:
        style = load_voice(models_dir(cfg), "ef_dora")
        audio = kokoro.predict(kokoro.tokenize("ˈola"), style, speed=1.0)   # float32, 24 kHz
        audio, frames = kokoro.predict(kokoro.tokenize("ˈola"), style, durations=True)
        frames.tolist()    # [8, 2, 2, 3, 4, 1]: the pad, ˈ o l a, the pad; × 600 samples
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.model import ModelNotInstalled

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto

SAMPLE_RATE = 24_000
MAX_TOKENS = 510
STYLE_DIM = 256
FRAME_SAMPLES = 600  # samples per predicted duration frame (hop 300, the generator upsamples ×2)
log = logging.getLogger(__name__)


def find_durations(model: ModelProto) -> str | None:
    """The name of the graph's per-token duration tensor (int64 frames), or None.

    StyleTTS2/Kokoro exports compute ``round(...)`` → ``clip``/``max`` (at least 1)
    → ``cast`` to int64 before expanding the tokens over frames; the only Round
    of the graph feeding a Clip (or Max) feeding a Cast is that tensor.
    """
    nodes = model.graph.node
    consumers: dict[str, list[NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    found = [cast.output[0]
             for node in nodes if node.op_type == "Round"
             for clip in consumers.get(node.output[0], []) if clip.op_type in ("Clip", "Max")
             for cast in consumers.get(clip.output[0], []) if cast.op_type == "Cast"]
    return found[0] if len(found) == 1 else None


class Kokoro(OnnxModel):
    identity = "kokoro-82m"
    files = ("kokoro-v1.0.int8.onnx", "vocab.json")
    threads = 2  # measured: the 2-core machine's best; more threads only wait on each other

    _vocab: dict[str, int] | None = None
    durations_output: str | None = None  # set at load when the graph exposes its durations

    def _graph(self) -> Path | bytes:
        import onnx  # ~0.7 s to import: only when the model loads, not at every start

        from noxus_local.inference.engines.onnx_edit import INT64, add_outputs

        path = self.model_dir / self.files[0]
        model = onnx.load(path)
        self.durations_output = find_durations(model)
        if self.durations_output is None:
            log.warning("%s: no duration tensor found; word timings will be estimated", self.files[0])
            return path
        return add_outputs(model, {self.durations_output: INT64}).SerializeToString()

    @property
    def has_durations(self) -> bool:
        """Whether ``predict(..., durations=True)`` returns the model's own durations (loads the model)."""
        self.load()
        return self.durations_output is not None

    @property
    def vocab(self) -> dict[str, int]:
        if self._vocab is None:
            self._vocab = json.loads((self.model_dir / "vocab.json").read_text())["vocab"]
        return self._vocab

    def tokenize(self, phonemes: str) -> list[int]:
        """Ids of the phonemes Kokoro knows; others (rare espeak-ng marks) are dropped."""
        vocab = self.vocab
        return [vocab[ch] for ch in phonemes if ch in vocab]

    def _predict(self, tokens: list[int], style: np.ndarray, speed: float = 1.0, durations: bool = False) -> Any:
        """The audio; with ``durations=True``, ``(audio, frames)``: int64 frames per token of
        ``[0, *tokens, 0]`` (``FRAME_SAMPLES`` each), or None when the graph does not expose them."""
        if not tokens:
            empty = np.zeros(0, dtype=np.float32)
            return (empty, np.zeros(0, dtype=np.int64)) if durations else empty
        if len(tokens) > MAX_TOKENS:
            raise ValueError(f"{len(tokens)} tokens: Kokoro takes at most {MAX_TOKENS} per call")
        feed = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style[len(tokens)].reshape(1, STYLE_DIM).astype(np.float32),
                "speed": np.array([speed], dtype=np.float32)}
        outputs = self.session.run(None, feed)
        audio = np.asarray(outputs[0], dtype=np.float32).reshape(-1)
        if not durations:
            return audio
        frames = np.asarray(outputs[1], dtype=np.int64).reshape(-1) if len(outputs) > 1 else None
        if frames is not None and (len(frames) != len(tokens) + 2
                                   or abs(int(frames.sum()) * FRAME_SAMPLES - len(audio)) > FRAME_SAMPLES):
            frames = None  # not the tensor we took it for: estimate instead of mistiming
        return audio, frames


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
