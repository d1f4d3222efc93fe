"""OpenAI-compatible chat: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The official ``openai`` client works with only ``base_url`` changed. Each call
is a ``chat`` job (tools/chat.py): the same keys, scopes, tier limits, hold and
charge, Idempotency-Key and job history as every tool; ``X-Job-Id`` names it.
OpenAI's body is mapped onto the tool's fields here (``max_completion_tokens``
wins over ``max_tokens``, ``response_format.type``, ``stream_options``) and the
answer rendered in OpenAI's shapes (api/chat_shapes.py); errors use OpenAI's
body with our status codes.

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
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.response import Stream

from noxus_local.api import chat_shapes
from noxus_local.api.auth import require_principal
from noxus_local.api.deps import services_of
from noxus_local.api.envelope import request_id_of
from noxus_local.api.openai_speech_routes import openai_error
from noxus_local.api.submit import Options, json_fields, remember, replayed_as_stored, request_options, submit
from noxus_local.errors import ERRORS_BY_CODE, NoxusError, Text, ValidationError
from noxus_local.generate.llm.models import text_models
from noxus_local.jobs import store as jobs
from noxus_local.node.services import Services
from noxus_local.tools.chat import ChatTool
from noxus_local.tools.chat_stream import Channel

ROUTE = "/v1/chat/completions"
SSE = "text/event-stream"


@post(ROUTE, status_code=200)
async def chat_completions(request: Request[Any, Any, Any]) -> Response[bytes] | Stream:
    try:
        return await _chat(request)
    except NoxusError as exc:
        return openai_error(request, exc)


@get("/v1/models")
async def list_models(request: Request[Any, Any, Any]) -> Response[bytes]:
    svc = services_of(request)
    try:
        await require_principal(request)
        names = await to_thread.run_sync(text_models(svc.cfg).names)
    except NoxusError as exc:
        return openai_error(request, exc)
    return _bytes(chat_shapes.model_list(names), 200, "application/json", request)


def _tool(svc: Services) -> ChatTool:
    tool = svc.catalog.resolve("chat")
    assert isinstance(tool, ChatTool)
    return tool


async def _chat(request: Request[Any, Any, Any]) -> Response[bytes] | Stream:
    svc = services_of(request)
    done = await submit(request, "chat", json_fields(request, lambda body: chat_fields(body, svc.cfg.llm.model)),
                        route=ROUTE, options=_options)
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
    await task  # ShuttingDown and the like reach the handler's OpenAI error body
    row = await to_thread.run_sync(jobs.get, svc.db, job_id)
    if row["status"] != "succeeded":
        raise _job_error(row)
    result = json.loads(row["result"])
    if job.params["stream"]:
        body, mime = chat_shapes.whole_stream(job_id, result, job.params["include_usage"]), SSE
    else:
        body, mime = json.dumps(chat_shapes.completion(job_id, result), ensure_ascii=False).encode(), \
            "application/json"
    if job.idempotency_key:
        await to_thread.run_sync(remember, svc, job, 200, body, {**headers, "Content-Type": mime})
    return _bytes(body, 200, mime, request, headers)


def chat_fields(body: dict[str, Any], default_model: str) -> dict[str, Any]:
    """OpenAI's request in the chat tool's field names; the tool validates the values."""
    if body.get("n") not in (None, 1):
        raise ValidationError.fields({"n": [Text("solo se admite n = 1", "only n = 1 is supported")]})
    fmt = _typed(body, "response_format", dict, {"type": "text"})
    if not isinstance(fmt.get("type"), str):  # an object without its type is not a format
        raise ValidationError.fields({"response_format": [Text('{"type": "text"} o {"type": "json_object"}',
                                                               '{"type": "text"} or {"type": "json_object"}')]})
    kind = fmt["type"]
    options = _typed(body, "stream_options", dict, {})
    most = body.get("max_completion_tokens")
    fields = {"messages": _messages(body.get("messages")), "model": _typed(body, "model", str, "") or default_model,
              "max_tokens": body.get("max_tokens") if most is None else most,
              "temperature": body.get("temperature"), "top_p": body.get("top_p"), "seed": body.get("seed"),
              "stop": body.get("stop"), "response_format": kind, "stream": _typed(body, "stream", bool, False),
              "include_usage": _typed(options, "include_usage", bool, False)}
    return {k: v for k, v in fields.items() if v is not None}


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
        expected = {str: ("texto", "a string"), bool: ("true o false", "true or false"),
                    dict: ("un objeto", "an object")}[kind]
        raise ValidationError.fields({name: [Text(*expected)]})
    return value


def _messages(raw: Any) -> Any:
    """Content given as OpenAI's text parts (``[{"type": "text", "text": ...}]``) joined into one text."""
    if not isinstance(raw, list):
        return raw
    out = []
    for m in raw:
        if isinstance(m, dict) and isinstance(m.get("content"), list):
            parts = m["content"]
            if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                       for p in parts):
                raise ValidationError.fields({"messages.content": [Text(
                    "solo partes de texto", "only text parts ({\"type\": \"text\", \"text\": ...}) are supported")]})
            m = {**m, "content": "".join(p["text"] for p in parts)}
        out.append(m)
    return out


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
    from noxus_local.api.openai_routes import error_shape

    return error_shape(_job_error(row), svc.locale)


def _consume(task: asyncio.Future[Any]) -> None:
    """A stream whose client left never awaits its job: its outcome is in the job row, not a warning."""
    if not task.cancelled():
        task.exception()


def _bytes(body: bytes, status: int, mime: str, request: Request[Any, Any, Any],
           headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=body, status_code=status, media_type=mime,
                    headers={"X-Request-Id": request_id_of(request), **(headers or {})})


def _options(request: Request[Any, Any, Any], svc: Services) -> Options:
    """The tool call's headers, but never 202: an OpenAI client waits for its answer (or its stream)."""
    return dataclasses.replace(request_options(request, svc), respond_async=False)
