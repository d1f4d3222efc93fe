"""ASGI middleware: request ids and per-request extra headers on every response.

It also sets the request id for log lines (``logs.REQUEST_ID``).

It wraps the app's whole ASGI handler (router and exception handling), so
every response — successes, 404/405 for unmatched routes, 413s from the body
limit, 500s — gets ``X-Request-Id`` (and, for authenticated calls, the
``X-RateLimit-*`` headers that handlers stashed with ``envelope.add_headers``).
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from noxus_local.api.envelope import request_id_for
from noxus_local.ops.logs import REQUEST_ID


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        client = _header(scope, b"x-request-id")
        state["request_id"] = request_id_for(client)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", str(state["request_id"]).encode()))
                for name, value in state.get("extra_headers", {}).items():
                    if not any(k.lower() == name.lower().encode() for k, _ in headers):
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = REQUEST_ID.set(str(state["request_id"]))  # log lines of this request carry it
        try:
            await app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

    return middleware


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None
