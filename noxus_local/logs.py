"""JSON log lines on stderr, one object per record, so operators can grep and ship them.

Example output::

    {"ts": "2026-11-23T03:18:46Z", "level": "WARNING", "logger": "noxus_local.recovery",
     "message": "recovered unfinished jobs: {'requeued': 1, 'failed': 0}"}
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for extra in ("request_id", "job_id"):
            if hasattr(record, extra):
                entry[extra] = getattr(record, extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("huey").setLevel(logging.WARNING)
