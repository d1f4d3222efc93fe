"""JSON log lines on stderr, one object per record, so operators can grep and ship them.

A line logged while a request is handled carries its ``request_id`` (set by
the request-id middleware); one logged while a job runs carries its
``job_id`` (set by ``JobRunner``). Both come from context variables, so code
that logs needs no ``extra=``; an explicit ``extra={"job_id": ...}`` wins.

Example output::

    {"ts": "2026-11-23T03:18:46Z", "level": "ERROR", "logger": "noxus_local.queue.runner",
     "message": "tool qr failed on job job_0123", "job_id": "job_0123", "exception": "..."}
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Context variables, not globals: each request (asyncio task) and each job
# (worker thread) sees only its own value.
REQUEST_ID: ContextVar[str | None] = ContextVar("noxus_request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("noxus_job_id", default=None)
CONTEXT = {"request_id": REQUEST_ID, "job_id": JOB_ID}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name, var in CONTEXT.items():
            value = getattr(record, name, None) or var.get()
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Log lines inside carry ``job_id``."""
    token = JOB_ID.set(job_id)
    try:
        yield
    finally:
        JOB_ID.reset(token)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("huey").setLevel(logging.WARNING)
