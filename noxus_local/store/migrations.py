"""Schema migrations through sqlite-utils, applied in order; ``PRAGMA user_version`` is the index.

Never edit a released migration: append a new one. Money columns are integer
micro-USD; times are unix seconds (REAL) so windows are simple comparisons.
Tables, columns and indexes are made with sqlite-utils (``table.create``,
``add_column``, ``create_index``). SQL text is left only where its API has no
word for it: CHECK, UNIQUE and AUTOINCREMENT (``table.create`` in 4.2 declares
none of them, and the money tables rely on them), a partial index, triggers,
and the back-fill of old rows. A fresh store and one migrated from any older
version have the same schema as the SQL scripts of earlier releases made
(tests/unit/test_migrations.py compares them).

Example::

    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    for migrate in MIGRATIONS[version:]:
        migrate(db)          # store.db.Database.migrate does this inside one BEGIN IMMEDIATE
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlite_utils import Database

Migration = Callable[[Database], None]
REAL = float  # sqlite-utils writes float as REAL: times, durations, units


def create(db: Database, name: str, columns: dict[str, Any], pk: str | tuple[str, ...] = "id",
           nullable: Iterable[str] = (), defaults: Mapping[str, Any] | None = None,
           references: Mapping[str, str] | None = None) -> None:
    """A table whose columns are all NOT NULL but the ``nullable`` ones and a one-column primary key.

    ``references`` maps a column to the table whose ``id`` it holds, e.g.
    ``create(db, "apps", {...}, nullable=("webhook_url",), references={"account_id": "accounts"})``.
    """
    optional = set(nullable) | ({pk} if isinstance(pk, str) else set())
    db[name].create(columns, pk=pk, not_null=[c for c in columns if c not in optional],
                    defaults=dict(defaults or {}), foreign_keys=[(c, t, "id") for c, t in (references or {}).items()])


def execute(db: Database, *statements: str) -> None:
    """SQL that sqlite-utils has no API for, one statement at a time (executescript would COMMIT)."""
    for statement in statements:
        db.execute(statement)


def add_columns(db: Database, table: str, columns: dict[str, Any]) -> None:
    for name, kind in columns.items():
        db[table].add_column(name, kind)


# Tables with CHECK / UNIQUE / AUTOINCREMENT constraints, as released (see the module docstring).
API_KEYS = """CREATE TABLE api_keys (
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
)"""
BALANCES = """CREATE TABLE balances (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    balance_micros INTEGER NOT NULL DEFAULT 0 CHECK (balance_micros >= 0),
    held_micros INTEGER NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    lifetime_spent_micros INTEGER NOT NULL DEFAULT 0,
    CHECK (held_micros <= balance_micros),
    PRIMARY KEY (account_id, environment)
)"""
LEDGER = """CREATE TABLE ledger (
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
)"""
LEDGER_APPEND_ONLY = (
    "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
)
WEBHOOK_DELIVERIES = """CREATE TABLE webhook_deliveries (
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
)"""
ASSETS = """CREATE TABLE assets (
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
)"""
# one live asset per account and SHA-256; a deleted one keeps its row (sqlite-utils makes no partial index)
ASSETS_LIVE_SHA = "CREATE UNIQUE INDEX assets_account_sha ON assets(account_id, sha256) WHERE deleted_at IS NULL"
BUMP_KEYS_VERSION = "BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END"


JOB_COLUMNS: dict[str, Any] = {
    "id": str, "account_id": str, "environment": str, "key_id": str, "app_id": str, "tool": str, "status": str,
    "progress": int, "steps": str, "params": str, "files": str, "limits": str, "estimate_micros": int,
    "hold_micros": int, "charged_micros": int, "settled": int, "output": str, "result": str, "error_code": str,
    "error_message": str, "request_id": str, "idempotency_key": str, "max_processing_seconds": int,
    "webhook": str, "attempts": int, "created_at": REAL, "started_at": REAL, "finished_at": REAL,
    "output_expired": int,
}
JOB_NULLABLE = ("app_id", "steps", "output", "result", "error_code", "error_message", "idempotency_key", "webhook",
                "started_at", "finished_at")
JOB_DEFAULTS = {"progress": 0, "charged_micros": 0, "settled": 0, "max_processing_seconds": 0, "attempts": 0,
                "output_expired": 0}


def v1_accounts_keys_ledger_jobs(db: Database) -> None:
    """1: accounts, apps, keys, balances, ledger, jobs, idempotency."""
    create(db, "accounts", {"id": str, "name": str, "tier": str, "status": str, "source": str, "created_at": REAL},
           defaults={"status": "active", "source": "cli"})
    create(db, "apps", {"id": str, "account_id": str, "name": str, "webhook_url": str, "webhook_secret": str,
                        "source": str, "created_at": REAL},
           nullable=("webhook_url", "webhook_secret"), defaults={"source": "cli"},
           references={"account_id": "accounts"})
    execute(db, API_KEYS)
    db["api_keys"].create_index(["account_id"], "api_keys_account")
    execute(db, BALANCES, LEDGER)
    db["ledger"].create_index(["account_id", "environment", "id"], "ledger_account")
    db["ledger"].create_index(["job_id"], "ledger_job")
    execute(db, *LEDGER_APPEND_ONLY)
    create(db, "jobs", JOB_COLUMNS, nullable=JOB_NULLABLE, defaults=JOB_DEFAULTS)
    db["jobs"].create_index(["account_id", "environment", "created_at"], "jobs_account")
    db["jobs"].create_index(["key_id", "status", "finished_at"], "jobs_key_finished")
    db["jobs"].create_index(["status"], "jobs_status")
    create(db, "idempotency", {"account_id": str, "environment": str, "key": str, "fingerprint": str, "job_id": str,
                               "status_code": int, "response_body": bytes, "response_headers": str,
                               "created_at": REAL},
           pk=("account_id", "environment", "key"), nullable=("status_code", "response_body", "response_headers"))


def v2_webhooks(db: Database) -> None:
    """2: webhook deliveries (one per job and URL) and every attempt made."""
    execute(db, WEBHOOK_DELIVERIES)
    db["webhook_deliveries"].create_index(["status", "next_attempt_at"], "webhook_deliveries_due")
    create(db, "webhook_attempts", {"delivery_id": str, "attempt": int, "at": REAL, "status_code": int,
                                    "error": str, "duration_ms": int},
           pk=("delivery_id", "attempt"), nullable=("status_code", "error"),
           references={"delivery_id": "webhook_deliveries"})


def v3_job_media(db: Database) -> None:
    """3: what a job processed, for the latency-per-unit status endpoint."""
    add_columns(db, "jobs", {"media_type": str, "media_units": REAL, "worker": str})
    db["jobs"].create_index(["media_type", "status", "finished_at"], "jobs_media_finished")


def v4_keys_version(db: Database) -> None:
    """4: a counter that every change to keys or accounts bumps (triggers), so the API can cache key
    lookups and still see a CLI revoke on the next request."""
    create(db, "meta", {"name": str, "value": int}, pk="name")
    db["meta"].insert({"name": "keys_version", "value": 0})
    execute(db, f"CREATE TRIGGER keys_changed_insert AFTER INSERT ON api_keys {BUMP_KEYS_VERSION}",
            "CREATE TRIGGER keys_changed_update AFTER UPDATE ON api_keys WHEN NEW.last_used_at IS OLD.last_used_at "
            f"{BUMP_KEYS_VERSION}",
            f"CREATE TRIGGER keys_changed_delete AFTER DELETE ON api_keys {BUMP_KEYS_VERSION}",
            f"CREATE TRIGGER accounts_changed AFTER UPDATE ON accounts {BUMP_KEYS_VERSION}")


def v5_heartbeat(db: Database) -> None:
    """5: running jobs prove they are alive; recovery takes over stale ones from any host."""
    db["jobs"].add_column("heartbeat_at", REAL)


def v6_unit_prices(db: Database) -> None:
    """6: per-unit prices. ``price_unit`` is the unit a job was priced in (NULL = fixed per run) with its
    unit price and minimum at submission (a config change never reprices a queued job), ``estimated_units``
    what its hold was computed from, ``units`` what was processed and charged (0 when it failed or was
    cancelled), all in ``price_unit``."""
    add_columns(db, "jobs", {"price_unit": str, "unit_price_micros": int, "minimum_price_micros": int,
                             "estimated_units": REAL, "units": REAL})


def v7_outputs_and_steps(db: Database) -> None:
    """7: several outputs per job (primary first, each with its name) and steps as data (n, name, weight,
    status, progress, started_at, finished_at, error); old rows are back-filled: their one output becomes
    outputs[0] "primary", their steps get the new fields (weight null: the tool reported overall progress
    itself; no times were kept). The back-fill stays SQL: SQLite's JSON functions do it in two statements."""
    db["jobs"].add_column("outputs", str)
    execute(db, """UPDATE jobs SET outputs = json_array(json_object(
        'name', 'primary', 'filename', json_extract(output, '$.filename'),
        'mime_type', json_extract(output, '$.mime_type'), 'size_bytes', json_extract(output, '$.size_bytes')))
        WHERE output IS NOT NULL AND json_valid(output)""", """UPDATE jobs SET steps = (
        SELECT json_group_array(json_object(
            'n', step.key + 1, 'name', json_extract(step.value, '$.name'), 'weight', NULL,
            'status', json_extract(step.value, '$.status'),
            'progress', CASE json_extract(step.value, '$.status') WHEN 'succeeded' THEN 100 ELSE 0 END,
            'started_at', NULL, 'finished_at', NULL, 'error', NULL))
        FROM json_each(jobs.steps) AS step)
        WHERE steps IS NOT NULL AND json_valid(steps)""")


