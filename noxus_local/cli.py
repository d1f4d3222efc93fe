"""The ``noxus-local`` command: serve (default), keys, accounts, jobs, models, config.

Every command takes ``--config PATH`` (or ``$NOXUS_CONFIG``); config errors
print one line naming the key and exit with code 2.

Example::

    noxus-local serve --config noxus.toml
    noxus-local keys create --account default --name ci --env test
    noxus-local accounts credit default 25 --env live
    noxus-local models fetch --default
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from noxus_local.cli_admin import add_admin_commands
from noxus_local.cli_base import Handler
from noxus_local.cli_base import command as _cmd
from noxus_local.cli_base import group as _group
from noxus_local.config import Config, load_config
from noxus_local.errors import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args = parser.parse_args(["serve", *(argv or sys.argv[1:])])
    try:
        cfg = load_config(_config_path(args))
        return int(args.handler(args, cfg))
    except ConfigError as exc:
        if getattr(args, "on_config_error", None):  # doctor reports it as one of its checks
            return int(args.on_config_error(args, exc))
        print(f"config error: {exc}", file=sys.stderr)
        return 2


def _config_path(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "config", None) or os.environ.get("NOXUS_CONFIG")
    return Path(value) if value else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="noxus-local", description="NOXUS tools API v1, on your machine.")
    sub = parser.add_subparsers(dest="command")
    serve = _cmd(sub, "serve", cmd_serve, "Run the HTTP API and the queue workers.")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    worker = _cmd(sub, "worker", cmd_worker, "Run queue workers only (no HTTP), e.g. beside Redis.")
    worker.add_argument("--workers", type=int, help="Worker threads (default: [jobs] workers).")
    check = _group(sub, "config", "Configuration.")
    _cmd(check, "check", cmd_config_check, "Validate the config file and print the settings.")
    add_admin_commands(sub)
    _models_parser(sub)
    _operations_parser(sub)
    return parser


def _models_parser(sub: Any) -> None:
    group = _group(sub, "models", "Model files (models/manifest.toml) in <data dir>/models.")
    listing = _cmd(group, "list", cmd_models_list, "List declared models and whether they are installed.")
    listing.add_argument("--json", action="store_true")
    fetch = _cmd(group, "fetch", cmd_models_fetch, "Download, check the sha256 of, and install models "
                 "(cache: $NOXUS_MODEL_CACHE, default ~/.cache/noxus-local/models).")
    fetch.add_argument("ids", nargs="*", metavar="ID")
    fetch.add_argument("--default", action="store_true", help="The models marked default in the manifest.")
    verify = _cmd(group, "verify", cmd_models_verify, "Recheck the sha256 of installed model files; "
                  "exit 1 if any is wrong.")
    verify.add_argument("ids", nargs="*", metavar="ID")


def _operations_parser(sub: Any) -> None:
    doctor = _cmd(sub, "doctor", cmd_doctor, "Check config, data dir, stores, ffmpeg, fonts, ONNX Runtime, "
                  "models and queue; exit 1 on any failure.")
    doctor.add_argument("--json", action="store_true", help="Print the report as JSON.")
    doctor.set_defaults(on_config_error=cmd_doctor_bad_config)
    backup = _cmd(sub, "backup", cmd_backup, "Copy the SQLite stores (safe while serving) into a new folder.")
    backup.add_argument("path", help="Folder to create (it must not hold a backup already).")
    backup.add_argument("--with-files", action="store_true", help="Also copy outputs/.")
    restore = _cmd(sub, "restore", cmd_restore, "Put a backup back (stop the server first).")
    restore.add_argument("path", help="A folder written by `noxus-local backup`.")
    restore.add_argument("--force", action="store_true", help="Restore even if a server seems to be running.")


def cmd_serve(args: argparse.Namespace, cfg: Config) -> int:
    import uvicorn

    from noxus_local.app import create_app, prepare
    from noxus_local.logs import configure_logging
    from noxus_local.pidfile import pid_file
    from noxus_local.server import QuietServer

    if args.host:
        cfg.server.host = args.host
    if args.port:
        cfg.server.port = args.port
    configure_logging()
    first_key = prepare(cfg)
    if first_key:
        print("NOXUS Local: first start. Default account created with a test balance of "
              f"{cfg.bootstrap.starting_test_balance_usd} USD.\n"
              f"Your test API key (shown only once):\n\n    {first_key}\n", flush=True)
    print(f"NOXUS Local listening on http://{cfg.server.host}:{cfg.server.port} "
          f"(data dir {Path(cfg.server.data_dir).resolve()})", flush=True)
    config = uvicorn.Config(create_app(cfg), host=cfg.server.host, port=cfg.server.port,
                            access_log=cfg.server.access_log, log_level="warning",
                            timeout_graceful_shutdown=5)
    with pid_file(Path(cfg.server.data_dir), "noxus.pid"):  # `restore` refuses while it names a live process
        QuietServer(config).run()
    return 0



def cmd_worker(args: argparse.Namespace, cfg: Config) -> int:
    """Workers for the shared queue; the server that accepted a job settles nothing
    twice, because settlement is guarded in SQLite (``jobs.finish``)."""
    import signal
    import threading

    from noxus_local.app import build_services, maintenance_for, prepare, stop_services
    from noxus_local.logs import configure_logging
    from noxus_local.pidfile import pid_file
    from noxus_local.recovery import recover_jobs

    configure_logging()
    prepare(cfg)
    svc = build_services(cfg)
    ticker = maintenance_for(svc)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    svc.dispatcher.start(args.workers)
    ticker.start()
    recover_jobs(svc)  # this host's jobs whose process died
    print(f"NOXUS Local worker: {args.workers or cfg.jobs.workers} thread(s) on the "
          f"{cfg.jobs.queue_backend} queue (data dir {Path(cfg.server.data_dir).resolve()})", flush=True)
    with pid_file(Path(cfg.server.data_dir), f"noxus-worker-{os.getpid()}.pid"):
        stop.wait()
    stop_services(svc, ticker)
    return 0


def cmd_doctor(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local import doctor
    path = _config_path(args)
    checks = doctor.run_checks(cfg, str(path) if path else "built-in defaults (no --config)")
    print(doctor.render_json(checks) if args.json else doctor.render_text(checks))
    return doctor.exit_code(checks)


def cmd_doctor_bad_config(args: argparse.Namespace, exc: ConfigError) -> int:
    from noxus_local import doctor
    checks = [doctor.Check("config", doctor.FAIL, str(exc))]
    print(doctor.render_json(checks) if args.json else doctor.render_text(checks))
    return doctor.exit_code(checks)


def cmd_backup(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.backup import BackupError, backup
    try:
        manifest = backup(cfg, Path(args.path), with_files=args.with_files)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for entry in manifest["files"]:
        print(f"{entry['name']}  {entry['size']} bytes  sha256 {entry['sha256']}")
    print(f"backup written to {Path(args.path).resolve()} (schema v{manifest['schema_version']}"
          f"{', with outputs' if manifest['with_files'] else ', outputs not included'})")
    return 0


def cmd_restore(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.backup import BackupError, restore
    try:
        manifest = restore(cfg, Path(args.path), force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {', '.join(e['name'] for e in manifest['files'])} from the backup of "
          f"{manifest['created_at']} into {cfg.data_dir.resolve()}; start the server to use it")
    return 0


def cmd_config_check(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.config import settings_table
    for name, _default, _help in settings_table():
        if name.startswith("tiers."):
            continue
        section, key = name.split(".")
        print(f"{name} = {json.dumps(getattr(getattr(cfg, section), key))}")
    for tier, values in cfg.tiers.items():
        print(f"tiers.{tier} = {json.dumps(values.__dict__)}")
    print(f"prices = {json.dumps(cfg.prices)}")
    print(f"accounts declared: {len(cfg.accounts)}")
    print("config ok")
    return 0


def _models(handler: Callable[[Any, argparse.Namespace], int]) -> Handler:
    """The registry of this config for a ``models`` command; manifest and fetch errors end in one line."""
    def run(args: argparse.Namespace, cfg: Config) -> int:
        from noxus_local.inference.registry import ModelRegistry
        from noxus_local.inference.sources import ModelError
        try:
            return handler(ModelRegistry.from_config(cfg), args)
        except ModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return run


@_models
def cmd_models_list(registry: Any, args: argparse.Namespace) -> int:
    statuses = registry.list_models()
    if args.json:
        print(json.dumps([{"id": s.spec.id, "task": s.spec.task, "license": s.spec.license, "default": s.spec.default,
                           "state": s.state, "installed": s.installed, "size_bytes": s.spec.size}
                          for s in statuses], indent=2))
        return 0
    print(f"{'ID':<20} {'TASK':<18} {'DEFAULT':<8} {'STATE':<10} {'SIZE':>9}  LICENSE")
    for s in statuses:
        print(f"{s.spec.id:<20} {s.spec.task:<18} {'yes' if s.spec.default else 'no':<8} {s.state:<10} "
              f"{s.spec.size / 1e6:>6.1f} MB  {s.spec.license}")
    return 0


@_models
def cmd_models_fetch(registry: Any, args: argparse.Namespace) -> int:
    ids = [*args.ids, *(s.id for s in registry.specs.values() if s.default and args.default)]
    if not ids:
        print("no default models declared" if args.default else "error: name model ids, or --default",
              file=sys.stderr)
        return 0 if args.default else 2
    registry.fetch(ids, progress=lambda line: print(line, flush=True))
    print(f"{len(dict.fromkeys(ids))} model(s) installed in {registry.models_dir.resolve()}")
    return 0


@_models
def cmd_models_verify(registry: Any, args: argparse.Namespace) -> int:
    statuses = registry.verify(args.ids)
    for s in statuses:
        verdict = {"installed": "OK", "missing": "--"}.get(s.state, "FAIL")
        detail = "sha256 OK" if s.installed else "not installed" if s.state == "missing" else "; ".join(s.problems)
        print(f"{verdict:<4} {s.spec.id}: {detail}")
    return 1 if any(s.state in ("corrupt", "partial") for s in statuses) else 0
