"""Response bodies shared by the media routes that answer in seed 003's shape (CTA designs; the ad routes may
reuse them): ``SeedError`` and its examples, as ``ad_routes.seed_error`` writes them.

Seed 003 has no envelope: an error is ``{"error": "..."}`` plus ``details`` (400 adds
``{fieldErrors, formErrors}``), a 429 for concurrency adds ``active`` and ``max``.

Example::

    @get("/api/v1/cta-designs", exception_handlers=SEED_ERRORS, **operation(..., error_model=SeedError,
                                                                              error_examples=seed_examples(codes)))
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, Struct, UnsetType

from noxus_local.errors import message


class SeedError(Struct, kw_only=True):
    """Seed 003's error body: a sentence, and what the route adds to it."""

    error: str
    details: dict[str, Any] | UnsetType = UNSET
    active: int | UnsetType = UNSET
    max: int | UnsetType = UNSET


# the sentences seed_error writes instead of the code's message
_SEED_SENTENCES = {"rate_limit_exceeded": "Rate limit exceeded. Try again later.",
                   "concurrency_limit_exceeded": "Concurrency limit reached. Wait for active jobs to complete."}


def seed_examples(codes: tuple[str, ...], fields: dict[str, list[str]] | None = None,
                  details: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One example body per code as ``ad_routes.seed_error`` renders it (English, the seed's language).

    Example: ``seed_examples(("not_found",))["not_found"] == {"error": "Resource not found."}`` (the code's
    message); ``fields`` is the 400's ``fieldErrors``, ``details`` a code's ``details``.
    """
    out: dict[str, Any] = {}
    for code in codes:
        if code == "validation_error":
            out[code] = {"error": "Validation failed", "details": {"fieldErrors": fields or {}, "formErrors": []}}
            continue
        body: dict[str, Any] = {"error": _SEED_SENTENCES.get(code) or message(code, "en")}
        if details and code in details:
            body["details"] = details[code]
        out[code] = body
    return out
