"""A person's conversations in Rasa's tracker store (table `events`): found, read, counted and deleted.

Rasa has no API to delete a conversation, so its `events` rows are changed directly, with raw SQL."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from integrations.leads.selection import Selection
from integrations.leads.transcripts import sqlite_path
from integrations.store.people import normalise_email

_LIKE_SPECIALS = re.compile(r"([\\%_])")


class TrackerStoreError(Exception):
    """The tracker store exists but cannot be read or changed."""


def tracker_engine(url: str) -> Engine | None:
    """An engine for the tracker store, or None when its SQLite file does not exist (no conversations)."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        return create_engine(url, connect_args={"timeout": 15})
    return create_engine(url, pool_pre_ping=True)


def _event_filter(selection: Selection) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if selection.conversation_ids:
        clauses.append("sender_id IN :senders")
        params["senders"] = list(selection.conversation_ids)
    if selection.events_before is not None:
        clauses.append("timestamp < :before")
        params["before"] = selection.events_before
    return " OR ".join(clauses), params


def _statement(sql: str, params: dict[str, Any]):
    statement = text(sql)
    if "senders" in params:
        statement = statement.bindparams(bindparam("senders", expanding=True))
    return statement


def run_tracker(engine: Engine, work):
    try:
        with engine.begin() as connection:
            return work(connection)
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise TrackerStoreError(f"the tracker store cannot be used: {reason}") from error


def conversations_with_email(engine: Engine | None, email: str) -> list[str]:
    """Conversations whose `email` slot was set to this address (found by a text search, then checked)."""
    if engine is None:
        return []
    wanted = normalise_email(email)
    patterns = {wanted, json.dumps(wanted)[1:-1].lower()}  # as typed, and as JSON escapes it
    clauses = " OR ".join(f"lower(data) LIKE :p{index} ESCAPE '\\'" for index in range(len(patterns)))
    params = {f"p{index}": "%" + _like_escaped(pattern) + "%" for index, pattern in enumerate(patterns)}
    sql = f"SELECT sender_id, data FROM events WHERE type_name = 'slot' AND ({clauses})"
    rows = run_tracker(engine, lambda connection: connection.execute(text(sql), params).all())
    found: dict[str, None] = {}
    for sender_id, raw in rows:
        data = _parse(raw)
        if isinstance(data, dict) and data.get("name") == "email" and isinstance(data.get("value"), str):
            if normalise_email(data["value"]) == wanted:
                found[sender_id] = None
    return list(found)


def tracker_events(engine: Engine | None, conversation_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every event of each conversation, in order, with its data as stored (parsed from JSON)."""
    result: dict[str, list[dict[str, Any]]] = {conversation_id: [] for conversation_id in conversation_ids}
    if engine is None or not conversation_ids:
        return result
    params = {"senders": conversation_ids}
    sql = "SELECT sender_id, type_name, timestamp, data FROM events WHERE sender_id IN :senders ORDER BY id"
    rows = run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).all())
    for sender_id, type_name, timestamp, raw in rows:
        result[sender_id].append({"type": type_name, "timestamp": timestamp, "data": _parse(raw)})
    return result


def count_events(engine: Engine | None, selection: Selection) -> int:
    where, params = _event_filter(selection)
    if engine is None or not where:
        return 0
    sql = f"SELECT count(*) FROM events WHERE {where}"
    return int(run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).scalar()))


def delete_events(engine: Engine | None, selection: Selection) -> int:
    where, params = _event_filter(selection)
    if engine is None or not where:
        return 0
    sql = f"DELETE FROM events WHERE {where}"
    return int(run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).rowcount))


def _like_escaped(value: str) -> str:
    return _LIKE_SPECIALS.sub(lambda match: "\\" + match.group(), value)


def _parse(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def open_tracker(url: str) -> tuple[Engine | None, str]:
    """The tracker store's engine, and a note for the report when it does not exist."""
    engine = tracker_engine(url)
    note = "" if engine is not None else f"no tracker store at {sqlite_path(url)}: no conversation events"
    return engine, note
