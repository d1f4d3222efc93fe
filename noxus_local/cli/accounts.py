"""``noxus-local accounts create|credit|show|update|list``.

Example::

    noxus-local accounts create acme --tier pro
    noxus-local accounts credit acme 25 --env live
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
from noxus_local.money import format_usd, parse_usd


def add_commands(sub: Any) -> None:
    _accounts_parser(sub)


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


def _audit(db: Any, action: str, target: str, details: dict[str, Any]) -> None:
    """CLI changes go to the audit log too (``noxus-local admin audit``), by the OS user who ran them."""
    from noxus_local.admin.audit import Actor, record
    record(db, Actor.cli(), action, target, details)


def _known_tier(cfg: Config, tier: str) -> bool:
    if tier in cfg.tiers:
        return True
    print(f"error: unknown tier {tier!r}; known: {', '.join(cfg.tiers)}", file=sys.stderr)
    return False


def cmd_accounts_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.store import create_account
    if not _known_tier(cfg, args.tier):
        return 1
    db = _db(cfg)
    created = create_account(db, args.account_id, name=args.name, tier=args.tier)
    if created:
        _audit(db, "account.create", args.account_id, {"name": args.name or args.account_id, "tier": args.tier})
    print(("created " if created else "exists ") + args.account_id)
    return 0 if created else 1


def cmd_accounts_credit(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.store import credit_account
    try:
        micros = parse_usd(args.amount_usd)
        if micros <= 0:
            raise ValueError("amount must be positive")
        db = _db(cfg)
        view = credit_account(db, args.account_id, args.env, micros, note=args.note)
        _audit(db, "account.credit", args.account_id,
               {"environment": args.env, "amount_usd": format_usd(micros), "note": args.note})
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    print(f"{args.account_id} {args.env}: balance {format_usd(view.balance_micros)} USD")
    return 0


def cmd_accounts_update(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.store import update_account
    if args.tier is not None and not _known_tier(cfg, args.tier):
        return 1
    db = _db(cfg)
    if not update_account(db, args.account_id, tier=args.tier, status=args.status):
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    _audit(db, "account.update", args.account_id, {"tier": args.tier, "status": args.status})
    print(f"updated {args.account_id}")
    return 0


def cmd_accounts_show(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.store import show_account
    account = show_account(_db(cfg), args.account_id)
    if account is None:
        print(f"error: no account {args.account_id!r}", file=sys.stderr)
        return 1
    print(json.dumps(account, indent=2, default=str))
    return 0


def cmd_accounts_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.store import list_accounts
    for account in list_accounts(_db(cfg)):
        print(f"{account['id']:<16} tier={account['tier']:<10} status={account['status']}")
    return 0
