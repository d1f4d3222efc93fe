"""``noxus-local keys create|list|revoke|rotate`` (CONTRACT.md §8).

A key is printed once, at creation or rotation; listings show hints only.

Example::

    noxus-local keys create --account acme --env live --tool crear-qr
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.cli.base import iso_time
from noxus_local.cli.base import open_data_db as _db
from noxus_local.config import Config


def add_commands(sub: Any) -> None:
    _keys_parser(sub)


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
    _budget_arguments(create)
    update = _cmd(keys, "update", cmd_keys_update, "Change a key's budget (--max-spend, --period, --soft-limit).")
    update.add_argument("key_id")
    _budget_arguments(update)
    update.add_argument("--no-budget", action="store_true", help="Remove the key's budget (no cap).")
    update.add_argument("--json", action="store_true")
    listing = _cmd(keys, "list", cmd_keys_list, "List keys (hints only) with their budgets.")
    listing.add_argument("--account")
    for name, handler in (("revoke", cmd_keys_revoke), ("rotate", cmd_keys_rotate)):
        p = _cmd(keys, name, handler, f"{name.title()} a key by id.")
        p.add_argument("key_id")


def _budget_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-spend", metavar="USD", help="Cap on what the key may spend per period, e.g. 5.")
    parser.add_argument("--period", choices=["day", "week", "month", "total"],
                        help="Budget window, calendar UTC (default month).")
    parser.add_argument("--soft-limit", metavar="USD", help="Spend that raises an operator alert (≤ the cap).")


def _budget_error(exc: Exception) -> str:
    from noxus_local.errors import ValidationError, say
    if isinstance(exc, ValidationError):
        fields = (exc.details or {}).get("field_errors", {})
        return "; ".join(f"{name}: {', '.join(say(m, 'en') for m in msgs)}" for name, msgs in fields.items())
    return str(exc)


def _apply_budget(db: Any, key_id: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """--max-spend / --period / --soft-limit on a key; a missing one keeps the key's current value."""
    from noxus_local.billing import budgets
    current = budgets.budget_of(db, key_id)
    if args.max_spend is None and current is None:
        if args.period is not None or args.soft_limit is not None:
            from noxus_local.errors import ValidationError
            raise ValidationError.fields({"max_spend_usd": ["--max-spend is required to set a budget"]})
        return None
    cap = args.max_spend if args.max_spend is not None else budgets.format_usd(current.max_spend_micros)  # type: ignore[union-attr]
    period = args.period or (current.period if current is not None else "month")
    soft: Any = args.soft_limit
    if soft is None and current is not None and current.soft_limit_micros is not None:
        soft = budgets.format_usd(current.soft_limit_micros)
    return budgets.set_budget(db, key_id, cap, period, soft).as_api()


def cmd_keys_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import create_key
    from noxus_local.billing import budgets
    from noxus_local.errors import ValidationError
    db = _db(cfg)
    if db.one("SELECT 1 FROM accounts WHERE id = ?", (args.account,)) is None:
        print(f"error: no account {args.account!r} (create it with: noxus-local accounts create)",
              file=sys.stderr)
        return 1
    if args.max_spend is not None or args.period is not None or args.soft_limit is not None:
        try:  # refuse a bad budget before the key exists (a key printed once must not come with an error)
            budgets.parse_budget(args.max_spend, args.period or "month", args.soft_limit)
        except ValidationError as exc:
            print(f"error: {_budget_error(exc)}", file=sys.stderr)
            return 2
    plain, key_id = create_key(db, account_id=args.account, app_id=args.app, name=args.name,
                               environment=args.env, scopes=args.scopes, tools=args.tools,
                               expires_at=iso_time(args.expires))
    budget = _apply_budget(db, key_id, args)
    if args.json:
        print(json.dumps({"id": key_id, "key": plain, "account": args.account, "environment": args.env,
                          "budget": budget}))
    else:
        print(f"key id: {key_id}\naccount: {args.account}\nenvironment: {args.env}\n"
              f"key (shown only once): {plain}")
        if budget:
            print(f"budget: {_budget_line(budget)}")
    return 0


def _budget_line(budget: dict[str, Any] | None) -> str:
    if not budget:
        return "none"
    soft = f", soft limit {budget['soft_limit_usd']}" if budget["soft_limit_usd"] is not None else ""
    resets = f", resets {budget['resets_at']}" if budget["resets_at"] else ""
    return (f"{budget['spent_usd']} spent (+{budget['held_usd']} held) of {budget['max_spend_usd']} USD per "
            f"{budget['period']}{soft}{resets}")


def cmd_keys_update(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.billing import budgets
    from noxus_local.errors import ValidationError
    db = _db(cfg)
    if db.one("SELECT 1 FROM api_keys WHERE id = ?", (args.key_id,)) is None:
        print(f"error: no key {args.key_id}", file=sys.stderr)
        return 1
    try:
        if args.no_budget:
            budgets.clear_budget(db, args.key_id)
            budget = None
        else:
            budget = _apply_budget(db, args.key_id, args)
    except ValidationError as exc:
        print(f"error: {_budget_error(exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"id": args.key_id, "budget": budget}))
    else:
        print(f"key id: {args.key_id}\nbudget: {_budget_line(budget)}")
    return 0


def cmd_keys_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import list_keys
    from noxus_local.billing import budgets
    db = _db(cfg)
    keys = list_keys(db, args.account)
    caps = budgets.budgets_of(db, [k["id"] for k in keys])
    for key in keys:
        state = "revoked" if key["revoked_at"] else "active"
        budget = caps.get(key["id"])
        print(f"{key['id']}  {key['account_id']:<12} {key['environment']:<4} {state:<7} "
              f"{key['key_hint']}…  {key['name']}  scopes={key['scopes']} tools={key['tools'] or 'all'}"
              f"  budget={_budget_line(budget.as_api()) if budget else 'none'}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import revoke_key
    if not revoke_key(_db(cfg), args.key_id):
        print(f"error: no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import rotate_key
    try:
        plain, key_id = rotate_key(_db(cfg), args.key_id)
    except KeyError:
        print(f"error: no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}\nnew key id: {key_id}\nkey (shown only once): {plain}")
    return 0
