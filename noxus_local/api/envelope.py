"""Response envelopes: the one success shape and the one error shape.

Every JSON body carries ``success`` and ``request_id``; errors add ``error``
(a sentence in the configured locale), ``error_code`` (stable, English),
``billing.charged_usd = "0"`` and optional ``details``. Handlers never build
error bodies themselves: they raise ``NoxusError`` and ``error_response``
renders it.

Example::

    json_response(request, {"status": "ok"})          # 200, envelope added
    error_response("req_ab…", InsufficientBalance(), "es")
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from litestar import Request, Response

from noxus_local.errors import NoxusError

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

MESSAGES: dict[str, tuple[str, str]] = {
    "validation_error": ("La solicitud tiene campos inválidos.", "The request has invalid fields."),
    "invalid_media": ("El archivo no se puede leer como el formato indicado.",
                      "The file cannot be decoded as the format it claims."),
    "missing_api_key": ("Falta la API key. Envía Authorization: Bearer TU_API_KEY.",
                        "Missing API key. Send Authorization: Bearer YOUR_API_KEY."),
    "invalid_api_key": ("API key inválida.", "Invalid API key."),
    "revoked_api_key": ("La API key fue revocada o expiró.", "The API key was revoked or has expired."),
    "insufficient_api_balance": ("Saldo API insuficiente.", "Insufficient API balance."),
    "scope_denied": ("La API key no tiene el permiso necesario.", "The API key lacks the required scope."),
    "tool_not_allowed": ("La API key no puede usar esta herramienta.",
                         "The API key is not allowed to use this tool."),
    "account_suspended": ("La cuenta está suspendida.", "The account is suspended."),
    "asset_forbidden": ("El asset pertenece a otra cuenta.", "The asset belongs to another account."),
    "tool_not_found": ("Herramienta no encontrada.", "Tool not found."),
    "job_not_found": ("Trabajo no encontrado.", "Job not found."),
    "asset_not_found": ("Asset no encontrado o eliminado.", "Asset not found or deleted."),
    "not_found": ("Recurso no encontrado.", "Resource not found."),
    "method_not_allowed": ("Método no permitido.", "Method not allowed."),
    "idempotency_conflict": ("Conflicto con la Idempotency-Key.", "Idempotency-Key conflict."),
    "limit_exceeded": ("Se superó un límite.", "A limit was exceeded."),
    "unsupported_media_type": ("Tipo de contenido no soportado.", "Unsupported media type."),
    "rate_limit_exceeded": ("Se superó el límite de uso. Intenta más tarde.",
                            "Rate limit exceeded. Try again later."),
    "concurrency_limit_exceeded": ("Demasiados trabajos en curso.", "Too many jobs in progress."),
    "internal_error": ("Error interno del servidor.", "Internal server error."),
    "tool_unavailable": ("La herramienta no está disponible en este servidor.",
                         "The tool is not available on this server."),
    "processing_timeout": ("Se superó el tiempo máximo de procesamiento.",
                           "The maximum processing time was exceeded."),
    "job_cancelled": ("El trabajo fue cancelado.", "The job was cancelled."),
}


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def request_id_for(client_value: str | None) -> str:
    """Reuse a well-formed client X-Request-Id, else mint one."""
    if client_value and REQUEST_ID_RE.match(client_value):
        return client_value
    return new_request_id()


def message(code: str, locale: str) -> str:
    es, en = MESSAGES.get(code, MESSAGES["internal_error"])
    return en if locale == "en" else es


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(request_id: str, exc: NoxusError, locale: str) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": exc.message or message(exc.code, locale),
                            "error_code": exc.code, "request_id": request_id,
                            "billing": {"charged_usd": "0"}}
    body.update(exc.extra)
    if exc.details and exc.status != 500:
        body["details"] = exc.details
    return body


def raw_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=body, status_code=status, media_type="application/json",
                    headers=headers or {})


def json_response(request: Request[Any, Any, Any], body: dict[str, Any], status: int = 200,
                  headers: dict[str, str] | None = None) -> Response[bytes]:
    full = {"success": True, **body, "request_id": request_id_of(request)}
    return raw_response(encode(full), status, headers)


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
