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
import weakref
from pathlib import Path
from typing import Any, ClassVar

from noxus_local.inference.model import Model

log = logging.getLogger(__name__)
LOAD_SEED = 0
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

        ctranslate2.set_random_seed(LOAD_SEED)
        self.tokenizer = tokenizers.Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        if self.prefer_gpu and ctranslate2.get_cuda_device_count() > 0:
            try:
                generator = _open_cuda(ctranslate2, self.model_dir, self.tokenizer)
                self.device, self.compute_type = "cuda", "float16"
                _loaded.add(self)
                return generator
            except (RuntimeError, ValueError) as exc:
                log.warning("%s: CUDA float16 does not work here (%s); running int8 on CPU", self.identity, exc)
        _loaded.add(self)
        return ctranslate2.Generator(str(self.model_dir), device="cpu", compute_type="int8",
                                     intra_threads=self.session_threads)


def _open_cuda(ctranslate2: Any, model_dir: Path, tokenizer: Any) -> Any:
    """float16 on CUDA, proven by one real generated token."""
    generator = ctranslate2.Generator(str(model_dir), device="cuda", compute_type="float16")
    generator.generate_batch([tokenizer.encode("<|im_start|>user\nhi<|im_end|>\n").tokens], max_length=1,
                             include_prompt_in_result=False)
    return generator
