"""Accounts read and synced through sqlite-utils rows, on a real SQLite file (issue 18 item 6)."""

from __future__ import annotations

from pathlib import Path

from noxus_local.accounts.store import create_account, list_accounts, show_account, sync_config
from noxus_local.config import load_config
from noxus_local.store.db import Database

DECLARED = """
[[accounts]]
id = "acme"
name = "ACME"
tier = "{tier}"
initial_test_balance_usd = "2"
[[accounts.apps]]
id = "web"
webhook_url = "https://example.com/hook"
"""


def test_show_and_list_read_whole_rows(db: Database) -> None:
    create_account(db, "zeta", name="Zeta", tier="pro")
    shown = show_account(db, "zeta")
    assert shown is not None and {k: shown[k] for k in ("id", "name", "tier", "status", "source")} == {
        "id": "zeta", "name": "Zeta", "tier": "pro", "status": "active", "source": "cli"}
    assert shown["apps"] == [] and set(shown["balances"]) == {"test", "live"}
    assert [a["id"] for a in list_accounts(db)] == ["acme", "zeta"]  # oldest first
    assert show_account(db, "nobody") is None


def test_config_sync_updates_the_declared_account_and_lists_its_app(tmp_path: Path) -> None:
    db = Database(tmp_path / "noxus.db")
    db.migrate()
    try:
        for tier in ("starter", "pro"):
            (tmp_path / "noxus.toml").write_text(DECLARED.format(tier=tier))
            sync_config(db, load_config(tmp_path / "noxus.toml", {}))
        shown = show_account(db, "acme")
        assert shown is not None and (shown["name"], shown["tier"], shown["source"]) == ("ACME", "pro", "config")
        assert shown["apps"] == [{"id": "web", "name": "web", "webhook_url": "https://example.com/hook"}]
        assert shown["balances"]["test"]["balance_usd"] == "2"  # credited once, at creation
    finally:
        db.close()