def v8_assets(db: Database) -> None:
    """8: assets, stored once per account by SHA-256 (the partial unique index); a deleted asset keeps its
    row so a queued job that names it fails with "deleted", not "unknown"."""
    execute(db, ASSETS, ASSETS_LIVE_SHA)
    db["assets"].create_index(["account_id", "deleted_at", "created_at"], "assets_account")


def v9_attempt_token(db: Database) -> None:
    """9: remote workers (issue 12): the token of a job's current remote attempt; a result that carries
    another token comes from an attempt the API node gave up on and is ignored."""
    db["jobs"].add_column("attempt_token", str)


def v10_custom_voices(db: Database) -> None:
    """10: account-private voices (issue 11): a named, weighted mix of premade voices; the mix is JSON
    {voice_id: weight}; language, gender and accent are the dominant parent's, kept so filters need no JSON."""
    create(db, "custom_voices", {"id": str, "account_id": str, "name": str, "mix": str, "language": str,
                                 "gender": str, "accent": str, "created_at": REAL},
           references={"account_id": "accounts"})
    db["custom_voices"].create_index(["account_id", "created_at"], "custom_voices_account")


def v11_job_plan(db: Database) -> None:
    """11: the plan a tool made at the request (issue 18 item 2: probe once, units, slots, models, facts), as
    JSON; the runner and a remote worker run from it. NULL for a job queued before: the runner plans it again."""
    db["jobs"].add_column("plan", str)


