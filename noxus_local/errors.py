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

from noxus_local.locale import TABLE, Text, t  # noqa: F401  (Text: errors.Text is its old home)

# (es, en) per code, read from the one locale table (locale/messages.toml, section [code]). Here,
# below every layer, because job bodies (core.job_view) name a failed job's error in the locale
# too, not only the HTTP envelope.
MESSAGES: dict[str, tuple[str, str]] = {
    key.removeprefix("code."): (entry["es"], entry["en"]) for key, entry in TABLE.items() if key.startswith("code.")
}

def one_of(values: Any) -> Text:
    """The field error for a value outside a list: ``one_of(("png", "jpeg"))`` → "uno de: png, jpeg"."""
    return t("errors.one_of", listed=", ".join(str(v) for v in values))


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
