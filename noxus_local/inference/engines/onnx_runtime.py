"""The one ONNX Runtime session factory, and ``OnnxModel``: a model (inference/model.py) it runs.

``onnxruntime-gpu`` lists CUDA as available even on a machine without a GPU
and quietly falls back to CPU (STACK.md), so what runs is read back from the
session, never assumed from what was asked. onnxruntime is imported on first
use: starting the server or the CLI must not pay for it.

Example::

    info = create_session(Path("silero_vad.onnx"), prefer_gpu=True, threads=2)
    info.providers_used        # ["CPUExecutionProvider"] on a machine without CUDA

    class Tagger(OnnxModel):
        identity = "efficientnet-lite0"     # the manifest id
        files = ("model.onnx",)

        def _predict(self, image):
            return self.session.run(None, {"input": image})[0]

    Tagger.from_config(cfg).predict(image)   # loads on first call
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.inference.model import Model, ModelNotInstalled

__all__ = ["CPU", "CUDA", "Model", "ModelNotInstalled", "OnnxModel", "SessionInfo", "create_session"]

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
ORT_DEFAULT_SEVERITY = 2  # warnings
log = logging.getLogger(__name__)

# ONNX Runtime's default logger is process-wide: silencing it around one
# session's creation must not un-silence it under another's
_creating = threading.Lock()


@dataclass(frozen=True)
class SessionInfo:
    session: Any  # onnxruntime.InferenceSession
    providers_used: list[str]

    @property
    def on_gpu(self) -> bool:
        return self.providers_used[0] == CUDA


def requested_providers(available: list[str], prefer_gpu: bool) -> list[str]:
    return [CUDA, CPU] if prefer_gpu and CUDA in available else [CPU]


def create_session(model_path: Path | str | bytes, prefer_gpu: bool = True, threads: int | None = None) -> SessionInfo:
    """A session on CUDA when it really works, else CPU; ``threads`` 0 or None = ONNX Runtime's default."""
    import onnxruntime as ort

    wanted = requested_providers(ort.get_available_providers(), prefer_gpu)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    model = model_path if isinstance(model_path, bytes) else str(model_path)
    with _creating:
        # a CUDA provider that cannot load prints two C++ error lines, then falls back;
        # the warning below says the same in one line
        ort.set_default_logger_severity(4)
        try:
            session = ort.InferenceSession(model, options, providers=wanted)
        finally:
            ort.set_default_logger_severity(ORT_DEFAULT_SEVERITY)
    used = list(session.get_providers())
    if used[0] != wanted[0]:
        name = "in-memory model" if isinstance(model_path, bytes) else Path(model_path).name
        log.warning("%s: %s requested but the session runs on %s (see `noxus-local doctor`)",
                    name, wanted[0], used[0])
    return SessionInfo(session, used)


class OnnxModel(Model):
    """A model run by ONNX Runtime: ``files[0]`` is the graph; the session is made on the first
    ``predict`` (``load`` returns its ``SessionInfo``)."""

    def _open(self) -> SessionInfo:
        return create_session(self._graph(), self.prefer_gpu, self.session_threads)

    def load(self) -> SessionInfo:
        info: SessionInfo = super().load()
        return info

    @property
    def session(self) -> Any:
        return self.load().session

    def _graph(self) -> Path | bytes:
        """What the session is made from: the first file, or (overridden) its bytes edited in memory."""
        return self.model_dir / self.files[0]

    def predict(self, *inputs: Any, **kwargs: Any) -> Any:
        """Blocking: call it from a worker thread or an executor, never the event loop."""
        self.load()
        return self._predict(*inputs, **kwargs)

    @abstractmethod
    def _predict(self, *inputs: Any, **kwargs: Any) -> Any: ...
