"""Qwen2.5-Coder on CTranslate2: the converted model (``models fetch qwen2.5-coder-*``) and its tokenizer.

A model class for ``inference/cache.py``'s ModelCache (one instance per
process, loaded under a lock, unloaded when idle), like ``WhisperModel``:
int8 on CPU; float16 on CUDA only after one real generated token there (a
CUDA build without a usable GPU falls back to CPU, and the log says so).
``QwenGenerator.for_id("qwen2.5-coder-0.5b-instruct")`` is the class of the
other size. The chat itself (template, sampling, streaming) is
``generate/llm/embedded.py``'s.

Example::

    with cache.use(QwenGenerator) as qwen:
        qwen.generator.generate_tokens(qwen.tokenizer.encode("<|im_start|>user\nHola<|im_end|>\n").tokens)
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from pathlib import Path
from typing import Any, ClassVar

from noxus_local.inference.session import ModelNotInstalled, OnnxModel

log = logging.getLogger(__name__)
LOAD_SEED = 0
# A Generator destroyed during interpreter shutdown after generate_tokens aborts the process ("terminate
# called without an active exception", 3 exits in 8 here); released at exit, before finalisation, it never did
_loaded: weakref.WeakSet[QwenGenerator] = weakref.WeakSet()


@atexit.register
def _release_all() -> None:
    for model in list(_loaded):
        model.generator = None


class QwenGenerator(OnnxModel):
    """A converted Qwen2 chat model (``models fetch qwen2.5-coder-*``) and its tokenizer."""

    identity: ClassVar[str] = "qwen2.5-coder-1.5b-instruct"
    files: ClassVar[tuple[str, ...]] = ("model.bin", "config.json", "vocabulary.json", "tokenizer.json")
    threads: ClassVar[int] = 0  # 0 = every core: one generation uses them all
    context_tokens: ClassVar[int] = 32768  # qwen2.context_length of both GGUF files
    _classes: ClassVar[dict[str, type[QwenGenerator]]] = {}

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        super().__init__(model_dir, prefer_gpu, threads)
        self.generator: Any = None
        self.tokenizer: Any = None
        self.device, self.compute_type = "cpu", "int8"
        self._load_lock = threading.Lock()

    @classmethod
    def for_id(cls, model_id: str) -> type[QwenGenerator]:
        """One class per manifest id, so the cache keeps one instance of each."""
        if model_id == QwenGenerator.identity:
            return QwenGenerator
        if model_id not in cls._classes:
            name = "Qwen_" + model_id.replace("-", "_").replace(".", "_")
            cls._classes[model_id] = type(name, (QwenGenerator,), {"identity": model_id})
        return cls._classes[model_id]

    @property
    def loaded(self) -> bool:
        return self.generator is not None

    def load(self) -> Any:  # type: ignore[override]  # a ctranslate2 Generator, not an ONNX session
        with self._load_lock:
            if self.generator is None:
                missing = [name for name in self.files if not (self.model_dir / name).is_file()]
                if missing:
                    raise ModelNotInstalled.for_model(self.identity, missing)
                self._open()
        return self.generator

    def _predict(self, *inputs: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("use noxus_local.generate.llm.embedded.EmbeddedLlm")

    def _open(self) -> None:
        import ctranslate2
        import tokenizers

        ctranslate2.set_random_seed(LOAD_SEED)
        self.tokenizer = tokenizers.Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        if self.prefer_gpu and ctranslate2.get_cuda_device_count() > 0:
            try:
                self.generator = _open_cuda(ctranslate2, self.model_dir, self.tokenizer)
                self.device, self.compute_type = "cuda", "float16"
                _loaded.add(self)
                return
            except (RuntimeError, ValueError) as exc:
                log.warning("%s: CUDA float16 does not work here (%s); running int8 on CPU", self.identity, exc)
        self.generator = ctranslate2.Generator(str(self.model_dir), device="cpu", compute_type="int8",
                                               intra_threads=self.session_threads)
        _loaded.add(self)


def _open_cuda(ctranslate2: Any, model_dir: Path, tokenizer: Any) -> Any:
    """float16 on CUDA, proven by one real generated token."""
    generator = ctranslate2.Generator(str(model_dir), device="cuda", compute_type="float16")
    generator.generate_batch([tokenizer.encode("<|im_start|>user\nhi<|im_end|>\n").tokens], max_length=1,
                             include_prompt_in_result=False)
    return generator
