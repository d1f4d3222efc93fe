"""One error hierarchy: each class carries its HTTP status and stable code.

The API layer turns any ``NoxusError`` into the contract's error envelope
(CONTRACT.md §1) in one handler; nothing else builds error bodies. Messages
are looked up by ``code`` in the configured locale, so raising code never
chooses a language.

Example::

    raise LimitExceeded(details={"limit": "max_upload_mb", "max": 25})
"""

from __future__ import annotations

from typing import Any, ClassVar

# (es, en) per code. Here, below every layer, because job bodies (core.job_view) name
# a failed job's error in the locale too, not only the HTTP envelope.
MESSAGES: dict[str, tuple[str, str]] = {
    "validation_error": ("La solicitud tiene campos inválidos.", "The request has invalid fields."),
    "invalid_media": ("El archivo no se puede leer como el formato indicado.",
                      "The file cannot be decoded as the format it claims."),
    "missing_api_key": ("Falta la API key. Envía Authorization: Bearer TU_API_KEY.",
                        "Missing API key. Send Authorization: Bearer YOUR_API_KEY."),
    "invalid_api_key": ("API key inválida.", "Invalid API key."),
    "revoked_api_key": ("La API key fue revocada o expiró.", "The API key was revoked or has expired."),
    "insufficient_api_balance": ("Saldo API insuficiente.", "Insufficient API balance."),
    "key_budget_exceeded": ("La API key alcanzó su límite de gasto para este periodo; details.resets_at dice "
                            "cuándo se reinicia.",
                            "The API key reached its spending cap for this period; details.resets_at says "
                            "when it resets."),
    "scope_denied": ("La API key no tiene el permiso necesario.", "The API key lacks the required scope."),
    "tool_not_allowed": ("La API key no puede usar esta herramienta.",
                         "The API key is not allowed to use this tool."),
    "account_suspended": ("La cuenta está suspendida.", "The account is suspended."),
    "tool_not_found": ("Herramienta no encontrada.", "Tool not found."),
    "job_not_found": ("Trabajo no encontrado.", "Job not found."),
    "asset_forbidden": ("El asset pertenece a otra cuenta.", "The asset belongs to another account."),
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
    "shutting_down": ("El servidor se está deteniendo; el trabajo seguirá al reiniciar. Consulta "
                      "details.job_id después de Retry-After segundos.",
                      "The server is shutting down; the job goes on after the restart. Poll "
                      "details.job_id after Retry-After seconds."),
    "request_timeout": ("El cliente dejó de enviar el cuerpo de la solicitud.",
                        "The client stopped sending the request body."),
    "invalid_worker_token": ("Token de worker inválido.", "Invalid worker token."),
    "stale_attempt": ("Este intento del trabajo ya no es el vigente; su resultado se ignora.",
                      "This attempt of the job is no longer current; its result is ignored."),
    "server_busy": ("El servidor está ocupado. Intenta de nuevo en unos segundos.",
                    "The server is busy. Try again in a few seconds."),
    "insufficient_storage": ("El disco del servidor está lleno: la solicitud no se procesó y no se cobró nada. "
                             "Intenta de nuevo cuando haya espacio libre.",
                             "The server's disk is full: the request was not processed and nothing was "
                             "charged. Try again once space is freed."),
    "missing_admin_token": ("Falta el token de administración. Envía Authorization: Bearer TOKEN o X-Admin-Token.",
                            "Missing admin token. Send Authorization: Bearer TOKEN or X-Admin-Token."),
    "invalid_admin_token": ("Token de administración inválido.", "Invalid admin token."),
    "admin_disabled": ("La administración está desactivada: define [admin] token o NOXUS_ADMIN_TOKEN.",
                       "Administration is disabled: set [admin] token or NOXUS_ADMIN_TOKEN."),
    "already_exists": ("El recurso ya existe.", "The resource already exists."),
    "state_conflict": ("El recurso no está en un estado que permita esta acción.",
                       "The resource is not in a state that allows this action."),
    "upstream_error": ("El motor externo falló o respondió algo que no se puede usar.",
                       "The outside engine failed or answered something unusable."),
}


class Text(str):
    """A sentence written in both locales; as a plain ``str`` it is the Spanish one (the default).

    Raising code never knows the locale, so a message that says more than its
    code's sentence is written twice and chosen where the body is built
    (``say``). Being a ``str`` keeps every other use of it working.

    Example::

        raise InvalidMedia(Text("El archivo está vacío.", "The file is empty."))
        say(Text("Hola.", "Hello."), "en")   # 'Hello.'
    """

    en: str

    def __new__(cls, es: str, en: str) -> Text:
        text = super().__new__(cls, es)
        text.en = en
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # pickled across processes
        return (str(self), self.en)


def one_of(values: Any) -> Text:
    """The field error for a value outside a list: ``one_of(("png", "jpeg"))`` → "uno de: png, jpeg"."""
    listed = ", ".join(str(v) for v in values)
    return Text(f"uno de: {listed}", f"one of: {listed}")


