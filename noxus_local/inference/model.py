"""The base class of every model the cache holds, whatever engine runs it.

A model is a manifest id, the files it needs in ``<data dir>/models/<id>/``
and the threads it runs best with. It opens on first use, once, under a lock;
a missing file is ``ModelNotInstalled`` (503 naming the fetch command). Which
engine opens it is the subclass's business: ``OnnxModel`` (inference/engines/onnx_runtime.py)
makes an ONNX Runtime session, ``WhisperModel`` and ``QwenGenerator`` open
CTranslate2 models. Nothing here imports an engine, so the cache and the
registry can name models without paying for numpy or onnxruntime.

Example::

    class Echo(Model):
        identity = "echo-model"
        files = ("weights.bin",)

        def _open(self) -> bytes:
            return (self.model_dir / "weights.bin").read_bytes()

    Echo(models_dir / "echo-model").load()   # the bytes; ModelNotInstalled when the file is missing
    Echo.for_id("echo-large")                # a subclass per id, so the cache keeps one instance each
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

from noxus_local.config import Config
from noxus_local.errors import ToolUnavailable
from noxus_local.locale import t


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
        return cls(t("inference_model.model_not_installed_missing", identity=identity, files=files, command=command),
                   details={"reason": "model_missing", "model": identity, "install": command,
                            "missing": missing})


# (base class, manifest id) → the subclass ``for_id`` made for it
_variants: dict[tuple[type, str], type] = {}
_variants_lock = threading.Lock()


class Model(ABC):
    """A manifest model: ``load()`` opens it once (``_open``) and returns what the engine made."""

    identity: ClassVar[str]  # the model's id in models/manifest.toml
    files: ClassVar[tuple[str, ...]]  # the files it needs in its folder
    # threads this model runs best with (0 = the engine's default); a tool running it should
    # declare as many CPU slots. ``[inference] threads`` > 0 overrides it.
    threads: ClassVar[int] = 0

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        self.model_dir = model_dir
        self.prefer_gpu = prefer_gpu
        self.session_threads = threads or type(self).threads
        self._handle: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: Config) -> Self:
        from noxus_local.inference.registry.manifest import models_dir

        return cls(models_dir(cfg) / cls.identity, cfg.inference.prefer_gpu, cfg.inference.threads)

    @classmethod
    def for_id(cls, model_id: str) -> type[Self]:
        """The class of another manifest id run the same way (e.g. ``WhisperModel.for_id("whisper-small")``):
        one class per id, so the cache keeps one instance of each."""
        if model_id == cls.identity:
            return cls
        with _variants_lock:
            key = (cls, model_id)
            if key not in _variants:
                name = cls.__name__ + "_" + model_id.replace("-", "_").replace(".", "_")
                _variants[key] = type(name, (cls,), {"identity": model_id})
            return _variants[key]

    @property
    def loaded(self) -> bool:
        return self._handle is not None

    def load(self) -> Any:
        """What ``_open`` made, opened on the first call; blocking (a worker thread, never the event loop)."""
        with self._lock:
            if self._handle is None:
                missing = self.missing_files()
                if missing:
                    raise ModelNotInstalled.for_model(self.identity, missing)
                self._handle = self._open()
        return self._handle

    def release(self) -> None:
        """Drop the engine's object (the cache's unload, or the process's exit)."""
        with self._lock:
            self._handle = None

    def missing_files(self) -> list[str]:
        return [name for name in self.files if not (self.model_dir / name).is_file()]

    @abstractmethod
    def _open(self) -> Any:
        """Open the model's files with its engine (called once, under the lock, files present)."""
