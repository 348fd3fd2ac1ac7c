"""Guards shared by the web channels (REST and socketio): message limits, rate limits, polite fallbacks.

Settings (environment, read when Rasa starts):

* `MAX_MESSAGE_CHARS` (2000): longer messages are refused and never reach Rasa;
* `RATE_LIMIT_PER_MINUTE` (30): messages per sender (conversation id) and minute;
* `RATE_LIMIT_PER_IP_PER_MINUTE` (120): messages per client IP and minute;
* `RATE_LIMIT_EXEMPT_IPS` ("127.0.0.1,::1"): client IPs without a per-IP limit. Loopback is
  exempt because a reverse proxy or the test suite on the same host sends everyone's messages
  from it; behind a proxy set Sanic's `SANIC_PROXIES_COUNT` / `SANIC_REAL_IP_HEADER` so the
  visitor's own address is used.

Limits are in-memory token buckets, per Rasa process. Imports only the standard library.
"""

from __future__ import annotations

import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass

SUPPORT_EMAIL = "sales@acme.example"
NO_REPLY_TEXT = (
    "Sorry, I'm having a technical problem right now. Your message has been saved; "
    f"please try again in a minute, or email {SUPPORT_EMAIL}."
)
EMPTY_TEXT = "Type a message and I'll help: for example, tell me what you're looking for."
RATE_LIMITED_TEXT = "You're sending messages faster than I can read them. Please wait a few seconds and try again."
MAX_KEYS = 100_000


def too_long_text(max_chars: int) -> str:
    """The answer to a message over the length limit."""
    return (
        f"That message is too long for me (more than {max_chars} characters). "
        f"Please send a shorter one, or email {SUPPORT_EMAIL}."
    )


def _int_env(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """Message length and rate limits."""

    max_chars: int = 2000
    per_sender: int = 30
    per_ip: int = 120
    exempt_ips: frozenset[str] = frozenset({"127.0.0.1", "::1"})

    @classmethod
    def from_env(cls) -> Limits:
        exempt = os.environ.get("RATE_LIMIT_EXEMPT_IPS", "127.0.0.1,::1")
        return cls(
            max_chars=_int_env("MAX_MESSAGE_CHARS", 2000),
            per_sender=_int_env("RATE_LIMIT_PER_MINUTE", 30),
            per_ip=_int_env("RATE_LIMIT_PER_IP_PER_MINUTE", 120),
            exempt_ips=frozenset(ip.strip() for ip in exempt.split(",") if ip.strip()),
        )


class TokenBuckets:
    """One token bucket per key: `per_minute` tokens, refilled continuously; the oldest keys are forgotten."""

    def __init__(self, per_minute: int, max_keys: int = MAX_KEYS) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token: 0.0 if allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True)
class Rejection:
    """A message answered by the guard instead of the bot."""

    status: int
    text: str
    retry_after: int | None = None


class Guard:
    """Decides whether a visitor's message may reach Rasa."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self.senders = TokenBuckets(self.limits.per_sender)
        self.ips = TokenBuckets(self.limits.per_ip)

    def check_rate(self, sender: str, ip: str | None) -> Rejection | None:
        """A 429 rejection if the sender or the client IP is over its rate limit."""
        wait = self.senders.take(f"s:{sender}")
        if ip and ip not in self.limits.exempt_ips:
            wait = max(wait, self.ips.take(f"i:{ip}"))
        if wait > 0:
            return Rejection(429, RATE_LIMITED_TEXT, max(1, math.ceil(wait)))
        return None

    def check_text(self, text: str) -> Rejection | None:
        """A rejection for an empty (200, friendly hint) or too long (413) message."""
        if not text.strip():
            return Rejection(200, EMPTY_TEXT)
        if len(text) > self.limits.max_chars:
            return Rejection(413, too_long_text(self.limits.max_chars))
        return None

    def screen(self, text: str, sender: str, ip: str | None) -> Rejection | None:
        """Rate limits first (every message counts), then the text checks."""
        return self.check_rate(sender, ip) or self.check_text(text)


def as_text(value: object) -> str:
    """A message's text as a string (None is empty)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
