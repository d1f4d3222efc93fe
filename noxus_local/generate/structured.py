"""Ask the text model for JSON that matches a schema: one prompt per task and language, one retry.

A 1.5B model writes valid, usable JSON far more reliably than long prose
(STACK.md), so pipelines ask for structure. The prompt of a task lives in a
data file, ``prompts/<task>.<language>.toml`` (``system`` and ``user``, with
``$variables`` filled by ``string.Template``: JSON braces in a prompt need no
escaping, and a value is inserted as text, never evaluated). The answer is
taken from its first JSON object (a model may wrap it in a code fence),
checked with ``schema.problems``, and on failure asked for once more with
the problems quoted; a second failure raises ``StructuredOutputError``, which
a caller catches to fall back to a deterministic plan. The result is data
only — plain dicts, lists, strings and numbers — that callers pass on as
values (SQL parameters, files they name themselves, escaped filter text),
never as code.

Example::

    plan = ask_json(llm, "scene_plan", "es", {"script": "1. …\\n2. …", "scenes": 2}, SCENE_PLAN_SCHEMA)
    plan["scenes"][0]["search"]     # "playa amanecer"
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from noxus_local.generate.llm.types import Llm, Message
from noxus_local.generate.schema import check_schema, problems

PROMPTS = Path(__file__).parent / "prompts"
LANGUAGES = ("es", "en")
RETRY = {"es": "Tu respuesta no sirve: {problems}. Responde de nuevo solo con el JSON pedido, corregido.",
         "en": "Your answer cannot be used: {problems}. Answer again with only the requested JSON, corrected."}


class StructuredOutputError(Exception):
    """The model gave no usable JSON twice; ``problems`` says why, ``answers`` holds what it wrote."""

    def __init__(self, task: str, problems: list[str], answers: list[str]) -> None:
        super().__init__(f"{task}: no valid JSON after {len(answers)} tries: {'; '.join(problems[:3])}")
        self.task, self.problems, self.answers = task, problems, answers


@dataclass
class Structured:
    """A validated answer and how many tries it took (1 = valid at once), for the quality bench."""

    data: Any
    tries: int
    answers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


@cache
def load_prompt(task: str, language: str) -> Prompt:
    """``prompts/<task>.<language>.toml``; ValueError for a task or language that has none."""
    if language not in LANGUAGES or not task.replace("_", "").isalnum():
        raise ValueError(f"no prompt for task {task!r} in language {language!r} (languages: {LANGUAGES})")
    path = PROMPTS / f"{task}.{language}.toml"
    if not path.is_file():
        raise ValueError(f"no prompt for task {task!r} in language {language!r}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return Prompt(raw["system"], raw["user"])


def messages_for(task: str, language: str, variables: Mapping[str, Any]) -> list[Message]:
    prompt = load_prompt(task, language)
    values = {k: str(v) for k, v in variables.items()}
    return [{"role": "system", "content": string.Template(prompt.system).safe_substitute(values)},
            {"role": "user", "content": string.Template(prompt.user).safe_substitute(values)}]


Check = Callable[[Any], list[str]]


def ask_json(llm: Llm, task: str, language: str, variables: Mapping[str, Any], schema: dict[str, Any],
             **sampling: Any) -> Any:
    """The model's JSON answer for ``task``, valid against ``schema``; StructuredOutputError otherwise."""
    return ask_structured(llm, task, language, variables, schema, **sampling).data


def ask_structured(llm: Llm, task: str, language: str, variables: Mapping[str, Any], schema: dict[str, Any],
                   check: Check | None = None, salvage: Callable[[str], Any] | None = None,
                   **sampling: Any) -> Structured:
    """``ask_json`` with the number of tries and the raw answers; ``check`` adds problems a schema cannot
    say (e.g. "the scenes are all alike"), retried the same way. ``salvage`` may rebuild usable data from
    an answer that does not parse or validate (e.g. the complete items of one cut off at ``max_tokens``),
    sparing a whole retry; None when it cannot."""
    check_schema(schema)
    settings = {"max_tokens": 512, "temperature": 0.3, "top_p": 0.9, **sampling}
    messages = messages_for(task, language, variables)
    answers: list[str] = []
    found: list[str] = []
    for _ in range(2):
        answer = llm.chat(messages, **settings).text
        answers.append(answer)
        data, found = parse_answer(answer, schema)
        if found and salvage is not None and (rescued := salvage(answer)) is not None:
            data, found = rescued, problems(rescued, schema)
        if not found and check is not None:
            found = check(data)
        if not found:
            return Structured(data, len(answers), answers)
        messages = [*messages, {"role": "assistant", "content": answer},
                    {"role": "user", "content": RETRY[language].format(problems="; ".join(found[:5]))}]
    raise StructuredOutputError(task, found, answers)


def parse_answer(answer: str, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    """(the first JSON value in ``answer``, its problems against ``schema``)."""
    data = first_json(answer)
    if data is None:
        return None, ["the answer holds no JSON object"]
    return data, problems(data, schema)


def whole_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object that parses whole anywhere in ``text``, outer ones and the ones inside them, in order
    of their opening brace: what a salvage keeps of an answer cut off at ``max_tokens``.

    Example: ``whole_objects('{"a": [{"b": 1}, {"c"')`` → ``[{"b": 1}]``.
    """
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def first_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (after any prose or a ```json fence), else None."""
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
            except ValueError:
                continue
            return value
    return None
