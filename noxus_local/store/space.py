"""Free space of the data dir, and telling a full disk from other failures (issue 17 item 2).

A full disk must be a clear 507 ``insufficient_storage`` and never a charge,
so two things live here. ``StorageGuard`` measures the data dir's filesystem
(``statvfs``, a few microseconds) against ``[storage] min_free_mb``: new work
is refused before any hold while the disk is below it, and health and doctor
report it. ``is_disk_full`` recognises the failure itself wherever it comes
from: an ``OSError`` with ENOSPC, EDQUOT or EFBIG (a file-size limit, the
same story for the job), or SQLite's ``SQLITE_FULL``. SQLite maps only ENOSPC
to ``SQLITE_FULL``; a quota or a file-size limit comes back as
``SQLITE_IOERR_WRITE``, so that counts too: the store could not write, and
running the job again would not help (a failing disk reads the same; it is
reported as full, which is the safe answer: nothing charged, nothing re-run).

Example::

    guard = StorageGuard(Path("noxus-data"), min_free_mb=256)
    guard.check()                        # raises InsufficientStorage below 256 MB free
    guard.report()                       # {"free_mb": 48213, "min_free_mb": 256, "ok": True}
    is_disk_full(OSError(errno.ENOSPC, "No space left on device"))    # True
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from noxus_local.errors import InsufficientStorage

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FULL_SQLITE = frozenset({"SQLITE_FULL", "SQLITE_IOERR_WRITE"})
MIB = 1024 * 1024


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an exception it was raised from or while handling) is a full disk.

    The chain is followed because a full disk often surfaces second: a
    ROLLBACK that fails after the write did, or a library that wraps the OSError.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _full(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _full(exc: BaseException) -> bool:
    if isinstance(exc, InsufficientStorage):
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorname", None) in FULL_SQLITE or "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a full-disk failure inside the block into ``InsufficientStorage`` (507).

    Example: ``with storage_errors(): path.write_bytes(upload)``.
    """
    try:
        yield
    except InsufficientStorage:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise InsufficientStorage() from exc
        raise


class StorageGuard:
    """The data dir's free space against ``[storage] min_free_mb`` (0 turns the guard off)."""

    def __init__(self, data_dir: Path, min_free_mb: int) -> None:
        self.data_dir = data_dir
        self.min_free_mb = min_free_mb

    @classmethod
    def from_config(cls, cfg: Any) -> StorageGuard:
        return cls(Path(cfg.server.data_dir), cfg.storage.min_free_mb)

    def free_mb(self) -> int:
        """Free MB for this process (``f_bavail``: what a non-root writer can still use)."""
        try:
            stats = os.statvfs(self.data_dir)
        except FileNotFoundError:  # not created yet (doctor before the first start): the disk it will be on
            stats = os.statvfs(next((p for p in self.data_dir.parents if p.exists()), Path("/")))
        return int(stats.f_bavail * stats.f_frsize // MIB)

    def ok(self) -> bool:
        return self.min_free_mb <= 0 or self.free_mb() >= self.min_free_mb

    def check(self) -> None:
        """Raise 507 before any hold when the disk is below the guard."""
        if self.min_free_mb <= 0:
            return
        free = self.free_mb()
        if free < self.min_free_mb:
            raise InsufficientStorage(details={"free_mb": free, "min_free_mb": self.min_free_mb})

    def report(self) -> dict[str, Any]:
        """What health and doctor show, e.g. ``{"free_mb": 7, "min_free_mb": 256, "ok": False}``."""
        free = self.free_mb()
        return {"free_mb": free, "min_free_mb": self.min_free_mb,
                "ok": self.min_free_mb <= 0 or free >= self.min_free_mb}
