"""envelope.EncodedResponse: the bytes it keeps (for an Idempotency-Key replay) are the bytes Litestar sends,
and the same bytes Litestar writes for the Struct returned plainly."""

from __future__ import annotations

import json
import math

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from msgspec import Struct

from noxus_local.api.envelope import EncodedResponse


class Sample(Struct, kw_only=True):
    success: bool
    score: float
    tiny: float
    name: str
    request_id: str


SAMPLE = Sample(success=True, score=math.nan, tiny=3.2e-05, name="canción ✓", request_id="req_x")
KEPT: list[bytes] = []


@get("/encoded")
async def encoded() -> EncodedResponse[Sample]:
    answer = EncodedResponse(SAMPLE, 202, {"Location": "/api/v1/jobs/job_x"})
    KEPT.append(answer.raw)
    return answer


@get("/plain")
async def plain() -> Sample:
    return SAMPLE


def test_the_kept_bytes_are_the_bytes_sent_and_litestars_own() -> None:
    with TestClient(Litestar([encoded, plain])) as client:
        sent = client.get("/encoded")
        again = client.get("/plain")
    assert (sent.status_code, sent.headers["location"]) == (202, "/api/v1/jobs/job_x")
    assert sent.headers["content-type"] == "application/json"
    assert sent.content == KEPT[-1] == again.content  # what a replay answers is what was sent
    # strict JSON: a NaN is null, not the invalid `NaN` json.dumps wrote (parse_constant refuses NaN/Infinity)
    body = json.loads(sent.content, parse_constant=lambda word: pytest.fail(f"not JSON: {word}"))
    assert body["score"] is None and body["tiny"] == 3.2e-05 and body["name"] == "canción ✓"
    assert list(body) == ["success", "score", "tiny", "name", "request_id"]  # the Struct's declaration order
