"""What an account keeps on disk, against its tier: one job's outputs, and the storage quota.

Two bounds, both 413 ``limit_exceeded`` with ``details.limit`` naming them, both
before any charge (a job that trips one fails, charged 0, and its files are removed):

- ``max_output_mb``: the output files of one job together (``check_output_size``); a
  text of pause tags once made a 480 MB WAV in 8 s.
- ``storage_quota_mb``: the account's assets plus the outputs of its jobs still kept
  (not yet expired by ``jobs.retention_hours``). Asset uploads and job outputs are
  checked against the same sum (``check_quota``), inside the write transaction that
  adds to it, so two at once cannot both squeeze under it.

Example::

    check_output_size(250 * MB, 200 * MB)             # LimitExceeded, details.limit "max_output_mb"
    with db.write() as conn:
        check_quota(conn, "acct_1", 30 * MB, 100 * MB, "output_mb")   # raises when 80 MB are used
"""

from __future__ import annotations

import sqlite3

from noxus_local.errors import LimitExceeded

MB = 1024 * 1024

_ASSETS = "SELECT COALESCE(SUM(size_bytes), 0) FROM assets WHERE account_id = ? AND deleted_at IS NULL"
# every file of a job is listed in ``outputs`` (schema v6); retention sets output_expired when it deletes them
_OUTPUTS = ("SELECT COALESCE(SUM(json_extract(o.value, '$.size_bytes')), 0) FROM jobs, json_each(jobs.outputs) o"
            " WHERE jobs.account_id = ? AND jobs.status = 'succeeded' AND jobs.output_expired = 0"
            " AND jobs.outputs IS NOT NULL")


def used_bytes(conn: sqlite3.Connection, account_id: str) -> int:
    """Bytes the account keeps: live assets plus the outputs of its jobs not yet expired."""
    assets = conn.execute(_ASSETS, (account_id,)).fetchone()[0]
    outputs = conn.execute(_OUTPUTS, (account_id,)).fetchone()[0]
    return int(assets) + int(outputs)


def check_quota(conn: sqlite3.Connection, account_id: str, adding: int, quota_bytes: int,
                what: str = "file_mb") -> None:
    """413 ``storage_quota`` when ``adding`` bytes would take the account past its quota (0 = none).

    ``what`` names the new bytes in the details: ``file_mb`` for an asset, ``output_mb`` for a
    job's outputs. Example details: ``{"limit": "storage_quota", "max_mb": 100.0, "used_mb": 80.0,
    "output_mb": 30.0}``.
    """
    if quota_bytes <= 0:
        return
    used = used_bytes(conn, account_id)
    if used + adding > quota_bytes:
        raise LimitExceeded(
            f"la cuota de almacenamiento de la cuenta está llena ({used / MB:.2f} de {quota_bytes / MB:.2f} MB "
            f"en assets y salidas guardadas) / the account's storage quota is full ({used / MB:.2f} of "
            f"{quota_bytes / MB:.2f} MB in assets and kept job outputs): delete assets or wait until older "
            f"outputs expire",
            details={"limit": "storage_quota", "max_mb": round(quota_bytes / MB, 2),
                     "used_mb": round(used / MB, 2), what: round(adding / MB, 2)})


def check_output_size(total_bytes: int, max_bytes: int) -> None:
    """413 ``max_output_mb`` when one job's outputs together pass the tier's ceiling (0 = none)."""
    if max_bytes > 0 and total_bytes > max_bytes:
        raise LimitExceeded(
            f"las salidas del trabajo ocupan {total_bytes / MB:.2f} MB, el máximo es {max_bytes / MB:.2f} MB / "
            f"the job's outputs take {total_bytes / MB:.2f} MB, at most {max_bytes / MB:.2f} MB (max_output_mb)",
            details={"limit": "max_output_mb", "max": round(max_bytes / MB, 2),
                     "output_mb": round(total_bytes / MB, 2)})
