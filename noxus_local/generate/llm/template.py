"""Qwen2.5's chat template (ChatML), as its GGUF's ``tokenizer.chat_template`` writes it without tools.

Special-token text inside a message (``<|im_start|>``, ``<|im_end|>`` …)
would be matched whole by the tokenizer and let a user's text open a new
system turn, so it is broken up (``<|`` → ``< |``) before rendering.

Example::

    render([{"role": "user", "content": "Hola"}])
    # "<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n"
    # "<|im_start|>user\\nHola<|im_end|>\\n<|im_start|>assistant\\n"
"""

from __future__ import annotations

from collections.abc import Sequence

from noxus_local.generate.llm.types import Message

DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
END_TOKENS = ("<|im_end|>", "<|endoftext|>")


def render(messages: Sequence[Message]) -> str:
    """The prompt text, ending with the assistant's turn opened."""
    turns = list(messages)
    parts = [] if turns and turns[0]["role"] == "system" else [_turn("system", DEFAULT_SYSTEM)]
    parts += [_turn(m["role"], m["content"]) for m in turns]
    return "".join(parts) + "<|im_start|>assistant\n"


def _turn(role: str, content: str) -> str:
    return f"<|im_start|>{role}\n{content.replace('<|', '< |')}<|im_end|>\n"
