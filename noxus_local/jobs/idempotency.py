"""Idempotency-Key handling (CONTRACT.md §5).

The key is reserved in the same IMMEDIATE transaction that creates the job
and its hold, so concurrent duplicates race on one primary key and exactly
one of them runs. The final response body is stored byte for byte and
replayed with ``Idempotent-Replayed: true``.

Example::

    replay = reserve(conn, "acct_1", "test", "qr-001", fingerprint, "job_x", hours=24)
    if replay: return replay      # same request seen before: send it back
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from noxus_local.errors import IdempotencyConflict, ValidationError
from noxus_local.locale import t

KEY_RE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")  # used with fullmatch: no trailing newline


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: bytes
    headers: dict[str, str]


def check_key(value: str) -> str:
    if not KEY_RE.fullmatch(value) or value != value.strip():
        raise ValidationError.fields({"Idempotency-Key": [t("idempotency.key_shape")]})
    return value


def fingerprint(method: str, path: str, fields: dict[str, Any], files: dict[str, str]) -> str:
    """Hash of the request's meaning, not its bytes.

    Multipart boundaries differ on every retry (curl picks a random one), so
    the parsed fields and the files' SHA-256 are hashed instead of the raw
    body: the same logical request always has the same fingerprint.
    """
    canonical = json.dumps({"m": method, "p": path, "f": fields, "files": files},
                           sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reserve(conn: sqlite3.Connection, account_id: str, env: str, key: str, fp: str,
            job_id: str, hours: float) -> Replay | None:
    """Claim ``key`` for ``job_id``; a Replay if it already finished; 409 otherwise."""
    row = conn.execute(
        "SELECT fingerprint, job_id, status_code, response_body, response_headers, created_at"
        " FROM idempotency WHERE account_id = ? AND environment = ? AND key = ?",
        (account_id, env, key)).fetchone()
    now = time.time()
    if row is not None and row["created_at"] > now - hours * 3600:
        if row["fingerprint"] != fp:
            raise IdempotencyConflict(details={"reason": "different_request"})
        if row["response_body"] is None:
            raise IdempotencyConflict(details={"reason": "in_progress", "job_id": row["job_id"]})
        return Replay(row["status_code"], row["response_body"], json.loads(row["response_headers"] or "{}"))
    conn.execute(
        "INSERT OR REPLACE INTO idempotency (account_id, environment, key, fingerprint, job_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)", (account_id, env, key, fp, job_id, now))
    return None


def store_response(db: Any, account_id: str, env: str, key: str, job_id: str,
                   status_code: int, body: bytes, headers: dict[str, str]) -> None:
    """Keep the exact bytes of the first answer so a replay is byte-identical (CONTRACT §5)."""
    with db.write() as conn:
        conn.execute(
            "UPDATE idempotency SET status_code = ?, response_body = ?, response_headers = ?"
            " WHERE account_id = ? AND environment = ? AND key = ? AND job_id = ?",
            (status_code, body, json.dumps(headers), account_id, env, key, job_id))


def claim(db: Any, account_id: str, env: str, key: str, fp: str, owner_id: str, hours: float) -> Replay | None:
    """``reserve`` in a transaction of its own, for a paid request that is not a job (a voice agent's turn:
    ``owner_id`` is the turn's id, the same id its ledger rows carry)."""
    with db.write() as conn:
        return reserve(conn, account_id, env, key, fp, owner_id, hours)


def forget(db: Any, account_id: str, env: str, key: str, owner_id: str) -> None:
    """A request that did not happen (charged 0) gives its key back: only its own, still unanswered, claim."""
    with db.write() as conn:
        conn.execute("DELETE FROM idempotency WHERE account_id = ? AND environment = ? AND key = ? AND job_id = ?"
                     " AND response_body IS NULL", (account_id, env, key, owner_id))
