"""The text model on this box: ``inference/models/qwen.py``'s CTranslate2 ``Generator``, through the model cache.

``EmbeddedLlm`` holds the model from the cache for each call (so it is never
unloaded under a stream) and renders Qwen's chat template, samples, stops on
``<|im_end|>`` or a caller's stop string and streams text as it is decoded.

Token by token, the new ids are decoded and given out, held back while they
end in half a UTF-8 character or could still be the start of a stop string; ``chat`` is the same stream
joined, so a streamed answer and a plain one are the same text.

Seeds: CTranslate2 4.8.5 samples with one random generator per worker
thread, seeded once from ``ctranslate2.set_random_seed`` when the thread
first samples. A call with a ``seed`` and a temperature above 0 samples on a
fresh ``Generator`` of the same files seeded with it
(``QwenGenerator.seeded_steps``): the same prompt, seed and settings give the
same text on every call and after a restart, at the cost of a model load per
call; a call without a seed runs on the loaded model as before (seeded at load,
so a fresh process is reproducible), and temperature 0 (greedy) is reproducible always.

Example::

    llm = EmbeddedLlm(cache, QwenGenerator.for_id("qwen2.5-coder-0.5b-instruct"))
    llm.chat([{"role": "user", "content": "Di hola"}], max_tokens=16, temperature=0).text   # "¡Hola! ..."
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from noxus_local.generate.llm.template import END_TOKENS, render
from noxus_local.generate.llm.types import Completion, Message, Sampling, Tally, TextStream, check_messages
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.qwen import QwenGenerator

__all__ = ["EmbeddedLlm", "QwenGenerator"]


class EmbeddedLlm:
    """``Llm`` on a ``QwenGenerator`` held from the cache for each call; ``max_concurrency`` calls at once."""

    def __init__(self, cache: ModelCache, model_cls: type[QwenGenerator], max_concurrency: int = 1) -> None:
        self.cache = cache
        self.model_cls = model_cls
        self.name = model_cls.identity
        self._slots = threading.BoundedSemaphore(max_concurrency)

    def chat(self, messages: Sequence[Message], **settings: Any) -> Completion:
        """Keywords as ``Llm.chat``: max_tokens, temperature, top_p, seed, stop, repetition_penalty."""
        stream = self.stream(messages, **settings)
        text = "".join(stream)
        return Completion(text, stream.tally.prompt_tokens, stream.tally.completion_tokens, stream.tally.finish_reason)

    def stream(self, messages: Sequence[Message], **settings: Any) -> TextStream:
        """The answer piece by piece; bad messages or settings raise here, before the first piece."""
        run = _Run(Sampling(**_normal(settings)))
        return TextStream(self._generate(render(check_messages(messages)), run), run.tally)

    def _generate(self, prompt: str, run: _Run) -> Iterator[str]:
        with self._slots, self.cache.use(self.model_cls) as model:
            model.load()
            tokens = model.tokenizer.encode(prompt).tokens
            run.tally.prompt_tokens = len(tokens)
            _check_context(model, len(tokens), run.sampling.max_tokens)
            options, seed = _ct2_options(run.sampling), run.sampling.seed
            if seed is not None and run.sampling.temperature > 0:
                steps = model.seeded_steps(seed, tokens, **options)
            else:
                steps = model.generator.generate_tokens(tokens, **options)
            try:
                yield from _texts(steps, model.tokenizer, run)
            finally:
                steps.close()  # a consumer that stops early ends the generation too


class _Run:
    """One call's settings and what it counted."""

    def __init__(self, sampling: Sampling) -> None:
        self.sampling = sampling
        self.tally = Tally()


def _normal(settings: dict[str, Any]) -> dict[str, Any]:
    """``stop`` as a tuple of non-empty strings (Sampling is frozen and hashable)."""
    stop = settings.get("stop") or ()
    settings = dict(settings)
    settings["stop"] = tuple(s for s in ([stop] if isinstance(stop, str) else stop) if s)
    return settings


def _check_context(model: QwenGenerator, prompt_tokens: int, max_tokens: int) -> None:
    from noxus_local.errors import ValidationError

    if prompt_tokens + max_tokens > model.context_tokens:
        raise ValidationError.fields({"max_tokens": [
            f"the prompt ({prompt_tokens} tokens) plus max_tokens ({max_tokens}) exceed the model's context "
            f"of {model.context_tokens} tokens"]})


def _ct2_options(s: Sampling) -> dict[str, Any]:
    greedy = s.temperature == 0
    return {"max_length": s.max_tokens, "end_token": list(END_TOKENS), "repetition_penalty": s.repetition_penalty,
            "sampling_topk": 1 if greedy else 0, "sampling_temperature": 1.0 if greedy else s.temperature,
            "sampling_topp": s.top_p}


def _texts(steps: Iterator[Any], tokenizer: Any, run: _Run) -> Iterator[str]:
    """Decoded text as it becomes final; stops at a stop string (which is not given out).

    Only the ids since the last whole character are decoded each step (byte-level BPE decodes a run of
    tokens on its own), so a long answer costs the same per token as a short one.
    """
    text, pending = "", []
    given = 0
    for step in steps:
        pending.append(step.token_id)
        run.tally.completion_tokens += 1
        piece = tokenizer.decode(pending)
        if piece.endswith("\ufffd"):
            continue  # half a UTF-8 character: wait for the token that completes it
        text, pending = text + piece, []
        cut = _stop_at(text, run.sampling.stop, given)
        if cut is not None:
            run.tally.finish_reason = "stop"
            if cut > given:
                yield text[given:cut]
            return
        safe = _safe_end(text, run.sampling.stop, given)
        if safe > given:
            yield text[given:safe]
            given = safe
    else:
        text += tokenizer.decode(pending)
        if run.tally.completion_tokens < run.sampling.max_tokens:
            run.tally.finish_reason = "stop"  # the model ended its turn (<|im_end|>, which is not in ids)
        if len(text) > given:
            yield text[given:]


def _stop_at(text: str, stops: tuple[str, ...], given: int) -> int | None:
    """Where the first stop string starts, if one has appeared (searching a little before ``given``)."""
    found = [i for s in stops if (i := text.find(s, max(0, given - len(s)))) >= 0]
    return min(found) if found else None


def _safe_end(text: str, stops: tuple[str, ...], given: int) -> int:
    """How much of ``text`` is final: not a possible start of a stop string."""
    end = len(text)
    for stop in stops:
        for n in range(min(len(stop) - 1, end - given), 0, -1):
            if text[:end].endswith(stop[:n]):
                end -= n
                break
    return end
