"""A seed 002 route's OpenAPI operation: ``docs.operation`` with the seed's error body and statuses.

Seed 002 answers errors as ``{"error", "code"}`` (``jobs.apex.error_body``) and maps our
codes to its own statuses (``limit_exceeded`` and ``idempotency_conflict`` are its 400
``BAD_REQUEST``, not 413/409), so the error responses are grouped by the seed's status and
each example is the body the server really renders for that code.

Example::

    @post("/api/generate/voice", **apex_operation("apexGenerateVoice", "Generate voice (TTS)", "...",
                                                  ok=(ApexQueued, QUEUED), errors=GENERATION_ERRORS,
                                                  body=(ApexVoiceIn, {"hello": {"text": "Hello"}})))
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from noxus_local.api.apex_schemas import TAG, ApexError
from noxus_local.api.docs import operation
from noxus_local.api.envelope import MESSAGES
from noxus_local.api.openapi_spec import ERROR_SAMPLES
from noxus_local.errors import ERRORS_BY_CODE
from noxus_local.jobs import apex

AUTH = ("missing_api_key", "invalid_api_key", "revoked_api_key", "account_suspended", "rate_limit_exceeded",
        "internal_error")
READ_ERRORS = (*AUTH, "scope_denied")
GENERATION_ERRORS = ("validation_error", "insufficient_api_balance", "key_budget_exceeded", "scope_denied",
                     "tool_not_allowed", "concurrency_limit_exceeded", "server_busy", "tool_unavailable", *AUTH)
UNAVAILABLE_ERRORS = ("tool_unavailable", *READ_ERRORS)


def apex_operation(operation_id: str, summary: str, description: str, *, ok: tuple[Any, dict[str, Any]],
                   errors: tuple[str, ...], body: tuple[type, dict[str, Any]] | None = None,
                   **more: Any) -> dict[str, Any]:
    """The decorator's keywords: ``docs.operation`` with the seed's error responses (``more``: its other
    keywords, e.g. ``bodies`` for a multipart and JSON body, ``auth``/``ok_media`` for a signed file)."""
    out = operation(operation_id, TAG, summary, description, ok=ok, errors=(), body=body, **more)
    out["responses"].update(error_responses(errors))
    return out


def error_responses(codes: tuple[str, ...]) -> dict[int, ResponseSpec]:
    """One response per seed status, every code of it an example, as ``apex.error_body`` renders it."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(apex.CODES.get(code, (500, ""))[0], []).append(code)
    out = {}
    for status, found in sorted(by_status.items()):
        seed = sorted({apex.CODES.get(code, (500, "INTERNAL_ERROR"))[1] for code in found})
        text = "; ".join(f"{code}: {MESSAGES[code][1].rstrip('.')}" for code in found)
        out[status] = ResponseSpec(
            data_container=ApexError, generate_examples=False,
            description=f"{HTTPStatus(status).phrase}: `{'`, `'.join(seed)}` ({text}).",
            examples=[Example(id=code, summary=f"{status} ({code})", value=sample(code)) for code in found])
    return out


def sample(code: str) -> dict[str, str]:
    """The seed's body for one of our codes: ``sample("scope_denied")`` → ``{"error": "…", "code": "FORBIDDEN"}``."""
    given = ERROR_SAMPLES.get(code, {})
    exc = ERRORS_BY_CODE[code](given.get("message"), details=given.get("details"), extra=given.get("extra"))
    return apex.error_body(exc, "en")[1]
