"""The services one app instance owns, built by ``create_app`` and passed down.

Built here, outside ``api/``, so ``noxus-local worker`` runs the queue
without importing Litestar. HTTP handlers reach the bundle through
``api.deps.services_of(request)``; nothing lives at module level, so two apps
(two tests) never share state.

Example::

    first_key = prepare(cfg)          # migrate, sync config, bootstrap
    svc = build_services(cfg)
    ticker = maintenance_for(svc); ticker.start()
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from noxus_local.accounts.keys import KeyCache
from noxus_local.accounts.store import bootstrap_default, sync_config
from noxus_local.admin import alerts
from noxus_local.admin.alert_delivery import AlertService
from noxus_local.agents.retention import sweep_audio
from noxus_local.assets.files import FileStore, load_secret
from noxus_local.assets.store import AssetStore
from noxus_local.billing.limits import RequestLimiter, WindowLimiter
from noxus_local.compose.cache import PartCache
from noxus_local.config import Config
from noxus_local.inference.cache import ModelCache, model_class
from noxus_local.jobs import analysis_view as analysis
from noxus_local.jobs import apex
from noxus_local.jobs import store as jobs
from noxus_local.jobs.dispatch import Dispatcher
from noxus_local.jobs.pool import ComputePool
from noxus_local.jobs.recovery import HEARTBEAT_SECONDS, recover_jobs
from noxus_local.jobs.remote import RemoteQueue
from noxus_local.jobs.runner import JobRunner
from noxus_local.jobs.upkeep import Maintenance, sweep_files
from noxus_local.jobs.view import job_body
from noxus_local.jobs.webhooks import EVENTS, WebhookService
from noxus_local.money import parse_usd
from noxus_local.net.fetch_slots import FetchSlots
from noxus_local.ops.metrics import Metrics
from noxus_local.store.db import Database, secure_data_dir
from noxus_local.store.space import StorageGuard
from noxus_local.tools.catalog import Catalog
from noxus_local.voices.custom import CustomVoiceStore

log = logging.getLogger("noxus_local.services")
MODEL_SWEEP_SECONDS = 10.0  # idle models are unloaded within this of their idle_unload_seconds


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
    pool: ComputePool
    models: ModelCache
    assets: AssetStore
    voices: CustomVoiceStore  # account-private voice mixes (issue 11)
    storage: StorageGuard  # the data dir's free space against [storage] min_free_mb (issue 17)
    fetch_slots: FetchSlots  # <field>_url downloads, apart from tool calls' threads (issue 17)
    apex_limiter: WindowLimiter = field(default_factory=WindowLimiter)  # seed 002's per-endpoint-type windows
    remote: RemoteQueue | None = None  # multi-host mode only (cfg.multi_host): remote workers over Redis
    alerts: AlertService | None = None  # operator alerts (issue 25): logged, sent to [admin] alert_url

    @property
    def locale(self) -> str:
        return self.cfg.server.locale


def open_db(cfg: Config) -> Database:
    secure_data_dir(Path(cfg.server.data_dir))  # also tightens a data dir an older version made 0755
    db = Database(Path(cfg.server.data_dir) / "noxus.db")
    db.migrate()
    return db


def prepare(cfg: Config) -> str | None:
    """Migrate, sync config, bootstrap; returns a newly created default key (print once).

    An unknown ``[inference] preload`` id is a ConfigError here, before anything starts.
    """
    for identity in cfg.inference.preload:
        model_class(identity)
    cfg.prices = Catalog.default(cfg.jobs.diagnostic_tools).priced(cfg.prices)  # refuse before touching the data dir
    db = open_db(cfg)
    try:
        sync_config(db, cfg)
        return bootstrap_default(db, cfg)
    finally:
        db.close()


def build_services(cfg: Config) -> Services:
    catalog = Catalog.default(cfg.jobs.diagnostic_tools, cfg)
    cfg.prices = catalog.priced(cfg.prices)  # before anything opens: a tool without a price never serves free
    db = open_db(cfg)
    store = FileStore(Path(cfg.server.data_dir), load_secret(Path(cfg.server.data_dir), cfg.server.secret_key))
    pool, models = ComputePool.from_config(cfg), ModelCache(cfg)
    runner = JobRunner(db, catalog, store, cfg, pool=pool, models=models)
    svc = Services(cfg=cfg, db=db, catalog=catalog, files=store, runner=runner,
                   dispatcher=Dispatcher(runner, cfg), limiter=RequestLimiter(),
                   hooks=WebhookService(db, cfg.webhooks), metrics=Metrics(db), keys=KeyCache(),
                   pool=pool, models=models, assets=AssetStore(db, store.asset_root),
                   voices=CustomVoiceStore(db), storage=runner.storage,
                   fetch_slots=FetchSlots(cfg.assets.fetch_slots, cfg.assets.fetch_slot_wait_seconds))
    if cfg.multi_host:
        svc.remote = svc.dispatcher.remote = RemoteQueue(db, catalog, store, svc.assets, cfg)
    runner.hooks.append(lambda job_id: schedule_webhook(svc, job_id))
    runner.hooks.append(lambda job_id: svc.metrics.job_done(jobs.get(svc.db, job_id)))
    balance_under = parse_usd(cfg.admin.alert_balance_under_usd)  # checked when the config was loaded
    runner.hooks.append(lambda job_id: alerts.after_job(svc.db, job_id, balance_under))
    svc.alerts = AlertService(db, cfg.admin, cfg.webhooks)
    return svc


def watch(svc: Services) -> None:
    """Upkeep's alert checks: the queue's oldest wait, remote workers' heartbeats (admin/alerts.py)."""
    alerts.check_queue(svc.db, svc.cfg.admin.alert_queue_wait_seconds)
    if svc.remote is not None:
        alerts.check_workers(svc.db, svc.remote.workers())


