"""OpenAI's error body for the /v1 routes, as each route's own exception handler.

The /v1 handlers raise ``NoxusError`` like every other route (a bad key from the
``principal`` dependency, a refusal from ``submit``, a failed job); their decorator
names ``exception_handlers={NoxusError: ...}`` so it is answered in OpenAI's shape,
``{"error": {"message", "type", "code", "param"}}``, with our status code and
headers (``Retry-After``; ``X-Job-Id`` when a job was written). ``type`` is
``invalid_request_error`` for 4xx and ``server_error`` for 5xx. Anything else
(a bug) still reaches the app's handler and its envelope.

Two wordings, as before: the audio transcription routes say ``"<message> (<field>:
<why>)"``; speech and chat say ``"<field>: <why>"`` (``field_message``).

Example::

    @post("/v1/audio/speech", exception_handlers=FIELD_ERRORS, ...)
    field_message(ValidationError.fields({"voice_id": ["unknown voice"]}), "en")
    # {"error": {"message": "voice_id: unknown voice", "type": "invalid_request_error",
    #            "code": "validation_error", "param": "voice_id"}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response

from noxus_local.api.deps import services_of
from noxus_local.api.envelope import encode
from noxus_local.errors import NoxusError, message, say

Render = Callable[[NoxusError, str], dict[str, Any]]


def _kind(exc: NoxusError) -> str:
    return "invalid_request_error" if exc.status < 500 else "server_error"


def summary_message(exc: NoxusError, locale: str) -> dict[str, Any]:
    """The transcription routes' body: the error's sentence, the field errors after it in brackets."""
    fields = say((exc.details or {}).get("field_errors") or {}, locale)
    said = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items())
    text = say(exc.message, locale) or message(exc.code, locale)
    return {"error": {"message": f"{text} ({said})" if said else text, "type": _kind(exc),
                      "code": exc.code, "param": next(iter(fields), None)}}


def field_message(exc: NoxusError, locale: str) -> dict[str, Any]:
    """The speech and chat routes' body: a field error is the message (``"<field>: <why>"``)."""
    field_errors = say((exc.details or {}).get("field_errors") or {}, locale)
    param = next(iter(field_errors), None)
    text = say(exc.message, locale) or message(exc.code, locale)
    if param:
        text = f"{param}: {field_errors[param][0]}"
    return {"error": {"message": text, "type": _kind(exc), "code": exc.code, "param": param}}


def response(exc: NoxusError, body: dict[str, Any]) -> Response[bytes]:
    """The error's status and headers (Retry-After ...), ``X-Job-Id`` when the details name a job."""
    headers = dict(exc.headers)
    job_id = (exc.details or {}).get("job_id")
    if job_id:
        headers["X-Job-Id"] = str(job_id)
    return Response(content=encode(body), status_code=exc.status, media_type="application/json", headers=headers)


def handler(render: Render) -> dict[type[Exception], Callable[[Request[Any, Any, Any], Exception], Response[bytes]]]:
    """``exception_handlers=`` for a route answering ``NoxusError`` with ``render``'s body."""
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        assert isinstance(exc, NoxusError)
        return response(exc, render(exc, services_of(request).locale))
    return {NoxusError: handle}


TRANSCRIPTION_ERRORS = handler(summary_message)
FIELD_ERRORS = handler(field_message)
