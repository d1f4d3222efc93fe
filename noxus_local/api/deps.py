"""What a handler receives by dependency injection: the services, the settings, the caller.

``dependencies(svc)`` is registered once on the app (``app.create_app``); a handler
asks for what it needs by parameter name and type, and Litestar resolves it
per request, only for handlers that declare it:

- ``svc: ServicesDep`` — the bundle the app was built with (database, catalog, runner ...);
- ``settings: SettingsDep`` — the loaded configuration (``svc.cfg``);
- ``principal: PrincipalDep`` — the authenticated caller. Resolving it *is* the
  authentication (``auth.require_principal``): a missing, bad or revoked key, a
  suspended account or the per-minute limit raise ``NoxusError``, which the app's
  exception handler renders as the contract's envelope (401/403/429).

Example::

    @get("/api/v1/balance", **docs.operation(...))
    async def balance(request: Request, svc: ServicesDep, principal: PrincipalDep) -> Balance: ...

Routes with their own error shape (seed 003's, OpenAI's) take ``svc`` here but
still call ``auth.require_principal`` inside their ``try``, so an auth error is
rendered in their shape. ``services_of(request)`` remains for code that has only
the request (helpers, the submit path).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler

from noxus_local.accounts.keys import Principal
from noxus_local.api.auth import require_principal
from noxus_local.config import Config
from noxus_local.node.services import Services

# what a handler annotates a parameter with; the parameter's name picks the provider
ServicesDep = NamedDependency[Services]      # svc: ServicesDep
SettingsDep = NamedDependency[Config]        # settings: SettingsDep
PrincipalDep = NamedDependency[Principal]    # principal: PrincipalDep (authenticates)


def services_of(request: Request[Any, Any, Any]) -> Services:
    return request.app.state["services"]  # type: ignore[no-any-return]


def dependencies(svc: Services) -> dict[str, Provide]:
    """The app's providers, registered once in ``create_app``.

    ``svc`` and ``settings`` are the app's own objects, so their providers take no
    argument and cache the value (``use_cache``): resolving them costs a dict
    lookup, not a parsed signature per request. ``principal`` depends on the
    request: it authenticates each one.
    """
    return {
        "svc": Provide(lambda: svc, sync_to_thread=False, use_cache=True),
        "settings": Provide(_settings, sync_to_thread=False, use_cache=True),
        "principal": Provide(_principal),
    }


# Each provider depends on the one before (svc -> settings -> principal), so Litestar resolves them one
# after another. Independent providers would be resolved "concurrently" in an anyio task group per
# request, which cost 0.04-0.2 ms a request on this 2-core box (scripts/bench/bench_typed_seed_routes.py)
# for three dict lookups and a key check.
def _settings(svc: ServicesDep) -> Config:
    return svc.cfg


async def _principal(request: Request[Any, Any, Any], svc: ServicesDep, settings: SettingsDep) -> Principal:
    return await require_principal(request)


async def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard for routes that need a valid key but not the principal: ``@get(..., guards=[authenticated])``."""
    await require_principal(connection)  # type: ignore[arg-type]


# what Litestar needs to resolve the names in handler annotations (``from __future__ import annotations``)
SIGNATURE_TYPES: list[Any] = [Services, Principal, Config]
