"""What every CLI module shares: the handler type, subcommand helpers, the database.

Example::

    p = command(sub, "list", cmd_keys_list, "List keys (hints only).")
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from noxus_local.config import Config

Handler = Callable[[argparse.Namespace, Config], int]


def command(sub: Any, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=help)
    p.add_argument("--config", help="TOML config file (default: $NOXUS_CONFIG or built-in defaults).")
    p.set_defaults(handler=handler)
    return p


def group(sub: Any, name: str, help: str) -> Any:
    return sub.add_parser(name, help=help).add_subparsers(dest="action", required=True)


def open_data_db(cfg: Config) -> Any:
    from noxus_local.app import open_db
    return open_db(cfg)
