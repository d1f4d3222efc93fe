"""JSON log lines on stderr, one object per record, so operators can grep and ship them.

A line logged while a request is handled carries its ``request_id`` (set by
the request-id middleware); one logged while a job runs carries its
``job_id`` (set by ``JobRunner``). Both come from context variables, so code
that logs needs no ``extra=``; an explicit ``extra={"job_id": ...}`` wins.

Example output::

    {"ts": "2026-11-23T03:18:46Z", "level": "ERROR", "logger": "noxus_local.jobs.runner",
     "message": "tool qr failed on job job_0123", "job_id": "job_0123", "exception": "..."}
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any

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
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            entry.update(zip(ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


# the arguments of uvicorn's access line '%s - "%s %s HTTP/%s" %d', as fields a log shipper can filter
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Log lines inside carry ``job_id``."""
    token = JOB_ID.set(job_id)
    try:
        yield
    finally:
        JOB_ID.reset(token)


def configure_logging(level: int = logging.INFO, access_log: bool = False) -> None:
    """One JSON handler on the root logger; every other source of stderr lines is routed to it.

    uvicorn's loggers (``uvicorn.error``: "Invalid HTTP request received.",
    "Exception in ASGI application" with its traceback; ``uvicorn.access``)
    propagate here because the server is built with ``log_config=None``
    (``ops.server.server_config``). Python warnings and uncaught exceptions
    in any thread would print plain text: they are logged instead.

    Example: ``configure_logging(access_log=True)`` → ``{"logger": "uvicorn.access", "status": 200, ...}``
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("huey").setLevel(logging.WARNING)
    _route_uvicorn(access_log)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_uncaught


def _route_uvicorn(access_log: bool) -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []  # a dictConfig by someone else must not print a second, plain line
        logger.propagate = True
    # "Started server process", "Waiting for application startup": noise for an operator
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO if access_log else logging.CRITICAL + 1)
    access.disabled = not access_log


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("noxus_local").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_thread_uncaught(args: Any) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("noxus_local").error("uncaught exception in thread %s", thread,
                                           exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
