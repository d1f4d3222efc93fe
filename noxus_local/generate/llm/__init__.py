"""The text model: ``[llm] backend = "embedded"`` (CTranslate2 on this box) or ``"openai"`` (the admin's engine).

Example::

    llm = llm_from_config(cfg, cache)     # an Llm: chat(...) -> Completion, stream(...) -> TextStream
    llm.chat([{"role": "user", "content": "Hola"}], max_tokens=32, temperature=0).text
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from noxus_local.config import Config
from noxus_local.generate.llm.types import Completion, Llm, Message, Sampling, Tally, TextStream
from noxus_local.inference.cache import ModelCache

__all__ = ["Completion", "Llm", "Message", "Sampling", "Tally", "TextStream", "llm_from_config"]


def llm_from_config(cfg: Config, cache: ModelCache, environ: Mapping[str, str] | None = None) -> Llm:
    """The configured backend; the embedded model loads on first use (ModelNotInstalled names the fetch)."""
    settings = cfg.llm
    if settings.backend == "openai":
        from noxus_local.generate.llm.openai_engine import OpenAiLlm

        env = os.environ if environ is None else environ
        key = env.get(settings.api_key_env, "") if settings.api_key_env else ""
        return OpenAiLlm(settings.base_url, settings.model, api_key=key, timeout_seconds=settings.timeout_seconds,
                         max_concurrency=settings.max_concurrency, allow_hosts=settings.allow_hosts)
    from noxus_local.generate.llm.embedded import EmbeddedLlm, QwenGenerator

    return EmbeddedLlm(cache, QwenGenerator.for_id(settings.model), settings.max_concurrency)
