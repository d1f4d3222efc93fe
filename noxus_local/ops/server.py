"""The uvicorn server the CLI runs, with signal handling fit for an on-prem daemon.

uvicorn (≥ 0.29) re-raises SIGTERM after its graceful stop, so the process
exits with status -15 and systemd logs a failure. ``QuietServer`` keeps
uvicorn's handlers (first signal: graceful stop; second: force) but exits 0.

``server_config`` builds uvicorn's config with ``log_config=None``: uvicorn's
default config gives its loggers their own plain-text handlers (the access log
even on stdout), which bypassed our JSON lines; without it they propagate to
the one JSON handler ``ops.logs.configure_logging`` puts on the root logger.

Example::

    configure_logging(access_log=cfg.server.access_log)
    QuietServer(server_config(app, cfg)).run()
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn

from noxus_local.config import Config

# uvicorn waits this long for open requests after a signal, then cancels them
GRACEFUL_SECONDS = 5


def server_config(app: Any, cfg: Config) -> uvicorn.Config:
    """uvicorn's settings for ``serve``; logging is left to ``ops.logs`` (log_config/log_level None)."""
    return uvicorn.Config(app, host=cfg.server.host, port=cfg.server.port, access_log=cfg.server.access_log,
                          log_config=None, log_level=None, timeout_graceful_shutdown=GRACEFUL_SECONDS)


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle_exit)
        yield
