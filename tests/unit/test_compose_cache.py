"""The re-render cache: entries by content hash, whole or absent, bounded per account, pruned by age."""

import os
import time

import pytest

from noxus_local.compose.cache import PartCache, part_key


def writer(text: str, size: int = 100):
    def make(out):
        (out / "audio.bin").write_bytes(text.encode() * (size // max(1, len(text))))
    return make


def test_the_same_inputs_hit_and_a_changed_input_misses(tmp_path):
    cache = PartCache(tmp_path, max_bytes=10_000)
    a = part_key("narration", text="Hola.", voice="ef_dora", speed=1.0)
    assert a == part_key("narration", speed=1.0, voice="ef_dora", text="Hola.")  # order does not matter
    first, hit = cache.get_or_make("acct_1", "narration", a, writer("a"))
    assert not hit and (first / "audio.bin").is_file()
    again, hit = cache.get_or_make("acct_1", "narration", a, writer("never called"))
    assert hit and again == first and (again / "audio.bin").read_bytes().startswith(b"a")
    b = part_key("narration", text="Hola!", voice="ef_dora", speed=1.0)
    _, hit = cache.get_or_make("acct_1", "narration", b, writer("b"))
    assert not hit and (cache.made, cache.hits) == (2, 1)


def test_accounts_never_share_an_entry(tmp_path):
    cache = PartCache(tmp_path, max_bytes=10_000)
    key = part_key("visual", prompt="a red car", seed=1)
    cache.get_or_make("acct_1", "visual", key, writer("one"))
    _, hit = cache.get_or_make("acct_2", "visual", key, writer("two"))
    assert not hit


def test_a_failed_make_leaves_nothing(tmp_path):
    cache = PartCache(tmp_path, max_bytes=10_000)
    key = part_key("narration", text="x")

    def boom(out):
        (out / "half.bin").write_bytes(b"half")
        raise RuntimeError("synthesis failed")

    with pytest.raises(RuntimeError):
        cache.get_or_make("acct_1", "narration", key, boom)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    _, hit = cache.get_or_make("acct_1", "narration", key, writer("ok"))
    assert not hit


def test_each_account_is_bounded_least_recently_used_first(tmp_path):
    cache = PartCache(tmp_path, max_bytes=250)
    keys = [part_key("visual", n=n) for n in range(3)]
    for n, key in enumerate(keys):
        folder, _ = cache.get_or_make("acct_1", "visual", key, writer(str(n), 100))
        os.utime(folder, (time.time() - 100 + n, time.time() - 100 + n))
    cache.get_or_make("acct_1", "visual", keys[0], writer("unused"))  # a hit: now the most recent
    cache.get_or_make("acct_1", "visual", part_key("visual", n=3), writer("3", 100))
    left = sorted(p.name for p in (tmp_path / "acct_1" / "visual").iterdir())
    assert left == sorted([keys[0], part_key("visual", n=3)])
    assert cache.size("acct_1") <= 250


def test_prune_drops_what_the_retention_outlived(tmp_path):
    cache = PartCache(tmp_path, max_bytes=10_000)
    old, _ = cache.get_or_make("acct_1", "narration", part_key("narration", n=1), writer("old"))
    new, _ = cache.get_or_make("acct_1", "narration", part_key("narration", n=2), writer("new"))
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cache.prune(3600) == 1
    assert not old.exists() and new.exists()


@pytest.mark.parametrize("account, kind, key", [("../x", "narration", "0" * 64), ("acct", "other", "0" * 64),
                                                ("acct", "narration", "../../etc")])
def test_names_that_are_not_entries_are_refused(tmp_path, account, kind, key):
    with pytest.raises(ValueError):
        PartCache(tmp_path, 100).get_or_make(account, kind, key, writer("x"))


def test_the_servers_retention_sweep_prunes_the_compose_cache(tmp_path):
    """The server's minute sweep (node/services.py maintenance_for) is what prunes it: an entry unused
    for longer than ``[jobs] retention_hours`` goes, a recent one stays."""
    from noxus_local.config import load_config
    from noxus_local.node.services import build_services, compose_cache, maintenance_for

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data"), "NOXUS_JOBS_RETENTION_HOURS": "1"})
    svc = build_services(cfg)
    try:
        cache = compose_cache(cfg)
        old, _ = cache.get_or_make("acct_1", "narration", part_key("narration", n=1), writer("old"))
        new, _ = cache.get_or_make("acct_1", "visual", part_key("visual", n=2), writer("new"))
        os.utime(old, (time.time() - 7200, time.time() - 7200))
        sweep = next(fn for _, fn in maintenance_for(svc).tasks if getattr(fn, "__name__", "") == "sweep")
        sweep()
        assert not old.exists() and new.exists()
    finally:
        svc.db.close()
