"""The services one app instance owns, built by ``create_app`` and passed down.

Handlers reach them through ``services_of(request)``; nothing lives at
module level, so two apps (two tests) never share state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from noxus_local.config import Config
from noxus_local.core.files import FileStore
from noxus_local.core.keys import KeyCache
from noxus_local.core.limits import RequestLimiter
from noxus_local.core.webhooks import WebhookService
from noxus_local.dispatch import Dispatcher
from noxus_local.metrics import Metrics
from noxus_local.runner import JobRunner
from noxus_local.store.db import Database
from noxus_local.tools.catalog import Catalog


@dataclass
class Services:
    cfg: Config
    db: Database
    catalog: Catalog
    files: FileStore
    runner: JobRunner
    dispatcher: Dispatcher
    limiter: RequestLimiter
    hooks: WebhookService
    keys: KeyCache
    metrics: Metrics

    @property
    def locale(self) -> str:
        return self.cfg.server.locale


def services_of(request: Request[Any, Any, Any]) -> Services:
    return request.app.state["services"]  # type: ignore[no-any-return]
