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

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from noxus_local.store.migrations import MIGRATIONS

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# the data dir's secrets: keys' hashes, balances, jobs, the queue and the URL-signing key
PRIVATE_NAMES = ("noxus.db", "queue.db", "secret.key")
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700, also when it already existed.

    Example: ``private_dir(Path("noxus-data"))`` → drwx------.
    """
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; an existing one is chmod-ed to 0600.

    Created by ``os.open`` with the mode, not chmod-ed after, so there is no
    moment when another user could open it. SQLite gives its ``-wal`` and
    ``-shm`` files the main file's mode, so pre-creating a store covers them.
    Example: ``private_file(data_dir / "queue.db")`` before huey opens it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        os.chmod(path, PRIVATE_FILE)
    return path


def secure_data_dir(data_dir: Path) -> None:
    """At start: the data dir 0700 and every existing store (+ -wal/-shm) and secret.key 0600.

    Data dirs made by older versions were 0755 with 0644 stores (issue 8).
    """
    private_dir(data_dir)
    for name in PRIVATE_NAMES:
        for suffix in SQLITE_SIDECARS:
            path = data_dir / f"{name}{suffix}"
            if path.is_file():
                os.chmod(path, PRIVATE_FILE)


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
        if not self.path.exists():
            private_dir(self.path.parent)
            private_file(self.path)
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
        """``BEGIN IMMEDIATE … COMMIT``; rolls back on any exception, a failed COMMIT included.

        Why the care: on SQLITE_FULL ("database or disk is full") SQLite may roll
        the transaction back itself, and a plain ROLLBACK then fails with "no
        transaction is active", hiding the real error; a COMMIT that fails and is
        left open would make every later ``BEGIN`` on this thread's connection fail.
        """
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def table(self, name: str) -> sqlite_utils.db.Table:
        """A sqlite-utils table on this thread's connection, for plain row reads and writes.

        Inside ``db.write()`` it is the same connection, so its statements join that
        transaction (its own ``atomic()`` blocks become savepoints). Example:
        ``db.table("custom_voices").rows_where("account_id = ?", ["acme"], order_by="created_at, id")``.
        """
        return self.utils()[name]

    def utils(self) -> sqlite_utils.Database:
        """This thread's connection wrapped by sqlite-utils, made once per thread.

        ``recursive_triggers`` and plugins stay off: wrapping must not change how
        the connection behaves for the hand-written transactions that share it.
        """
        conn = self.conn()
        wrapped: sqlite_utils.Database | None = getattr(self._local, "utils", None)
        if wrapped is None or wrapped.conn is not conn:
            wrapped = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
            self._local.utils = wrapped
        return wrapped

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.conn().execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, params).fetchall()

    def migrate(self) -> int:
        """Apply pending migrations in order, all in one ``BEGIN IMMEDIATE``; returns the schema version.

        sqlite-utils works on this thread's connection: inside our transaction its
        ``atomic()`` blocks are savepoints, so a failing migration leaves no half.
        """
        with self.write() as conn:
            schema = self.utils()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(schema)
                conn.execute(f"PRAGMA user_version={number}")
                version = number
        return version

    def close(self) -> None:
        with self._lock:
            for conn in self._all.values():
                conn.close()
            self._all.clear()
        self._local = threading.local()