def say(value: Any, locale: str) -> Any:
    """``value`` with every ``Text`` in it (nested in dicts, lists, tuples) turned into one language."""
    if isinstance(value, Text):
        return value.en if locale == "en" else str(value)
    if isinstance(value, dict):
        return {k: say(v, locale) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [say(v, locale) for v in value]
    return value


def message(code: str, locale: str) -> str:
    """The sentence for ``code``: ``message("job_cancelled", "en") == "The job was cancelled."``."""
    es, en = MESSAGES.get(code, MESSAGES["internal_error"])
    return en if locale == "en" else es


class NoxusError(Exception):
    """Base class: ``status`` and ``code`` identify the error for clients."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.code)
        self.message = message
        self.details = details
        self.headers = headers or {}
        # top-level body members besides the envelope, e.g. seed 000's "limit"
        self.extra = extra or {}


class ValidationError(NoxusError):
    status, code = 400, "validation_error"

    @classmethod
    def fields(cls, field_errors: dict[str, list[str]]) -> ValidationError:
        """Example: ``raise ValidationError.fields({"size": ["must be <= 4000"]})``."""
        return cls(details={"field_errors": field_errors})


class InvalidMedia(NoxusError):
    status, code = 400, "invalid_media"


class MissingApiKey(NoxusError):
    status, code = 401, "missing_api_key"


class InvalidWorkerToken(NoxusError):
    """The internal worker API (``/internal/v1``) got no token or a wrong one (issue 12)."""

    status, code = 401, "invalid_worker_token"


class StaleAttempt(NoxusError):
    """A remote worker reported on an attempt the API node gave up on, or on a job that ended."""

    status, code = 409, "stale_attempt"


class InvalidApiKey(NoxusError):
    status, code = 401, "invalid_api_key"


class RevokedApiKey(NoxusError):
    status, code = 401, "revoked_api_key"


class InsufficientBalance(NoxusError):
    status, code = 402, "insufficient_api_balance"


class KeyBudgetExceeded(NoxusError):
    """The key's own cap (``key_budgets``, issue 25) would be passed; details: cap_usd, spent_usd, resets_at."""

    status, code = 402, "key_budget_exceeded"


class ScopeDenied(NoxusError):
    status, code = 403, "scope_denied"


class ToolNotAllowed(NoxusError):
    status, code = 403, "tool_not_allowed"


class AccountSuspended(NoxusError):
    status, code = 403, "account_suspended"


class AssetForbidden(NoxusError):
    """An asset id of another account (seed 003: "Asset not owned by your org")."""

    status, code = 403, "asset_forbidden"


class ToolNotFound(NoxusError):
    status, code = 404, "tool_not_found"


class JobNotFound(NoxusError):
    status, code = 404, "job_not_found"


class AssetNotFound(NoxusError):
    status, code = 404, "asset_not_found"


class NotFound(NoxusError):
    status, code = 404, "not_found"


class MissingAdminToken(NoxusError):
    """An admin route (``/api/v1/admin/*``) got no admin token in its headers (issue 25)."""

    status, code = 401, "missing_admin_token"


class InvalidAdminToken(NoxusError):
    """An admin route got a token that is not ``[admin] token`` (compared in constant time)."""

    status, code = 401, "invalid_admin_token"


class AdminDisabled(NoxusError):
    """No ``[admin] token`` is configured: every admin route is refused, never open."""

    status, code = 503, "admin_disabled"


class AlreadyExists(NoxusError):
    """Creating what exists: an account id already taken."""

    status, code = 409, "already_exists"


class StateConflict(NoxusError):
    """An action its target's state forbids: revoking a revoked key, cancelling a finished job."""

    status, code = 409, "state_conflict"


class MethodNotAllowed(NoxusError):
    status, code = 405, "method_not_allowed"


class IdempotencyConflict(NoxusError):
    status, code = 409, "idempotency_conflict"


class RequestTimeout(NoxusError):
    """The client stopped sending its request body for ``[server] body_timeout_seconds``."""

    status, code = 408, "request_timeout"


class LimitExceeded(NoxusError):
    status, code = 413, "limit_exceeded"


class UnsupportedMediaType(NoxusError):
    status, code = 415, "unsupported_media_type"


class RateLimitExceeded(NoxusError):
    status, code = 429, "rate_limit_exceeded"


class ConcurrencyLimitExceeded(NoxusError):
    status, code = 429, "concurrency_limit_exceeded"


class InternalError(NoxusError):
    status, code = 500, "internal_error"


class ToolUnavailable(NoxusError):
    status, code = 503, "tool_unavailable"


class UpstreamError(NoxusError):
    """An engine the admin configured (an OpenAI-compatible LLM server) is down, timed out or answered
    garbage; ``details.reason`` says which, e.g. ``{"reason": "engine_unreachable", "engine": "llm"}``."""

    status, code = 502, "upstream_error"


class ShuttingDown(NoxusError):
    """The server is stopping (SIGTERM); ``details.job_id`` names the job the next start runs."""

    status, code = 503, "shutting_down"


class ServerBusy(NoxusError):
    """Server-wide capacity (e.g. ``[server] max_concurrent_uploads``) is in use; retry later."""

    status, code = 503, "server_busy"


class InsufficientStorage(NoxusError):
    """The data dir's disk is full (ENOSPC, EDQUOT, SQLite "database or disk is full"), or below
    ``[storage] min_free_mb``: the work is refused or ends ``failed``, charged 0 (issue 17 item 2).

    Example: ``raise InsufficientStorage(details={"free_mb": 7, "min_free_mb": 256})``.
    """

    status, code = 507, "insufficient_storage"


class ProcessingTimeout(NoxusError):
    status, code = 504, "processing_timeout"


class JobCancelled(NoxusError):
    """Raised inside a tool when its cancel token fires (DELETE /jobs/{id})."""

    status, code = 409, "job_cancelled"


class ConfigError(Exception):
    """A config file problem; the CLI prints it and exits with code 2."""


ERRORS_BY_CODE: dict[str, type[NoxusError]] = {
    cls.code: cls for cls in NoxusError.__subclasses__() + [NoxusError]
}
