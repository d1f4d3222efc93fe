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
    listing = _cmd(keys, "list", cmd_keys_list, "List keys (hints only).")
    listing.add_argument("--account")
    for name, handler in (("revoke", cmd_keys_revoke), ("rotate", cmd_keys_rotate)):
        p = _cmd(keys, name, handler, f"{name.title()} a key by id.")
        p.add_argument("key_id")


def cmd_keys_create(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import create_key
    db = _db(cfg)
    if db.one("SELECT 1 FROM accounts WHERE id = ?", (args.account,)) is None:
        print(f"error: no account {args.account!r} (create it with: noxus-local accounts create)",
              file=sys.stderr)
        return 1
    plain, key_id = create_key(db, account_id=args.account, app_id=args.app, name=args.name,
                               environment=args.env, scopes=args.scopes, tools=args.tools,
                               expires_at=iso_time(args.expires))
    if args.json:
        print(json.dumps({"id": key_id, "key": plain, "account": args.account, "environment": args.env}))
    else:
        print(f"key id: {key_id}\naccount: {args.account}\nenvironment: {args.env}\n"
              f"key (shown only once): {plain}")
    return 0


def cmd_keys_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.accounts.keys import list_keys
    for key in list_keys(_db(cfg), args.account):
        state = "revoked" if key["revoked_at"] else "active"
        print(f"{key['id']}  {key['account_id']:<12} {key['environment']:<4} {state:<7} "
              f"{key['key_hint']}…  {key['name']}  scopes={key['scopes']} tools={key['tools'] or 'all'}")
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