def v12_ad_projects(db: Database) -> None:
    """12: seed 003's projects and versions: ``POST /api/v1/generate`` makes a project and its first version,
    a version is one video-ad job, its credits as quoted at submission (the job's hold, in credits)."""
    create(db, "ad_projects", {"id": str, "account_id": str, "environment": str, "name": str, "created_at": REAL},
           references={"account_id": "accounts"})
    db["ad_projects"].create_index(["account_id", "environment", "created_at"], "ad_projects_account")
    create(db, "ad_versions", {"id": str, "project_id": str, "account_id": str, "job_id": str, "total_credits": int,
                               "created_at": REAL},
           references={"project_id": "ad_projects", "account_id": "accounts", "job_id": "jobs"})
    db["ad_versions"].create_index(["project_id", "created_at"], "ad_versions_project")


def v13_account_webhook(db: Database) -> None:
    """13: seed 002's PATCH /api/settings: an account's default webhook (URL and the secret that signs it),
    used by the jobs its Apex Studio routes create."""
    db["accounts"].add_column("webhook_url", str)
    db["accounts"].add_column("webhook_secret", str)


KEY_BUDGETS = """CREATE TABLE key_budgets (
    key_id TEXT PRIMARY KEY REFERENCES api_keys(id),
    max_spend_micros INTEGER NOT NULL CHECK (max_spend_micros >= 0),
    period TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'total')),
    soft_limit_micros INTEGER CHECK (soft_limit_micros IS NULL OR soft_limit_micros >= 0),
    window_start REAL NOT NULL,
    spent_micros INTEGER NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
    held_micros INTEGER NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    updated_at REAL NOT NULL
)"""
ALERT_DELIVERIES = """CREATE TABLE alert_deliveries (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    event TEXT NOT NULL,
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
    UNIQUE (alert_id, url)
)"""


