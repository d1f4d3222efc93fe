"""create_app(config): the only Litestar wiring, plus the data-dir preparation.

``prepare(cfg)`` migrates SQLite, syncs the config's accounts and keys, and
creates the first-start key; ``create_app(cfg)`` builds the services and the
routes; its lifespan starts and stops the queue workers and recovers jobs a
crash left unfinished.

Example::

    cfg = load_config(None)
    first_key = prepare(cfg)
    uvicorn.run(create_app(cfg), host=cfg.server.host, port=cfg.server.port)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException

from noxus_local.api import account, files, openapi, status, tools
from noxus_local.api import jobs as jobs_api
from noxus_local.api import metrics as metrics_api
from noxus_local.api.envelope import error_response, request_id_of
from noxus_local.api.middleware import request_id_middleware
from noxus_local.api.services import Services
from noxus_local.api.views import job_body
from noxus_local.config import Config
from noxus_local.core import jobs
from noxus_local.core.accounts import bootstrap_default, sync_config
from noxus_local.core.files import FileStore, load_secret
from noxus_local.core.keys import KeyCache
from noxus_local.core.limits import RequestLimiter
from noxus_local.core.webhooks import EVENTS, WebhookService
from noxus_local.dispatch import Dispatcher
from noxus_local.errors import (
    InternalError,
    LimitExceeded,
    MethodNotAllowed,
    NotFound,
    NoxusError,
    UnsupportedMediaType,
    ValidationError,
)
from noxus_local.maintenance import Maintenance, sweep_files
from noxus_local.metrics import Metrics
from noxus_local.recovery import HEARTBEAT_SECONDS, recover_jobs
from noxus_local.runner import JobRunner
from noxus_local.store.db import Database
from noxus_local.tools.catalog import Catalog

log = logging.getLogger("noxus_local.app")


def open_db(cfg: Config) -> Database:
    db = Database(Path(cfg.server.data_dir) / "noxus.db")
    db.migrate()
    return db


def prepare(cfg: Config) -> str | None:
    """Migrate, sync config, bootstrap; returns a newly created default key (print once)."""
    db = open_db(cfg)
    try:
        sync_config(db, cfg)
        return bootstrap_default(db, cfg)
    finally:
        db.close()


def build_services(cfg: Config) -> Services:
    db = open_db(cfg)
    catalog = Catalog.default(cfg.jobs.diagnostic_tools)
    store = FileStore(Path(cfg.server.data_dir), load_secret(Path(cfg.server.data_dir), cfg.server.secret_key))
    runner = JobRunner(db, catalog, store, cfg)
    svc = Services(cfg=cfg, db=db, catalog=catalog, files=store, runner=runner,
                   dispatcher=Dispatcher(runner, cfg), limiter=RequestLimiter(),
                   hooks=WebhookService(db, cfg.webhooks), metrics=Metrics(), keys=KeyCache())
    runner.hooks.append(lambda job_id: schedule_webhook(svc, job_id))
    runner.hooks.append(lambda job_id: svc.metrics.job_done(jobs.get(svc.db, job_id)))
    return svc


def schedule_webhook(svc: Services, job_id: str) -> None:
    """On a job's end: queue its webhook (the same body GET /jobs/{id} shows)."""
    row = jobs.get(svc.db, job_id)
    if svc.hooks.target_for(row) is None:
        return
    event = EVENTS.get(row["status"])
    svc.hooks.schedule_job(row, {"event": event, **job_body(svc, row)})


def maintenance_for(svc: Services) -> Maintenance:
    cfg = svc.cfg

    def sweep() -> None:
        sweep_files(svc.db, Path(cfg.server.data_dir), cfg.jobs.retention_hours)

    def recover_stale() -> None:
        recover_jobs(svc, startup=False)

    return Maintenance([(10.0, svc.dispatcher.check_health), (HEARTBEAT_SECONDS, svc.runner.heartbeat),
                        (60.0, recover_stale), (60.0, sweep)],
                       threads=[svc.hooks.run])


def stop_services(svc: Services, ticker: Maintenance) -> None:
    """Running jobs are asked to stop and put back; then workers and threads end."""
    put_back = svc.runner.shutdown()
    if put_back:
        log.warning("shutdown: %d running job(s) put back on the queue", len(put_back))
    ticker.stop()
    svc.dispatcher.stop()
    svc.db.close()


def create_app(cfg: Config, start_workers: bool = True) -> Litestar:
    svc = build_services(cfg)

    ticker = maintenance_for(svc)

    def on_startup(app: Litestar) -> None:
        if start_workers:
            svc.dispatcher.start()
            ticker.start()
        recover_jobs(svc)

    def on_shutdown(app: Litestar) -> None:
        stop_services(svc, ticker)

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        return error_response(request_id_of(request), _as_noxus(exc, cfg), cfg.server.locale)

    app = Litestar(
        route_handlers=[account.ping, account.balance, account.usage, account.health,
                        tools.list_tools, tools.show_tool, tools.run_tool,
                        jobs_api.list_jobs, jobs_api.show_job, jobs_api.cancel_job, files.get_file,
                        status.latency, status.capacity, metrics_api.metrics,
                        *openapi.asset_routers()],
        exception_handlers={Exception: handle},
        on_startup=[on_startup], on_shutdown=[on_shutdown],
        request_max_body_size=int(cfg.server.max_body_mb * 1024 * 1024),
        openapi_config=openapi.openapi_config(),
        # logging_config=None: Litestar's default would replace the root handler, and with it
        # our JSON lines (logs.configure_logging), with its own text format
        state={"services": svc}, debug=False, logging_config=None)
    # outside the router, unlike route middleware, so unmatched routes (404/405) are
    # counted and carry X-Request-Id too
    app.asgi_handler = request_id_middleware(metrics_api.measure_requests(app.asgi_handler, svc.metrics))
    return app


def _as_noxus(exc: Exception, cfg: Config) -> NoxusError:
    """Every exception becomes a contract error; internals never leak."""
    if isinstance(exc, NoxusError):
        return exc
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status == 413:
            return LimitExceeded(details={"limit": "max_body_mb", "max": cfg.server.max_body_mb})
        if status == 404:
            return NotFound()
        if status == 405:
            return MethodNotAllowed()
        if status == 415:
            return UnsupportedMediaType()
        if 400 <= status < 500:
            return ValidationError(details={"reason": str(exc.detail)[:200]} if exc.detail else None)
        return InternalError()
    log.exception("unhandled error", exc_info=exc)
    return InternalError()
