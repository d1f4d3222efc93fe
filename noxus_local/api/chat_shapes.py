"""OpenAI's chat shapes: ``chat.completion``, ``chat.completion.chunk`` events and the model list.

Built from a ``chat`` job's result (tools/chat.py: text, model, finish_reason,
created, usage); the id is the job's (``chatcmpl-job_…``), so a completion is
found again in the job history.

Example::

    completion("job_x", result)["choices"][0]["message"]["content"]     # "¡Hola!"
    Chunks("job_x", "qwen2.5-coder-0.5b-instruct", True).piece("¡Ho", role=True)
    # b'data: {"id": "chatcmpl-job_x", "object": "chat.completion.chunk", ...}\\n\\n'
"""

from __future__ import annotations

import json
import time
from typing import Any

DONE = b"data: [DONE]\n\n"
OWNER = "noxus-local"


def completion(job_id: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"chatcmpl-{job_id}", "object": "chat.completion", "created": result["created"],
            "model": result["model"], "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": result["text"], "refusal": None},
                         "logprobs": None, "finish_reason": result["finish_reason"]}],
            "usage": result["usage"]}


def model_list(names: list[str]) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": OWNER}
                                       for n in names]}


class Chunks:
    """The events of one streamed answer, each ``data: {json}\\n\\n``."""

    def __init__(self, job_id: str, model: str, include_usage: bool, created: int | None = None) -> None:
        self.base = {"id": f"chatcmpl-{job_id}", "object": "chat.completion.chunk",
                     "created": int(time.time()) if created is None else created, "model": model,
                     "system_fingerprint": None}
        self.include_usage = include_usage

    def piece(self, text: str, role: bool = False) -> bytes:
        delta = {"role": "assistant", "content": text} if role else {"content": text}
        return self._event([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}])

    def end(self, finish_reason: str, usage: dict[str, int]) -> bytes:
        """The last choice (its finish_reason), the usage chunk when asked for, and ``[DONE]``."""
        out = self._event([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}])
        if self.include_usage:
            out += _data({**self.base, "choices": [], "usage": usage})
        return out + DONE

    def error(self, body: dict[str, Any]) -> bytes:
        """A failure after text went out: OpenAI's error object as the last event."""
        return _data(body)

    def _event(self, choices: list[dict[str, Any]]) -> bytes:
        body = {**self.base, "choices": choices}
        if self.include_usage:
            body["usage"] = None
        return _data(body)


def whole_stream(job_id: str, result: dict[str, Any], include_usage: bool) -> bytes:
    """A finished answer as the events a live stream sends (one piece): an Idempotency-Key's replayable form."""
    chunks = Chunks(job_id, result["model"], include_usage, result["created"])
    return chunks.piece(result["text"], role=True) + chunks.end(result["finish_reason"], result["usage"])


def _data(body: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"
