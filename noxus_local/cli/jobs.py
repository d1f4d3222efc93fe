"""``noxus-local jobs list|show``.

Example::

    noxus-local jobs list --status failed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.cli.base import open_data_db as _db
from noxus_local.config import Config
from noxus_local.money import format_usd


def add_commands(sub: Any) -> None:
    _jobs_parser(sub)


def _jobs_parser(sub: Any) -> None:
    group = _group(sub, "jobs", "Jobs.")
    listing = _cmd(group, "list", cmd_jobs_list, "List recent jobs.")
    listing.add_argument("--account")
    listing.add_argument("--status")
    listing.add_argument("--tool")
    listing.add_argument("--limit", type=int, default=20)
    show = _cmd(group, "show", cmd_jobs_show, "Show one job.")
    show.add_argument("job_id")


def cmd_jobs_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.jobs import store as jobs
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
