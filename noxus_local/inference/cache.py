"""The model cache: a model's weights load once per process and every job shares them.

Modelled on immich machine-learning's ModelCache: one entry per model id,
loaded on first use under that model's own lock (eight threads asking at once
cause one load; loading Whisper never blocks a VAD job), kept while jobs use
it, and unloaded after ``[inference] idle_unload_seconds`` without use (the
upkeep thread calls ``sweep``). ``[inference] preload`` loads models at start
so the first job does not pay the load. Thread counts are the model class's
(``Model.threads``) unless ``[inference] threads`` overrides them.

A model whose files are missing raises ``ModelNotInstalled`` (503
``tool_unavailable``) naming the exact ``noxus-local models fetch <id>``.

Example::

    cache = ModelCache(cfg)
    with cache.use(SileroVad) as vad:       # a job: held, so never unloaded under it
        vad.speech_segments(pcm)
    cache.get(SileroVad) is cache.get(SileroVad)   # True: one instance per process
    cache.sweep()                           # unload what has been idle too long
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from noxus_local.config import Config
from noxus_local.errors import ConfigError
from noxus_local.inference.model import Model, ModelNotInstalled

log = logging.getLogger("noxus_local.inference.cache")
M = TypeVar("M", bound=Model)

# manifest id → the class that runs it, imported only when preloaded (numpy, onnxruntime)
MODEL_CLASSES: dict[str, str] = {"silero-vad": "noxus_local.inference.models.vad:SileroVad",
                                 "whisper-base": "noxus_local.inference.models.whisper:WhisperModel",
                                 "open-nsfw": "noxus_local.inference.models.open_nsfw:OpenNsfw",
                                 "nudenet-320n": "noxus_local.inference.models.nudenet:NudeNet",
                                 "centerface": "noxus_local.inference.models.centerface:CenterFace",
                                 "ppocr-v6-tiny": "noxus_local.inference.models.ppocr:PpOcr",
                                 "efficientnet-lite0": "noxus_local.inference.models.efficientnet:EfficientNetLite0",
                                 "qwen2.5-coder-1.5b-instruct": "noxus_local.inference.models.qwen:QwenGenerator"}


@dataclass
class _Entry:
    model: Model | None = None
    last_used: float = 0.0
    in_use: int = 0
    loads: int = 0
    unloads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class ModelCache:
    def __init__(self, cfg: Config, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._guard = threading.Lock()

    def get(self, model_cls: type[M]) -> M:
        """The shared, loaded instance; loads it on first call (blocking: a worker thread)."""
        entry = self._entry(model_cls.identity)
        with entry.lock:
            if entry.model is None:
                started = time.perf_counter()
                model = model_cls.from_config(self.cfg)
                model.load()  # ModelNotInstalled names the fetch command
                entry.model, entry.loads = model, entry.loads + 1
                log.info("model %s loaded in %.2f s", model_cls.identity, time.perf_counter() - started)
            entry.last_used = self.clock()
            return entry.model  # type: ignore[return-value]  # an entry holds its class's model

    @contextmanager
    def use(self, model_cls: type[M]) -> Iterator[M]:
        """The model, held for the block: ``sweep`` never unloads a model a job is using."""
        entry = self._entry(model_cls.identity)
        with entry.lock:
            entry.in_use += 1
        try:
            yield self.get(model_cls)
        finally:
            with entry.lock:
                entry.in_use -= 1
                entry.last_used = self.clock()

    def sweep(self, now: float | None = None) -> list[str]:
        """Unload models unused for ``idle_unload_seconds`` (0 = never); returns their ids."""
        ttl = self.cfg.inference.idle_unload_seconds
        if ttl <= 0:
            return []
        now = self.clock() if now is None else now
        unloaded = []
        for identity, entry in self._snapshot():
            with entry.lock:
                if entry.model is not None and not entry.in_use and now - entry.last_used >= ttl:
                    entry.model, entry.unloads = None, entry.unloads + 1
                    unloaded.append(identity)
        for identity in unloaded:
            log.info("model %s unloaded after %.0f s idle", identity, ttl)
        return unloaded

    def preload(self, ids: list[str]) -> list[str]:
        """Load these models now (start-up); a missing one is a warning, an unknown id a ConfigError."""
        loaded = []
        for identity in ids:
            try:
                self.get(model_class(identity))
            except ModelNotInstalled as exc:
                log.warning("preload: %s", exc)
                continue
            loaded.append(identity)
        return loaded

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per model id: loaded now, loads and unloads so far, jobs using it now."""
        return {identity: {"loaded": e.model is not None, "loads": e.loads, "unloads": e.unloads,
                           "in_use": e.in_use} for identity, e in self._snapshot()}

    def _entry(self, identity: str) -> _Entry:
        with self._guard:
            return self._entries.setdefault(identity, _Entry())

    def _snapshot(self) -> list[tuple[str, _Entry]]:
        with self._guard:
            return list(self._entries.items())


def model_class(identity: str) -> type[Model]:
    """The class that runs a manifest model id, e.g. ``model_class("silero-vad")`` → SileroVad."""
    target = MODEL_CLASSES.get(identity)
    if target is None:
        known = ", ".join(sorted(MODEL_CLASSES))
        raise ConfigError(f"inference.preload: unknown model {identity!r} (known: {known})")
    module, _, name = target.partition(":")
    cls: type[Model] = getattr(importlib.import_module(module), name)
    return cls
