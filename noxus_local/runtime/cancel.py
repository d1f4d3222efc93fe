"""The cancel token: the one primitive shared by the queue, the tools and media.

It lives below all of them so ``media/ffmpeg.py`` can stop a child process on
cancel without importing the tool interface above it.

Example::

    token = CancelToken()
    token.cancel("timeout")
    token.check()          # raises ProcessingTimeout
"""

from __future__ import annotations

import threading

from noxus_local.errors import JobCancelled, ProcessingTimeout


class CancelToken:
    """Set by the runner on DELETE or past Max-Processing-Time; tools poll it.

    Example: ``ctx.cancel.check()`` between frames raises if the job must stop.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise ProcessingTimeout() if self.reason == "timeout" else JobCancelled()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)
