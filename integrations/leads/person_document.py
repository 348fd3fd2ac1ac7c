"""The export of a person's data: one JSON document with every stored row and conversation event."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import IO, Any

from integrations.leads.export import lead_dict
from integrations.leads.queries import as_utc
from integrations.leads.selection import Selection
from integrations.store.models import Notification, Person

# Escaped in the JSON text (values are unchanged): terminal controls and bidirectional overrides.
_UNSAFE_IN_TERMINAL = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def row_dict(row: Notification | Person) -> dict[str, Any]:
    """Every column of a stored row, times as ISO 8601 in UTC (for the export document)."""
    values: dict[str, Any] = {}
    for column in type(row).__table__.columns:
        value = getattr(row, column.key)
        values[column.key] = as_utc(value).isoformat() if isinstance(value, datetime) else value
    return values


def person_document(
    email: str, selection: Selection, events: dict[str, list[dict[str, Any]]], now: datetime, tracker_note: str
) -> dict[str, Any]:
    return {
        "email": email.strip(),
        "exported_at": now.isoformat(),
        "people": [row_dict(person) for person in selection.people],
        "leads": [lead_dict(lead) for lead in selection.leads],
        "notifications": [row_dict(notification) for notification in selection.notifications],
        "conversations": [
            {"conversation_id": conversation_id, "events": conversation_events}
            for conversation_id, conversation_events in events.items()
        ],
        "tracker_store": tracker_note or "read",
    }


def write_document(document: dict[str, Any], out: IO[str]) -> None:
    """JSON with every character kept; controls that could act on a terminal are written as escapes."""
    body = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    out.write(_UNSAFE_IN_TERMINAL.sub(lambda match: f"\\u{ord(match.group()):04x}", body) + "\n")
