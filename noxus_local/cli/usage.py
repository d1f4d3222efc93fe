"""``noxus-local usage export --csv``: the usage CSV (one row per ledger movement or per job), streamed.

The same rows and columns as ``GET /api/v1/admin/usage.csv`` (``admin.export``),
read straight from the data dir: no server and no admin token needed, only the
right to read the data dir. Written in batches, so a million rows take constant
memory; to stdout unless ``--output``.

Example::

    noxus-local usage export --csv --since 2026-12-01 --account acme --per job > acme-december.csv
    noxus-local usage export --csv --per movement --output ledger.csv
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.cli.base import open_data_db as _db
from noxus_local.config import Config


def add_commands(sub: Any) -> None:
    usage = _group(sub, "usage", "Usage reports.")
    export = _cmd(usage, "export", cmd_usage_export, "Export usage as CSV (per ledger movement or per job).")
    export.add_argument("--csv", action="store_true", default=True,
                        help="CSV with a header row (the only format; accepted for clarity).")
    export.add_argument("--per", choices=["movement", "job"], default="movement",
                        help="One row per ledger movement (default) or per job.")
    export.add_argument("--since", help="At or after: ISO 8601 (2026-12-01, 2026-12-01T08:00Z) or unix seconds.")
    export.add_argument("--until", help="Before: ISO 8601 or unix seconds (default: now).")
    export.add_argument("--account", help="Only this account.")
    export.add_argument("--output", "-o", help="Write to this file instead of stdout.")


def cmd_usage_export(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.admin.export import export_csv
    from noxus_local.admin.inputs import moment
    from noxus_local.errors import ValidationError, say

    try:
        since, until = moment(args.since, "since"), moment(args.until, "until")
    except ValidationError as exc:
        print(f"error: {say(exc.details, cfg.server.locale)}", file=sys.stderr)
        return 2
    chunks = export_csv(_db(cfg), per=args.per, since=since, until=until, account_id=args.account)
    # newline="": the CSV's own CRLF line ends go out as written (RFC 4180)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        if args.output:
            out.close()
        else:
            out.flush()
    return 0
