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


class InvalidApiKey(NoxusError):
    status, code = 401, "invalid_api_key"


class RevokedApiKey(NoxusError):
    status, code = 401, "revoked_api_key"


class InsufficientBalance(NoxusError):
    status, code = 402, "insufficient_api_balance"


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


class MethodNotAllowed(NoxusError):
    status, code = 405, "method_not_allowed"


class IdempotencyConflict(NoxusError):
    status, code = 409, "idempotency_conflict"


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
