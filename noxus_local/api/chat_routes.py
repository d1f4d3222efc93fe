"""OpenAI-compatible chat: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The official ``openai`` client works with only ``base_url`` changed. Each call
is a ``chat`` job (tools/chat.py): the same keys, scopes, tier limits, hold and
charge, Idempotency-Key and job history as every tool; ``X-Job-Id`` names it.
OpenAI's body is mapped onto the tool's fields here (``max_completion_tokens``
wins over ``max_tokens``, ``response_format.type``, ``stream_options``) and the
answer rendered in OpenAI's shapes (api/chat_shapes.py); the body is read into
``ChatCompletionRequest`` (api/openai_schemas.py), the Struct the document publishes;
errors use OpenAI's body with our status codes (the route's exception handler,
api/openai_errors.py).

``stream: true`` answers server-sent events from the first decoded piece on
(``data: {chat.completion.chunk}`` … ``data: [DONE]``, a usage chunk first
when ``stream_options.include_usage``). The response starts only once the
first piece exists or the job has ended, so an error before any text is a
proper error status; a client that hangs up stops the generation, and the job
is charged once for what was generated. With an ``Idempotency-Key`` the events
are sent when the job has ended, all at once, so a replay is byte-identical.

Example::

    client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key=KEY)
    client.chat.completions.create(model="qwen2.5-coder-1.5b-instruct",
                                   messages=[{"role": "user", "content": "Hola"}]).choices[0].message.content
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.response import Stream

from noxus_local.api import chat_shapes
from noxus_local.api.bodies import convert
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, operation
from noxus_local.api.envelope import EncodedResponse, request_id_of
from noxus_local.api.inputs import ParsedInput, check_values, json_object
from noxus_local.api.job_schemas import job_struct
from noxus_local.api.media_docs import keep_nulls, with_media
from noxus_local.api.openai_errors import FIELD_ERRORS, field_message, summary_message
from noxus_local.api.openai_schemas import (
    CHAT_EXAMPLE,
    CHAT_REQUESTS,
    CHAT_STREAM_EXAMPLE,
    MODELS_EXAMPLE,
    ChatCompletion,
    ChatCompletionRequest,
    Model,
    ModelList,
    OpenAiError,
    error_examples,
)
from noxus_local.api.submit import Options, remember, replayed_as_stored, request_options, submit
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.jobs import store as jobs
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.tools.base import Limits
from noxus_local.tools.chat import ChatTool
from noxus_local.tools.chat_stream import Channel

ROUTE = "/v1/chat/completions"
SSE = "text/event-stream"
TAG = "OpenAI-compatible"
CHAT_ERRORS = ("validation_error", "limit_exceeded", "insufficient_api_balance", "key_budget_exceeded",
               "idempotency_conflict", "concurrency_limit_exceeded", *AUTH_ERRORS, "scope_denied",
               "tool_not_allowed", "tool_unavailable", "upstream_error", "processing_timeout", "shutting_down",
               "server_busy")


@post(ROUTE, status_code=200, exception_handlers=FIELD_ERRORS, **with_media(operation(
    "createChatCompletion", TAG, "OpenAI-compatible chat",
    "The `openai` client's `chat.completions.create` with only `base_url` changed: runs a `chat` job (same "
    "keys, limits, Idempotency-Key and job history; `X-Job-Id` names it), priced per 1,000 prompt and 1,000 "
    "generated tokens: held for the prompt plus `max_tokens`, charged the real counts. `stream: true` answers "
    "server-sent events (`text/event-stream`: `data: {chat.completion.chunk}` … `data: [DONE]`, a usage chunk "
    "before `[DONE]` with `stream_options.include_usage`); a client that hangs up stops the generation and is "
    "charged once for what was generated. `response_format: {\"type\": \"json_object\"}` answers one JSON "
    "object (asked again once, else 502). A prompt longer than the model's context is 413 `limit_exceeded` "
    "naming it; an unknown model 400 listing the models; an engine that is down or answers garbage 502 "
    "`upstream_error`, charged 0. Members OpenAI defines and this server does not use (`user`, "
    "`frequency_penalty` ...) are ignored. Errors in OpenAI's shape.",
    ok=(ChatCompletion, {"ok": CHAT_EXAMPLE}), body=(ChatCompletionRequest, CHAT_REQUESTS),
    headers=("IdempotencyKey",), errors=CHAT_ERRORS, error_model=OpenAiError,
    error_examples=error_examples(CHAT_ERRORS, field_message)),
    200, {SSE: ({"type": "string", "description": "`data: {chat.completion.chunk}` lines, then `data: [DONE]`"},
                {"stream": CHAT_STREAM_EXAMPLE})}))
async def chat_completions(request: Request[Any, Any, Any], svc: ServicesDep,
                           ) -> Response[ChatCompletion | bytes] | Stream:
    """The model's answer, whole (``chat.completion``) or as server-sent events (``stream: true``)."""
    return await _chat(request, svc)


