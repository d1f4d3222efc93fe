"""Usage export as CSV: one row per ledger movement or per job, streamed in batches, constant memory.

Why batches by key (``id``/``rowid`` > the last one seen, ``BATCH`` rows each)
and not one open cursor: each batch is its own short read, so a slow download
of a million rows never pins a WAL snapshot (the log could not be checkpointed
until it ended), and any thread may serve the next batch (Litestar iterates a
sync generator in its thread pool; connections are per thread). ``until``
defaults to the moment the export starts, so rows written meanwhile do not
slip in. Columns are stable (``MOVEMENT_COLUMNS``, ``JOB_COLUMNS``); times are
ISO 8601 UTC; money is exact decimal USD; a text cell starting with ``=``,
``+``, ``-`` or ``@`` is prefixed with ``'`` so a spreadsheet never runs it.

Example::

    for chunk in export_csv(db, per="movement", since=t0, account_id="acme"):
        out.write(chunk)
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator, Sequence
from typing import Any

from noxus_local.admin import inputs
from noxus_local.money import format_usd
from noxus_local.store.db import Database

BATCH = 2000
PER = ("movement", "job")
MOVEMENT_COLUMNS = ("movement_id", "time", "account_id", "environment", "kind", "amount_usd", "balance_after_usd",
                    "available_after_usd", "job_id", "key_id", "tool", "note")
JOB_COLUMNS = ("job_id", "created_at", "finished_at", "account_id", "environment", "key_id", "app_id", "tool",
               "status", "held_usd", "charged_usd", "units", "price_unit", "error_code")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns(per: str) -> Sequence[str]:
    return MOVEMENT_COLUMNS if per == "movement" else JOB_COLUMNS


def export_csv(db: Database, *, per: str = "movement", since: float | None = None, until: float | None = None,
               account_id: str | None = None, batch: int = BATCH) -> Iterator[str]:
    """The CSV text in chunks (the header first, then one chunk per batch of rows)."""
    per = inputs.choice(per, "per", PER)
    until = time.time() if until is None else until
    yield _lines([columns(per)])
    pages = _movements(db, since, until, account_id, batch) if per == "movement" else \
        _jobs(db, since, until, account_id, batch)
    for rows in pages:
        yield _lines(rows)


def _lines(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180 line ends: what spreadsheets expect
    return buffer.getvalue()


def _safe(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


def _start_id(db: Database, table: str, key: str, since: float | None) -> int:
    """The key just before the first row at or after ``since`` (found by the time index), 0 for all."""
    if since is None:
        return 0
    row = db.one(f"SELECT MIN({key}) FROM {table} WHERE created_at >= ?", (since,))
    return int(row[0]) - 1 if row and row[0] is not None else -1


def _movements(db: Database, since: float | None, until: float, account_id: str | None,
               batch: int) -> Iterator[list[list[Any]]]:
    last = _start_id(db, "ledger", "id", since)
    if last < 0:
        return
    where = "l.id > ? AND l.created_at < ?" + (" AND l.created_at >= ?" if since is not None else "") + \
        (" AND l.account_id = ?" if account_id else "")
    while True:
        args = [last, until, *([since] if since is not None else []), *([account_id] if account_id else [])]
        rows = db.all("SELECT l.id, l.created_at, l.account_id, l.environment, l.kind, l.amount_micros,"
                      " l.balance_after_micros, l.available_after_micros, l.job_id, j.key_id, j.tool, l.note"
                      f" FROM ledger l LEFT JOIN jobs j ON j.id = l.job_id WHERE {where} ORDER BY l.id LIMIT ?",
                      (*args, batch))
        if not rows:
            return
        last = rows[-1][0]
        yield [[r[0], inputs.iso(r[1]), r[2], r[3], r[4], format_usd(r[5]), format_usd(r[6]), format_usd(r[7]),
                r[8] or "", r[9] or "", r[10] or "", _safe(r[11])] for r in rows]


def _jobs(db: Database, since: float | None, until: float, account_id: str | None,
          batch: int) -> Iterator[list[list[Any]]]:
    last = _start_id(db, "jobs", "rowid", since)
    if last < 0:
        return
    where = "rowid > ? AND created_at < ?" + (" AND created_at >= ?" if since is not None else "") + \
        (" AND account_id = ?" if account_id else "")
    while True:
        args = [last, until, *([since] if since is not None else []), *([account_id] if account_id else [])]
        rows = db.all("SELECT rowid, id, created_at, finished_at, account_id, environment, key_id, app_id, tool,"
                      " status, hold_micros, charged_micros, units, price_unit, error_code"
                      f" FROM jobs WHERE {where} ORDER BY rowid LIMIT ?", (*args, batch))
        if not rows:
            return
        last = rows[-1][0]
        yield [[r[1], inputs.iso(r[2]), inputs.iso(r[3]) or "", r[4], r[5], r[6], r[7] or "", r[8], r[9],
                format_usd(r[10]), format_usd(r[11]), "" if r[12] is None else r[12], r[13] or "", _safe(r[14])]
               for r in rows]
