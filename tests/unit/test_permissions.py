"""Issue 8 item 8: the data dir is 0700 and its stores and secret.key 0600, new or old, backups too."""

import os
import stat

from noxus_local.assets.files import load_secret
from noxus_local.config import load_config
from noxus_local.node.services import build_services, prepare
from noxus_local.ops.backup import backup


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def private_files(data_dir):
    names = ("noxus.db", "noxus.db-wal", "noxus.db-shm", "queue.db", "queue.db-wal", "queue.db-shm",
             "secret.key")
    return {name: mode(data_dir / name) for name in names if (data_dir / name).exists()}


def test_a_new_data_dir_is_private_from_creation(tmp_path):
    old = os.umask(0o022)  # the usual umask, which made noxus.db 0644 before
    try:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
        prepare(cfg)
        svc = build_services(cfg)  # opens noxus.db (WAL), creates queue.db and secret.key
        svc.dispatcher.huey.storage.conn.execute("SELECT 1")
    finally:
        os.umask(old)
    data_dir = tmp_path / "data"
    assert mode(data_dir) == 0o700
    found = private_files(data_dir)
    assert {"noxus.db", "noxus.db-wal", "noxus.db-shm", "queue.db", "secret.key"} <= set(found)
    assert set(found.values()) == {0o600}, found
    svc.db.close()


def test_files_an_older_version_left_world_readable_are_tightened_at_start(tmp_path):
    data_dir = tmp_path / "data"
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(data_dir)})
    prepare(cfg)
    load_secret(data_dir, "")
    (data_dir / "queue.db").touch()
    os.chmod(data_dir, 0o755)
    for name in ("noxus.db", "queue.db", "secret.key"):
        os.chmod(data_dir / name, 0o644)
    prepare(cfg)
    assert mode(data_dir) == 0o700
    assert set(private_files(data_dir).values()) == {0o600}


def test_a_backup_is_as_private_as_the_data_dir(tmp_path):
    old = os.umask(0o022)
    try:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
        prepare(cfg)
        load_secret(cfg.data_dir, "")
        dest = tmp_path / "backups" / "b1"
        backup(cfg, dest)
    finally:
        os.umask(old)
    assert mode(dest) == 0o700
    assert {p.name: mode(p) for p in dest.iterdir()} == {
        "noxus.db": 0o600, "secret.key": 0o600, "manifest.json": 0o600}
