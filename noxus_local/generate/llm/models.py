"""Which text models a chat may name, their prompt token counts, and one ``Llm`` per name.

A chat names its model (OpenAI's ``model``): the configured ``[llm] model``
always, and with the embedded backend also every ``text-generation`` model of
the manifest that is installed (so the 0.5B can answer beside a configured
1.5B). Anything else is a 400 listing them; the configured embedded model
while not fetched is a 503 naming ``noxus-local models fetch``. Prompt tokens
are counted before the hold with the model's own tokenizer (``tokenizer.json``,
loaded alone: the 1.5B's weights need not be in memory to price a call); an
engine's tokenizer is unknown, so its prompt is counted at two characters a
token, above what BPE tokenizers give for prose, so the hold covers it.

Example::

    models = TextModels(cfg)
    models.names()                                            # ["qwen2.5-coder-0.5b-instruct"]
    models.prompt_tokens("qwen2.5-coder-0.5b-instruct", [{"role": "user", "content": "Hola"}])   # 20
    models.llm("qwen2.5-coder-0.5b-instruct", cache).chat(...)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from noxus_local.config import Config
from noxus_local.errors import ValidationError
from noxus_local.generate.llm.template import render
from noxus_local.generate.llm.types import Llm, Message
from noxus_local.inference.cache import ModelCache
from noxus_local.locale import t

TASK = "text-generation"
ENGINE_CHARS_PER_TOKEN = 2


class TextModels:
    """The chat models of one config; Llm instances are kept, so ``[llm] max_concurrency`` holds per model."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self._lock = threading.Lock()
        self._llms: dict[str, Llm] = {}
        self._tokenizers: dict[str, Any] = {}

    @property
    def embedded(self) -> bool:
        return self.cfg.llm.backend == "embedded"

    def names(self) -> list[str]:
        """The configured model first, then the installed embedded ones."""
        names = [self.cfg.llm.model]
        if self.embedded:
            from noxus_local.inference.registry.installed import cached_list

            # kept until the model store changes: GET /v1/models and every chat ask this (~8 ms a listing)
            names += [s.spec.id for s in cached_list(self.cfg) if s.spec.task == TASK and s.installed]
        return list(dict.fromkeys(names))

    def check(self, name: str) -> None:
        """400 naming the models for an unknown name; 503 with the fetch command for one not installed."""
        names = self.names()
        if name not in names:
            listed = ", ".join(names)
            raise ValidationError.fields({"model": [t("llm_models.unknown_model", name=name[:100], listed=listed)]})
        if self.embedded:
            from noxus_local.inference.model import ModelNotInstalled
            from noxus_local.inference.registry.manifest import models_dir

            cls = self._model_class(name)
            missing = [f for f in cls.files if not (models_dir(self.cfg) / name / f).is_file()]
            if missing:
                raise ModelNotInstalled.for_model(name, missing)

    def context_tokens(self, name: str) -> int | None:
        """The tokens a chat may use: the model's context, or ``[llm] max_context_tokens`` if smaller;
        None for an engine's (it says so itself)."""
        if not self.embedded:
            return None
        return min(self._model_class(name).context_tokens, self.cfg.llm.max_context_tokens)

    def prompt_tokens(self, name: str, messages: Sequence[Message]) -> int:
        """The rendered prompt's tokens (the embedded model's tokenizer), or an upper estimate (an engine)."""
        text = render(messages)
        if not self.embedded:
            return -(-len(text) // ENGINE_CHARS_PER_TOKEN) + 8
        return len(self._tokenizer(name).encode(text).ids)

    def llm(self, name: str, cache: ModelCache) -> Llm:
        with self._lock:
            if name not in self._llms:
                self._llms[name] = self._new_llm(name, cache)
            return self._llms[name]

    def _new_llm(self, name: str, cache: ModelCache) -> Llm:
        from noxus_local.generate.llm import llm_from_config

        if not self.embedded:
            return llm_from_config(self.cfg, cache)
        from noxus_local.generate.llm.embedded import EmbeddedLlm

        return EmbeddedLlm(cache, self._model_class(name), self.cfg.llm.max_concurrency)

    def _model_class(self, name: str) -> Any:
        from noxus_local.inference.models.qwen import QwenGenerator

        return QwenGenerator.for_id(name)

    def _tokenizer(self, name: str) -> Any:
        with self._lock:
            if name not in self._tokenizers:
                import tokenizers

                from noxus_local.inference.registry.manifest import models_dir

                path = models_dir(self.cfg) / name / "tokenizer.json"
                self._tokenizers[name] = tokenizers.Tokenizer.from_file(str(path))
            return self._tokenizers[name]


_shared: dict[int, tuple[Config, TextModels]] = {}
_shared_lock = threading.Lock()


def text_models(cfg: Config) -> TextModels:
    """The process's one ``TextModels`` for this config: every tool that asks the text model (chat,
    script-to-video, video-ad, auto-clip's hook judge) shares its Llm instances, so ``[llm]
    max_concurrency`` bounds them all together, not each tool apart.

    Example: ``text_models(cfg) is text_models(cfg)`` → True.
    """
    with _shared_lock:
        kept = _shared.get(id(cfg))
        if kept is None or kept[0] is not cfg:  # the id of a config that has gone may be reused
            kept = _shared[id(cfg)] = (cfg, TextModels(cfg))
        return kept[1]
