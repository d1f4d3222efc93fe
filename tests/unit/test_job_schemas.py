"""The job Structs (api/job_schemas.py) are the published shape of jobs.view: they must not drift from it."""

from __future__ import annotations

from typing import get_args

import msgspec
import pytest
from litestar import Response

import noxus_local.api.openapi  # noqa: F401 - every docs section adds its tool's run example
from noxus_local.api.job_examples import JOB_ROW, PIPELINE_RUNNING, RUN_EXAMPLES, STEP_FAILED
from noxus_local.api.job_schemas import JobDetail, StepDetail, ToolRun, Unit, job_struct
from noxus_local.money import UNITS


def test_the_unit_literal_is_the_price_units() -> None:
    assert set(get_args(Unit)) == set(UNITS)


def test_a_member_job_body_adds_without_a_schema_is_logged_and_answered_as_built(
        caplog: pytest.LogCaptureFixture) -> None:
    body = {"success": True, **JOB_ROW, "webhooks": [], "request_id": "req_x"}
    assert msgspec.to_builtins(job_struct(body, JobDetail)) == body  # every member kept, none added
    for drifted, member in (({**body, "surprise": 1}, "surprise"),
                            ({**body, "output": {**JOB_ROW["output"], "extra": 1}}, "extra")):
        answer = job_struct(drifted, JobDetail)
        assert isinstance(answer, Response) and msgspec.json.decode(answer.content) == drifted  # never a 500
        assert f"unknown field `{member}`" in caplog.text
    with pytest.raises(msgspec.ValidationError, match="unknown field `surprise`"):  # the Struct itself is strict
        msgspec.convert({**body, "surprise": 1}, JobDetail)


def test_the_published_examples_are_the_structs_shape() -> None:
    """The examples in the document convert to the Struct they illustrate (no drift between the two)."""
    assert len(RUN_EXAMPLES) > 5  # the sections' examples are in
    for name, example in RUN_EXAMPLES.items():
        assert msgspec.to_builtins(job_struct(example, ToolRun)) == example, name
    assert msgspec.to_builtins(job_struct(PIPELINE_RUNNING, JobDetail)) == PIPELINE_RUNNING
    assert msgspec.to_builtins(job_struct(STEP_FAILED, StepDetail)) == STEP_FAILED
