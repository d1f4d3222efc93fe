"""The admin API's authentication: the admin token as the Router's guard, the actor by dependency injection.

Why a guard: Litestar runs it before a handler's parameters or body are read, on
every route of the Router it is registered on, so no admin route can forget it and
a bad token never reaches a body parser. The checks, in order: a token in the query
string is ``400`` (``details.reason`` ``token_in_query_string``: URLs end up in proxy
logs), no token configured ``503 admin_disabled``, none sent ``401
missing_admin_token``, an address with 10 wrong tokens in the last minute ``429``
(``admin.lockout``, before comparing, so the right token learns nothing either), a
wrong one ``401 invalid_admin_token``. It leaves the ``Actor`` (who, via
``api``, the client's address, the request id) on the request; ``actor: AdminDep``
hands it to the handlers that write the audit log.

Example::

    Router(path="/api/v1/admin", route_handlers=[*options_routes(ROUTES), *ROUTES], guards=[admin_guard],
           dependencies={"actor": Provide(actor_of, sync_to_thread=False)})
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, route
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler

from noxus_local.admin.audit import Actor
from noxus_local.admin.lockout import Lockout
from noxus_local.admin.token import admin_enabled, token_matches
from noxus_local.api.deps import ServicesDep, services_of
from noxus_local.api.envelope import request_id_of
from noxus_local.errors import AdminDisabled, InvalidAdminToken, MissingAdminToken, ValidationError
from noxus_local.locale import t

log = logging.getLogger("noxus_local.api.admin")
QUERY_TOKEN_NAMES = frozenset({"token", "admin_token", "access_token", "x-admin-token", "api_key", "key"})
PUBLIC = "admin_public"  # a handler's opt: the guard lets it through (OPTIONS only)
ACTOR = "admin_actor"  # where the guard leaves the Actor in the request's state
AdminDep = NamedDependency[Actor]  # actor: AdminDep


def _presented(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token from ``X-Admin-Token`` or ``Authorization: Bearer``; None when neither is sent."""
    direct = connection.headers.get("x-admin-token")
    if direct:
        return direct.strip()
    scheme, _, value = (connection.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every admin route's first step (the Router's guard): 400 token in the URL, 503 no token configured,
    401 none sent or a wrong one, 429 locked out; then the ``Actor`` for the audit log is left on the request."""
    if handler.opt.get(PUBLIC):
        return
    if any(name.lower() in QUERY_TOKEN_NAMES for name in connection.query_params):
        raise ValidationError(t("admin_guard.token_goes_in_header"),
                              details={"reason": "token_in_query_string"})
    cfg = services_of(connection).cfg  # type: ignore[arg-type]
    if not admin_enabled(cfg):
        raise AdminDisabled()
    presented = _presented(connection)
    if presented is None:
        raise MissingAdminToken()
    client = connection.client.host if connection.client else None
    lockout: Lockout = connection.app.state.setdefault("admin_lockout", Lockout())
    lockout.check(client)  # 429 after 10 wrong tokens a minute from this address, right or wrong now
    if not token_matches(cfg, presented):
        lockout.failed(client)
        log.warning("admin: wrong token from %s on %s", client, connection.url.path)
        raise InvalidAdminToken()
    connection.scope.setdefault("state", {})[ACTOR] = Actor(  # type: ignore[typeddict-item]
        "admin", "api", client, request_id_of(connection))  # type: ignore[arg-type]


def actor_of(request: Request[Any, Any, Any], svc: ServicesDep) -> Actor:
    """Who acts (``actor: AdminDep``): the one the guard authenticated, for the audit log.

    It names ``svc`` (unused) so Litestar resolves the two one after the other: two
    independent dependencies of a handler are resolved in an anyio task group, which
    cost a write route 100 to 200 us of CPU per request (scripts/bench/bench_admin_api.py).
    """
    return request.scope["state"][ACTOR]  # type: ignore[typeddict-item,no-any-return]


def _options(path: str, allow: str) -> HTTPRouteHandler:
    """``OPTIONS`` on an admin path: the methods served there, no token needed (as on every other path)."""

    async def options() -> Response[None]:
        return Response(content=None, status_code=204, headers={"Allow": allow})

    return route(path, http_method=["OPTIONS"], include_in_schema=False, opt={PUBLIC: True},
                 name=f"admin_options{path}")(options)


def options_routes(handlers: list[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """One OPTIONS handler per path, registered before the path's methods so Litestar adds none of its own
    (its own would sit behind the guard and list only the methods known when the path was first seen)."""
    methods: dict[str, set[str]] = {}
    for handler in handlers:
        for path in handler.paths:
            methods.setdefault(path, set()).update(handler.http_methods)
    return [_options(path, ", ".join(sorted(found | {"OPTIONS"}))) for path, found in methods.items()]
