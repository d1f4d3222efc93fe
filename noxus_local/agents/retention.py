"""Retention of voice agents' reply audio: the WAV files go after ``[jobs] retention_hours``, the words stay.

Run by the same upkeep sweep that deletes job outputs (node/services.py ``maintenance_for``). A turn's
reply audio older than the cut-off is deleted and its message's ``audio`` cleared (the transcript, the
charge and the turn's place in the call stay); a call with no turn since the cut-off has its whole folder
removed, and so has a folder no stored call owns (a crash's leftover). A swept turn's signed ``audioUrl``
then answers 404 with ``details.reason = "audio_expired"`` (api/agent_routes.py ``reply_audio``).

Example::

    sweep_audio(db, Path("/var/lib/noxus"), retention_hours=24)   # 3: three replies' audio deleted
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from noxus_local.agents.store import AUDIO_DIR, audio_dir


def sweep_audio(db: Any, data_dir: Path, retention_hours: float, now: float | None = None) -> int:
    """Delete reply audio older than the cut-off (files, then their rows' ``audio``); the number deleted."""
    cutoff = (time.time() if now is None else now) - retention_hours * 3600
    rows = db.all("SELECT call_id, seq, audio FROM voice_agent_turns WHERE audio IS NOT NULL AND at < ?",
                  (cutoff,))
    for row in rows:
        (audio_dir(data_dir, row["call_id"]) / row["audio"]).unlink(missing_ok=True)
    if rows:
        with db.write() as conn:
            conn.executemany("UPDATE voice_agent_turns SET audio = NULL WHERE call_id = ? AND seq = ?",
                             [(r["call_id"], r["seq"]) for r in rows])
    _sweep_folders(db, data_dir, cutoff)
    return len(rows)


def _sweep_folders(db: Any, data_dir: Path, cutoff: float) -> None:
    """Folders of calls ended before the cut-off, and old folders no stored call owns."""
    root = data_dir / AUDIO_DIR
    if not root.is_dir():
        return
    for folder in root.iterdir():
        row = db.one("SELECT last_at FROM voice_agent_calls WHERE id = ?", (folder.name,))
        last = row["last_at"] if row is not None else folder.stat().st_mtime
        if last < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def expired(db: Any, call_id: str, name: str) -> bool:
    """``name`` was a reply of the (still stored) call whose audio the sweep deleted: its message is kept
    with no audio. A turn's file is ``<turn id>.wav``, and the charge's ledger row names that turn id."""
    if db.one("SELECT 1 FROM voice_agent_calls WHERE id = ?", (call_id,)) is None:
        return False
    turn_id = name.removesuffix(".wav")
    return db.one("SELECT 1 FROM ledger WHERE job_id = ? AND kind = 'charge'", (turn_id,)) is not None
