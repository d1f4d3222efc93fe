"""Qwen2.5-Coder on CTranslate2: the converted model (``models fetch qwen2.5-coder-*``) and its tokenizer.

A model class for ``inference/cache.py``'s ModelCache (one instance per
process, loaded under a lock, unloaded when idle), like ``WhisperModel``:
int8 on CPU; float16 on CUDA only after one real generated token there (a
CUDA build without a usable GPU falls back to CPU, and the log says so).
``QwenGenerator.for_id("qwen2.5-coder-0.5b-instruct")`` is the class of the
other size. The chat itself (template, sampling, streaming) is
``generate/llm/embedded.py``'s.

Seeds: CTranslate2 4.8 samples with one ``std::mt19937`` per worker thread,
seeded from the process-wide ``set_random_seed`` value the first time that
thread samples, and never again. So the loaded model's worker is seeded once,
at load, with ``LOAD_SEED`` (a sampled token under ``SEED_LOCK``: a fresh
process answers the same), and ``seeded_steps`` samples a request's own seed
on a fresh ``Generator`` of the same files (one worker thread that has never
sampled): it costs a model load per call (README "Text generation": 4 to 8 s
for the 0.5B, 19 s for the 1.5B on 2 busy cores) and that model's memory while it runs; when the
memory available cannot hold it, the call is refused with 503 ``server_busy``.

Example::

    with cache.use(QwenGenerator) as qwen:
        qwen.generator.generate_tokens(qwen.tokenizer.encode("<|im_start|>user\nHola<|im_end|>\n").tokens)
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from noxus_local.inference.model import Model
from noxus_local.locale import t

log = logging.getLogger(__name__)
LOAD_SEED = 0
# ctranslate2's seed is one global read by a worker thread at its first sample: set it and sample under this
SEED_LOCK = threading.Lock()
# A Generator destroyed during interpreter shutdown after generate_tokens aborts the process ("terminate
# called without an active exception", 3 exits in 8 here); released at exit, before finalisation, it never did
_loaded: weakref.WeakSet[QwenGenerator] = weakref.WeakSet()


@atexit.register
def _release_all() -> None:
    for model in list(_loaded):
        model.release()


class QwenGenerator(Model):
    """A converted Qwen2 chat model (``models fetch qwen2.5-coder-*``) and its tokenizer."""

    identity: ClassVar[str] = "qwen2.5-coder-1.5b-instruct"
    files: ClassVar[tuple[str, ...]] = ("model.bin", "config.json", "vocabulary.json", "tokenizer.json")
    threads: ClassVar[int] = 0  # 0 = every core: one generation uses them all
    context_tokens: ClassVar[int] = 32768  # qwen2.context_length of both GGUF files

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        super().__init__(model_dir, prefer_gpu, threads)
        self.tokenizer: Any = None
        self.device, self.compute_type = "cpu", "int8"

    @property
    def generator(self) -> Any:
        """The ``ctranslate2.Generator``, opened on first use."""
        return self.load()

    def _open(self) -> Any:
        import ctranslate2
        import tokenizers

        self.tokenizer = tokenizers.Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.device, self.compute_type = "cpu", "int8"  # a reload decides again
        if self.prefer_gpu and ctranslate2.get_cuda_device_count() > 0:
            try:
                generator = _open_cuda(ctranslate2, self.model_dir, self.tokenizer)
                self.device, self.compute_type = "cuda", "float16"
            except (RuntimeError, ValueError) as exc:
                log.warning("%s: CUDA float16 does not work here (%s); running int8 on CPU", self.identity, exc)
        if self.device == "cpu":
            generator = self._generator(ctranslate2)
        with SEED_LOCK:  # its worker's generator takes LOAD_SEED now, not a seeded call's seed later
            ctranslate2.set_random_seed(LOAD_SEED)
            generator.generate_batch([self.tokenizer.encode("<|im_start|>user\nhi").tokens], max_length=1,
                                     sampling_topk=0, include_prompt_in_result=False)
        _loaded.add(self)
        return generator

    def _generator(self, ctranslate2: Any) -> Any:
        """Another ``Generator`` on this model's files, device and compute type (its own worker thread)."""
        return ctranslate2.Generator(str(self.model_dir), device=self.device, compute_type=self.compute_type,
                                     intra_threads=self.session_threads)

    def seeded_steps(self, seed: int, tokens: list[str], **options: Any) -> Iterator[Any]:
        """``generate_tokens(tokens, **options)`` sampled from ``seed``: the same seed, prompt and
        options give the same tokens in any process. A fresh ``Generator`` (a worker that has never
        sampled) is made with the global seed set, and the lock is held until its first token is
        sampled; it is dropped when the steps end or are closed.

        Example: ``[s.token_id for s in qwen.seeded_steps(7, tokens, sampling_topk=0, max_length=8)]``
        is the same list on every call.
        """
        import ctranslate2

        self.load()
        if self.device == "cpu":
            _check_room(self.model_dir / "model.bin")
        with SEED_LOCK:
            ctranslate2.set_random_seed(seed % 2**32)
            try:
                fresh = self._generator(ctranslate2)
                steps = fresh.generate_tokens(tokens, **options)
                first = next(steps, None)
            finally:
                ctranslate2.set_random_seed(LOAD_SEED)
        try:
            if first is not None:
                yield first
                yield from steps
        finally:
            steps.close()  # waits for the generation to stop, then the fresh model goes with ``fresh``
            del steps, fresh


def _check_room(weights: Path) -> None:
    """ServerBusy (503) when the memory available now cannot hold another copy of ``weights`` (with a
    fifth more): a seeded call refused is better than the kernel killing the server for memory."""
    from noxus_local.errors import ServerBusy

    need, available = weights.stat().st_size * 1.2, available_memory()
    if available is not None and available < need:
        raise ServerBusy(t("qwen.not_enough_memory_for", available_mb=available / 1e6, need_mb=need / 1e6),
            details={"reason": "seeded_call_memory", "available_mb": int(available / 1e6),
                     "needed_mb": int(need / 1e6)})


def available_memory() -> int | None:
    """``MemAvailable`` of /proc/meminfo in bytes; None where there is none (not Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _open_cuda(ctranslate2: Any, model_dir: Path, tokenizer: Any) -> Any:
    """float16 on CUDA, proven by one real generated token."""
    generator = ctranslate2.Generator(str(model_dir), device="cuda", compute_type="float16")
    generator.generate_batch([tokenizer.encode("<|im_start|>user\nhi<|im_end|>\n").tokens], max_length=1,
                             include_prompt_in_result=False)
    return generator
