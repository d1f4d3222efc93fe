"""The ``chat`` tool: chat messages in, the text model's answer out — what ``/v1/chat/completions`` runs.

Priced per 1,000 prompt tokens and per 1,000 generated tokens
(``[prices.chat] unit = "1k_tokens"``, ``unit_usd`` and ``output_unit_usd``).
Before the hold the prompt is counted with the model's tokenizer and checked
against its context (413 naming the context when the prompt alone does not
fit, 400 when ``max_tokens`` does not); the hold is the prompt plus every
token ``max_tokens`` allows (twice, in ``json_object`` mode, which may ask
again), and the charge the real counts, computed here at the rates the plan
froze at the request (``plan.facts``: ``prompt_tokens`` and ``rates``, so a
remote worker charges at the same ones). A streamed call hands each piece to its route through
``chat_stream`` (on a remote worker, to a relay that posts them to the API node:
``jobs/remote_stream.py``); a client that hangs up stops the generation and is charged
for what was generated, once. A ``seed`` with a temperature above 0 repeats its
answer (``generate/llm/embedded.py``: a fresh model per seeded call on the embedded backend).

``json_object``: the model is told to answer with one JSON object; the answer
must parse as one (a code fence around it is taken off), else the model is
asked once more with the problem, else the job fails with 502
``upstream_error`` (``details.reason = "model_output_not_json"``), charged 0.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/chat -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"model": "qwen2.5-coder-1.5b-instruct", "messages": [{"role": "user", "content": "Hola"}]}'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local.config import Config, parse_price
from noxus_local.errors import LimitExceeded, UpstreamError, ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.generate.llm.types import Completion, Llm, Message, check_messages
from noxus_local.generate.structured import first_json
from noxus_local.locale import t
from noxus_local.money import Price
from noxus_local.tools.base import InputFile, Limits, Params, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.chat_stream import ChatStreams, PieceSink
from noxus_local.tools.params import JsonValue

DEFAULT_MAX_TOKENS = 512
CHARS_PER_TOKEN_BOUND = 8  # no tokenizer gives fewer tokens than chars / 8: longer is over any context
RETRY_TOKENS = 64  # the retry message of json_object mode, in tokens, with margin
JSON_SYSTEM = "Answer with one valid JSON object only, no prose and no code fence."
JSON_RETRY = "That was not one valid JSON object ({problem}). Answer again with only the JSON object."


class ChatParams(Params):
    """What ``POST /api/v1/tools/chat`` takes (``/v1/chat/completions`` maps OpenAI's body onto it)."""

    # a list of {role, content}: normalised by check() (check_messages)
    messages: Annotated[JsonValue, Meta(description="[{role: system|user|assistant, content: text}], at least one.")]
    model: Annotated[str, Meta(max_length=200, description="GET /v1/models lists them.")]
    # None: the plan sets it (DEFAULT_MAX_TOKENS or what the context leaves)
    max_tokens: Annotated[int, Meta(ge=1, description=f"Most tokens generated; default {DEFAULT_MAX_TOKENS} "
                                                      "(or what the context leaves).")] | None = None
    # published as 0.0-2.0 and 0.0-1.0; the marker keeps typing's cache of Annotated from handing these
    # Metas to another tool's Meta(ge=0, le=2), which compares equal and is published as 0-2
    temperature: Annotated[float, Meta(ge=0.0, le=2.0, extra={"float_bounds": True})] = 1.0
    top_p: Annotated[float, Meta(ge=0.0, le=1.0, extra={"float_bounds": True})] = 1.0
    seed: int | None = None
    stop: Annotated[JsonValue, Meta(description="A string or up to 4 strings that end the answer.")] = None
    response_format: Literal["text", "json_object"] = "text"
    stream: bool = False
    include_usage: bool = False


class ChatTool(Tool):
    slug = "chat"
    aliases = ("chat-completions",)
    title = "Chat"
    description = ("The text model's answer to chat messages (system, user, assistant), as OpenAI's "
                   "/v1/chat/completions; priced per 1,000 prompt and 1,000 generated tokens.")
    media_type = "text"
    measures = "tokens"
    Params = ChatParams
    resources: ClassVar[Mapping[str, int]] = {"cpu": 1}
    # per 1,000 prompt tokens and per 1,000 generated tokens (held: prompt + max_tokens)
    default_price: ClassVar[Mapping[str, str]] = {"unit": "1k_tokens", "unit_usd": "0.0002",
                                                  "output_unit_usd": "0.0006"}

    def __init__(self) -> None:
        self.streams = ChatStreams()

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        params["messages"] = check_messages(params["messages"] if isinstance(params["messages"], list) else [])
        params["stop"] = _stops(params.get("stop"))
        if params["top_p"] <= 0:
            raise ValidationError.fields({"top_p": [t("chat.above_zero")]})

    def plan(self, params: ChatParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """The model (400 unknown, 503 not fetched), the prompt's tokens against its context and the rates,
        frozen in ``facts`` at the request; ``max_tokens`` is set when the client left it out."""
        cfg = self.settings
        models = text_models(cfg)
        models.check(params.model)
        context = models.context_tokens(params.model)
        chars = sum(len(m["content"]) for m in params.messages)
        if context is not None and chars > context * CHARS_PER_TOKEN_BOUND:
            raise _over_context(context, None)
        prompt = models.prompt_tokens(params.model, params.messages)
        if context is not None and prompt >= context:
            raise _over_context(context, prompt)
        room = context - prompt if context is not None else None
        if params.max_tokens is None:
            params.max_tokens = DEFAULT_MAX_TOKENS if room is None else min(DEFAULT_MAX_TOKENS, room)
        elif room is not None and params.max_tokens > room:
            raise ValidationError.fields({"max_tokens": [t("chat.over_context", prompt=prompt,
                                                           max_tokens=params.max_tokens, context=context)]})
        return Plan(units=1.0, resources=dict(self.resources), models=(params.model,),
                    facts={"prompt_tokens": prompt, "rates": _rates(cfg)})

    def token_estimate(self, params: Mapping[str, Any], plan: Plan) -> tuple[int, int]:
        prompt, most = plan.facts["prompt_tokens"], params["max_tokens"]
        if params["response_format"] == "json_object":  # a second try re-reads the first answer
            return 2 * prompt + most + RETRY_TOKENS, 2 * most
        return prompt, most

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        p = ctx.params
        llm = text_models(ctx.settings).llm(p["model"], ctx.models)
        channel = self.streams.get(ctx.job_id)
        settings = {"max_tokens": p["max_tokens"], "temperature": p["temperature"], "top_p": p["top_p"],
                    "seed": p.get("seed"), "stop": tuple(p["stop"])}
        if p["response_format"] == "json_object":
            done = _guarded(lambda: _json_answer(llm, p["messages"], settings))
            if channel is not None:
                channel.put(done.text)
        else:
            done = _guarded(lambda: _streamed(llm, p["messages"], settings, channel, ctx))
        self.streams.close(ctx.job_id)  # the route closes it too; not when its client left before reading
        return self._output(done, p, plan)

    def _output(self, done: Completion, p: ChatParams, plan: Plan) -> ToolOutput:
        # a job planned before the rates were kept in its plan: today's rates
        unit, output_unit, minimum = plan.facts.get("rates") or _rates(self.settings)
        charge = Price("1k_tokens", unit, minimum, output_unit).token_cost(done.prompt_tokens, done.completion_tokens)
        result = {"text": done.text, "model": p["model"], "finish_reason": done.finish_reason,
                  "created": int(time.time()),
                  "usage": {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
                            "total_tokens": done.prompt_tokens + done.completion_tokens}}
        data = json.dumps(result, ensure_ascii=False).encode()
        return ToolOutput(data, "chat.json", "application/json", result=result, actual_micros=charge,
                          media_units=float(done.completion_tokens))


def _rates(cfg: Config) -> list[int]:
    """``[µUSD per 1k prompt tokens, per 1k generated tokens, minimum]`` of chat's price under ``cfg``
    (its default price where config's were never read, as in a test). Example: the defaults → [200, 600, 0]."""
    price = cfg.prices.get(ChatTool.slug) or parse_price(ChatTool.default_price, "ChatTool.default_price")
    return [price.unit_micros, price.output_unit_micros or 0, price.minimum_micros]


def _guarded(call: Callable[[], Completion]) -> Completion:
    """CTranslate2's own failures (``RuntimeError``: out of memory …) as a clear 502, never a 500."""
    try:
        return call()
    except RuntimeError:
        raise UpstreamError(t("chat.text_model_failed_while"),
                            details={"reason": "model_failed", "engine": "llm"}) from None


def _streamed(llm: Llm, messages: list[Message], settings: dict[str, Any], channel: PieceSink | None,
              ctx: ToolContext) -> Completion:
    """The answer piece by piece into ``channel``; stops early when its client hung up or the job is
    cancelled (the counts are then what was generated)."""
    stream = llm.stream(messages, **settings)
    pieces: list[str] = []
    try:
        for piece in stream:
            pieces.append(piece)
            if channel is not None:
                channel.put(piece)
                if channel.hung_up.is_set():
                    break
            ctx.cancel.check()
    finally:
        stream.close()
    tally = stream.tally
    return Completion("".join(pieces), tally.prompt_tokens, tally.completion_tokens, tally.finish_reason)


def _json_answer(llm: Llm, messages: list[Message], settings: dict[str, Any]) -> Completion:
    """One JSON object as the answer, asked for twice at most; the counts of both tries."""
    asked: list[Message] = [{"role": "system", "content": JSON_SYSTEM}, *messages]
    prompt = completion = 0
    problem = ""
    for _ in range(2):
        done = llm.chat(asked, **settings)
        prompt, completion = prompt + done.prompt_tokens, completion + done.completion_tokens
        text, problem = _json_object(done.text)
        if not problem:
            return Completion(text, prompt, completion, done.finish_reason)
        asked = [*asked, {"role": "assistant", "content": done.text},
                 {"role": "user", "content": JSON_RETRY.format(problem=problem)}]
    raise UpstreamError(t("chat.model_gave_no_valid", problem=problem),
                        details={"reason": "model_output_not_json", "engine": "llm"})


def _json_object(text: str) -> tuple[str, str]:
    """(the answer as one JSON object's text, "") or ("", the problem)."""
    try:
        whole = json.loads(text)
        if isinstance(whole, dict):
            return text.strip(), ""
    except ValueError:
        pass
    found = first_json(text)
    if isinstance(found, dict):
        return json.dumps(found, ensure_ascii=False), ""
    return "", "no JSON object found" if found is None else "a JSON value that is not an object"


def _stops(value: Any) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or len(stops) > 4 or not all(isinstance(s, str) and s for s in stops):
        raise ValidationError.fields({"stop": [t("chat.string_or_up_4")]})
    return stops


def _over_context(context: int, prompt: int | None) -> LimitExceeded:
    got = f"{prompt} tokens" if prompt is not None else "more tokens"
    setting = "[llm] max_context_tokens"
    return LimitExceeded(t("chat.prompt_does_not_fit", got=got, context=context, setting=setting),
                         details={"limit": "context_tokens", "max": context,
                                  **({"got": prompt} if prompt is not None else {})})