def check_models_at_start(svc: Services) -> list[str]:
    """A model some tool needs and that is not installed raises ``alert.model_missing`` once (at start)."""
    from noxus_local.inference.registry.installed import ModelRegistry

    needed: dict[str, list[str]] = {}
    for tool in svc.catalog.tools.values():
        for model in tool.models:
            needed.setdefault(model, []).append(tool.slug)
    states = {s.spec.id: s.state for s in ModelRegistry.from_config(svc.cfg).list_models() if s.spec.id in needed}
    states.update({model: "missing" for model in needed if model not in states})
    return alerts.check_models(svc.db, states, needed)


def schedule_webhook(svc: Services, job_id: str) -> None:
    """On a job's end: queue its webhook (the same body GET /jobs/{id} shows, or, for a job
    submitted through seed 001's analysis routes, the body their GET shows), with its ``event``."""
    row = jobs.get(svc.db, job_id)
    if svc.hooks.target_for(row) is None:
        return
    event = EVENTS.get(row["status"])
    seed_002 = apex.webhook_body(svc, row)  # a job of /api/generate/*: the seed's own payload
    if seed_002 is not None:
        svc.hooks.schedule_job(row, seed_002)
        return
    body = analysis.webhook_body(svc, row) or job_body(svc, row)
    svc.hooks.schedule_job(row, {"event": event, **body})


def compose_cache(cfg: Config) -> PartCache:
    """script-to-video's per-account cache of narration and generated pictures (compose/cache.py),
    bounded by ``[video] cache_mb``. Example: ``compose_cache(cfg).root == data_dir / "cache" / "compose"``."""
    return PartCache(Path(cfg.server.data_dir) / "cache" / "compose", int(cfg.video.cache_mb * 2**20))


def maintenance_for(svc: Services) -> Maintenance:
    cfg = svc.cfg

    def sweep() -> None:
        sweep_files(svc.db, Path(cfg.server.data_dir), cfg.jobs.retention_hours)
        sweep_audio(svc.db, Path(cfg.server.data_dir), cfg.jobs.retention_hours)  # voice agents' reply audio
        compose_cache(cfg).prune(cfg.jobs.retention_hours * 3600)  # script-to-video's narration and pictures
        svc.assets.sweep(time.time() - 3600)  # assets are kept; only a crash's leftovers go

    def recover_stale() -> None:
        recover_jobs(svc, startup=False)

    remote = svc.remote
    extra = [(1.0, lambda: remote.tick(svc.runner))] if remote is not None else []
    return Maintenance([*extra, (10.0, svc.dispatcher.check_health), (HEARTBEAT_SECONDS, svc.runner.heartbeat),
                        (cfg.jobs.recovery_seconds, recover_stale), (60.0, sweep),
                        (MODEL_SWEEP_SECONDS, svc.models.sweep), (1.0, svc.runner.expire_overdue),
                        (5.0, lambda: watch(svc))],
                       threads=[svc.hooks.run, *([svc.alerts.run] if svc.alerts is not None else [])])


def preload_models(svc: Services) -> list[str]:
    """``[inference] preload`` at start (serve and worker): the first job then pays no load. Models a tool
    needs that are not installed are reported to the operator first (``alert.model_missing``)."""
    try:
        check_models_at_start(svc)
    except Exception:  # an unreadable manifest must not stop the start; doctor says more
        log.exception("model check for alerts failed")
    return svc.models.preload(svc.cfg.inference.preload)


def begin_shutdown(svc: Services) -> list[str]:
    """The first thing on SIGTERM, before uvicorn waits for open requests: nothing new starts.

    Queue workers take no further task (queued jobs stay queued for the next
    start), then running jobs are told to stop through their cancel tokens and
    go back to ``queued``; one-shot requests waiting on them answer 503
    ``shutting_down`` with the job id (``Dispatcher.run_inline``). Safe to call
    twice. Example: ``QuietServer(config, on_exit=lambda: begin_shutdown(svc))``.
    """
    if svc.runner.stopping.is_set():
        return []
    svc.dispatcher.stop_taking()
    put_back = svc.runner.shutdown()
    if put_back:
        log.warning("shutdown: %d running job(s) asked to stop and go back on the queue", len(put_back))
    return put_back


def stop_services(svc: Services, ticker: Maintenance) -> None:
    """Running jobs are asked to stop and put back; then workers and threads end, in seconds."""
    begin_shutdown(svc)
    ticker.stop(timeout=1.0)  # daemon threads: a webhook stuck on a slow receiver must not hold the exit
    svc.dispatcher.stop()
    svc.runner.close()
    svc.db.close()
    from noxus_local.speech.espeak_process import EspeakHelpers

    EspeakHelpers.close_all()  # they would end at EOF on their own; reaped here, none is left a zombie
