import pytest

from noxus_local.errors import IdempotencyConflict, ValidationError
from noxus_local.jobs import idempotency


def test_fingerprint_ignores_field_order_but_not_values():
    a = idempotency.fingerprint("POST", "/t", {"a": 1, "b": "x"}, {"image": "h1"})
    assert a == idempotency.fingerprint("POST", "/t", {"b": "x", "a": 1}, {"image": "h1"})
    assert a != idempotency.fingerprint("POST", "/t", {"a": 1, "b": "y"}, {"image": "h1"})
    assert a != idempotency.fingerprint("POST", "/t", {"a": 1, "b": "x"}, {"image": "h2"})


def test_reserve_then_conflicts_then_replay(db):
    with db.write() as conn:
        assert idempotency.reserve(conn, "acme", "test", "k1", "fp", "job_1", 24) is None
    with pytest.raises(IdempotencyConflict) as running, db.write() as conn:
        idempotency.reserve(conn, "acme", "test", "k1", "fp", "job_2", 24)
    assert running.value.details == {"reason": "in_progress", "job_id": "job_1"}
    with pytest.raises(IdempotencyConflict) as different, db.write() as conn:
        idempotency.reserve(conn, "acme", "test", "k1", "other", "job_2", 24)
    assert different.value.details == {"reason": "different_request"}
    idempotency.store_response(db, "acme", "test", "k1", "job_1", 200, b'{"a":1}', {})
    with db.write() as conn:
        replay = idempotency.reserve(conn, "acme", "test", "k1", "fp", "job_3", 24)
    assert replay == idempotency.Replay(200, b'{"a":1}', {})


def test_same_key_in_other_environment_is_independent(db):
    with db.write() as conn:
        assert idempotency.reserve(conn, "acme", "test", "k1", "fp", "job_1", 24) is None
        assert idempotency.reserve(conn, "acme", "live", "k1", "fp", "job_2", 24) is None


@pytest.mark.parametrize("bad", ["", " lead", "x" * 256, "tab\there", "ñ"])
def test_key_format(bad):
    with pytest.raises(ValidationError):
        idempotency.check_key(bad)
