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
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from noxus_local.config import Config, load_config
from noxus_local.errors import ConfigError
from noxus_local.money import format_usd, parse_usd

Handler = Callable[[argparse.Namespace, Config], int]


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
    _keys_parser(sub)
    _accounts_parser(sub)
    _jobs_parser(sub)
    _models_parser(sub)
    _operations_parser(sub)
    return parser


def _cmd(sub: Any, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=help)
    p.add_argument("--config", help="TOML config file (default: $NOXUS_CONFIG or built-in defaults).")
    p.set_defaults(handler=handler)
    return p


def _group(sub: Any, name: str, help: str) -> Any:
    return sub.add_parser(name, help=help).add_subparsers(dest="action", required=True)


def _keys_parser(sub: Any) -> None:
    keys = _group(sub, "keys", "API keys.")
    create = _cmd(keys, "create", cmd_keys_create, "Create a key; it is printed once.")
    create.add_argument("--account", default="default")
    create.add_argument("--app")
    create.add_argument("--name", default="cli")
    create.add_argument("--env", choices=["test", "live"], default="test")
    create.add_argument("--scope", action="append", dest="scopes")
    create.add_argument("--tool", action="append", dest="tools", help="Allowed tool (repeat); default all.")
    create.add_argument("--expires", help="ISO 8601 expiry.")
    create.add_argument("--json", action="store_true")
    listing = _cmd(keys, "list", cmd_keys_list, "List keys (hints only).")
    listing.add_argument("--account")
    for name, handler in (("revoke", cmd_keys_revoke), ("rotate", cmd_keys_rotate)):
        p = _cmd(keys, name, handler, f"{name.title()} a key by id.")
        p.add_argument("key_id")


def _accounts_parser(sub: Any) -> None:
    accounts = _group(sub, "accounts", "Accounts and balances.")
    create = _cmd(accounts, "create", cmd_accounts_create, "Create an account.")
    create.add_argument("account_id")
    create.add_argument("--name", default="")
    create.add_argument("--tier", default="free")
    credit = _cmd(accounts, "credit", cmd_accounts_credit, "Add USD to a balance.")
    credit.add_argument("account_id")
    credit.add_argument("amount_usd")
    credit.add_argument("--env", choices=["test", "live"], default="test")
    credit.add_argument("--note")
    show = _cmd(accounts, "show", cmd_accounts_show, "Show an account and its balances.")
    show.add_argument("account_id")
    _cmd(accounts, "list", cmd_accounts_list, "List accounts.")


def _jobs_parser(sub: Any) -> None:
    group = _group(sub, "jobs", "Jobs.")
    listing = _cmd(group, "list", cmd_jobs_list, "List recent jobs.")
    listing.add_argument("--account")
    listing.add_argument("--status")
    listing.add_argument("--tool")
    listing.add_argument("--limit", type=int, default=20)
    show = _cmd(group, "show", cmd_jobs_show, "Show one job.")
    show.add_argument("job_id")


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


def _db(cfg: Config) -> Any:
    from noxus_local.app import open_db
    return open_db(cfg)


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

    configure_logging()
    prepare(cfg)
    svc = build_services(cfg)
    ticker = maintenance_for(svc)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    svc.dispatcher.start(args.workers)
    ticker.start()
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


def cmd_keys_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.keys import create_key
    db = _db(cfg)
    if db.one("SELECT 1 FROM accounts WHERE id = ?", (args.account,)) is None:
        print(f"error: no account {args.account!r} (create it with: noxus-local accounts create)",
              file=sys.stderr)
        return 1
    plain, key_id = create_key(db, account_id=args.account, app_id=args.app, name=args.name,
                               environment=args.env, scopes=args.scopes, tools=args.tools,
                               expires_at=_iso(args.expires))
    if args.json:
        print(json.dumps({"id": key_id, "key": plain, "account": args.account, "environment": args.env}))
    else:
        print(f"key id: {key_id}\naccount: {args.account}\nenvironment: {args.env}\n"
              f"key (shown only once): {plain}")
    return 0


def cmd_keys_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.keys import list_keys
    for key in list_keys(_db(cfg), args.account):
        state = "revoked" if key["revoked_at"] else "active"
        print(f"{key['id']}  {key['account_id']:<12} {key['environment']:<4} {state:<7} "
              f"{key['key_hint']}…  {key['name']}  scopes={key['scopes']} tools={key['tools'] or 'all'}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.keys import revoke_key
    if not revoke_key(_db(cfg), args.key_id):
        print(f"error: no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.keys import rotate_key
    try:
        plain, key_id = rotate_key(_db(cfg), args.key_id)
    except KeyError:
        print(f"error: no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}\nnew key id: {key_id}\nkey (shown only once): {plain}")
    return 0


def cmd_accounts_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import create_account
    if args.tier not in cfg.tiers:
        print(f"error: unknown tier {args.tier!r}; known: {', '.join(cfg.tiers)}", file=sys.stderr)
        return 1
    created = create_account(_db(cfg), args.account_id, name=args.name, tier=args.tier)
    print(("created " if created else "exists ") + args.account_id)
    return 0 if created else 1


def cmd_accounts_credit(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import credit_account
    try:
        micros = parse_usd(args.amount_usd)
        if micros <= 0:
            raise ValueError("amount must be positive")
        view = credit_account(_db(cfg), args.account_id, args.env, micros, note=args.note)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    print(f"{args.account_id} {args.env}: balance {format_usd(view.balance_micros)} USD")
    return 0


def cmd_accounts_show(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import show_account
    account = show_account(_db(cfg), args.account_id)
    if account is None:
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    print(json.dumps(account, indent=2, default=str))
    return 0


def cmd_accounts_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import list_accounts
    for account in list_accounts(_db(cfg)):
        print(f"{account['id']:<16} tier={account['tier']:<10} status={account['status']}")
    return 0


def cmd_jobs_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core import jobs
    rows, total = jobs.list_jobs(_db(cfg), args.account, None, tool=args.tool, status=args.status,
                                 limit=args.limit)
    for r in rows:
        when = dt.datetime.fromtimestamp(r["created_at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{r['id']}  {when}  {r['account_id']:<12} {r['tool']:<14} {r['status']:<9} "
              f"charged={format_usd(r['charged_micros'])} {r['error_code'] or ''}")
    print(f"({len(rows)} of {total})")
    return 0


def cmd_jobs_show(args: argparse.Namespace, cfg: Config) -> int:
    row = _db(cfg).one("SELECT * FROM jobs WHERE id = ?", (args.job_id,))
    if row is None:
        print(f"error: no job {args.job_id}", file=sys.stderr)
        return 1
    print(json.dumps(dict(row), indent=2, default=str))
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


def _iso(text: str | None) -> float | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