@get("/v1/models", exception_handlers=FIELD_ERRORS, **keep_nulls(operation(
    "listModels", TAG, "OpenAI-compatible model list",
    "The text models a chat may name: the configured `[llm] model`, and with the embedded backend every "
    "installed text-generation model. Errors in OpenAI's shape.",
    ok=(ModelList, {"ok": MODELS_EXAMPLE}), errors=AUTH_ERRORS, error_model=OpenAiError,
    error_examples=error_examples(AUTH_ERRORS, field_message))))
async def list_models(svc: ServicesDep, principal: PrincipalDep) -> ModelList:
    """``GET /v1/models`` as OpenAI answers it (``owned_by`` ``noxus-local``, ``created`` 0)."""
    names = await to_thread.run_sync(text_models(svc.cfg).names)
    listed = chat_shapes.model_list(names)
    return ModelList(object="list", data=[Model(**m) for m in listed["data"]])


def _tool(svc: Services) -> ChatTool:
    tool = svc.catalog.resolve("chat")
    assert isinstance(tool, ChatTool)
    return tool


async def _chat(request: Request[Any, Any, Any], svc: Services) -> Response[ChatCompletion | bytes] | Stream:
    async def read(_limits: Limits, _workdir: Path) -> ParsedInput:
        body = check_values(json_object(await request.body()))
        return ParsedInput(fields=chat_fields(body, svc.cfg.llm.model))

    done = await submit(request, "chat", read, route=ROUTE, options=_options)
    job, job_id, tool = done.job, done.job.id, _tool(svc)
    if done.replay is not None:
        return replayed_as_stored(svc, job_id, done.replay)
    headers = {"X-Job-Id": job_id, "X-Request-Id": request_id_of(request)}
    live = bool(job.params["stream"]) and job.idempotency_key is None
    channel = tool.streams.open(job_id, asyncio.get_running_loop()) if live else None
    task = asyncio.ensure_future(svc.dispatcher.run_inline(job_id, svc.cfg.jobs.max_processing_seconds or 3600))
    task.add_done_callback(_consume)
    if channel is not None:
        first = await _first_piece(channel, task)
        if first is not None:
            return Stream(_events(svc, tool, job_id, job.params, channel, task, first), status_code=200,
                          media_type=SSE, headers={**headers, "Cache-Control": "no-cache"})
        tool.streams.close(job_id)
    await task  # ShuttingDown and the like reach the route's OpenAI error body
    row = await to_thread.run_sync(jobs.get, svc.db, job_id)
    if row["status"] != "succeeded":
        raise _job_error(row)
    result = json.loads(row["result"])
    if job.params["stream"]:  # the whole stream's events at once (e.g. kept for an Idempotency-Key), as bytes
        events = chat_shapes.whole_stream(job_id, result, job.params["include_usage"])
        if job.idempotency_key:
            await to_thread.run_sync(remember, svc, job, 200, events, {**headers, "Content-Type": SSE})
        return Response(content=events, status_code=200, media_type=SSE, headers=headers)
    answer: EncodedResponse[ChatCompletion | bytes] = EncodedResponse(
        job_struct(chat_shapes.completion(job_id, result), ChatCompletion), 200, headers)
    if job.idempotency_key:  # the bytes sent, replayed unchanged
        await to_thread.run_sync(remember, svc, job, 200, answer.raw, {**headers, "Content-Type": "application/json"})
    return answer


def chat_fields(body: dict[str, Any], default_model: str) -> dict[str, Any]:
    """OpenAI's request (read as ``ChatCompletionRequest``) in the chat tool's field names; the tool
    validates the values (roles, bounds, the model) in its own words.

    The members this route always checked itself keep their words (``_precheck``), then the Struct's
    types apply. Example: ``chat_fields({"messages": [{"role": "user", "content": "Hola"}]}, "m")``
    → ``{"messages": [{"role": "user", "content": "Hola"}], "model": "m", "response_format": "text",
    "stream": False, "include_usage": False}``.
    """
    _precheck(body)
    req = convert(body, ChatCompletionRequest)
    messages = [{"role": m.role, "content": m.content if isinstance(m.content, str)
                 else "".join(p.text for p in m.content)} for m in req.messages]
    fields = {"messages": messages, "model": req.model or default_model,
              "max_tokens": req.max_tokens if req.max_completion_tokens is None else req.max_completion_tokens,
              "temperature": req.temperature, "top_p": req.top_p, "seed": req.seed, "stop": req.stop,
              "response_format": req.response_format.type if req.response_format else "text",
              "stream": bool(req.stream),
              "include_usage": bool(req.stream_options and req.stream_options.include_usage)}
    return {k: v for k, v in fields.items() if v is not None}


