"""create_app(config): the only Litestar wiring, plus the data-dir preparation.

``create_app(cfg)`` builds the services (``node.services``, shared with
``noxus-local worker``, which needs no HTTP) and the routes; its lifespan
starts and stops the queue workers and recovers jobs a crash left unfinished.

Example::

    cfg = load_config(None)
    first_key = prepare(cfg)  # noxus_local.node.services
    uvicorn.run(create_app(cfg), host=cfg.server.host, port=cfg.server.port)
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Request, Response, Router, route
from litestar.exceptions import HTTPException
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.handlers import HTTPRouteHandler

from noxus_local.api import account_routes as account
from noxus_local.api import ad_routes as ads
from noxus_local.api import admin_routes as admin_api
from noxus_local.api import agent_routes as agent_api
from noxus_local.api import analysis_routes as analysis
from noxus_local.api import apex_account_routes as apex_account
from noxus_local.api import apex_routes as apex_api
from noxus_local.api import apex_video_routes as apex_video
from noxus_local.api import asset_routes as assets_api
from noxus_local.api import brand_routes as brand_api
from noxus_local.api import chat_routes as chat_api
from noxus_local.api import cta_routes as cta
from noxus_local.api import deps, openapi, worker_routes
from noxus_local.api import file_routes as files
from noxus_local.api import job_routes as jobs_api
from noxus_local.api import metrics_routes as metrics_api
from noxus_local.api import music_routes as music_api
from noxus_local.api import openai_routes as openai_api
from noxus_local.api import openai_speech_routes as openai_speech
from noxus_local.api import status_routes as status
from noxus_local.api import tool_routes as tools
from noxus_local.api import video_routes as video
from noxus_local.api import voice_routes as voices_api
from noxus_local.api.body_guard import BodyRules, body_guard
from noxus_local.api.envelope import error_response, request_id_of
from noxus_local.api.middleware import request_id_middleware
from noxus_local.config import Config
from noxus_local.console.routes import console_router, console_state_for, template_config
from noxus_local.errors import (
    InsufficientStorage,
    InternalError,
    LimitExceeded,
    MethodNotAllowed,
    NotFound,
    NoxusError,
    UnsupportedMediaType,
    ValidationError,
)
from noxus_local.jobs.recovery import recover_jobs
from noxus_local.node.services import build_services, maintenance_for, preload_models, stop_services
from noxus_local.store.space import is_disk_full

log = logging.getLogger("noxus_local.app")


def create_app(cfg: Config, start_workers: bool = True) -> Litestar:
    svc = build_services(cfg)

    ticker = maintenance_for(svc)

    def on_startup(app: Litestar) -> None:
        if start_workers:
            svc.dispatcher.start()
            ticker.start()
        preload_models(svc)
        recover_jobs(svc)

    def on_shutdown(app: Litestar) -> None:
        stop_services(svc, ticker)

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        if apex_api.is_apex_path(request.url.path):  # seed 002's paths: its {"error", "code"} body
            return apex_api.error_response(_as_noxus(exc, cfg), cfg.server.locale)
        return error_response(request_id_of(request), _as_noxus(exc, cfg), cfg.server.locale)

    handlers = [account.ping, account.balance, account.usage, account.health,
                tools.list_tools, tools.show_tool, tools.run_tool,
                jobs_api.list_jobs, jobs_api.show_job, jobs_api.show_step, jobs_api.cancel_job,
                files.get_file, status.latency, status.capacity, metrics_api.metrics,
                assets_api.upload_asset, assets_api.list_assets, assets_api.show_asset,
                assets_api.delete_asset, assets_api.asset_content,
                openai_api.transcriptions, openai_api.translations,
                analysis.submit_images, analysis.show_images, video.submit_video, video.show_video,
                voices_api.list_voices, voices_api.show_voice, voices_api.voice_preview, voices_api.clone_voice,
                voices_api.create_voice, voices_api.delete_voice,
                openai_speech.create_speech, openai_speech.list_openai_voices,
                chat_api.chat_completions, chat_api.list_models,
                music_api.list_music, music_api.music_preview, *ads.HANDLERS, *cta.HANDLERS,
                *apex_api.HANDLERS, *apex_video.HANDLERS, *apex_account.HANDLERS, *brand_api.HANDLERS,
                *admin_api.HANDLERS, *agent_api.HANDLERS]
    if cfg.multi_host:  # the internal worker API exists only where remote workers are configured
        handlers += worker_routes.HANDLERS
    app = Litestar(
        # OPTIONS first: registered before a path's methods, Litestar adds no stale one of its own
        # the /admin console: HTML pages with their own headers, none in the OpenAPI document
        route_handlers=[*options_handlers(handlers), *handlers, *openapi.asset_routers(), console_router()],
        template_config=template_config(),
        exception_handlers={Exception: handle},
        # services, settings and the authenticated principal, by parameter name (api/deps.py)
        dependencies=deps.dependencies(svc), signature_types=deps.SIGNATURE_TYPES,
        on_startup=[on_startup], on_shutdown=[on_shutdown],
        request_max_body_size=int(cfg.server.max_body_mb * 1024 * 1024),
        openapi_config=openapi.openapi_config(),
        # logging_config=None: Litestar's default would replace the root handler, and with it
        # our JSON lines (logs.configure_logging), with its own text format
        state={"services": svc, "console": console_state_for(svc)}, debug=False, logging_config=None)
    # outside the router, unlike route middleware, so unmatched routes (404/405) are
    # counted and carry X-Request-Id too
    # the body guard sits inside them, so its 408/503 answers are counted and carry X-Request-Id
    rules = BodyRules(cfg.server.body_timeout_seconds, cfg.server.max_concurrent_uploads, cfg.server.locale)
    guarded = body_guard(app.asgi_handler, rules, svc.runner.stopping)
    app.asgi_handler = request_id_middleware(metrics_api.measure_requests(guarded, svc.metrics))
    return app


def options_handlers(handlers: list[HTTPRouteHandler | Router]) -> list[HTTPRouteHandler]:
    """One OPTIONS answer per path, listing every method served there.

    Litestar 2.25 builds its automatic OPTIONS handler when a path's first
    handler is registered and keeps it when a second one joins the route, so
    ``OPTIONS /api/v1/jobs/{id}`` would say ``Allow: GET, OPTIONS`` without DELETE.
    """
    methods: dict[str, set[str]] = {}
    for handler in handlers:
        if isinstance(handler, Router):  # a prefix's Router answers its own OPTIONS (api/admin_routes.py)
            continue
        for path in handler.paths:
            methods.setdefault(path, set()).update(handler.http_methods)
    return [_options(path, ", ".join(sorted(found | {"OPTIONS"}))) for path, found in methods.items()]


def _options(path: str, allow: str) -> HTTPRouteHandler:
    async def options() -> Response[None]:
        return Response(content=None, status_code=204, headers={"Allow": allow})

    return route(path, http_method=["OPTIONS"], include_in_schema=False)(options)


def _as_noxus(exc: Exception, cfg: Config) -> NoxusError:
    """Every exception becomes a contract error; internals never leak."""
    if isinstance(exc, NoxusError):
        return exc
    if is_disk_full(exc):  # a write anywhere (an upload, the store) found the disk full: 507, not 500
        log.error("the data dir's disk is full: %s", exc)
        return InsufficientStorage()
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status == 413:
            return LimitExceeded(details={"limit": "max_body_mb", "max": cfg.server.max_body_mb})
        if status == 404:
            return NotFound()
        if status == 405:  # RFC 9110: a 405 lists the allowed methods (TRACE included)
            allow = (exc.headers or {}).get("allow") or (exc.headers or {}).get("Allow")
            return MethodNotAllowed(headers={"Allow": allow} if allow else None)
        if status == 415:
            return UnsupportedMediaType()
        if isinstance(exc, LitestarValidation) and _field_errors(exc):  # a declared parameter or body
            return ValidationError.fields(_field_errors(exc))
        if 400 <= status < 500:
            return ValidationError(details={"reason": str(exc.detail)[:200]} if exc.detail else None)
        return InternalError()
    log.exception("unhandled error", exc_info=exc)
    return InternalError()


def _field_errors(exc: LitestarValidation) -> dict[str, list[str]]:
    """Litestar's own validation of a typed parameter (``extra``: ``[{"key", "message", "source"}]``) in the
    contract's shape, ``details.field_errors``, never Litestar's default 400 body."""
    out: dict[str, list[str]] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict) and item.get("key"):
            out.setdefault(str(item["key"])[:100], []).append(str(item.get("message", "invalid"))[:200])
    return out
