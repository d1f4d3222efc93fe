"""CLI administration: ``keys``, ``accounts`` and ``jobs`` (CONTRACT.md §8).

A key is printed once, at creation or rotation; listings show hints only.

Example::

    noxus-local accounts create acme --tier pro
    noxus-local keys create --account acme --env live --tool crear-qr
    noxus-local jobs list --status failed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from noxus_local.cli_base import command as _cmd
from noxus_local.cli_base import group as _group
from noxus_local.cli_base import open_data_db as _db
from noxus_local.config import Config
from noxus_local.money import format_usd, parse_usd


def add_admin_commands(sub: Any) -> None:
    _keys_parser(sub)
    _accounts_parser(sub)
    _jobs_parser(sub)


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
    update = _cmd(accounts, "update", cmd_accounts_update,
                  "Change an account's tier or status (suspended accounts get 403 on every call).")
    update.add_argument("account_id")
    update.add_argument("--tier")
    update.add_argument("--status", choices=["active", "suspended"])
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


def _known_tier(cfg: Config, tier: str) -> bool:
    if tier in cfg.tiers:
        return True
    print(f"error: unknown tier {tier!r}; known: {', '.join(cfg.tiers)}", file=sys.stderr)
    return False


def cmd_accounts_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import create_account
    if not _known_tier(cfg, args.tier):
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


def cmd_accounts_update(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.core.accounts import update_account
    if args.tier is not None and not _known_tier(cfg, args.tier):
        return 1
    if not update_account(_db(cfg), args.account_id, tier=args.tier, status=args.status):
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    print(f"updated {args.account_id}")
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


def _iso(text: str | None) -> float | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
