"""What erasure finds beyond the rows: free text in other conversations, local files, and the person row.

`leads erase` deletes the person's lead rows and the events of their conversations (privacy.py); this
module adds what is not linked by id: the person's email or phone number typed into other
conversations (those events are redacted in place, so Rasa's count of stored events is unchanged),
lines of the local outbox log and of the spool, and, after the commit, the free pages of SQLite files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Text, cast, func, or_, select, text
from sqlalchemy.orm import Session

from integrations.leads.local_files import Scrubbed, scrub_jsonl
from integrations.leads.mentions import Identifiers, redact
from integrations.store.models import Lead, Notification

CONTACT_SLOTS = {"email": "emails", "phone": "phones", "person_name": "names"}


@dataclass(frozen=True)
class Redaction:
    """One event row of another conversation, with the person's identifiers replaced."""

    event_id: int
    sender_id: str
    data: str


def identifiers_of(emails: Iterable[str | None], rows: Iterable[Any], events: dict[str, list[dict]]) -> Identifiers:
    """The person's emails, phones and names: from their lead and person rows and their conversations' slots."""
    values: dict[str, list[str | None]] = {"emails": list(emails), "phones": [], "names": []}
    for row in rows:
        values["phones"].append(getattr(row, "phone", None))
        values["names"].append(getattr(row, "person_name", None))
    for conversation in events.values():
        for event in conversation:
            data = event.get("data")
            if event.get("type") == "slot" and isinstance(data, dict) and data.get("name") in CONTACT_SLOTS:
                if isinstance(data.get("value"), str):
                    values[CONTACT_SLOTS[data["name"]]].append(data["value"])
    return Identifiers.of(values["emails"], values["phones"], values["names"])


def foreign_mentions(
    run, engine: Engine | None, identifiers: Identifiers, own_conversations: Iterable[str]
) -> list[Redaction]:
    """Events of other conversations that hold the person's email or phone number, redacted.

    `run(engine, work)` runs `work(connection)` on the tracker store (tracker_events.run_tracker).
    """
    terms = identifiers.like_terms()
    if engine is None or not terms:
        return []
    clauses = " OR ".join(f"lower(data) LIKE :t{index} ESCAPE '\\'" for index in range(len(terms)))
    params = {f"t{index}": "%" + _like_escaped(term) + "%" for index, term in enumerate(terms)}
    sql = text(f"SELECT id, sender_id, data FROM events WHERE {clauses} ORDER BY id")
    rows = run(engine, lambda connection: connection.execute(sql, params).all())
    own = set(own_conversations)
    found = []
    for event_id, sender_id, raw in rows:
        if sender_id in own or not isinstance(raw, str):
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw
        new, count = redact(data, identifiers)
        if count:
            body = new if isinstance(new, str) else json.dumps(new, ensure_ascii=False)
            found.append(Redaction(event_id, sender_id, body))
    return found


def apply_redactions(run, engine: Engine | None, redactions: list[Redaction]) -> int:
    if engine is None or not redactions:
        return 0
    sql = text("UPDATE events SET data = :data WHERE id = :id")

    def work(connection) -> int:
        for item in redactions:
            connection.execute(sql, {"data": item.data, "id": item.event_id})
        return len(redactions)

    return run(engine, work)


def scrub_files(
    outbox_log: Path,
    spools: Iterable[Path],
    notification_keys: set[str],
    conversations: set[str],
    identifiers: Identifiers,
    *,
    apply: bool,
) -> Scrubbed:
    """Outbox-log lines of the person's notifications and spool entries of their conversations."""

    def logged(entry: dict[str, Any]) -> bool:
        return entry.get("idempotency_key") in notification_keys or entry.get("conversation_id") in conversations

    emails = {email.casefold() for email in identifiers.emails}

    def spooled(entry: dict[str, Any]) -> bool:
        item = entry.get("record") or entry.get("handoff") or {}
        if not isinstance(item, dict):
            return False
        return item.get("conversation_id") in conversations or str(item.get("email") or "").casefold() in emails

    total = scrub_jsonl(outbox_log, logged, identifiers, apply=apply)
    for spool in spools:
        total += scrub_jsonl(spool, spooled, identifiers, apply=apply)
    return total


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


LEAD_TEXT_COLUMNS = (
    "answers",
    "need_detail",
    "authority_detail",
    "budget_detail",
    "timeline_detail",
    "source",
    "reasons",
)


def redact_store_rows(
    session: Session, identifiers: Identifiers, lead_ids: Iterable[int], notification_ids: Iterable[int]
) -> int:
    """Other people's leads and notifications that mention the person: their email, phone (and name) replaced.

    Returns how many rows were changed; the caller's transaction commits them with the erasure.
    """
    terms = identifiers.like_terms()
    if not terms:
        return 0
    changed = 0
    own_leads, own_notifications = set(lead_ids), set(notification_ids)
    tables: tuple[tuple[type[Lead] | type[Notification], tuple[str, ...], set[int]], ...] = (
        (Lead, tuple(LEAD_TEXT_COLUMNS), own_leads),
        (Notification, ("payload",), own_notifications),
    )
    for model, columns, own in tables:
        matches = [
            func.lower(cast(getattr(model, column), Text)).like("%" + _like_escaped(term) + "%", escape="\\")
            for column in columns
            for term in terms
        ]
        for row in session.scalars(select(model).where(or_(*matches)).with_for_update()):
            if row.id in own:  # type: ignore[attr-defined]  # a Lead or a Notification
                continue
            row_changed = False
            for column in columns:
                new, count = redact(getattr(row, column), identifiers)
                if count:
                    setattr(row, column, new)
                    row_changed = True
            changed += row_changed
    session.flush()
    return changed
