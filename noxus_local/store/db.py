"""SQLite access: one file, WAL, per-thread connections, IMMEDIATE transactions.

Every read-modify-write (holds, charges, job state) runs inside
``db.write()``, which issues ``BEGIN IMMEDIATE``: a deferred transaction that
reads and then writes fails with "database is locked" under concurrency even
with a busy timeout (STACK.md), while IMMEDIATE takes the write lock up front
and waits its turn.

Example::

    db = Database(Path("noxus-data/noxus.db"))
    db.migrate()
    with db.write() as conn:
        conn.execute("UPDATE balances SET balance = balance + ? WHERE ...", (5,))
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from noxus_local.store.migrations import MIGRATIONS

# Page cache per connection, in KiB (SQLite's default is 2,000). There is one
# connection per thread (anyio's 40, the inline pool, huey's workers), so the
# default let caches alone reach ~150 MB as the file grew; queries here are
# indexed point reads whose hot pages fit easily, and WAL reads that miss come
# from the OS page cache, shared by all (issue 8 item 3).
CACHE_KIB = 256


class Database:
    """A SQLite file shared by threads; each thread gets its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._close_orphans()
                self._all[threading.current_thread()] = conn
        return conn

    def open_connections(self) -> int:
        """How many connections are open (one per live thread that used the store)."""
        with self._lock:
            return len(self._all)

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended; the caller holds the lock.

        Why: anyio's worker threads end after 10 s idle and new ones replace
        them, each opening its own connection. The old ones, each with up to
        2 MB of page cache, stayed referenced here for ever, so RSS grew with
        every quiet spell and never came back (issue 8 item 3).
        """
        for thread in [t for t in self._all if not t.is_alive()]:
            self._all.pop(thread).close()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE … COMMIT``; rolls back on any exception."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.conn().execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, params).fetchall()

    def migrate(self) -> int:
        """Apply pending migrations in order; returns the schema version."""
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _split(sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number}")
                version = number
        return version

    def close(self) -> None:
        with self._lock:
            for conn in self._all.values():
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _split(script: str) -> list[str]:
    """Statements of a migration script; trigger bodies keep their inner semicolons.

    executescript() would commit our IMMEDIATE transaction, so statements
    run one by one; ``complete_statement`` tells where each one ends.
    """
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