def _precheck(body: dict[str, Any]) -> None:
    """What this route has always refused itself, in its own words, before the Struct's types apply."""
    if body.get("n") not in (None, 1):
        raise ValidationError.fields({"n": [t("chat_routes.only_n_1_supported")]})
    fmt = _typed(body, "response_format", dict, {"type": "text"})
    if not isinstance(fmt.get("type"), str):  # an object without its type is not a format
        raise ValidationError.fields({"response_format": [t("chat_routes.type_text_or_type")]})
    _typed(_typed(body, "stream_options", dict, {}), "include_usage", bool, False)
    _messages(body.get("messages"))
    _typed(body, "model", str, "")
    _typed(body, "stream", bool, False)


def _typed(body: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    """``body[name]`` when it is a ``kind``, ``default`` when absent or null; anything else is a 400.

    OpenAI's clients send null for "the default", never ``{}`` for a model or ``0`` for ``stream``:
    those are refused as the published schema says. Example: ``_typed({"stream": None}, "stream",
    bool, False) is False``.
    """
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        expected = {str: t("common.a_string"), bool: t("common.true_or_false"), dict: t("common.an_object")}[kind]
        raise ValidationError.fields({name: [expected]})
    return value


def _messages(raw: Any) -> None:
    """Content given as parts must be OpenAI's text parts (``[{"type": "text", "text": ...}]``): joined into one
    text by ``chat_fields``; an image or audio part is a 400 naming ``messages.content``."""
    if not isinstance(raw, list):
        return
    for m in raw:
        if isinstance(m, dict) and isinstance(m.get("content"), list):
            parts = m["content"]
            if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                       for p in parts):
                raise ValidationError.fields({"messages.content": [t("chat_routes.only_text_parts_type")]})


async def _first_piece(channel: Channel, task: asyncio.Future[Any]) -> str | None:
    """The first non-empty piece, or None when the job ended without one."""
    getter = asyncio.ensure_future(channel.queue.get())
    try:
        while True:
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                piece = getter.result()
                if piece:
                    return piece
                getter = asyncio.ensure_future(channel.queue.get())
            elif task.done():
                return None
    finally:
        getter.cancel()


async def _events(svc: Services, tool: ChatTool, job_id: str, params: dict[str, Any], channel: Channel,
                  task: asyncio.Future[Any], first: str) -> AsyncIterator[bytes]:
    """The server-sent events; a hang-up (the generator closed early) tells the tool to stop."""
    chunks = chat_shapes.Chunks(job_id, params["model"], params["include_usage"])
    done = False
    try:
        yield chunks.piece(first, role=True)
        while True:
            piece = await _next_piece(channel, task)
            if piece is None:
                break
            yield chunks.piece(piece)
        row = await to_thread.run_sync(jobs.get, svc.db, job_id)
        if row["status"] == "succeeded":
            result = json.loads(row["result"])
            yield chunks.end(result["finish_reason"], result["usage"])
        else:
            yield chunks.error(openai_error_body(svc, row))
        done = True
    finally:
        if not done:
            channel.hung_up.set()
        tool.streams.close(job_id)


async def _next_piece(channel: Channel, task: asyncio.Future[Any]) -> str | None:
    """The next piece; None once the job has ended and every piece is read."""
    while True:
        with contextlib.suppress(asyncio.QueueEmpty):
            return channel.queue.get_nowait()
        if task.done():
            await asyncio.sleep(0)  # pieces put just before the end are scheduled on this loop
            if channel.queue.empty():
                return None
            continue
        getter = asyncio.ensure_future(channel.queue.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()


def _job_error(row: Any) -> NoxusError:
    exc_cls = ERRORS_BY_CODE.get(row["error_code"] or "internal_error", NoxusError)
    details = {"job_id": row["id"], **(json.loads(row["result"] or "{}").get("details") or {})}
    return exc_cls(row["error_message"], details=details)


def openai_error_body(svc: Services, row: Any) -> dict[str, Any]:
    """A failure after text went out: OpenAI's error object as the stream's last event."""
    return summary_message(_job_error(row), svc.locale)


def _consume(task: asyncio.Future[Any]) -> None:
    """A stream whose client left never awaits its job: its outcome is in the job row, not a warning."""
    if not task.cancelled():
        task.exception()


def _options(request: Request[Any, Any, Any], svc: Services) -> Options:
    """The tool call's headers, but never 202: an OpenAI client waits for its answer (or its stream)."""
    return dataclasses.replace(request_options(request, svc), respond_async=False)
