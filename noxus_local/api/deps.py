"""How a handler reaches the services bundle its app was built with.

Example: ``svc = services_of(request); svc.db`` inside any route handler.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from noxus_local.node.services import Services


def services_of(request: Request[Any, Any, Any]) -> Services:
    return request.app.state["services"]  # type: ignore[no-any-return]
