"""The operator's admin token: one secret from config or ``NOXUS_ADMIN_TOKEN``, never an API key.

Why a separate secret: API keys belong to accounts and can be created by the
admin; the admin token must not be one of them, or a leaked customer key
would open every account. Unset means refused, never "open".

Example::

    if not token_matches(cfg, presented):
        raise Unauthorized(...)
"""

from __future__ import annotations

import hmac

from noxus_local.config import Config


def admin_enabled(cfg: Config) -> bool:
    """True when an admin token is configured; without one every admin route is refused."""
    return bool(cfg.admin.token)


def token_matches(cfg: Config, presented: str | None) -> bool:
    """Constant-time comparison of ``presented`` with the configured token; False when either is empty."""
    expected = cfg.admin.token
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), presented.encode("utf-8", "surrogatepass"))
