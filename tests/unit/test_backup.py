"""Backup and restore of the SQLite stores, on real files."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from noxus_local.billing import ledger
from noxus_local.config import load_config
from noxus_local.node.services import prepare
from noxus_local.ops.backup import BackupError, backup, restore
from noxus_local.ops.pidfile import pid_file, running_pids
from noxus_local.store.db import Database


@pytest.fixture
def cfg(tmp_path):
    config = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    prepare(config)
    (config.data_dir / "queue.db").touch()  # an empty SQLite file is a valid database
    (config.data_dir / "secret.key").write_bytes(b"k" * 32)
    return config


def balance(cfg) -> int:
    db = Database(cfg.data_dir / "noxus.db")
    try:
        return ledger.read_balance(db.conn(), "default", "test").balance_micros
    finally:
        db.close()


def spend(cfg, micros: int) -> None:
    db = Database(cfg.data_dir / "noxus.db")
    with db.write() as conn:
        ledger.hold(conn, "default", "test", micros, job_id="job_x")
        ledger.settle(conn, "default", "test", hold_micros=micros, charge_micros=micros, job_id="job_x")
    db.close()


def test_backup_writes_single_file_copies_and_a_manifest(cfg, tmp_path):
    manifest = backup(cfg, tmp_path / "bk")
    assert [e["name"] for e in manifest["files"]] == ["noxus.db", "queue.db", "secret.key"]
    assert json.loads((tmp_path / "bk" / "manifest.json").read_text()) == manifest
    assert sorted(p.name for p in (tmp_path / "bk").iterdir()) == [
        "manifest.json", "noxus.db", "queue.db", "secret.key"]  # no -wal/-shm beside the copies
    conn = sqlite3.connect(tmp_path / "bk" / "noxus.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_refuses_a_folder_that_holds_a_backup(cfg, tmp_path):
    backup(cfg, tmp_path / "bk")
    with pytest.raises(BackupError, match="already holds a backup"):
        backup(cfg, tmp_path / "bk")


def test_restore_brings_back_the_old_balance(cfg, tmp_path):
    before = balance(cfg)
    backup(cfg, tmp_path / "bk")
    spend(cfg, 5000)
    assert balance(cfg) == before - 5000
    restore(cfg, tmp_path / "bk")
    assert balance(cfg) == before
    assert not (cfg.data_dir / "noxus.db-wal").exists()


def test_restore_checks_every_checksum_before_touching_anything(cfg, tmp_path):
    backup(cfg, tmp_path / "bk")
    spend(cfg, 5000)
    after = balance(cfg)
    with open(tmp_path / "bk" / "noxus.db", "r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff")
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore(cfg, tmp_path / "bk")
    assert balance(cfg) == after


def test_restore_refuses_while_a_server_runs_unless_forced(cfg, tmp_path):
    backup(cfg, tmp_path / "bk")
    server = subprocess.Popen([sys.executable, "-c", "import time; print(1, flush=True); time.sleep(30)  # noxus"],
                              stdout=subprocess.PIPE)
    try:
        server.stdout.readline()  # exec'd: its command line now names noxus
        (cfg.data_dir / "noxus.pid").write_text(f"{server.pid}\n")
        assert running_pids(cfg.data_dir) == [server.pid]
        with pytest.raises(BackupError, match=f"running on .* \\(pid {server.pid}\\)"):
            restore(cfg, tmp_path / "bk")
        restore(cfg, tmp_path / "bk", force=True)
    finally:
        server.kill()
        server.wait()
    assert running_pids(cfg.data_dir) == []  # a dead pid is a stale file
    restore(cfg, tmp_path / "bk")


def test_a_reused_pid_of_another_program_is_stale(tmp_path):
    other = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "noxus.pid").write_text(f"{other.pid}\n")
        assert running_pids(tmp_path) == []
    finally:
        other.kill()
        other.wait()


def test_pid_file_is_removed_at_exit(tmp_path):
    with pid_file(tmp_path, "noxus.pid") as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert not path.exists()


def test_outputs_come_back_with_files(cfg, tmp_path):
    (cfg.data_dir / "outputs" / "job_1").mkdir(parents=True)
    (cfg.data_dir / "outputs" / "job_1" / "a.png").write_bytes(b"png")
    assert backup(cfg, tmp_path / "bk", with_files=True)["with_files"]
    (cfg.data_dir / "outputs" / "job_1" / "a.png").unlink()
    restore(cfg, tmp_path / "bk")
    assert (cfg.data_dir / "outputs" / "job_1" / "a.png").read_bytes() == b"png"


def test_assets_are_always_in_the_backup(cfg, tmp_path):
    """Assets outlive jobs, so a backup without --with-files still carries them (not half-written ones)."""
    assets = cfg.data_dir / "assets"
    (assets / ".incoming").mkdir(parents=True)
    (assets / "asset_aaaaaaaaaaaaaaaaaaaaaaaa").write_bytes(b"logo")
    (assets / ".incoming" / "partial").write_bytes(b"half")
    assert backup(cfg, tmp_path / "bk")["assets"]
    assert not (tmp_path / "bk" / "assets" / ".incoming").exists()
    (assets / "asset_aaaaaaaaaaaaaaaaaaaaaaaa").unlink()
    restore(cfg, tmp_path / "bk")
    assert (assets / "asset_aaaaaaaaaaaaaaaaaaaaaaaa").read_bytes() == b"logo"
