"""Guards shared by the web channels (REST and socketio): message limits, rate limits, a honeypot, polite fallbacks.

Settings (environment, read when Rasa starts):

* `MAX_MESSAGE_CHARS` (2000): longer messages are refused and never reach Rasa;
* `RATE_LIMIT_PER_MINUTE` (30): messages per sender (conversation id) and minute;
* `RATE_LIMIT_PER_IP_PER_MINUTE` (120): messages per client IP and minute;
* `RATE_LIMIT_EXEMPT_IPS` ("127.0.0.1,::1"): client IPs without a per-IP limit. Loopback is
  exempt because a reverse proxy or the test suite on the same host sends everyone's messages
  from it; behind a proxy set Sanic's `SANIC_PROXIES_COUNT` / `SANIC_REAL_IP_HEADER` so the
  visitor's own address is used.

* `MAX_REQUEST_BYTES` (65536): larger REST request bodies get HTTP 413 before anything is parsed.

Limits are in-memory token buckets, per Rasa process.

Conversation ids (the REST `sender`, the socketio `session_id`) come from the client and become
the tracker store's key: `valid_conversation_id` accepts only a string of 1 to `MAX_ID_LENGTH`
printable characters. Rasa 3.6's SQL tracker store turns a lone surrogate (a JSON `"\\udc00"`
escape), or on PostgreSQL a NUL byte, into `sys.exit(1)`, so one such id stopped the server.

Message metadata: only the lead-source keys (`SOURCE_KEYS`) reach the tracker, as strings of at
most `MAX_VALUE_LENGTH` characters (`source_metadata`); anything else, a non-object included, is
dropped, so a client cannot store arbitrary data in every event.

Rasa's internal intents that reset or rewind a conversation (`/restart`, `/back`,
`/session_start`) are honoured by Rasa whatever the channel; typed by a visitor they would wipe
the answers given so far (and `/restart` even resumes a conversation a rep has taken over). The
guard answers them itself (`COMMAND_TEXT`); quick-reply payloads such as `/budget_planned` pass.

Honeypot against form-spamming bots: the widget renders a text input named `website` that people
never see or reach (off-screen, `aria-hidden`, `tabindex="-1"`) and sends its value, when there is
one, as the `website` key of the message metadata (REST callers put it in the body's `metadata`).
A message with a non-empty value gets a polite, normal-looking answer (`HONEYPOT_TEXT`), is not
passed to Rasa (no tracker events, no lead, no rep notified) and is logged as a WARNING without the
visitor's text. The conversation id is remembered (in memory, per process), so its later messages
are answered the same way even without the field.

Imports only the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from integrations import settings

SUPPORT_EMAIL = "sales@acme.example"
NO_REPLY_TEXT = (
    "Sorry, I'm having a technical problem right now. Your message has been saved; "
    f"please try again in a minute, or email {SUPPORT_EMAIL}."
)
EMPTY_TEXT = "Type a message and I'll help: for example, tell me what you're looking for."
RATE_LIMITED_TEXT = "You're sending messages faster than I can read them. Please wait a few seconds and try again."
HONEYPOT_FIELD = "website"
HONEYPOT_TEXT = (
    f"Thanks for your message! To reach our team, please write to {SUPPORT_EMAIL} and we'll get back to you."
)
COMMAND_TEXT = "That command isn't available in this chat. Just tell me what you're looking for and I'll help."
BAD_ID_TEXT = "The conversation id (`sender`) must be a string of 1 to 128 printable characters."
MAX_KEYS = 100_000
MAX_ID_LENGTH = 128  # conversation and message ids; the tracker's sender_id column holds 255
# `timezone`: the browser's IANA time zone, in which meeting times are offered (bot/actions/booking.py)
SOURCE_KEYS = (
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "timezone",
)
MAX_VALUE_LENGTH = 2000
# Rasa's default intents that restart, rewind or re-start a conversation (rasa.shared.core.constants);
# `out_of_scope` and `nlu_fallback` change nothing and stay available.
STATE_INTENTS = frozenset({"restart", "back", "session_start"})
# How Rasa 3.6 reads `/intent{entities}` (YAMLStoryReader._regex_message_pattern), applied to the stripped text.
_INTENT_MESSAGE = re.compile(r"^/(?P<intent>[^{@]+)")

logger = logging.getLogger(__name__)


def too_long_text(max_chars: int) -> str:
    """The answer to a message over the length limit."""
    return (
        f"That message is too long for me (more than {max_chars} characters). "
        f"Please send a shorter one, or email {SUPPORT_EMAIL}."
    )


def valid_conversation_id(value: object) -> str | None:
    """`value` if it is a usable conversation or message id, else None.

    A string of 1 to MAX_ID_LENGTH characters, all printable (`str.isprintable`: no control
    characters or NUL, no surrogates, no format or unassigned code points, no line breaks) and
    not only spaces. Anything else could not be stored in the tracker (or not safely logged).
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH:
        return None
    if not value.isprintable() or not value.strip():
        return None
    return value


