"""What every CLI module shares: the handler type, subcommand helpers, the database.

Example::

    p = command(sub, "list", cmd_keys_list, "List keys (hints only).")
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
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
    from noxus_local.node.services import open_db
    return open_db(cfg)


def config_path(args: argparse.Namespace) -> Path | None:
    """``--config PATH``, else ``$NOXUS_CONFIG``, else None (built-in defaults)."""
    value = getattr(args, "config", None) or os.environ.get("NOXUS_CONFIG")
    return Path(value) if value else None


def iso_time(text: str | None) -> float | None:
    """ISO 8601 (``2027-01-31``, ``...Z``) → unix seconds; naive times are UTC."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
