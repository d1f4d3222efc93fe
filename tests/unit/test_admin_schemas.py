"""The admin API's Structs (api/admin_schemas.py) against the real admin service on a real SQLite file.

Why: the handlers return ``view(service_dict, Struct)``; a member the Struct does not
declare would silently vanish from the answer. Each service answer here, with every
optional part present (a budget, a job, a credit, an audit entry), must come back
from its Struct member for member. The published examples must be valid Structs too,
and the enums must be the service's own lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import msgspec
import pytest

from noxus_local.accounts.keys import authenticate
from noxus_local.admin import service as admin
from noxus_local.admin.inputs import ENVIRONMENTS, PERIODS
from noxus_local.admin.jobs import STATUSES
from noxus_local.api import admin_examples as ex
from noxus_local.api import admin_schemas as s
from noxus_local.api.bodies import read_struct
from noxus_local.config import load_config
from noxus_local.errors import ValidationError
from noxus_local.jobs import store as jobs
from noxus_local.node.services import build_services

ACTOR = admin.Actor("admin", "api", "10.0.0.7", "req_test")


def same(value: Any, model: type) -> None:
    """``value`` (a service answer) through its Struct and back is ``value``, member for member."""
    assert msgspec.to_builtins(s.view(value, model)) == json.loads(json.dumps(value))


@pytest.fixture
def svc(tmp_path: Path) -> Any:
    services = build_services(load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")}))
    yield services
    services.db.close()


def test_every_service_answer_keeps_every_member_through_its_struct(svc: Any) -> None:
    db = svc.db
    same(admin.create_account(db, svc.cfg, ACTOR, "acme", name="ACME"), s.AdminAccount)
    same(admin.credit(db, ACTOR, "acme", "test", "10", note="po 7"), s.AdminCredit)
    plain, key = admin.create_key(db, ACTOR, "acme", name="ci", tools=["qr"], expires_at="2099-01-01")
    same(key, s.AdminKey)
    same(admin.set_key_budget(db, ACTOR, key["id"], max_spend_usd="5", soft_limit_usd="4"), s.AdminKey)
    principal = authenticate(db, plain)
    new = jobs.NewJob(id="job_schema_1", principal=principal, tool="qr", params={}, files=[], limits={},
                      estimate_micros=2000, request_id="req_x")
    assert jobs.submit(db, new, svc.cfg.tiers["enterprise"], 24) is None
    assert jobs.finish(db, "job_schema_1", status="succeeded", charge_micros=2000)
    rows, _ = admin.list_jobs(db)
    same(rows, list[s.AdminJob])
    same(admin.list_keys(db), list[s.AdminKey])
    same(admin.list_accounts(db), list[s.AdminAccount])
    for group_by in (("account",), ("key", "tool", "day"), ("environment",)):
        same(admin.usage(db, group_by=group_by), s.AdminUsage)
    same(admin.overview(svc), s.AdminOverview)
    same(admin.workers(svc), s.AdminWorkersView)
    same(admin.capacity(svc), s.AdminCapacityView)
    same(admin.models(svc.cfg), list[s.AdminModel])
    entries, total = admin.list_entries(db)
    assert total >= 4
    same(entries, list[s.AdminAuditEntry])
    _, rotated = admin.rotate_key(db, ACTOR, key["id"])
    same(admin.revoke_key(db, ACTOR, rotated["id"]), s.AdminKey)


def test_the_published_examples_are_valid_structs() -> None:
    for value, model in ((ex.ACCOUNT, s.AdminAccount), (ex.KEY, s.AdminKey), (ex.JOB_LINE, s.AdminJob),
                         (ex.CREDIT, s.AdminCredit), (ex.OVERVIEW, s.AdminOverview), (ex.USAGE, s.AdminUsage),
                         (ex.MODEL, s.AdminModel), (ex.WORKERS, s.AdminWorkersView),
                         (ex.CAPACITY, s.AdminCapacityView), (ex.AUDIT_ENTRY, s.AdminAuditEntry)):
        same(value, model)


def test_the_enums_are_the_services_own() -> None:
    assert set(get_args(s.Period)) == set(PERIODS)
    assert set(get_args(s.Environment)) == set(ENVIRONMENTS)
    assert set(get_args(s.JobStatus)) == set(STATUSES)


@pytest.mark.parametrize(("raw", "model", "field"), [
    (b'{"amount_usd": 2}', s.CreditIn, "amount_usd"),
    (b'{}', s.CreditIn, "amount_usd"),
    (b'{"amount_usd": "2", "environment": "prod"}', s.CreditIn, "environment"),
    (b'{"amount_usd": "2", "extra": 1}', s.CreditIn, "extra"),
    (b'{"budget_period": "month"}', s.BudgetIn, "max_spend_usd"),
    (b'{"max_spend_usd": -1}', s.BudgetIn, "max_spend_usd"),
    (b'{"account_id": 5}', s.KeyIn, "account_id"),
    (b'{"account_id": "acme", "expires_at": 1}', s.KeyIn, "expires_at"),
    (b'{"ids": []}', s.VerifyIn, "ids"),
    (b'{"ids": ["a"], "all": true}', s.VerifyIn, "all"),
])
def test_bad_bodies_are_a_400_naming_the_field(raw: bytes, model: type, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_struct(raw, model)
    assert list(caught.value.details["field_errors"]) == [field]


def test_a_budget_may_be_cleared_with_null_and_defaults_hold() -> None:
    assert read_struct(b'{"max_spend_usd": null}', s.BudgetIn).max_spend_usd is None
    body = read_struct(b'{"account_id": "acme"}', s.KeyIn)
    assert (body.name, body.environment, body.tools, body.expires_at) == ("admin", "test", None, None)
