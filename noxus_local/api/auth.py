"""Bearer key → Principal, and the scope / tool guards.

Example::

    principal = await require_principal(request)          # 401s, 403 suspended, 429 rpm
    require_scope(principal, "tools:run")
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from noxus_local.accounts.keys import Principal
from noxus_local.api.envelope import add_headers
from noxus_local.billing.limits import job_window
from noxus_local.errors import AccountSuspended, MissingApiKey, ScopeDenied, ToolNotAllowed
from noxus_local.node.services import Services
from noxus_local.tools.base import Tool


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = ""
    for name, value in request.scope["headers"]:  # cheaper than building request.headers
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingApiKey()
    return token.strip()


async def require_principal(request: Request[Any, Any, Any]) -> Principal:
    """Authenticate, count the request against its per-minute limit, set headers.

    Key lookups are one indexed read on a WAL database (readers never wait for
    writers), cheap enough for the event loop; writes go to threads.
    """
    svc: Services = request.app.state["services"]  # not deps.services_of: deps provides this function
    principal = svc.keys.authenticate(svc.db, bearer_token(request))
    request.scope["state"]["principal"] = principal  # type: ignore[index]
    if principal.account_status != "active":
        raise AccountSuspended()
    tier = svc.cfg.tiers[principal.tier]
    if tier.jobs_per_hour > 0:  # unlimited tiers send no X-RateLimit-* headers
        add_headers(request, job_window(svc.db.conn(), principal.key_id, tier.jobs_per_hour).headers())
    svc.limiter.hit(principal.key_id, tier.requests_per_minute)
    return principal


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise ScopeDenied(details={"required_scope": scope})


def require_tool_allowed(svc: Services, principal: Principal, tool: Tool) -> None:
    if not svc.catalog.allowed(tool, principal.tools):
        raise ToolNotAllowed(details={"tool": tool.slug})
