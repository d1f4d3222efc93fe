"""Per-thread SQLite connections do not outlive their threads (issue 8 item 3).

anyio's worker threads end after 10 s idle and are replaced; every
replacement opened a connection and the old ones (page cache included) were
kept for ever: 7 more connections, ~4 MB more RSS, after each quiet spell.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from noxus_local.store.db import Database


def use_in_threads(db: Database, count: int) -> list[sqlite3.Connection]:
    """``count`` short-lived threads, one after the other, each reading once."""
    seen: list[sqlite3.Connection] = []

    def work() -> None:
        db.one("SELECT COUNT(*) FROM jobs")
        seen.append(db.conn())

    for _ in range(count):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    return seen


def test_connections_stay_bounded_as_threads_come_and_go(tmp_path):
    db = Database(tmp_path / "noxus.db")
    db.migrate()
    seen = use_in_threads(db, 50)
    # main's (from migrate) and the last thread's: each new connection prunes the dead ones
    assert db.open_connections() == 2
    for conn in seen[:-1]:
        with pytest.raises(sqlite3.ProgrammingError):  # closed, so its cache is freed
            conn.execute("SELECT 1")
    db.close()


def test_live_threads_keep_their_connection(tmp_path):
    db = Database(tmp_path / "noxus.db")
    db.migrate()
    release, ready = threading.Event(), threading.Event()
    held: list[sqlite3.Connection] = []

    def long_lived() -> None:
        held.append(db.conn())
        ready.set()
        release.wait(10)
        held.append(db.conn())

    thread = threading.Thread(target=long_lived)
    thread.start()
    ready.wait(10)
    use_in_threads(db, 5)
    assert db.open_connections() == 3  # main (migrate), the long-lived thread, the last short one
    release.set()
    thread.join()
    assert held[0] is held[1]
    assert held[0].execute("SELECT 1").fetchone()[0] == 1
    db.close()


def test_each_connections_page_cache_is_capped(tmp_path):
    # one connection per thread: SQLite's 2 MB default per connection added up to ~150 MB
    db = Database(tmp_path / "noxus.db")
    assert db.one("PRAGMA cache_size")[0] == -256
    caps: list[int] = []
    thread = threading.Thread(target=lambda: caps.append(db.one("PRAGMA cache_size")[0]))
    thread.start()
    thread.join()
    assert caps == [-256]
    db.close()
