"""Console sessions, their CSRF tokens and the sign-in rate limit, kept in memory per app.

The admin token is checked once, at sign-in; the browser then holds only a
random session id (``secrets.token_urlsafe``) in an HttpOnly, SameSite=Strict
cookie, never the token. Each session has its own CSRF token that every form
posts back in a hidden field. Sessions end after ``[admin]
console_session_minutes`` of idleness, at sign-out, or when the server restarts.

Example::

    state = ConsoleState(session_seconds=3600)
    if state.limiter.allow("127.0.0.1"):
        session = state.open()          # after token_matches(cfg, form["token"])
    state.find(session.id).csrf         # the hidden field's value
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from noxus_local.console.data import SpendHistory
from noxus_local.runtime.windows import SlidingWindows

LOGIN_TRIES = 5  # per client address ...
LOGIN_WINDOW = 60.0  # ... per this many seconds
MAX_SESSIONS = 1000  # an operator console: a handful; the oldest go first past this


@dataclass
class Session:
    id: str
    csrf: str
    expires_at: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown once on the next page
    new_key: str | None = None  # a key just created: shown on the next page, then forgotten


class LoginLimiter:
    """At most ``tries`` sign-in attempts per address per ``window`` seconds (a sliding window)."""

    def __init__(self, tries: int = LOGIN_TRIES, window: float = LOGIN_WINDOW) -> None:
        self.tries = tries
        self._attempts = SlidingWindows(window)

    def allow(self, address: str, now: float | None = None) -> bool:
        """Count one attempt; False (and not counted) once the window is full."""
        return self._attempts.take(address, self.tries, now)

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds until the oldest attempt in the window leaves it."""
        return self._attempts.retry_after(address, now)


class ConsoleState:
    """Open sessions and the sign-in limiter of one app (two apps in one test never share them)."""

    def __init__(self, session_seconds: float) -> None:
        self.session_seconds = session_seconds
        self.limiter = LoginLimiter()
        self.spend = SpendHistory()  # the overview's past days of spend, read at most every 5 minutes
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time() + self.session_seconds)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.expires_at)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session of this id, its idle deadline pushed back; None when unknown or expired."""
        if not session_id:
            return None
        now = time.time()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires_at <= now:
                del self._sessions[session_id]
                return None
            session.expires_at = now + self.session_seconds
            return session

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)


def csrf_matches(session: Session, presented: str | None) -> bool:
    """Constant-time check of a form's hidden ``csrf`` field against the session's token."""
    return bool(presented) and hmac.compare_digest(session.csrf.encode(), (presented or "").encode())
