"""The admin's own engine: any OpenAI-compatible chat server (Ollama, llama.cpp's server, vLLM, LocalAI).

Every request is streamed (``chat`` joins the pieces), so ``timeout_seconds``
is how long the engine may stay silent, not how long it may take to write:
a CPU llama-server writes a 512-token plan in minutes. Every request goes
through the SSRF guard (``core.ssrf.vet``) with
``[llm] allow_hosts`` as its allow-list — the engine usually sits on a
private or loopback address, which the guard refuses unless listed — and
connects to exactly the vetted address (the Host header and TLS SNI keep the
name), as ``net/fetch.py`` does. Whatever goes wrong with the engine becomes
one of our errors, never a raw exception: ``UpstreamError`` (502) when it is
down, times out, answers an HTTP error or something that is not a chat
completion; ``ToolUnavailable`` (503) when its address is refused by the
guard (the admin's setting to change); ``LimitExceeded`` (413, naming the
engine's context) when the engine refuses a prompt longer than its context
(llama.cpp's ``exceed_context_size_error``, vLLM's "maximum context length is N
tokens"). The engine's own error message, cut short, is in
``details.engine_message``. The repetition penalty is sent under both names
engines read: ``repetition_penalty`` (vLLM) and ``repeat_penalty`` (llama.cpp's
server, LocalAI; a real llama-server ignores the first: measured, the same
looping text with or without it); Ollama's OpenAI route reads neither. The
engine's token counts (``usage``) are what billing reads.

Example::

    llm = OpenAiLlm("http://10.0.0.5:11434/v1", "qwen2.5:7b-instruct", allow_hosts=["10.0.0.5"])
    llm.chat([{"role": "user", "content": "Hola"}], max_tokens=32).completion_tokens   # 9
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import httpx

from noxus_local.errors import LimitExceeded, ServerBusy, ToolUnavailable, UpstreamError, ValidationError
from noxus_local.generate.llm.types import Completion, Message, Sampling, Tally, TextStream, check_messages
from noxus_local.locale import t
from noxus_local.net.ssrf import Resolver, Target, vet

ERROR_BODY_BYTES = 65536  # an error body is read this far for its message
ENGINE_MESSAGE_CHARS = 300
# vLLM: "maximum context length is 4096 tokens"; llama.cpp: "exceeds the available context size (4096 tokens)"
CONTEXT_LIMIT = re.compile(r"maximum context length is (\d+)|context size \((\d+) tokens\)")


class OpenAiLlm:
    """``Llm`` over HTTP; at most ``max_concurrency`` requests at once (more wait up to the timeout)."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout_seconds: float = 120.0,
                 max_concurrency: int = 2, allow_hosts: Sequence[str] = (),
                 resolve: Resolver = socket.getaddrinfo, verify: ssl.SSLContext | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.api_key = api_key
        self.timeout = timeout_seconds
        self.allow_hosts = list(allow_hosts)
        self.resolve = resolve
        self.verify = verify
        self._slots = threading.BoundedSemaphore(max_concurrency)

    def chat(self, messages: Sequence[Message], **settings: Any) -> Completion:
        """Keywords as ``Llm.chat``: max_tokens, temperature, top_p, seed, stop, repetition_penalty.

        Asked for as a stream and joined: a CPU engine writing 512 tokens at 3 tok/s sends nothing for
        minutes when not streaming, and ``timeout_seconds`` (120 s) gave up on a real llama-server that
        was still writing; streamed, the timeout is the wait for each next chunk, as for ``stream``.
        """
        stream = self.stream(messages, **settings)
        try:
            text = "".join(stream)
        finally:
            stream.close()
        t = stream.tally
        return Completion(text, t.prompt_tokens, t.completion_tokens, t.finish_reason)

    def stream(self, messages: Sequence[Message], **settings: Any) -> TextStream:
        """The answer piece by piece (server-sent events); bad messages or settings raise here."""
        tally = Tally()
        body = self._body(messages, settings)
        return TextStream(self._pieces(body, tally), tally)

    def _pieces(self, body: dict[str, Any], tally: Tally) -> Iterator[str]:
        with self._slot(), self._client() as client, self._post(client, body) as response:
            try:
                for data in _events(response):
                    yield from _delta(data, tally)
            except httpx.TimeoutException:
                _fail("engine_timeout", f"the engine sent nothing for {self.timeout:g} s")
            except httpx.HTTPError as exc:
                _fail("engine_unreachable", f"the engine's stream broke off ({type(exc).__name__})")

    def _body(self, messages: Sequence[Message], settings: dict[str, Any]) -> dict[str, Any]:
        stop = settings.get("stop") or ()
        s = Sampling(**{**settings, "stop": tuple([stop] if isinstance(stop, str) else stop)})
        body: dict[str, Any] = {"model": self.name, "messages": check_messages(messages), "stream": True,
                                "max_tokens": s.max_tokens, "temperature": s.temperature, "top_p": s.top_p}
        body["stream_options"] = {"include_usage": True}
        if s.seed is not None:
            body["seed"] = s.seed
        if s.stop:
            body["stop"] = list(s.stop)
        if s.repetition_penalty != 1.0:
            body["repetition_penalty"] = body["repeat_penalty"] = s.repetition_penalty
        return body

    def _slot(self) -> Any:
        return _Slot(self._slots, self.timeout)

    def _client(self) -> httpx.Client:
        return httpx.Client(trust_env=False, follow_redirects=False, verify=self.verify,
                            timeout=httpx.Timeout(self.timeout))

    def _post(self, client: httpx.Client, body: dict[str, Any]) -> Any:
        return _Post(client, self._target(), body, self.api_key, self.timeout)

    def _target(self) -> Target:
        try:
            return vet(f"{self.base_url}/chat/completions", self.allow_hosts, self.resolve)
        except ValidationError as exc:
            reasons = [m for ms in (exc.details or {}).get("field_errors", {}).values() for m in ms]
            raise ToolUnavailable("the LLM engine's address is refused by the SSRF guard; add it to "
                                  "[llm] allow_hosts if it is yours",
                                  details={"reason": "engine_address_refused", "setting": "llm.allow_hosts",
                                           "problems": reasons}) from None


