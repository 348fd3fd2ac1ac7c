"""Every setting of the assistant: its name, default and meaning, and the one place that reads them.

Each process (Rasa, action server, dispatcher, leads CLI, migrations, demo page, `make run`) calls
`load_env()` first thing in its entry point: that reads `.env` once (never overriding what the process's
environment already says), after which `value(NAME)` and friends return the setting. Nothing reads the
environment at import time, so a module started directly still sees `.env`.

`VARIABLES` is the catalogue: `.env.example` must list exactly these names (tests/unit/test_settings.py).
Two internal variables are not settings and stay out of it: QUALIFICATION_DIR (tests point the dialogue
at a copy of bot/qualification) and LEADS_CALLER_CWD (set by the scripts/leads wrapper).
This module imports only the standard library (and python-dotenv when installed: both environments have
it), so the Rasa process may use it too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE_VARIABLE = "LEADBOT_ENV_FILE"  # another file instead of PROJECT_ROOT/.env (deployments, tests)


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # "" means unset
    meaning: str


def _variables(*rows: tuple[str, str, str]) -> dict[str, Variable]:
    return {name: Variable(name, default, meaning) for name, default, meaning in rows}


VARIABLES: dict[str, Variable] = _variables(
    # ports and tokens
    ("RASA_PORT", "5005", "port of the Rasa server"),
    ("ACTIONS_PORT", "5055", "port of the action server"),
    ("WEB_PORT", "8080", "port of the demo page and transcript links"),
    ("RASA_TOKEN", "", "token of Rasa's HTTP API; also keys the client hash of the chat channels"),
    ("ACTION_SERVER_TOKEN", "", "shared secret Rasa sends to the action server (X-Action-Token)"),
    ("RASA_PUBLIC_URL", "", "address of the Rasa server as the widget's browser sees it"),
    ("RASA_URL", "", "address of Rasa's HTTP API for the action server (default http://127.0.0.1:RASA_PORT)"),
    ("SANIC_HOST", "127.0.0.1", "address the action server listens on"),
    ("ALLOWED_ORIGINS", "", "pages (scheme://host[:port]) that may use the chat; unset: the demo page"),
    # stores
    ("DATABASE_URL", "sqlite:///var/leads.db", "the lead store (SQLite file or PostgreSQL URL)"),
    ("TRACKER_DB_URL", "sqlite:///var/tracker.db", "Rasa's conversation store, for transcripts and redaction"),
    ("LEAD_SPOOL", "var/lead-spool.jsonl", "where leads wait while the lead store is unavailable"),
    ("REPS_FILE", "bot/qualification/reps.yml", "reps and routing rules"),
    # rep console (docs/console.md)
    ("CONSOLE_URL", "", "address of the rep console in notifications (default on the demo page's port)"),
    ("CONSOLE_LIVE_MINUTES", "5", "a conversation with a message this recent is listed as live"),
    ("CONSOLE_ONLINE_SECONDS", "60", "a rep whose console asked for news this recently counts as online"),
    # notifications
    ("OUTBOX_LOG", "var/outbox.log", "JSON-lines file every hand-off is appended to"),
    ("TRANSCRIPT_URL", "", "transcript link template with {token} (default on the demo page's port)"),
    ("TRANSCRIPT_LINK_SECRET", "", "secret signing transcript links (HMAC-SHA256)"),
    ("TRANSCRIPT_LINK_DAYS", "7", "days a transcript link works"),
    ("SLACK_WEBHOOK_URL", "", "Slack incoming webhook"),
    ("SLACK_SIGNING_SECRET", "", "Slack app's signing secret: verifies the Claim button's interactivity requests"),
    ("WEBHOOK_URL", "", "generic JSON webhook, signed per Standard Webhooks"),
    ("WEBHOOK_SECRET", "", "signing secret of the webhook"),
    ("HUBSPOT_TOKEN", "", "HubSpot private-app token"),
    ("HUBSPOT_BASE_URL", "", "HubSpot API address"),
    ("SALESFORCE_OID", "", "Salesforce organisation ID for Web-to-Lead"),
    ("SALESFORCE_WEB_TO_LEAD_URL", "", "Web-to-Lead form address"),
    ("SALESFORCE_RETURN_URL", "", "retURL sent with the Web-to-Lead form"),
    ("CHANNEL_TIMEOUT_SECONDS", "5", "seconds each delivery channel may take"),
    ("SMTP_URL", "", "SMTP server for booking invitations: smtp://user:password@host:587 or smtps://host:465"),
    ("SMTP_FROM", "Acme Analytics <meetings@acme.example>", "sender of booking invitations"),
    ("BOOKING_URL", "", "reschedule/cancel page template with {token} (default on the demo page's port)"),
    ("BOOKING_LINK_SECRET", "", "secret signing reschedule/cancel links (default: TRANSCRIPT_LINK_SECRET)"),
    # outbox schedule and retention
    ("OUTBOX_MAX_ATTEMPTS", "8", "tries of one delivery before it becomes a dead letter"),
    ("OUTBOX_BASE_DELAY_SECONDS", "2", "first retry delay (doubles each try)"),
    ("OUTBOX_MAX_DELAY_SECONDS", "600", "longest retry delay"),
    ("RETENTION_DAYS", "", "days leads and conversation events are kept (unset: forever)"),
    ("PURGE_INTERVAL_HOURS", "24", "how often the dispatcher purges when RETENTION_DAYS is set"),
    # understanding and the action server
    ("DEFAULT_PHONE_REGION", "US", "region of phone numbers typed without a country code"),
    ("DEFAULT_TIMEZONE", "UTC", "IANA time zone of offered meeting times when the visitor's browser sent none"),
    ("ACTION_TIMEOUT_SECONDS", "10", "seconds Rasa waits for one action call"),
    ("HANDOFF_CONVERSATION_MINUTES", "10", "at most one rep alert per conversation in this many minutes"),
    ("HANDOFF_PER_CLIENT_PER_HOUR", "3", "rep alerts per client per hour"),
    ("HANDOFF_PER_HOUR", "60", "rep alerts per hour overall"),
    # abuse limits of the chat channels
    ("MAX_MESSAGE_CHARS", "2000", "longest message accepted"),
    ("MAX_REQUEST_BYTES", "65536", "largest REST request body"),
    ("RATE_LIMIT_PER_MINUTE", "30", "messages per minute per conversation"),
    ("RATE_LIMIT_PER_IP_PER_MINUTE", "120", "messages per minute per client address"),
    ("RATE_LIMIT_EXEMPT_IPS", "127.0.0.1,::1", "addresses exempt from the per-address limit"),
    ("SANIC_PROXIES_COUNT", "", "proxies in front of Rasa (client address from X-Forwarded-For)"),
    # production mode (docs/production.md)
    ("PUBLIC_HOST", "127.0.0.1", "address nginx listens on in production mode"),
    ("PUBLIC_PORT", "8000", "port nginx listens on in production mode"),
    ("PRODUCTION_DATABASE_URL", "", "PostgreSQL lead store of the production mode"),
    ("PRODUCTION_TRACKER_DATABASE_URL", "", "PostgreSQL tracker store of the production mode"),
    ("PRODUCTION_REDIS_URL", "", "Redis of the production mode's lock store"),
    ("SOCKETIO_REDIS_URL", "", "Redis that Rasa servers share socket.io rooms through (unset: one server)"),
    ("SOCKETIO_REDIS_CHANNEL", "leadbot-socketio", "Redis pub/sub channel of those rooms"),
)

_loaded: set[Path] = set()


def env_file() -> Path:
    return Path(os.environ.get(ENV_FILE_VARIABLE) or PROJECT_ROOT / ".env")


def load_env() -> None:
    """Read `.env` into the environment once per process; variables already set win."""
    path = env_file()
    if path in _loaded:
        return
    _loaded.add(path)
    if not path.is_file():
        return
    try:
        from dotenv import load_dotenv
    except ImportError:  # an environment without python-dotenv: the process's environment alone
        return
    load_dotenv(path, override=False)


def value(name: str) -> str:
    """The setting `name` (stripped), or its default; `name` must be in VARIABLES."""
    load_env()
    raw = os.environ.get(name, "").strip()
    return raw or VARIABLES[name].default


def integer(name: str, *, minimum: int = 1) -> int:
    raw = value(name)
    try:
        number = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {raw!r}")
    return number


def number(name: str) -> float:
    """A positive, finite number."""
    raw = value(name)
    try:
        result = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if not 0 < result < float("inf"):
        raise ValueError(f"{name} must be above 0, not {raw!r}")
    return result


def lenient_number(name: str) -> float:
    """`number(name)`, or the default when the value is unusable (limits a process must start with)."""
    try:
        return number(name)
    except ValueError:
        return float(VARIABLES[name].default)


def lenient_integer(name: str) -> int:
    """`integer(name)`, or the default when the value is unusable (limits a process must start with)."""
    try:
        return integer(name)
    except ValueError:
        return int(VARIABLES[name].default)


def path(name: str) -> Path:
    """A file path; relative ones are relative to the project."""
    result = Path(value(name))
    return result if result.is_absolute() else PROJECT_ROOT / result


_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?:///)(?P<database>[^?]*)(?P<query>\?.*)?", re.S)


def sqlite_absolute(url: str) -> str:
    """A relative SQLite path (as in `.env.example`) made relative to the project, not to the caller.

    Other databases, in-memory and `file:` URIs and absolute paths are returned unchanged.
    """
    match = _SQLITE_URL.fullmatch(url)
    if match is None:
        return url
    database = match["database"]
    if not database or database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
        return url
    return f"{match['scheme']}{PROJECT_ROOT / database}{match['query'] or ''}"


@dataclass(frozen=True)
class HandoffLimits:
    conversation_minutes: float = 10  # at most one alert per conversation in this many minutes
    per_client_per_hour: int = 3
    per_hour: int = 60  # all conversations together: a flood never reaches the reps


@dataclass(frozen=True)
class OutboxSchedule:
    max_attempts: int = 8
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 600.0


def outbox_schedule() -> OutboxSchedule:
    return OutboxSchedule(
        max_attempts=integer("OUTBOX_MAX_ATTEMPTS"),
        base_delay_seconds=number("OUTBOX_BASE_DELAY_SECONDS"),
        max_delay_seconds=number("OUTBOX_MAX_DELAY_SECONDS"),
    )


@dataclass(frozen=True)
class Settings:
    """What the action server, the dispatcher and the reps' tools need, read once per call of `from_env`."""

    database_url: str
    outbox_log: Path
    default_phone_region: str
    transcript_url: str
    rasa_url: str
    rasa_token: str | None
    reps_file: Path
    lead_spool: Path
    tracker_db_url: str
    transcript_link_secret: str | None
    transcript_link_days: float
    handoff_limits: HandoffLimits
    outbox_schedule: OutboxSchedule

    @classmethod
    def from_env(cls) -> Settings:
        load_env()
        return cls(
            database_url=sqlite_absolute(value("DATABASE_URL")),
            outbox_log=path("OUTBOX_LOG"),
            default_phone_region=value("DEFAULT_PHONE_REGION"),
            transcript_url=value("TRANSCRIPT_URL") or f"http://localhost:{value('WEB_PORT')}/transcripts/{{token}}",
            rasa_url=value("RASA_URL") or f"http://127.0.0.1:{value('RASA_PORT')}",
            rasa_token=value("RASA_TOKEN") or None,
            reps_file=path("REPS_FILE"),
            lead_spool=path("LEAD_SPOOL"),
            tracker_db_url=sqlite_absolute(value("TRACKER_DB_URL")),
            transcript_link_secret=value("TRANSCRIPT_LINK_SECRET") or None,
            transcript_link_days=number("TRANSCRIPT_LINK_DAYS"),
            handoff_limits=HandoffLimits(
                conversation_minutes=number("HANDOFF_CONVERSATION_MINUTES"),
                per_client_per_hour=int(number("HANDOFF_PER_CLIENT_PER_HOUR")),
                per_hour=int(number("HANDOFF_PER_HOUR")),
            ),
            outbox_schedule=outbox_schedule(),
        )

    @property
    def transcript_link_lifetime(self) -> timedelta:
        return timedelta(days=self.transcript_link_days)
