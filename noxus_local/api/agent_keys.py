"""Idempotency-Key on a voice agent's turn (CONTRACT.md §5, on the same ``idempotency`` table as jobs).

A turn is not a job, but it costs money, so a retried turn must not run or charge twice. The key is
reserved (in one IMMEDIATE transaction, so concurrent duplicates race on its primary key) before the
turn takes a compute slot or holds money; the answer's bytes are stored once the turn is charged, and a
retry with the same key and the same request (text, callId, audioUrl, the uploaded audio's SHA-256) gets
those bytes back with ``Idempotent-Replayed: true``. The same key with another request, or while the
first still runs, is the contract's ``idempotency_conflict`` (seed 002's shape: 400 BAD_REQUEST, as on
its other routes). A turn that fails (charged 0) frees its key, so the retry runs afresh.

Example::

    replay = reserve(svc, principal, "turn-42", fp, "turn_9b1f…")   # None: this request runs the turn
    remember(svc, principal, "turn-42", "turn_9b1f…", body)         # a retry now replays ``body``
"""

from __future__ import annotations

from noxus_local.accounts.keys import Principal
from noxus_local.jobs import idempotency
from noxus_local.jobs.idempotency import Replay
from noxus_local.node.services import Services


def reserve(svc: Services, p: Principal, key: str, fp: str, turn_id: str) -> Replay | None:
    """Claim ``key`` for the turn; the stored answer when it was seen before; 409-coded conflict otherwise."""
    return idempotency.claim(svc.db, p.account_id, p.environment, key, fp, turn_id, svc.cfg.jobs.idempotency_hours)


def remember(svc: Services, p: Principal, key: str, turn_id: str, body: bytes) -> None:
    """The turn's answer, byte for byte, for the key's replays."""
    idempotency.store_response(svc.db, p.account_id, p.environment, key, turn_id, 200, body, {})


def forget(svc: Services, p: Principal, key: str, turn_id: str) -> None:
    """A turn that did not happen gives its key back (only this turn's own, unanswered reservation)."""
    idempotency.forget(svc.db, p.account_id, p.environment, key, turn_id)
