"""Without consent, no contact details stay in the conversation store: redact them from Rasa's events.

When a visitor declines consent, the lead has no contact fields, but Rasa's tracker store still holds
what they typed. `redact_declined` rewrites the conversation's rows of the SQL tracker store's
`events` table in place (Rasa has no API to change stored events; its SQL store appends the events
beyond the number already stored, so rows are changed, never deleted or added):

* the slot events of the contact slots get the value null;
* the visitor's messages answered while a contact question was asked become WITHHELD, entities and all;
* every other text that contains one of those answers or slot values has it replaced by WITHHELD.

SQLite is written with `secure_delete`, so the old text is overwritten in the file, not just unlinked.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from integrations.leads.mentions import Identifiers
from integrations.leads.transcripts import sqlite_path

logger = logging.getLogger(__name__)

WITHHELD = "[withheld: declined consent]"
CONTACT_SLOTS = ("person_name", "email", "company", "phone")
SHORTEST_VALUE = 3  # shorter values ("Al") would blank unrelated words


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    if sqlite_path(url) is None:
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)
    engine = create_engine(url, connect_args={"timeout": 15})
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA secure_delete=ON"))
    return engine


def _answers(rows: list[tuple[int, str, dict[str, Any]]]) -> tuple[dict[int, str], dict[str, set[str]]]:
    """The visitor's answers to contact questions (event id -> text), and the contact slots' values."""
    requested: object = None
    answers: dict[int, str] = {}
    values: dict[str, set[str]] = {slot: set() for slot in CONTACT_SLOTS}
    for event_id, type_name, data in rows:
        if type_name == "slot" and data.get("name") == "requested_slot":
            requested = data.get("value")
        elif type_name == "slot" and data.get("name") in CONTACT_SLOTS and isinstance(data.get("value"), str):
            values[data["name"]].add(data["value"])
        elif type_name == "user" and requested in CONTACT_SLOTS:
            text = data.get("text")
            answers[event_id] = text if isinstance(text, str) else ""
    return answers, values


def _pattern(values: dict[str, set[str]], echoed: str | None = None) -> re.Pattern[str] | None:
    """Emails and phone numbers however typed (mentions.py), names and companies as given, and an echo."""
    identifiers = Identifiers.of(values["email"], values["phone"], [])
    parts = [identifiers.strong_pattern()]
    plain = {value.strip() for slot in ("person_name", "company") for value in values[slot]}
    if echoed and not echoed.startswith("/"):  # a quick reply's payload ("/skip") is no contact detail
        plain.add(echoed.strip())
    usable = sorted((value for value in plain if len(value) >= SHORTEST_VALUE), key=len, reverse=True)
    pieces = [part.pattern for part in parts if part is not None] + [re.escape(value) for value in usable]
    return re.compile("|".join(pieces), re.IGNORECASE) if pieces else None


def _replace(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(WITHHELD, value)
    if isinstance(value, dict):
        return {key: _replace(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, pattern) for item in value]
    return value


def _redacted(type_name: str, data: dict[str, Any], is_answer: bool, pattern) -> dict[str, Any]:
    if type_name == "slot" and data.get("name") in CONTACT_SLOTS:
        return {**data, "value": None}
    if is_answer:
        parse_data = {**(data.get("parse_data") or {}), "text": WITHHELD, "entities": []}
        return _replace({**data, "text": WITHHELD, "parse_data": parse_data}, pattern)
    return _replace(data, pattern)


def redact_declined(tracker_url: str, conversation_id: str, known_values: Mapping[str, Any] | None = None) -> int:
    """Redact the contact details from the stored events of one conversation; returns the rows changed."""
    path = sqlite_path(tracker_url)
    if path is not None and not path.exists():
        return 0
    select = text("SELECT id, type_name, data FROM events WHERE sender_id = :sender ORDER BY id")
    update = text("UPDATE events SET data = :data WHERE id = :id")
    with _engine(tracker_url).begin() as connection:
        rows = []
        for event_id, type_name, raw in connection.execute(select, {"sender": conversation_id}):
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                data = {"text": raw}
            rows.append((event_id, type_name, data if isinstance(data, dict) else {"value": data}))
        answers, values = _answers(rows)
        for slot, value in (known_values or {}).items():
            if slot in values and isinstance(value, str):
                values[slot].add(value)
        everywhere = _pattern(values)
        changed, pattern = 0, everywhere
        for event_id, type_name, data in rows:
            if type_name == "user":  # the bot's replies to an answer may echo it ("ana@x" doesn't look valid)
                pattern = _pattern(values, answers[event_id]) if event_id in answers else everywhere
            new = _redacted(type_name, data, event_id in answers, pattern)
            if new != data:
                connection.execute(update, {"data": json.dumps(new, ensure_ascii=False), "id": event_id})
                changed += 1
    return changed


def redact_declined_now_and_later(
    tracker_url: str, conversation_id: str, known_values: Mapping[str, Any], delay: float = 5.0
) -> None:
    """Redact now, and again after `delay` seconds: Rasa stores the current turn's events after the action."""
    values = dict(known_values)

    def attempt() -> None:
        try:
            redact_declined(tracker_url, conversation_id, values)
        except Exception:
            logger.exception("ALERT could not redact the contact details of conversation %s", conversation_id)

    attempt()
    timer = threading.Timer(delay, attempt)
    timer.daemon = True
    timer.start()
