"""Backup and restore of the data dir's SQLite stores, safe while the server serves.

``backup`` copies each store with SQLite's online backup API in one step, so
the copy is one consistent snapshot (a WAL reader never blocks the server's
writers), switches the copy out of WAL so it is one self-contained file,
checks it, and writes ``manifest.json`` with sizes and SHA-256. ``secret.key``
(signs output URLs) and ``assets/`` (account data that outlives jobs) are
copied too; outputs only with ``with_files``.

``restore`` refuses while a server or worker uses the data dir, verifies every
checksum before touching anything, then swaps each file in with
``os.replace`` after removing the old ``-wal``/``-shm`` (which would otherwise
be replayed over the restored file).

Example::

    manifest = backup(cfg, Path("/backups/2026-11-23"))
    restore(cfg, Path("/backups/2026-11-23"))       # with the server stopped
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from noxus_local import package_version
from noxus_local.config import Config
from noxus_local.ops.pidfile import running_pids
from noxus_local.runtime.digest import sha256_of
from noxus_local.store.db import private_dir, private_file
from noxus_local.store.migrations import MIGRATIONS

MANIFEST = "manifest.json"
FORMAT = 1
STATE_FILES = ("secret.key",)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def stores(cfg: Config) -> list[str]:
    """The SQLite files of this config: the main store, and the queue when it is SQLite."""
    return ["noxus.db", "queue.db"] if cfg.jobs.queue_backend == "sqlite" else ["noxus.db"]


def backup(cfg: Config, dest: Path, with_files: bool = False) -> dict[str, Any]:
    data_dir = cfg.data_dir
    if not (data_dir / "noxus.db").exists():
        raise BackupError(f"no noxus.db in {data_dir}: nothing to back up")
    if (dest / MANIFEST).exists():
        raise BackupError(f"{dest} already holds a backup; choose a new folder")
    private_dir(dest)  # a backup holds the same secrets as the data dir: 0700, its files 0600
    entries = [copy_store(data_dir / name, dest / name) for name in stores(cfg)
               if (data_dir / name).exists()]
    for name in STATE_FILES:
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, dest / name)
            private_file(dest / name)
            entries.append(describe(dest / name))
    if with_files and (data_dir / "outputs").is_dir():
        shutil.copytree(data_dir / "outputs", dest / "outputs")
    if (data_dir / "assets").is_dir():  # after the stores: a file newer than the snapshot is a harmless orphan
        shutil.copytree(data_dir / "assets", dest / "assets", ignore=shutil.ignore_patterns(".incoming"))
    manifest = {"format": FORMAT, "created_at": _now(), "version": package_version(),
                "assets": (dest / "assets").is_dir(),
                "schema_version": _user_version(dest / "noxus.db"), "queue_backend": cfg.jobs.queue_backend,
                "with_files": with_files and (dest / "outputs").is_dir(), "files": entries}
    _write_atomic(dest / MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest


def copy_store(src: Path, dest: Path) -> dict[str, Any]:
    """One consistent copy of a live SQLite file, checked, as a single non-WAL file."""
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(tmp)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        # pages=-1: one step under one read transaction. Copying in steps would
        # restart each time the server writes, and might never finish under load.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")
        result = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if result != "ok":
        tmp.unlink()
        raise BackupError(f"{src.name}: the copy failed integrity_check: {result}")
    os.replace(tmp, dest)
    return describe(dest)


def describe(path: Path) -> dict[str, Any]:
    return {"name": path.name, "size": path.stat().st_size, "sha256": sha256_of(path)}


def restore(cfg: Config, src: Path, force: bool = False) -> dict[str, Any]:
    data_dir = cfg.data_dir
    pids = running_pids(data_dir)
    if pids and not force:
        raise BackupError(f"NOXUS Local is running on {data_dir} (pid {', '.join(map(str, pids))}): "
                          "stop it first, or pass --force")
    manifest = verify(src)
    data_dir.mkdir(parents=True, exist_ok=True)
    for entry in manifest["files"]:
        replace_file(src / entry["name"], data_dir / entry["name"])
    if manifest.get("with_files"):
        _replace_tree(src / "outputs", data_dir / "outputs")
    if manifest.get("assets"):
        _replace_tree(src / "assets", data_dir / "assets")
    return manifest


def verify(src: Path) -> dict[str, Any]:
    """The backup's manifest, once every file matches its size and SHA-256."""
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{src}: no {MANIFEST}; not a NOXUS Local backup") from None
    except ValueError as exc:
        raise BackupError(f"{src / MANIFEST}: unreadable: {exc}") from None
    if manifest.get("schema_version", 0) > len(MIGRATIONS):
        raise BackupError(f"the backup's schema is v{manifest['schema_version']}, newer than this version "
                          f"(v{len(MIGRATIONS)}): restore it with NOXUS Local {manifest.get('version')}")
    for entry in manifest.get("files", []):
        path = src / entry["name"]
        if not path.is_file():
            raise BackupError(f"{path}: missing")
        if path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{path}: checksum mismatch; the backup is damaged")
    return manifest


def replace_file(src: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".restore-tmp")
    shutil.copy2(src, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    for suffix in ("-wal", "-shm", "-journal"):  # a stale WAL would be replayed over the restored file
        dest.with_name(dest.name + suffix).unlink(missing_ok=True)
    os.replace(tmp, dest)


def _replace_tree(src: Path, dest: Path) -> None:
    staged = dest.with_name(dest.name + ".restore-tmp")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(src, staged)
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.replace(dest, old)
    os.replace(staged, dest)
    shutil.rmtree(old, ignore_errors=True)


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = private_file(path.with_name(path.name + ".tmp"))
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
