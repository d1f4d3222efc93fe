"""The uvicorn server the CLI runs, with signal handling fit for an on-prem daemon.

uvicorn (≥ 0.29) re-raises SIGTERM after its graceful stop, so the process
exits with status -15 and systemd logs a failure. ``QuietServer`` keeps
uvicorn's handlers (first signal: graceful stop; second: force) but exits 0.

uvicorn runs the app's shutdown hook only after it has waited up to
``timeout_graceful_shutdown`` for open requests, and a one-shot request waits
for its job: so at the first signal ``on_exit`` runs at once (in a thread: a
signal handler must not take locks), which stops the queue and the jobs and
makes those requests answer. A last-resort watchdog ends the process at
``EXIT_DEADLINE_SECONDS`` if a tool ignores its cancel token: that is a
kill -9 as far as the data goes, which recovery handles (jobs run again, money
settled once), and it is still inside systemd's ``TimeoutStopSec=15``.

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
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import uvicorn

from noxus_local.config import Config

log = logging.getLogger("noxus_local.ops.server")

# uvicorn waits this long for open requests after a signal, then cancels them
GRACEFUL_SECONDS = 5
# after the first signal the process is gone by then, whatever a tool does
EXIT_DEADLINE_SECONDS = 4.5


def server_config(app: Any, cfg: Config) -> uvicorn.Config:
    """uvicorn's settings for ``serve``; logging is left to ``ops.logs`` (log_config/log_level None)."""
    return uvicorn.Config(app, host=cfg.server.host, port=cfg.server.port, access_log=cfg.server.access_log,
                          log_config=None, log_level=None, timeout_graceful_shutdown=GRACEFUL_SECONDS)


class QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], Any] | None = None,
                 exit_deadline: float = EXIT_DEADLINE_SECONDS) -> None:
        super().__init__(config)
        self.on_exit = on_exit
        self.exit_deadline = exit_deadline
        self._exiting = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle_exit)
        yield

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._exiting:
            return
        self._exiting = True
        if self.on_exit is not None:
            threading.Thread(target=self._run_on_exit, name="noxus-shutdown", daemon=True).start()
        watchdog = threading.Timer(self.exit_deadline, _exit_now, args=(self.exit_deadline,))
        watchdog.daemon = True
        watchdog.start()

    def _run_on_exit(self) -> None:
        try:
            self.on_exit()  # type: ignore[misc]
        except Exception:
            log.exception("shutdown hook failed")


def _exit_now(deadline: float) -> None:
    log.error("shutdown: still running %.1f s after the signal (a tool ignores its cancel token); "
              "exiting now, unfinished jobs run again at the next start", deadline)
    logging.shutdown()
    os._exit(0)
