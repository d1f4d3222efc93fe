"""What every text model answers to: chat messages in, a ``Completion`` (or a stream of text) out.

Pipelines take an ``Llm`` and never know whether it runs on this box
(``EmbeddedLlm``, CTranslate2) or on the admin's engine (``OpenAiLlm``): both
take the same sampling settings and give the same token counts, which billing
reads.

Example::

    llm: Llm = llm_from_config(cfg, cache)
    done = llm.chat([{"role": "user", "content": "Hola"}], max_tokens=32, temperature=0.0)
    done.text, done.prompt_tokens, done.completion_tokens, done.finish_reason   # "¡Hola! …", 30, 9, "stop"
    stream = llm.stream([{"role": "user", "content": "Hola"}], max_tokens=32, temperature=0.0)
    "".join(stream) == done.text, stream.tally.completion_tokens           # True, 9: the same, piece by piece
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

from noxus_local.errors import ValidationError

ROLES = ("system", "user", "assistant")
FinishReason = Literal["stop", "length"]


class Message(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason


@dataclass(frozen=True)
class Sampling:
    """One request's settings; ``temperature`` 0 is greedy (and then ``seed`` does not matter)."""

    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        problems = {}
        if self.max_tokens < 1:
            problems["max_tokens"] = ["must be 1 or more"]
        if not 0.0 <= self.temperature <= 2.0:
            problems["temperature"] = ["must be from 0 to 2"]
        if not 0.0 < self.top_p <= 1.0:
            problems["top_p"] = ["must be more than 0 and at most 1"]
        if not 0.0 < self.repetition_penalty <= 2.0:
            problems["repetition_penalty"] = ["must be more than 0 and at most 2"]
        if problems:
            raise ValidationError.fields(problems)


@dataclass
class Tally:
    """What one call counted, filled in as it runs (a stream's counts are final once it is exhausted)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: FinishReason = "length"


class TextStream:
    """The pieces of an answer as they come; ``tally`` holds the token counts (billing reads them after
    the last piece, or after ``close()`` when a client hangs up mid-stream: what was generated so far)."""

    def __init__(self, pieces: Iterator[str], tally: Tally) -> None:
        self.pieces = pieces
        self.tally = tally

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self.pieces)

    def close(self) -> None:
        close: Any = getattr(self.pieces, "close", None)
        if close is not None:
            close()


class Llm(Protocol):
    """A chat model. Blocking: call from a worker thread, never the event loop."""

    name: str  # the model, e.g. "qwen2.5-coder-0.5b-instruct" or the engine's model name

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.7,
             top_p: float = 1.0, seed: int | None = None, stop: Sequence[str] = (),
             repetition_penalty: float = 1.0) -> Completion: ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.7,
               top_p: float = 1.0, seed: int | None = None, stop: Sequence[str] = (),
               repetition_penalty: float = 1.0) -> TextStream: ...


def check_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages as plain dicts; ValidationError for an empty list, an unknown role or non-text content."""
    if not messages:
        raise ValidationError.fields({"messages": ["at least one message is needed"]})
    checked: list[Message] = []
    for i, m in enumerate(messages):
        role, content = (m.get("role"), m.get("content")) if isinstance(m, dict) else (None, None)
        if role not in ROLES:
            raise ValidationError.fields({f"messages[{i}].role": [f"expected one of {', '.join(ROLES)}"]})
        if not isinstance(content, str):
            raise ValidationError.fields({f"messages[{i}].content": ["expected text"]})
        checked.append({"role": role, "content": content})
    return checked