def source_metadata(raw: object) -> dict[str, str]:
    """The lead-source keys of a message's metadata (a dict or a JSON string), as truncated strings."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    return {key: str(raw[key])[:MAX_VALUE_LENGTH] for key in SOURCE_KEYS if raw.get(key) not in (None, "")}


def client_key(ip: str | None) -> str | None:
    """Who sent a message, for per-client limits (the hand-off limit): a keyed hash of the address.

    Keyed with RASA_TOKEN, which every Rasa process of one deployment shares, so instances agree and
    the stored conversation holds no IP address.
    """
    if not ip:
        return None
    key = (settings.value("RASA_TOKEN") or "leadbot").encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:16]


def with_client(metadata: dict[str, str], ip: str | None) -> dict[str, str]:
    """The message metadata with the channel's own `client` key (never the one a visitor sent)."""
    client = client_key(ip)
    return {**metadata, "client": client} if client else dict(metadata)


def state_command(text: str) -> str | None:
    """The Rasa internal intent (`restart`, `back`, `session_start`) that `text` would trigger, else None."""
    match = _INTENT_MESSAGE.match(text.strip())
    if match is None:
        return None
    intent = match.group("intent").strip()
    return intent if intent in STATE_INTENTS else None


@dataclass(frozen=True)
class Limits:
    """Message length, request size and rate limits."""

    max_chars: int = 2000
    per_sender: int = 30
    per_ip: int = 120
    exempt_ips: frozenset[str] = frozenset({"127.0.0.1", "::1"})
    max_request_bytes: int = 65536

    @classmethod
    def from_env(cls) -> Limits:
        exempt = settings.value("RATE_LIMIT_EXEMPT_IPS")
        return cls(
            max_chars=settings.lenient_integer("MAX_MESSAGE_CHARS"),
            per_sender=settings.lenient_integer("RATE_LIMIT_PER_MINUTE"),
            per_ip=settings.lenient_integer("RATE_LIMIT_PER_IP_PER_MINUTE"),
            exempt_ips=frozenset(ip.strip() for ip in exempt.split(",") if ip.strip()),
            max_request_bytes=settings.lenient_integer("MAX_REQUEST_BYTES"),
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
    reason: str = ""  # "rate", "empty", "too_long", "command" or "honeypot"


def honeypot_value(metadata: object) -> object:
    """The honeypot field of a message's metadata (a dict or a JSON string), or None."""
    if isinstance(metadata, (str, bytes)):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if not isinstance(metadata, dict):
        return None
    return metadata.get(HONEYPOT_FIELD)


def honeypot_filled(metadata: object) -> bool:
    """True when the metadata carries a non-empty honeypot value (whitespace and empty values do not count)."""
    value = honeypot_value(metadata)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and bool(value)


class Guard:
    """Decides whether a visitor's message may reach Rasa."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self.senders = TokenBuckets(self.limits.per_sender)
        self.ips = TokenBuckets(self.limits.per_ip)
        self._trapped: OrderedDict[str, None] = OrderedDict()  # conversations that filled the honeypot

    def check_rate(self, sender: str, ip: str | None) -> Rejection | None:
        """A 429 rejection if the sender or the client IP is over its rate limit."""
        wait = self.senders.take(f"s:{sender}")
        if ip and ip not in self.limits.exempt_ips:
            wait = max(wait, self.ips.take(f"i:{ip}"))
        if wait > 0:
            return Rejection(429, RATE_LIMITED_TEXT, max(1, math.ceil(wait)), reason="rate")
        return None

    def trapped(self, sender: str) -> bool:
        """Whether this conversation filled the honeypot earlier (in this process)."""
        return sender in self._trapped

    def check_honeypot(self, sender: str, metadata: object, ip: str | None = None) -> Rejection | None:
        """A polite 200 rejection if the honeypot is filled now or was filled earlier in this conversation."""
        filled = honeypot_filled(metadata)
        if not filled and sender not in self._trapped:
            return None
        self._trapped.pop(sender, None)
        self._trapped[sender] = None
        if len(self._trapped) > MAX_KEYS:
            self._trapped.popitem(last=False)
        logger.warning(
            "HONEYPOT a message of conversation %r %s the hidden %r field (client %s); answered politely, "
            "not passed to Rasa",
            sender,
            "filled" if filled else "came after one that filled",
            HONEYPOT_FIELD,
            ip or "unknown",
        )
        return Rejection(200, HONEYPOT_TEXT, reason="honeypot")

    def check_text(self, text: str) -> Rejection | None:
        """A rejection for an empty (200, friendly hint), too long (413) or state-resetting command (200) message."""
        if not text.strip():
            return Rejection(200, EMPTY_TEXT, reason="empty")
        if len(text) > self.limits.max_chars:
            return Rejection(413, too_long_text(self.limits.max_chars), reason="too_long")
        command = state_command(text)
        if command is not None:
            logger.info("Answered a visitor's /%s command in the channel; it did not reach Rasa", command)
            return Rejection(200, COMMAND_TEXT, reason="command")
        return None

    def screen(self, text: str, sender: str, ip: str | None, metadata: object = None) -> Rejection | None:
        """Rate limits first (every message counts), then the honeypot, then the text checks."""
        return self.check_rate(sender, ip) or self.check_honeypot(sender, metadata, ip) or self.check_text(text)


def as_text(value: object) -> str:
    """A message's text as a string (None is empty)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