def v14_key_budgets_and_alerts(db: Database) -> None:
    """14: issue 25 items 1-2. ``key_budgets``: a key's cap per period (day/week/month in UTC, or total) with
    its window counters (spent in the window, held by unsettled jobs), changed in the transaction that holds or
    settles, so the check is one row. ``alert_state``: one row per alert condition (``key_cap:<key>:<window>``,
    ``balance_low:<account>:<env>``...), active from the crossing until the condition clears, so an alert
    fires once per crossing. ``alerts``: every alert raised (logged even without ``[admin] alert_url``;
    ``dispatched`` once the delivery thread logged it and queued its webhook);
    ``alert_deliveries`` / ``alert_attempts``: their signed webhooks, as ``webhook_deliveries`` for jobs."""
    execute(db, KEY_BUDGETS)
    create(db, "alert_state", {"name": str, "active": int, "changed_at": REAL, "fired_at": REAL, "fired": int},
           pk="name", nullable=("fired_at",), defaults={"active": 0, "fired": 0})
    create(db, "alerts", {"id": str, "name": str, "event": str, "subject": str, "payload": bytes, "dispatched": int,
                          "created_at": REAL}, defaults={"dispatched": 0})
    db["alerts"].create_index(["dispatched", "created_at"], "alerts_dispatch")
    execute(db, ALERT_DELIVERIES)
    db["alert_deliveries"].create_index(["status", "next_attempt_at"], "alert_deliveries_due")
    create(db, "alert_attempts", {"delivery_id": str, "attempt": int, "at": REAL, "status_code": int,
                                  "error": str, "duration_ms": int},
           pk=("delivery_id", "attempt"), nullable=("status_code", "error"),
           references={"delivery_id": "alert_deliveries"})
AUDIT_LOG = """CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    request_id TEXT
)"""
AUDIT_APPEND_ONLY = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is "
    "append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is "
    "append-only'); END",
)


# jobs per status kept by triggers, so the operator's overview reads 5 rows instead of counting 100,000 index
# entries (55 ms at 100k jobs on a loaded 2-core box, growing with the table); one tiny upsert per insert and per
# status change, in the job's own transaction
JOB_STATUS_COUNTS = (
    "CREATE TABLE job_status_counts (status TEXT PRIMARY KEY, jobs INTEGER NOT NULL DEFAULT 0)",
    "INSERT INTO job_status_counts (status, jobs) SELECT status, COUNT(*) FROM jobs GROUP BY status",
    "CREATE TRIGGER job_status_counts_insert AFTER INSERT ON jobs BEGIN"
    " INSERT OR IGNORE INTO job_status_counts (status) VALUES (NEW.status);"
    " UPDATE job_status_counts SET jobs = jobs + 1 WHERE status = NEW.status; END",
    "CREATE TRIGGER job_status_counts_update AFTER UPDATE OF status ON jobs WHEN NEW.status IS NOT OLD.status BEGIN"
    " UPDATE job_status_counts SET jobs = jobs - 1 WHERE status = OLD.status;"
    " INSERT OR IGNORE INTO job_status_counts (status) VALUES (NEW.status);"
    " UPDATE job_status_counts SET jobs = jobs + 1 WHERE status = NEW.status; END",
    "CREATE TRIGGER job_status_counts_delete AFTER DELETE ON jobs BEGIN"
    " UPDATE job_status_counts SET jobs = jobs - 1 WHERE status = OLD.status; END",
)


