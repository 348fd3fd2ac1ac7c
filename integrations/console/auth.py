"""Console sign-in state: sessions (cookie token + CSRF token) and the slow-down of wrong passwords.

Sessions live in the web server's memory (one process serves the console): a restart signs every
rep out. The session token travels only in an HttpOnly, SameSite=Strict cookie; every request that
changes something must also carry the session's CSRF token in the `X-CSRF-Token` header (the
console's script reads it from the page, which only a signed-in rep can load).

Wrong passwords count per username and per client address over `FAILURE_WINDOW`: from the
`SLOW_AFTER`-th failure of a username on, each answer waits longer (`delay`), and at `LOCK_AFTER`
that username is refused for the rest of the window, even with the right password. An address
counts `ADDRESS_SHARE` times more leniently (an office of reps behind one NAT), so guessing many
usernames from one address is slowed and locked too.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=10)
FAILURE_WINDOW = timedelta(minutes=15)
SLOW_AFTER = 3
LOCK_AFTER = 6
DELAY_STEP_SECONDS = 0.5
MAX_DELAY_SECONDS = 4.0
ADDRESS_SHARE = 5


@dataclass
class Session:
    username: str
    csrf: str
    expires: datetime


class Sessions:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, username: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(username, secrets.token_urlsafe(32), self.now() + SESSION_LIFETIME)
        with self._lock:
            self._sessions[token] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires <= self.now():
                del self._sessions[token]
                return None
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def signed_in(self) -> set[str]:
        """Usernames with a session that has not expired."""
        now = self.now()
        with self._lock:
            return {session.username for session in self._sessions.values() if session.expires > now}


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")


@dataclass
class _Failures:
    times: list[datetime] = field(default_factory=list)


class Throttle:
    """Wrong-password counts per key (a username, a client address) over the last FAILURE_WINDOW."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def _count(self, key: str) -> int:
        cutoff = self.now() - FAILURE_WINDOW
        entry = self._failures.get(key)
        if entry is None:
            return 0
        entry.times = [at for at in entry.times if at > cutoff]
        return len(entry.times)

    def failures(self, username_key: str, address_key: str) -> int:
        """Recent failures as they count for slowing and locking: the username's, or the address's shared out."""
        with self._lock:
            return max(self._count(username_key), self._count(address_key) // ADDRESS_SHARE)

    def locked(self, username_key: str, address_key: str) -> bool:
        return self.failures(username_key, address_key) >= LOCK_AFTER

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, _Failures()).times.append(self.now())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def retry_after(self, *keys: str) -> int:
        """Seconds until the oldest counted failure leaves the window (when the lock ends)."""
        with self._lock:
            oldest = [min(entry.times) for key in keys if (entry := self._failures.get(key)) and entry.times]
        if not oldest:
            return 0
        return max(1, int((min(oldest) + FAILURE_WINDOW - self.now()).total_seconds()) + 1)


def delay(failures: int) -> float:
    """Seconds a sign-in answer waits after this many recent failures."""
    if failures < SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * (failures - SLOW_AFTER + 1))
