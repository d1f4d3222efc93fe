import time

import pytest

from noxus_local.accounts.keys import authenticate, create_key, hash_key, list_keys, revoke_key, rotate_key
from noxus_local.errors import InvalidApiKey, RevokedApiKey


def test_created_key_is_stored_only_as_hash(db):
    plain, key_id = create_key(db, account_id="acme", name="ci", environment="test")
    assert plain.startswith("noxus_test_") and len(plain) >= len("noxus_test_") + 40
    row = db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
    assert row["key_hash"] == hash_key(plain)
    assert plain not in str(tuple(row))
    assert row["key_hint"] == plain[:15]


def test_authenticate_gives_the_principal(db):
    plain, key_id = create_key(db, account_id="acme", name="ci", environment="live",
                               tools=["crear-qr"], scopes=["tools:run"])
    p = authenticate(db, plain)
    assert (p.key_id, p.account_id, p.environment, p.tier) == (key_id, "acme", "live", "free")
    assert p.tools == frozenset({"crear-qr"}) and p.scopes == frozenset({"tools:run"})


@pytest.mark.parametrize("token", ["nope", "noxus_test_short", "noxus_prod_" + "a" * 43,
                                   "noxus_test_" + "a" * 43])
def test_unknown_or_malformed_keys(db, token):
    with pytest.raises(InvalidApiKey):
        authenticate(db, token)


def test_revoked_and_expired_keys(db):
    plain, key_id = create_key(db, account_id="acme", name="a", environment="test")
    assert revoke_key(db, key_id)
    with pytest.raises(RevokedApiKey):
        authenticate(db, plain)
    old, _ = create_key(db, account_id="acme", name="b", environment="test", expires_at=time.time() - 1)
    with pytest.raises(RevokedApiKey):
        authenticate(db, old)


def test_rotate_revokes_old_and_keeps_settings(db):
    plain, key_id = create_key(db, account_id="acme", name="a", environment="test", tools=["qr"])
    new_plain, new_id = rotate_key(db, key_id)
    with pytest.raises(RevokedApiKey):
        authenticate(db, plain)
    assert authenticate(db, new_plain).tools == frozenset({"qr"})
    assert [k["id"] for k in list_keys(db, "acme")] == [key_id, new_id]


def test_cache_sees_a_revoke_from_another_connection(db, tmp_path):
    from noxus_local.accounts.keys import KeyCache
    from noxus_local.store.db import Database

    plain, key_id = create_key(db, account_id="acme", name="a", environment="test")
    cache = KeyCache(recheck_seconds=0)
    assert cache.authenticate(db, plain).key_id == key_id
    assert cache.authenticate(db, plain).key_id == key_id  # served from the cache
    other = Database(db.path)  # as the CLI would, in another process
    revoke_key(other, key_id)
    with pytest.raises(RevokedApiKey):
        cache.authenticate(db, plain)


def test_cache_sees_a_suspended_account(db):
    from noxus_local.accounts.keys import KeyCache

    plain, _ = create_key(db, account_id="acme", name="a", environment="test")
    cache = KeyCache(recheck_seconds=0)
    assert cache.authenticate(db, plain).account_status == "active"
    with db.write() as conn:
        conn.execute("UPDATE accounts SET status = 'suspended' WHERE id = 'acme'")
    assert cache.authenticate(db, plain).account_status == "suspended"


def test_cache_staleness_is_bounded(db):
    import time as _time

    from noxus_local.accounts.keys import KeyCache

    plain, key_id = create_key(db, account_id="acme", name="a", environment="test")
    cache = KeyCache(recheck_seconds=0.05)
    cache.authenticate(db, plain)
    revoke_key(db, key_id)
    _time.sleep(0.06)
    with pytest.raises(RevokedApiKey):
        cache.authenticate(db, plain)