class _Slot:
    def __init__(self, slots: threading.BoundedSemaphore, timeout: float) -> None:
        self.slots, self.timeout = slots, timeout

    def __enter__(self) -> None:
        if not self.slots.acquire(timeout=self.timeout):
            raise ServerBusy("every LLM engine slot stayed busy", details={"setting": "llm.max_concurrency"})

    def __exit__(self, *exc: object) -> None:
        self.slots.release()


class _Post:
    """A streamed POST to the first vetted address that connects; errors become ours."""

    def __init__(self, client: httpx.Client, target: Target, body: dict[str, Any], api_key: str,
                 timeout: float) -> None:
        self.client, self.target, self.body, self.api_key, self.timeout = client, target, body, api_key, timeout
        self.response: httpx.Response | None = None

    def __enter__(self) -> httpx.Response:
        headers = {"Host": _host_header(self.target), "Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        content = json.dumps(self.body).encode()
        last: Exception | None = None
        for address in self.target.addresses:
            request = self.client.build_request("POST", _pinned_url(self.target, address), headers=headers,
                                                content=content, extensions={"sni_hostname": self.target.host})
            try:
                self.response = self.client.send(request, stream=True)
                break
            except httpx.ConnectError as exc:
                last = exc
            except httpx.TimeoutException:
                _fail("engine_timeout", f"no answer from the engine within {self.timeout:g} s")
            except httpx.HTTPError as exc:
                _fail("engine_unreachable", f"the engine could not be reached ({type(exc).__name__})")
        if self.response is None:
            _fail("engine_unreachable", f"the engine could not be reached ({type(last).__name__})")
        if self.response.status_code != 200:
            status = self.response.status_code
            try:
                said = _error_of(_head(self.response))
            finally:
                self.response.close()
            message = str(said.get("message") or "")[:ENGINE_MESSAGE_CHARS]
            context = _context_refusal(status, said)
            if context is not None:
                raise context
            _fail("engine_error", f"the engine answered HTTP {status}", status=status,
                  **({"engine_message": message} if message else {}))
        return self.response

    def __exit__(self, *exc: object) -> None:
        if self.response is not None:
            self.response.close()


def _pinned_url(target: Target, address: Any) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{target.scheme}://{host}:{target.port}{target.path}"


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _head(response: httpx.Response) -> bytes:
    """The first ``ERROR_BODY_BYTES`` of an error answer (b"" when it breaks off): enough for its message."""
    got = b""
    try:
        for chunk in response.iter_bytes():
            got += chunk
            if len(got) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    return got[:ERROR_BODY_BYTES]


def _error_of(raw: bytes) -> dict[str, Any]:
    """The ``error`` object of an engine's error body (OpenAI's ``{"error": {...}}``, or a bare ``{"message"}``
    / ``{"detail"}``); ``{}`` when it is not JSON. Example: ``_error_of(b'{"error": {"message": "x"}}')`` →
    ``{"message": "x"}``."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    error = data.get("error", data)
    if isinstance(error, str):
        return {"message": error}
    if not isinstance(error, dict):
        return {}
    if "message" not in error and isinstance(error.get("detail"), str):
        return {**error, "message": error["detail"]}
    return error


def _context_refusal(status: int, said: dict[str, Any]) -> LimitExceeded | None:
    """The engine's "the prompt does not fit my context" as our 413 naming its context, or None.

    llama.cpp's server answers 400 ``{"type": "exceed_context_size_error", "n_prompt_tokens": 12030,
    "n_ctx": 4096}``; vLLM 400 "This model's maximum context length is 4096 tokens. However, ...".
    """
    if status not in (400, 413):
        return None
    message = str(said.get("message") or "")
    kind = str(said.get("type") or said.get("code") or "")
    found = CONTEXT_LIMIT.search(message)
    if kind != "exceed_context_size_error" and found is None:
        return None
    context = _int(said.get("n_ctx")) or (int(found.group(1) or found.group(2)) if found else None)
    prompt = _int(said.get("n_prompt_tokens"))
    got = t("openai_engine.prompt_tokens", n=prompt) if prompt is not None else t("openai_engine.more_tokens")
    name = t("openai_engine.context_tokens", n=context) if context is not None else ""
    return LimitExceeded(t("openai_engine.prompt_over_context", got=got, context=name),
                         details={"limit": "context_tokens", "engine": "llm",
                                  **({"max": context} if context is not None else {}),
                                  **({"got": prompt} if prompt is not None else {}),
                                  "engine_message": message[:ENGINE_MESSAGE_CHARS]})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _fail(reason: str, message: str, **details: Any) -> NoReturn:
    raise UpstreamError(message, details={"reason": reason, "engine": "llm", **details})


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        _fail("engine_garbage", "the engine's answer is not JSON")


def _events(response: httpx.Response) -> Iterator[Any]:
    """The JSON of each ``data:`` line of a server-sent event stream, up to ``[DONE]``; a body without a
    single event (an HTML error page with status 200) is garbage."""
    seen = False
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        seen = True
        yield _json(payload.encode())
    if not seen:
        _fail("engine_garbage", "the engine's stream holds no chat completion chunk")


def _delta(data: Any, tally: Tally) -> Iterator[str]:
    """The text of one chunk, and its usage / finish reason into ``tally``."""
    try:
        usage = data.get("usage") or {}
        if usage:
            tally.prompt_tokens = int(usage.get("prompt_tokens", 0))
            tally.completion_tokens = int(usage.get("completion_tokens", 0))
        for choice in data.get("choices") or []:
            if choice.get("finish_reason"):
                tally.finish_reason = "length" if choice["finish_reason"] == "length" else "stop"
            text = (choice.get("delta") or {}).get("content")
            if text:
                if not isinstance(text, str):
                    raise TypeError("content")
                if not usage:
                    tally.completion_tokens += 1  # about a token per chunk, until the engine's usage says
                yield text
    except (TypeError, ValueError, AttributeError):
        _fail("engine_garbage", "the engine's stream is not chat completion chunks")
