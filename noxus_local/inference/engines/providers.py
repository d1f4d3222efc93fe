"""Which ONNX Runtime providers really run, tested with a model built in memory.

``onnxruntime-gpu`` lists CUDA and TensorRT as "available" even on a machine
with no GPU, and a session asked for them silently falls back to CPU
(STACK.md). So each provider gets a real session on a one-node model
(``Y = X + X``), and counts only if the session kept it and the answer is right.

The model is a few dozen bytes built with ``onnx.helper`` when the probe runs.

Example::

    [(p.provider, p.usable) for p in probe_providers()]
    # [("CUDAExecutionProvider", False), ("CPUExecutionProvider", True)]
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from noxus_local.config import Config

log = logging.getLogger("noxus_local.inference.engines.providers")

SHAPE = (1, 4)


@dataclass(frozen=True)
class ProviderProbe:
    provider: str
    usable: bool
    detail: str


def probe_providers() -> list[ProviderProbe]:
    """One probe per provider ONNX Runtime lists; raises ImportError without onnxruntime."""
    import onnxruntime as ort

    # a provider that falls back prints C++ error lines (stderr) and Python "EP Error"
    # lines (stdout); the probe's verdict says the same in one line
    ort.set_default_logger_severity(4)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return [probe(ort, name) for name in ort.get_available_providers()]
    finally:
        ort.set_default_logger_severity(2)  # ONNX Runtime's default: warnings


def probe(ort: object, provider: str) -> ProviderProbe:
    import numpy as np

    options = ort.SessionOptions()  # type: ignore[attr-defined]
    options.log_severity_level = 4  # the fallback prints C++ error lines otherwise
    chain = [provider] if provider == "CPUExecutionProvider" else [provider, "CPUExecutionProvider"]
    try:
        session = ort.InferenceSession(add_model(), options, providers=chain)  # type: ignore[attr-defined]
        x = np.arange(4, dtype=np.float32).reshape(SHAPE)
        (y,) = session.run(["Y"], {"X": x})
    except Exception as exc:  # a provider whose libraries are missing raises here
        return ProviderProbe(provider, False, f"session failed: {str(exc).splitlines()[0][:160]}")
    active = session.get_providers()[0]
    if active != provider:
        return ProviderProbe(provider, False, f"listed but not usable: the session fell back to {active}"
                                             " (no GPU, or its CUDA/cuDNN/TensorRT libraries are missing)")
    if not np.array_equal(y, x + x):
        return ProviderProbe(provider, False, "ran but gave a wrong answer")
    return ProviderProbe(provider, True, "ran a test model")


def add_model() -> bytes:
    """ONNX ``ModelProto`` bytes for ``Y = Add(X, X)``, float32 [1, 4], opset 13 (built with ``onnx.helper``)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Add", ["X", "X"], ["Y"], name="add")], "probe",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, SHAPE)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, SHAPE)])
    model = helper.make_model(graph, producer_name="noxus-local", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return bytes(model.SerializeToString())


def usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def working_gpus(prefer_gpu: bool) -> int:
    """1 when ONNX Runtime really runs CUDA here (inference.probe), else 0.

    One slot per machine: the probe knows that CUDA works, not how many
    devices there are; set ``[compute] gpu_slots`` for more.
    """
    if not prefer_gpu:
        return 0
    try:
        import onnxruntime as ort

        if "CUDAExecutionProvider" not in ort.get_available_providers():
            return 0
        usable = any(p.usable for p in probe_providers() if p.provider == "CUDAExecutionProvider")
    except Exception:  # no onnxruntime, or a broken CUDA install: no GPU slots
        log.warning("GPU probe failed; no GPU slots", exc_info=True)
        return 0
    return 1 if usable else 0


def slot_sources(cfg: Config) -> dict[str, int | Callable[[], int]]:
    """The compute pool's size per resource: ``[compute] cpu_slots`` (0 = usable cores) and
    ``gpu_slots`` (-1 = probe CUDA, lazily: CPU-only work never pays for the probe).

    Example: ``slot_sources(cfg)`` → ``{"cpu": 2, "gpu": <probe>}``; doctor and the pool both read it.
    """
    cpu = cfg.compute.cpu_slots or usable_cores()
    if cfg.compute.gpu_slots >= 0:
        return {"cpu": cpu, "gpu": cfg.compute.gpu_slots}
    return {"cpu": cpu, "gpu": functools.partial(working_gpus, cfg.inference.prefer_gpu)}
