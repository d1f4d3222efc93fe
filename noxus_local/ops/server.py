"""The uvicorn server the CLI runs, with signal handling fit for an on-prem daemon.

uvicorn (≥ 0.29) re-raises SIGTERM after its graceful stop, so the process
exits with status -15 and systemd logs a failure. ``QuietServer`` keeps
uvicorn's handlers (first signal: graceful stop; second: force) but exits 0.

Example::

    QuietServer(uvicorn.Config(app, port=8080)).run()
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import uvicorn


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle_exit)
        yield
