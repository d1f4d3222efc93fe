"""The schema migrations as SQL scripts, as they were before sqlite-utils built the schema (issue 18 item 6).

Frozen here, never edited: ``legacy_store(path, version)`` makes the store an
older NOXUS Local left at that version (the same statements, run the same way:
one by one in one transaction, ``PRAGMA user_version`` = the count), so tests
can open it with today's ``Database.migrate()`` and compare the schema a fresh
store gets with the one these scripts gave.

Example::

    legacy_store(tmp_path / "old.db", 5)       # a store as version 5 left it
    Database(tmp_path / "old.db").migrate()    # today's migrations 6..10 on top
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def legacy_store(path: Path, version: int = -1) -> Path:
    """A SQLite file with the first ``version`` legacy migrations applied (all of them by default)."""
    scripts = LEGACY if version < 0 else LEGACY[:version]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for number, script in enumerate(scripts, start=1):
            for statement in _split(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def _split(script: str) -> list[str]:
    """Statements of a script; trigger bodies keep their inner semicolons (what store/db.py did)."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


LEGACY: list[str] = [
    # 1: accounts, apps, keys, balances, ledger, jobs, idempotency
    """
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active',
        source TEXT NOT NULL DEFAULT 'cli',
        created_at REAL NOT NULL
    );
    CREATE TABLE apps (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        webhook_url TEXT,
        webhook_secret TEXT,
        source TEXT NOT NULL DEFAULT 'cli',
        created_at REAL NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        app_id TEXT REFERENCES apps(id),
        name TEXT NOT NULL,
        environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
        key_hash TEXT NOT NULL UNIQUE,
        key_hint TEXT NOT NULL,
        scopes TEXT NOT NULL,
        tools TEXT,
        expires_at REAL,
        revoked_at REAL,
        source TEXT NOT NULL DEFAULT 'cli',
        created_at REAL NOT NULL,
        last_used_at REAL
    );
    CREATE INDEX api_keys_account ON api_keys(account_id);
    CREATE TABLE balances (
        account_id TEXT NOT NULL REFERENCES accounts(id),
        environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
        balance_micros INTEGER NOT NULL DEFAULT 0 CHECK (balance_micros >= 0),
        held_micros INTEGER NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
        lifetime_spent_micros INTEGER NOT NULL DEFAULT 0,
        CHECK (held_micros <= balance_micros),
        PRIMARY KEY (account_id, environment)
    );
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        environment TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('credit', 'hold', 'charge', 'release')),
        amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
        balance_after_micros INTEGER NOT NULL,
        available_after_micros INTEGER NOT NULL,
        job_id TEXT,
        note TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX ledger_account ON ledger(account_id, environment, id);
    CREATE INDEX ledger_job ON ledger(job_id);
    CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
    CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        environment TEXT NOT NULL,
        key_id TEXT NOT NULL,
        app_id TEXT,
        tool TEXT NOT NULL,
        status TEXT NOT NULL,
        progress INTEGER NOT NULL DEFAULT 0,
        steps TEXT,
        params TEXT NOT NULL,
        files TEXT NOT NULL,
        limits TEXT NOT NULL,
        estimate_micros INTEGER NOT NULL,
        hold_micros INTEGER NOT NULL,
        charged_micros INTEGER NOT NULL DEFAULT 0,
        settled INTEGER NOT NULL DEFAULT 0,
        output TEXT,
        result TEXT,
        error_code TEXT,
        error_message TEXT,
        request_id TEXT NOT NULL,
        idempotency_key TEXT,
        max_processing_seconds INTEGER NOT NULL DEFAULT 0,
        webhook TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        output_expired INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_account ON jobs(account_id, environment, created_at);
    CREATE INDEX jobs_key_finished ON jobs(key_id, status, finished_at);
    CREATE INDEX jobs_status ON jobs(status);
    CREATE TABLE idempotency (
        account_id TEXT NOT NULL,
        environment TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        job_id TEXT NOT NULL,
        status_code INTEGER,
        response_body BLOB,
        response_headers TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (account_id, environment, key)
    );
    """,
    # 2: webhook deliveries (one per job and URL) and every attempt made
    """
    CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('job.completed', 'job.failed')),
        url TEXT NOT NULL,
        secret TEXT,
        payload BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at REAL NOT NULL,
        delivered_at REAL,
        UNIQUE (job_id, url)
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
    CREATE TABLE webhook_attempts (
        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
        attempt INTEGER NOT NULL,
        at REAL NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    """,
    # 3: what a job processed, for the latency-per-unit status endpoint
    """
    ALTER TABLE jobs ADD COLUMN media_type TEXT;
    ALTER TABLE jobs ADD COLUMN media_units REAL;
    ALTER TABLE jobs ADD COLUMN worker TEXT;
    CREATE INDEX jobs_media_finished ON jobs(media_type, status, finished_at);
    """,
    # 4: a counter that every change to keys or accounts bumps (triggers), so the
    # API can cache key lookups and still see a CLI revoke on the next request
    """
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (name, value) VALUES ('keys_version', 0);
    CREATE TRIGGER keys_changed_insert AFTER INSERT ON api_keys
        BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;
    CREATE TRIGGER keys_changed_update AFTER UPDATE ON api_keys
        WHEN NEW.last_used_at IS OLD.last_used_at
        BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;
    CREATE TRIGGER keys_changed_delete AFTER DELETE ON api_keys
        BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;
    CREATE TRIGGER accounts_changed AFTER UPDATE ON accounts
        BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;
    """,
    # 5: running jobs prove they are alive; recovery takes over stale ones from any host
    """
    ALTER TABLE jobs ADD COLUMN heartbeat_at REAL;
    """,
    # 6: per-unit prices. price_unit is
    # the unit a job was priced in (NULL = fixed per run) with its unit price and
    # minimum at submission (a config change never reprices a queued job),
    # estimated_units what its hold was computed from, units what was processed
    # and charged (0 when it failed or was cancelled), all in price_unit.
    """
    ALTER TABLE jobs ADD COLUMN price_unit TEXT;
    ALTER TABLE jobs ADD COLUMN unit_price_micros INTEGER;
    ALTER TABLE jobs ADD COLUMN minimum_price_micros INTEGER;
    ALTER TABLE jobs ADD COLUMN estimated_units REAL;
    ALTER TABLE jobs ADD COLUMN units REAL;
    """,
    # 7: several outputs per job (primary first, each with its name) and steps as data
    # (n, name, weight, status, progress, started_at, finished_at, error); old rows are
    # back-filled: their one output becomes outputs[0] "primary", their steps get the new
    # fields (weight null: the tool reported overall progress itself; no times were kept)
    """
    ALTER TABLE jobs ADD COLUMN outputs TEXT;
    UPDATE jobs SET outputs = json_array(json_object(
        'name', 'primary', 'filename', json_extract(output, '$.filename'),
        'mime_type', json_extract(output, '$.mime_type'), 'size_bytes', json_extract(output, '$.size_bytes')))
        WHERE output IS NOT NULL AND json_valid(output);
    UPDATE jobs SET steps = (
        SELECT json_group_array(json_object(
            'n', step.key + 1, 'name', json_extract(step.value, '$.name'), 'weight', NULL,
            'status', json_extract(step.value, '$.status'),
            'progress', CASE json_extract(step.value, '$.status') WHEN 'succeeded' THEN 100 ELSE 0 END,
            'started_at', NULL, 'finished_at', NULL, 'error', NULL))
        FROM json_each(jobs.steps) AS step)
        WHERE steps IS NOT NULL AND json_valid(steps);
    """,
    # 8: assets, stored once per account by
    # SHA-256 (the partial unique index); a deleted asset keeps its row so a queued job that names it
    # fails with "deleted", not "unknown"
    """
    CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        sha256 TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('image', 'audio', 'video')),
        category TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        extension TEXT NOT NULL,
        size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
        filename TEXT NOT NULL,
        created_at REAL NOT NULL,
        deleted_at REAL
    );
    CREATE UNIQUE INDEX assets_account_sha ON assets(account_id, sha256) WHERE deleted_at IS NULL;
    CREATE INDEX assets_account ON assets(account_id, deleted_at, created_at);
    """,
    # 9: remote workers (issue 12): the token of a job's current remote attempt; a result that
    # carries another token comes from an attempt the API node gave up on and is ignored
    """
    ALTER TABLE jobs ADD COLUMN attempt_token TEXT;
    """,
    # 10: account-private voices (issue 11): a named, weighted mix of premade voices; the mix is
    # JSON {voice_id: weight}; language, gender and accent are the dominant parent's, kept so
    # filters need no JSON
    """
    CREATE TABLE custom_voices (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        mix TEXT NOT NULL,
        language TEXT NOT NULL,
        gender TEXT NOT NULL,
        accent TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX custom_voices_account ON custom_voices(account_id, created_at);
    """,
    # 11: seed 002's PATCH /api/settings: an account's default webhook
    """
    ALTER TABLE accounts ADD COLUMN webhook_url TEXT;
    ALTER TABLE accounts ADD COLUMN webhook_secret TEXT;
    """,
]
