"""Operations: ``doctor``, ``backup``, ``restore`` and ``config check``.

Example::

    noxus-local doctor --json
    noxus-local backup /var/backups/noxus-2026-12-01 --with-files
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import config_path
from noxus_local.cli.base import group as _group
from noxus_local.config import Config
from noxus_local.errors import ConfigError
from noxus_local.money import Price, format_usd


def add_commands(sub: Any) -> None:
    _operations_parser(sub)
    check = _group(sub, "config", "Configuration.")
    _cmd(check, "check", cmd_config_check, "Validate the config file and print the settings.")


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


def cmd_doctor(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.ops import doctor
    path = config_path(args)
    checks = doctor.run_checks(cfg, str(path) if path else "built-in defaults (no --config)")
    print(doctor.render_json(checks) if args.json else doctor.render_text(checks))
    return doctor.exit_code(checks)


def cmd_doctor_bad_config(args: argparse.Namespace, exc: ConfigError) -> int:
    from noxus_local.ops import doctor
    checks = [doctor.Check("config", doctor.FAIL, str(exc))]
    print(doctor.render_json(checks) if args.json else doctor.render_text(checks))
    return doctor.exit_code(checks)


def cmd_backup(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.ops.backup import BackupError, backup
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
    from noxus_local.ops.backup import BackupError, restore
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
    from noxus_local.tools.catalog import Catalog
    cfg.prices = Catalog.default(cfg.jobs.diagnostic_tools).priced(cfg.prices)  # ConfigError → exit 2
    for name, _default, _help in settings_table():
        if name.startswith(("tiers.", "prices.", "generators.<name>.")):
            continue
        section, key = name.split(".")
        print(f"{name} = {json.dumps(getattr(getattr(cfg, section), key))}")
    for tier, values in cfg.tiers.items():
        print(f"tiers.{tier} = {json.dumps(values.__dict__)}")
    for slug, price in cfg.prices.items():
        print(f"prices.{slug} = {json.dumps(_price_setting(price))}")
    for gen_name, gen in cfg.generators.entries.items():
        print(f"generators.{gen_name} = {json.dumps(gen.__dict__)}")
    print(f"accounts declared: {len(cfg.accounts)}")
    print("config ok")
    return 0


def _price_setting(price: Price) -> str | dict[str, str]:
    """A price as it is written in the config file: ``"0.002"`` or its unit table."""
    if price.unit is None:
        return format_usd(price.unit_micros)
    return {"unit": price.unit, "unit_usd": format_usd(price.unit_micros),
            "minimum_usd": format_usd(price.minimum_micros)}