def v15_admin_audit(db: Database) -> None:
    """15 (issue 25, admin API): the append-only audit log of admin actions (who, what, when), the
    indexes the operator's overview and usage export read by: jobs by creation time (the all-accounts job
    list) and ledger movements by kind and time (spend today / this month, the CSV's ``--since``), and jobs per
    status counted by triggers (``JOB_STATUS_COUNTS``)."""
    execute(db, AUDIT_LOG, *AUDIT_APPEND_ONLY)
    db["audit_log"].create_index(["at"], "audit_log_at")
    db["audit_log"].create_index(["action", "at"], "audit_log_action")
    db["jobs"].create_index(["created_at"], "jobs_created")
    db["ledger"].create_index(["kind", "created_at", "amount_micros"], "ledger_kind_time")
    db["ledger"].create_index(["created_at"], "ledger_time")
    execute(db, *JOB_STATUS_COUNTS)


def v16_brand_profiles(db: Database) -> None:
    """16: brand profiles (issue 24, instant-ad): an account's saved brand kit (name, colours as a JSON list,
    logo URL, the page it came from), reused by ``brandProfileId``. Self-contained: it only creates its table."""
    create(db, "brand_profiles", {"id": str, "account_id": str, "name": str, "colours": str, "logo_url": str,
                                  "website_url": str, "created_at": REAL},
           references={"account_id": "accounts"})
    db["brand_profiles"].create_index(["account_id", "created_at"], "brand_profiles_account")


def v17_voice_agents(db: Database) -> None:
    """17: voice agents (issue 23 item 6, seed 002): an account's agents (system prompt, greeting, voice,
    text model), their calls, and each call's messages in order (the greeting, then caller and agent turns;
    an agent turn names its reply audio and what it was charged). Self-contained: it only creates its tables."""
    create(db, "voice_agents", {"id": str, "account_id": str, "environment": str, "name": str,
                                "system_prompt": str, "greeting": str, "tts_model": str, "llm_model": str,
                                "voice_id": str, "language": str, "created_at": REAL},
           references={"account_id": "accounts"})
    db["voice_agents"].create_index(["account_id", "environment", "created_at"], "voice_agents_account")
    create(db, "voice_agent_calls", {"id": str, "account_id": str, "environment": str, "agent_id": str,
                                     "started_at": REAL, "last_at": REAL},
           references={"agent_id": "voice_agents"})
    db["voice_agent_calls"].create_index(["account_id", "environment", "started_at"], "voice_agent_calls_account")
    db["voice_agent_calls"].create_index(["agent_id"], "voice_agent_calls_agent")
    create(db, "voice_agent_turns", {"call_id": str, "seq": int, "role": str, "text": str, "at": REAL,
                                     "audio": str, "duration_seconds": REAL, "charged_micros": int},
           pk=("call_id", "seq"), nullable=("audio", "duration_seconds"), defaults={"charged_micros": 0},
           references={"call_id": "voice_agent_calls"})


MIGRATIONS: list[Migration] = [
    v1_accounts_keys_ledger_jobs, v2_webhooks, v3_job_media, v4_keys_version, v5_heartbeat, v6_unit_prices,
    v7_outputs_and_steps, v8_assets, v9_attempt_token, v10_custom_voices, v11_job_plan,
    v12_ad_projects, v13_account_webhook, v14_key_budgets_and_alerts, v15_admin_audit, v16_brand_profiles,
    v17_voice_agents,
]
