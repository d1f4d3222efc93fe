"""Response envelopes: the one success shape and the one error shape.

Every JSON body carries ``success`` and ``request_id``; errors add ``error``
(a sentence in the configured locale), ``error_code`` (stable, English),
``billing.charged_usd = "0"`` and optional ``details``. Handlers never build
error bodies themselves: they raise ``NoxusError`` and ``error_response``
renders it.

Example::

    EncodedResponse(ToolAccepted(...), 202)           # a Struct, encoded once (kept for replays)
    error_response("req_ab…", InsufficientBalance(), "es")
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.serialization import encode_json
from litestar.types import Serializer

# the message catalog lives in errors.py (core shapes job errors too); re-exported for the API
from noxus_local.errors import MESSAGES as MESSAGES
from noxus_local.errors import NoxusError, message, say

# fullmatch, not match: "$" would also accept a trailing newline
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")

def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def request_id_for(client_value: str | None) -> str:
    """Reuse a well-formed client X-Request-Id, else mint one."""
    if client_value and REQUEST_ID_RE.fullmatch(client_value):
        return client_value
    return new_request_id()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(request_id: str, exc: NoxusError, locale: str) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": say(exc.message, locale) or message(exc.code, locale),
                            "error_code": exc.code, "request_id": request_id,
                            "billing": {"charged_usd": "0"}}
    body.update(exc.extra)
    if exc.details and exc.status != 500:
        body["details"] = say(exc.details, locale)
    return body


T = TypeVar("T")


class EncodedResponse(Response[T]):
    """A typed JSON answer (a Struct) encoded once, with Litestar's own encoder: ``raw`` is both the bytes
    sent and the bytes an Idempotency-Key store keeps, so a replay is the first answer byte for byte.

    Example::

        answer = EncodedResponse(ToolAccepted(...), status_code=202, headers={"Location": "/api/v1/jobs/job_1"})
        remember(svc, job, 202, answer.raw, {"Location": "/api/v1/jobs/job_1"})
        return answer
    """

    def __init__(self, content: T, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(content, status_code=status_code, media_type="application/json", headers=headers or {})
        self.raw = content if isinstance(content, bytes) else encode_json(content)

    def render(self, content: Any, media_type: str, enc_hook: Serializer | None = None) -> bytes:
        return self.raw


def raw_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=body, status_code=status, media_type="application/json",
                    headers=headers or {})


def error_response(request_id: str, exc: NoxusError, locale: str) -> Response[bytes]:
    return raw_response(encode(error_body(request_id, exc, locale)), exc.status, dict(exc.headers))


def request_id_of(request: Request[Any, Any, Any]) -> str:
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    rid = state.get("request_id")
    if rid is None:
        rid = state["request_id"] = request_id_for(request.headers.get("x-request-id"))
    return str(rid)


def add_headers(request: Request[Any, Any, Any], headers: dict[str, str]) -> None:
    """Headers the middleware adds to whatever response this request gets (rate limits)."""
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    state.setdefault("extra_headers", {}).update(headers)
