"""Crash recovery: jobs a dead process left unfinished are run again or failed.

At start-up every job with ``settled = 0`` was interrupted (kill -9, power
loss). If its inputs are still on disk and it has run fewer than
``MAX_ATTEMPTS`` times, it goes back on the queue; otherwise it ends
``failed`` with its hold released. Either way it is never lost and never
charged twice: settlement is guarded by ``settled``.

Several processes may share a data dir (the server and ``noxus-local
worker`` processes). A running job whose recorded worker (``host:pid``) is
another live NOXUS process on this host is still being worked on and is left
alone; one recorded on another host is left to that host's processes, which
run this same recovery when they start.

Example::

    recover_jobs(services)     # in the app's (and each worker's) startup, after workers start
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from noxus_local.core import jobs
from noxus_local.pidfile import is_alive

log = logging.getLogger("noxus_local.recovery")
MAX_ATTEMPTS = 2


def recover_jobs(svc: Any) -> dict[str, int]:
    counts = {"requeued": 0, "failed": 0}
    for row in jobs.unfinished(svc.db):
        if not _abandoned(row):
            continue
        inputs_ok = all(Path(f["path"]).exists() for f in json.loads(row["files"]))
        if inputs_ok and row["attempts"] < MAX_ATTEMPTS:
            jobs.requeue(svc.db, row["id"])
            svc.dispatcher.enqueue(row["id"])
            counts["requeued"] += 1
        else:
            jobs.finish(svc.db, row["id"], status="failed", error_code="internal_error",
                        error_message="El servidor se detuvo durante el trabajo; no se cobró nada.")
            svc.files.discard_work(row["id"])
            svc.runner.notify(row["id"])
            counts["failed"] += 1
    if any(counts.values()):
        log.warning("recovered unfinished jobs: %s", counts)
    return counts


def _abandoned(row: Any) -> bool:
    """Queued jobs are always safe to enqueue again (``jobs.start`` lets one worker win)."""
    if row["status"] != "running" or not row["worker"]:
        return True
    host, _, pid = row["worker"].rpartition(":")
    if host != socket.gethostname():
        return False
    return int(pid) == os.getpid() or not is_alive(int(pid))
