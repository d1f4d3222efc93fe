"""``noxus-local admin audit``: read the audit log of admin actions (who, what, when) from the data dir.

Example::

    noxus-local admin audit --action key. --limit 20
    noxus-local admin audit --target acme --json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.cli.base import open_data_db as _db
from noxus_local.config import Config


def add_commands(sub: Any) -> None:
    admin = _group(sub, "admin", "The operator's audit log.")
    audit = _cmd(admin, "audit", cmd_admin_audit, "Show admin actions, newest first.")
    audit.add_argument("--action", help="Exact (account.credit) or a prefix ending in '.' (key.).")
    audit.add_argument("--target", help="The account, key or job acted on.")
    audit.add_argument("--since", help="At or after: ISO 8601 or unix seconds.")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true", help="One JSON object per line.")


def cmd_admin_audit(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.admin.audit import list_entries
    from noxus_local.admin.inputs import iso, moment
    from noxus_local.errors import ValidationError, say

    try:
        since = moment(args.since, "since")
    except ValidationError as exc:
        print(f"error: {say(exc.details, cfg.server.locale)}", file=sys.stderr)
        return 2
    rows, total = list_entries(_db(cfg), action=args.action, target=args.target, since=since,
                               limit=max(1, min(args.limit, 10_000)))
    for row in rows:
        if args.json:
            print(json.dumps({**row, "at": iso(row["at"])}, ensure_ascii=False))
            continue
        where = f"{row['via']}" + (f" {row['ip']}" if row["ip"] else "")
        details = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        print(f"{iso(row['at'])}  {row['actor']:<14} {where:<20} {row['action']:<18} {row['target'] or '-':<28} "
              f"{details}")
    if not args.json:
        print(f"({len(rows)} of {total})")
    return 0
