"""The schema that sqlite-utils builds is the one the SQL scripts built, and old stores migrate (issue 18 item 6).

``schema_of`` describes a store by what SQLite enforces, not by the text of
its ``CREATE`` statements (sqlite-utils quotes names and lays them out its own
way): each table's columns (type, NOT NULL, default, primary key), foreign
keys, CHECK and UNIQUE constraints, AUTOINCREMENT, each index's columns,
uniqueness and partial ``WHERE``, and each trigger. A fresh store must equal
one made by the frozen legacy scripts (tests/legacy_migrations.py), and a store
any older version left must reach the same schema, its rows kept.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from noxus_local.store.db import Database
from noxus_local.store.migrations import MIGRATIONS
from tests.legacy_migrations import LEGACY, legacy_store


def _sql(text: str | None) -> str:
    """SQL text with identifier quotes and runs of whitespace taken out, for comparing clauses."""
    return re.sub(r"\s+", " ", re.sub(r'["`\[\]]', "", text or "")).strip()


def _table(db: sqlite_utils.Database, conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    table = db.table(name)
    indexes = {}
    for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list('{name}')"):
        columns = [tuple(row[1:]) for row in conn.execute(f"PRAGMA index_xinfo('{index}')") if row[5]]
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
        where = _sql(sql.split(" WHERE ", 1)[1]) if partial else None
        indexes[index] = (unique, origin, columns, where)
    return {
        "columns": [tuple(row) for row in conn.execute(f"PRAGMA table_xinfo('{name}')")],
        "foreign_keys": sorted(tuple(row) for row in conn.execute(f"PRAGMA foreign_key_list('{name}')")),
        "checks": sorted((_sql(c.check), c.name, c.column) for c in table.checks),
        "uniques": sorted((tuple(col.name for col in u.columns), u.column) for u in sqlite_utils.db.parse_uniques(
            table.schema)),
        "autoincrement": bool(sqlite_utils.db.parse_autoincrement(table.schema)),
        "indexes": indexes,
    }


def schema_of(path: Path) -> dict[str, Any]:
    """What SQLite enforces in the store at ``path``, e.g. ``{"version": 10, "tables": {"accounts": {...}}}``."""
    conn = sqlite3.connect(path)
    try:
        db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {
            "version": conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": {name: _table(db, conn, name) for name in names},
            "triggers": {name: (table, _sql(sql)) for name, table, sql in conn.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")},
            "objects": sorted(tuple(row) for row in conn.execute("SELECT type, name, tbl_name FROM sqlite_master")),
            "meta": [tuple(row) for row in conn.execute("SELECT * FROM meta")] if "meta" in names else None,
        }
    finally:
        conn.close()


def fresh(path: Path) -> Path:
    db = Database(path)
    try:
        db.migrate()
    finally:
        db.close()
    return path


def reference(path: Path) -> Path:
    """The store the legacy SQL scripts made, then today's migrations written after them (11: the job plan)."""
    legacy_store(path)
    return fresh(path)


def test_a_fresh_store_has_the_schema_the_sql_scripts_made(tmp_path: Path) -> None:
    assert len(LEGACY) == 10 and len(MIGRATIONS) > len(LEGACY)  # the version numbers mean the same in both
    assert schema_of(fresh(tmp_path / "new.db")) == schema_of(reference(tmp_path / "old.db"))


@pytest.mark.parametrize("version", range(len(LEGACY)))
def test_a_store_an_older_version_left_migrates_to_the_same_schema(tmp_path: Path, version: int) -> None:
    old = legacy_store(tmp_path / "old.db", version)
    db = Database(old)
    try:
        assert db.migrate() == len(MIGRATIONS)
        assert db.migrate() == len(MIGRATIONS)  # a second start finds nothing to do
    finally:
        db.close()
    assert schema_of(old) == schema_of(reference(tmp_path / "reference.db"))


def test_rows_of_an_old_store_are_kept_and_its_rules_still_hold(tmp_path: Path) -> None:
    """A version-3 store with an account, a key, a balance and a ledger row: after the migration the rows
    are there, the ledger is still append-only and a key change still bumps ``keys_version`` (migration 4)."""
    path = legacy_store(tmp_path / "old.db", 3)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO accounts (id, name, tier, created_at) VALUES ('acme', 'Acme', 'free', 1)")
    conn.execute("INSERT INTO api_keys (id, account_id, name, environment, key_hash, key_hint, scopes, created_at)"
                 " VALUES ('key_1', 'acme', 'k', 'test', 'h1', 'nx_…1', '[]', 1)")
    conn.execute("INSERT INTO balances (account_id, environment, balance_micros) VALUES ('acme', 'test', 5000000)")
    conn.execute("INSERT INTO ledger (account_id, environment, kind, amount_micros, balance_after_micros,"
                 " available_after_micros, created_at) VALUES ('acme', 'test', 'credit', 5000000, 5000000, 5000000, 1)")
    conn.close()
    db = Database(path)
    try:
        db.migrate()
        assert [tuple(r) for r in db.all("SELECT id, status, source FROM accounts")] == [("acme", "active", "cli")]
        assert db.one("SELECT balance_micros FROM balances")[0] == 5_000_000
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn().execute("DELETE FROM ledger")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.conn().execute("UPDATE balances SET held_micros = 6000000")
        db.conn().execute("UPDATE api_keys SET revoked_at = 2 WHERE id = 'key_1'")
        assert db.one("SELECT value FROM meta WHERE name = 'keys_version'")[0] == 1
    finally:
        db.close()


def test_a_job_queued_before_plans_were_stored_keeps_its_row_with_no_plan(tmp_path: Path) -> None:
    """Migration 11 (issue 18 item 2): ``jobs.plan`` is a nullable TEXT column; a job a version-10 store
    holds has none (the runner plans it again when it starts)."""
    path = legacy_store(tmp_path / "old.db", 10)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO jobs (id, account_id, environment, key_id, tool, status, params, files, limits,"
                 " estimate_micros, hold_micros, request_id, created_at) VALUES ('job_1', 'acme', 'test', 'key_1',"
                 " 'wait', 'queued', '{}', '[]', '{}', 0, 0, 'req', 1)")
    conn.close()
    db = Database(path)
    try:
        assert db.migrate() == len(MIGRATIONS)
        column = next(c for c in db.all("PRAGMA table_info(jobs)") if c["name"] == "plan")
        assert (column["type"], column["notnull"]) == ("TEXT", 0)
        assert db.one("SELECT plan FROM jobs WHERE id = 'job_1'")["plan"] is None
    finally:
        db.close()


def test_seed_003_projects_and_versions_have_their_tables(tmp_path: Path) -> None:
    """Migration 12 (issue 21): a project per ``POST /api/v1/generate``, a version per video-ad job, with its
    credits: both tables, with their columns in order."""
    db = Database(tmp_path / "noxus.db")
    try:
        db.migrate()
        columns = {t: [c["name"] for c in db.all(f"PRAGMA table_info({t})")] for t in ("ad_projects", "ad_versions")}
        assert columns == {"ad_projects": ["id", "account_id", "environment", "name", "created_at"],
                           "ad_versions": ["id", "project_id", "account_id", "job_id", "total_credits", "created_at"]}
    finally:
        db.close()
