"""JSON log lines carry request_id inside a request and job_id inside a job."""

import asyncio
import io
import json
import logging

from noxus_local.api.middleware import request_id_middleware
from noxus_local.ops.logs import JsonFormatter
from tests.unit.test_runner import Env


def test_a_line_logged_during_a_request_carries_its_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("noxus_local.test_request")
    log.addHandler(handler)

    async def app(scope, receive, send):
        log.warning("inside the handler")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def call() -> None:
        scope = {"type": "http", "headers": [(b"x-request-id", b"req_from_client_123")]}
        sent: list = []

        async def send(message):
            sent.append(message)

        await request_id_middleware(app)(scope, None, send)
        log.warning("after the request")

    try:
        asyncio.run(call())
    finally:
        log.removeHandler(handler)
    inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["message"], inside["request_id"]) == ("inside the handler", "req_from_client_123")
    assert "request_id" not in after


def test_a_line_logged_inside_a_job_carries_its_job_id(db, tmp_path):
    env = Env(db, tmp_path)
    job_id = env.submit("boom")  # the tool raises: the runner logs the traceback
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("noxus_local.jobs.runner")
    logger.addHandler(handler)
    try:
        env.runner.execute(job_id)
    finally:
        logger.removeHandler(handler)
    (line,) = (json.loads(text) for text in stream.getvalue().splitlines())
    assert (line["level"], line["job_id"]) == ("ERROR", job_id)
    assert "RuntimeError: tool bug" in line["exception"]
    assert "request_id" not in line


def test_an_explicit_extra_wins_over_the_context():
    record = logging.LogRecord("noxus_local.x", logging.INFO, __file__, 1, "hello", None, None)
    record.job_id = "job_explicit"
    assert json.loads(JsonFormatter().format(record))["job_id"] == "job_explicit"
