"""The ``noxus-local`` command: serve (default), keys, accounts, jobs, models, config, doctor, backup, usage, admin.

Every command takes ``--config PATH`` (or ``$NOXUS_CONFIG``); config errors
print one line naming the key and exit with code 2.

Example::

    noxus-local serve --config noxus.toml
    noxus-local keys create --account default --name ci --env test
    noxus-local accounts credit default 25 --env live
    noxus-local models fetch --default
    noxus-local usage export --csv --since 2026-12-01 --per job > usage.csv
    noxus-local admin audit --action key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from noxus_local.cli import accounts, admin, jobs, keys, models, ops, serve, usage, workers
from noxus_local.cli.base import config_path
from noxus_local.config import load_config
from noxus_local.errors import ConfigError

# one module per command group; each adds its subcommands
GROUPS = (serve, keys, accounts, jobs, models, ops, workers, usage, admin)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args = parser.parse_args(["serve", *(argv or sys.argv[1:])])
    try:
        cfg = load_config(config_path(args))
        return int(args.handler(args, cfg))
    except ConfigError as exc:
        if getattr(args, "on_config_error", None):  # doctor reports it as one of its checks
            return int(args.on_config_error(args, exc))
        print(f"config error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="noxus-local", description="NOXUS tools API v1, on your machine.")
    sub = parser.add_subparsers(dest="command")
    for group in GROUPS:
        group.add_commands(sub)
    return parser
