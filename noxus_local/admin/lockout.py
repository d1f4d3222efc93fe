"""Wrong admin tokens per client address: after ``limit`` in a sliding minute, refuse before comparing.

Why before comparing: a limiter that only counts failures still answers 200 to
the right guess, so a guesser loses nothing; refusing every attempt from an
address that keeps failing (``429`` with ``Retry-After``) caps the guesses at
``limit`` a minute. The token is long and random; this is the second fence.
In memory, per process (a restart forgets, as the API's request limits do).

Example::

    lock = Lockout(limit=10)
    lock.check("10.0.0.7")        # raises RateLimitExceeded while the address is locked out
    lock.failed("10.0.0.7")       # after a wrong token
"""

from __future__ import annotations

from noxus_local.errors import RateLimitExceeded
from noxus_local.runtime.windows import SlidingWindows

WRONG_PER_MINUTE = 10


class Lockout:
    def __init__(self, limit: int = WRONG_PER_MINUTE, window: float = 60.0) -> None:
        self.limit = limit
        self._failures = SlidingWindows(window)

    def check(self, address: str | None) -> None:
        """429 ``rate_limit_exceeded`` while ``address`` has ``limit`` failures in the window."""
        key = address or "-"
        if self._failures.count(key) >= self.limit:
            raise RateLimitExceeded(headers={"Retry-After": str(self._failures.retry_after(key))},
                                    details={"limit": "admin_token_failures_per_minute", "max": self.limit})

    def failed(self, address: str | None) -> None:
        self._failures.add(address or "-")
