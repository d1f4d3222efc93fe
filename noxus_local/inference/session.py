"""The one ONNX Runtime session factory, and the base class of every model.

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
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from noxus_local.config import Config
from noxus_local.errors import Text, ToolUnavailable

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
ORT_DEFAULT_SEVERITY = 2  # warnings
log = logging.getLogger(__name__)

# ONNX Runtime's default logger is process-wide: silencing it around one
# session's creation must not un-silence it under another's
_creating = threading.Lock()


class ModelNotInstalled(ToolUnavailable):
    """A model whose files are not in the data dir; the message says how to fetch them.

    No path in it: the message and details reach API responses.
    Example: ``details == {"reason": "model_missing", "model": "silero-vad",
    "install": "noxus-local models fetch silero-vad", "missing": ["silero_vad.onnx"]}``.
    """

    @classmethod
    def for_model(cls, identity: str, missing: list[str]) -> ModelNotInstalled:
        command = f"noxus-local models fetch {identity}"
        files = ", ".join(missing)
        return cls(Text(f"el modelo {identity} no está instalado (falta {files}); instálalo con `{command}`",
                        f"model {identity} is not installed ({files} missing); install it with `{command}`"),
                   details={"reason": "model_missing", "model": identity, "install": command,
                            "missing": missing})


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


class OnnxModel(ABC):
    """A model of the manifest: its files sit in ``<data dir>/models/<identity>/``;
    the session is created on the first ``predict``, once, under a lock."""

    identity: ClassVar[str]  # the model's id in models/manifest.toml
    files: ClassVar[tuple[str, ...]]  # its files; the first is the ONNX graph
    # intra-op threads this model runs best with (0 = ONNX Runtime's default); a tool
    # running it should declare as many CPU slots. ``[inference] threads`` > 0 overrides it.
    threads: ClassVar[int] = 0

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        self.model_dir = model_dir
        self.prefer_gpu = prefer_gpu
        self.session_threads = threads or type(self).threads
        self._info: SessionInfo | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: Config) -> Self:
        from noxus_local.inference.registry import models_dir

        return cls(models_dir(cfg) / cls.identity, cfg.inference.prefer_gpu, cfg.inference.threads)

    @property
    def loaded(self) -> bool:
        return self._info is not None

    @property
    def session(self) -> Any:
        return self.load().session

    def load(self) -> SessionInfo:
        with self._lock:
            if self._info is None:
                missing = [name for name in self.files if not (self.model_dir / name).is_file()]
                if missing:
                    raise ModelNotInstalled.for_model(self.identity, missing)
                self._info = create_session(self._graph(), self.prefer_gpu, self.session_threads)
        return self._info

    def _graph(self) -> Path | bytes:
        """What the session is made from: the first file, or (overridden) its bytes edited in memory."""
        return self.model_dir / self.files[0]

    def predict(self, *inputs: Any, **kwargs: Any) -> Any:
        """Blocking: call it from a worker thread or an executor, never the event loop."""
        self.load()
        return self._predict(*inputs, **kwargs)

    @abstractmethod
    def _predict(self, *inputs: Any, **kwargs: Any) -> Any: ...
