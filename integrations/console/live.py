"""Live conversations read from Rasa's tracker store (table `events`): who is chatting, what they said.

A conversation is live when one of its events is newer than `window` or a rep holds it. Its
summary is rebuilt from its events: the slots' latest values (stage, score, answers so far),
whether it is paused (a rep took it over), the page it started on, and its transcript lines.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from integrations.leads.transcripts import Line, TranscriptUnavailableError, lines_from_rows, sqlite_path

HIDDEN_SLOTS = frozenset({"requested_slot", "clarifying", "lead_id", "session_started_metadata", "consent"})
_RECENT = text("SELECT DISTINCT sender_id FROM events WHERE timestamp > :since")
_EVENTS = text(
    "SELECT sender_id, type_name, timestamp, data FROM events WHERE sender_id IN :senders ORDER BY id"
).bindparams(bindparam("senders", expanding=True))


@dataclass
class Conversation:
    id: str
    last_at: datetime | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
    page_url: str | None = None
    active_form: str | None = None
    lines: list[Line] = field(default_factory=list)

    @property
    def answers(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.slots.items()
            if value is not None and name not in HIDDEN_SLOTS and not name.startswith("lead_")
        }


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return create_engine(url, connect_args={"timeout": 5} if url.startswith("sqlite") else {})


def _parsed(raw: Any) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def conversations(url: str, ids: Iterable[str]) -> dict[str, Conversation]:
    """The conversations with these ids that have events, rebuilt from them."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {}
    try:
        with _engine(url).connect() as connection:
            rows = connection.execute(_EVENTS, {"senders": wanted}).all()
    except SQLAlchemyError as error:
        raise TranscriptUnavailableError(f"cannot read the tracker store: {getattr(error, 'orig', error)}") from error
    found: dict[str, Conversation] = {}
    said: dict[str, list[tuple[str, Any, Any]]] = {}
    for sender_id, type_name, timestamp, raw in rows:
        conversation = found.setdefault(sender_id, Conversation(sender_id))
        data = _parsed(raw)
        if isinstance(timestamp, (int, float)):
            conversation.last_at = datetime.fromtimestamp(timestamp, timezone.utc)
        if type_name == "slot" and isinstance(data.get("name"), str):
            conversation.slots[data["name"]] = data.get("value")
        elif type_name == "restart":
            conversation.slots.clear()
            conversation.active_form = None
        elif type_name == "pause":
            conversation.paused = True
        elif type_name == "resume":
            conversation.paused = False
        elif type_name == "active_loop":
            conversation.active_form = data.get("name") if isinstance(data.get("name"), str) else None
        elif type_name in ("user", "bot"):
            said.setdefault(sender_id, []).append((type_name, timestamp, raw))
            metadata = data.get("metadata")
            if type_name == "user" and conversation.page_url is None and isinstance(metadata, dict):
                page = metadata.get("page_url")
                conversation.page_url = page if isinstance(page, str) else None
    for sender_id, conversation in found.items():
        conversation.lines = lines_from_rows(said.get(sender_id, []))
    return found


def recent_ids(url: str, now: datetime, window: timedelta) -> set[str]:
    """Conversations with an event newer than `window`."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return set()
    try:
        with _engine(url).connect() as connection:
            rows = connection.execute(_RECENT, {"since": (now - window).timestamp()}).all()
    except SQLAlchemyError as error:
        raise TranscriptUnavailableError(f"cannot read the tracker store: {getattr(error, 'orig', error)}") from error
    return {row[0] for row in rows}
