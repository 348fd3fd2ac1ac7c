"""A person's data: export it, erase it, and purge what is older than the retention period.

A person is found by email: their person row and lead rows (one per conversation), the notifications
of those leads and of their conversations (hand-offs written before the lead existed), the hand-off
history and transcript links of those conversations, and the events of those conversations in Rasa's
tracker store (Rasa has no API to delete a conversation, so its `events` rows are deleted directly).
Conversations are those of the lead rows, of their notifications, and any conversation whose `email`
slot was set to the address. Erasure also redacts the person's email and phone number where they were
typed into other conversations, removes their lines from the local outbox log and the spool, and
compacts SQLite files so no deleted bytes remain (integrations/leads/erasure.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, bindparam, create_engine, delete, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from integrations import settings
from integrations.leads.arguments import positive_int
from integrations.leads.erasure import (
    Redaction,
    apply_redactions,
    foreign_mentions,
    identifiers_of,
    redact_store_rows,
    scrub_files,
)
from integrations.leads.export import lead_dict
from integrations.leads.local_files import Scrubbed
from integrations.leads.mentions import Identifiers
from integrations.leads.queries import as_utc
from integrations.leads.terminal import clean
from integrations.leads.transcripts import sqlite_path, tracker_url
from integrations.store.compact import CompactError, compact
from integrations.store.db import transaction
from integrations.store.models import HandoffRequest, Lead, Notification, Person, TranscriptLink
from integrations.store.people import forget_if_unused, normalise_email

# Escaped in the JSON text (values are unchanged): terminal controls and bidirectional overrides.
_UNSAFE_IN_TERMINAL = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_LIKE_SPECIALS = re.compile(r"([\\%_])")


class TrackerStoreError(Exception):
    """The tracker store exists but cannot be read or changed."""


@dataclass
class Selection:
    """What belongs to one person (or to the expired past): ids to export or delete."""

    leads: list[Lead] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    conversation_ids: list[str] = field(default_factory=list)
    events_before: float | None = None  # purge: also every event older than this epoch time
    rows_before: datetime | None = None  # purge: also hand-off history and transcript links older than this
    people: list[Person] = field(default_factory=list)
    identifiers: Identifiers = field(default_factory=Identifiers)  # erase: what to redact elsewhere
    redactions: list[Redaction] = field(default_factory=list)  # erase: events of other conversations

    @property
    def lead_ids(self) -> list[int]:
        return [lead.id for lead in self.leads]

    @property
    def notification_ids(self) -> list[int]:
        return [notification.id for notification in self.notifications]


@dataclass(frozen=True)
class Outcome:
    selection: Selection
    events: int
    tracker_note: str = ""
    files: Scrubbed = field(default_factory=Scrubbed)
    compacted: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalFiles:
    """The JSON-lines files that hold notification payloads or spooled leads."""

    outbox_log: Path
    spools: tuple[Path, ...] = ()


# ---- the lead store


def person_leads(session: Session, email: str) -> list[Lead]:
    query = select(Lead).where(func.lower(Lead.email) == normalise_email(email)).order_by(Lead.id)
    return list(session.scalars(query.with_for_update()))


def expired_leads(session: Session, cutoff: datetime) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.updated_at < cutoff).order_by(Lead.id).with_for_update()))


def select_for(
    session: Session,
    leads: list[Lead],
    extra_conversations: Iterable[str] = (),
    handoffs_before: datetime | None = None,
) -> Selection:
    """The leads, their notifications and conversations, and hand-offs of those conversations.

    With `handoffs_before`, notifications without a lead created before that time are included too.
    """
    lead_ids = [lead.id for lead in leads]
    own = list(session.scalars(select(Notification).where(Notification.lead_id.in_(lead_ids)))) if lead_ids else []
    conversations = dict.fromkeys(
        [lead.conversation_id for lead in leads]
        + [notification.conversation_id for notification in own]
        + list(extra_conversations)
    )
    orphan_filters = []
    if conversations:
        orphan_filters.append(Notification.conversation_id.in_(list(conversations)))
    if handoffs_before is not None:
        orphan_filters.append(Notification.created_at < handoffs_before)
    orphans: list[Notification] = []
    if orphan_filters:
        query = select(Notification).where(Notification.lead_id.is_(None), or_(*orphan_filters))
        orphans = list(session.scalars(query))
    notifications = sorted({item.id: item for item in own + orphans}.values(), key=lambda item: item.id)
    return Selection(leads=leads, notifications=notifications, conversation_ids=list(conversations))


def person_rows(session: Session, email: str) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.email == normalise_email(email)).with_for_update()))


def delete_rows(session: Session, selection: Selection) -> None:
    conversation_filters = []
    if selection.conversation_ids:
        conversation_filters.append(lambda model: model.conversation_id.in_(selection.conversation_ids))
    if selection.rows_before is not None:
        conversation_filters.append(lambda model: model.created_at < selection.rows_before)
    for model in (HandoffRequest, TranscriptLink):
        if conversation_filters:
            session.execute(
                delete(model)
                .where(or_(*(condition(model) for condition in conversation_filters)))
                .execution_options(synchronize_session=False)
            )
    if selection.notification_ids:
        session.execute(
            delete(Notification)
            .where(Notification.id.in_(selection.notification_ids))
            .execution_options(synchronize_session=False)
        )
    if selection.lead_ids:
        session.execute(
            delete(Lead).where(Lead.id.in_(selection.lead_ids)).execution_options(synchronize_session=False)
        )
    person_ids = {lead.person_id for lead in selection.leads if lead.person_id is not None}
    person_ids |= {person.id for person in selection.people}
    forget_if_unused(session, sorted(person_ids))
    session.flush()


# ---- the tracker store (Rasa's `events` table)


def tracker_engine(url: str) -> Engine | None:
    """An engine for the tracker store, or None when its SQLite file does not exist (no conversations)."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        return create_engine(url, connect_args={"timeout": 15})
    return create_engine(url, pool_pre_ping=True)


def _event_filter(selection: Selection) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
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


def _run_tracker(engine: Engine, work):
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
    rows = _run_tracker(engine, lambda connection: connection.execute(text(sql), params).all())
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
    rows = _run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).all())
    for sender_id, type_name, timestamp, raw in rows:
        result[sender_id].append({"type": type_name, "timestamp": timestamp, "data": _parse(raw)})
    return result


def count_events(engine: Engine | None, selection: Selection) -> int:
    where, params = _event_filter(selection)
    if engine is None or not where:
        return 0
    sql = f"SELECT count(*) FROM events WHERE {where}"
    return int(_run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).scalar()))


def delete_events(engine: Engine | None, selection: Selection) -> int:
    where, params = _event_filter(selection)
    if engine is None or not where:
        return 0
    sql = f"DELETE FROM events WHERE {where}"
    return int(_run_tracker(engine, lambda connection: connection.execute(_statement(sql, params), params).rowcount))


def _like_escaped(value: str) -> str:
    return _LIKE_SPECIALS.sub(lambda match: "\\" + match.group(), value)


def _parse(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# ---- the commands' work


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def erase(
    session: Session,
    engine: Engine | None,
    selection: Selection,
    *,
    apply: bool,
    tracker_note: str = "",
    files: LocalFiles | None = None,
) -> Outcome:
    """Count (and with `apply` delete) the tracker events and file lines first, then the rows.

    A failure before the rows are deleted leaves a rerun possible: it finds the person again.
    """
    keys = {notification.idempotency_key for notification in selection.notifications}
    conversations = set(selection.conversation_ids)

    def scrub(really: bool) -> Scrubbed:
        if files is None:
            return Scrubbed()
        return scrub_files(files.outbox_log, files.spools, keys, conversations, selection.identifiers, apply=really)

    if not apply:
        return Outcome(selection, count_events(engine, selection), tracker_note, scrub(False))
    events = delete_events(engine, selection)
    apply_redactions(_run_tracker, engine, selection.redactions)
    scrubbed = scrub(True)
    redact_store_rows(session, selection.identifiers, selection.lead_ids, selection.notification_ids)
    delete_rows(session, selection)
    return Outcome(selection, events, tracker_note, scrubbed)


def compact_stores(outcome: Outcome, urls: Iterable[str]) -> Outcome:
    """After the commit: checkpoint and VACUUM the SQLite stores, so no deleted bytes remain in them."""
    names = []
    for url in dict.fromkeys(urls):
        try:
            if compact(url):
                names.append(str(sqlite_path(url).name))
        except CompactError as error:
            print(f"leads: warning: {error}", file=sys.stderr)
    return Outcome(outcome.selection, outcome.events, outcome.tracker_note, outcome.files, tuple(names))


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


# ---- the `leads` subcommands


class PrivacyCommandError(Exception):
    """A problem reported in one line with exit code 1 (the CLI catches it)."""


@dataclass(frozen=True)
class Context:
    """What the commands need from the CLI: the lead store's URL, output paths and the time."""

    store_url: Callable[[], str]
    output_path: Callable[[str], Path]
    now: Callable[[], datetime]
    files: Callable[[], LocalFiles | None] = lambda: None


Register = Callable[..., argparse.ArgumentParser]


def add_commands(command: Register, context: Context) -> None:
    """Add export-person, erase and purge through the CLI's `command(name, handler, summary, details)`."""
    exporting = command(
        "export-person",
        functools.partial(cmd_export_person, context=context),
        "One person's data as JSON: lead rows, notifications (with payloads), conversation events.",
    )
    exporting.add_argument("--email", required=True, type=_email, metavar="ADDRESS", help="the person's email")
    exporting.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    erasing = command(
        "erase",
        functools.partial(cmd_erase, context=context),
        "Delete one person's lead rows, notifications and conversation events.",
        "Without --yes, only shows what would be deleted.",
    )
    erasing.add_argument("--email", required=True, type=_email, metavar="ADDRESS", help="the person's email")
    erasing.add_argument("--yes", action="store_true", help="really delete")

    purging = command(
        "purge",
        functools.partial(cmd_purge, context=context),
        "Retention: erase leads not updated for N days and conversation events older than N days.",
        "Without --yes, only shows what would be deleted.",
    )
    purging.add_argument(
        "--older-than-days", type=positive_int, metavar="N", help="age in days (default: the RETENTION_DAYS variable)"
    )
    purging.add_argument("--yes", action="store_true", help="really delete")


def _email(value: str) -> str:
    if "@" not in value or not value.strip():
        raise argparse.ArgumentTypeError(f"not an email address: {value!r}")
    return value.strip()


def _tracker(url: str) -> tuple[Engine | None, str]:
    engine = tracker_engine(url)
    note = "" if engine is not None else f"no tracker store at {sqlite_path(url)}: no conversation events"
    return engine, note


def cmd_export_person(args: argparse.Namespace, *, context: Context) -> int:
    store = context.store_url()  # first: it also loads .env, which may set TRACKER_DB_URL
    engine, note = _tracker(tracker_url())
    try:
        with transaction(store) as session:
            leads = person_leads(session, args.email)
            try:
                extra = conversations_with_email(engine, args.email)
                selection = select_for(session, leads, extra)
                events = tracker_events(engine, selection.conversation_ids)
            except TrackerStoreError as error:
                print(f"leads: warning: conversation events are missing from the export: {error}", file=sys.stderr)
                selection, events, note = select_for(session, leads), {}, f"not read: {error}"
            selection.people = person_rows(session, args.email)
    finally:
        if engine is not None:
            engine.dispose()
    document = person_document(args.email, selection, events, context.now(), note)
    if not args.output:
        write_document(document, sys.stdout)
        return 0
    path = context.output_path(args.output)
    try:
        with open(path, "w", encoding="utf-8") as out:
            write_document(document, out)
    except OSError as error:
        raise PrivacyCommandError(f"cannot write {path}: {error.strerror}") from error
    count = sum(len(conversation["events"]) for conversation in document["conversations"])
    print(f"wrote {len(selection.leads)} leads, {len(selection.notifications)} notifications and", file=sys.stderr)
    print(f"{count} conversation events of {clean(args.email)} to {path}", file=sys.stderr)
    return 0


def cmd_erase(args: argparse.Namespace, *, context: Context) -> int:
    store = context.store_url()
    tracker = tracker_url()
    engine, note = _tracker(tracker)
    try:
        with transaction(store) as session:
            leads = person_leads(session, args.email)
            selection = select_for(session, leads, _or_fail(conversations_with_email, engine, args.email))
            selection.people = person_rows(session, args.email)
            events = _or_fail(tracker_events, engine, selection.conversation_ids)
            selection.identifiers = identifiers_of([args.email], [*leads, *selection.people], events)
            selection.redactions = _or_fail(
                foreign_mentions, _run_tracker, engine, selection.identifiers, selection.conversation_ids
            )
            outcome = _or_fail(
                erase, session, engine, selection, apply=args.yes, tracker_note=note, files=context.files()
            )
    finally:
        if engine is not None:
            engine.dispose()
    if args.yes:
        outcome = compact_stores(outcome, [store, tracker])
    print(report(outcome, f"of {clean(args.email)}", applied=args.yes))
    return 0


def cmd_purge(args: argparse.Namespace, *, context: Context) -> int:
    store = context.store_url()  # loads .env: RETENTION_DAYS may come from there
    days = args.older_than_days or retention_days()
    now = context.now()
    outcome = _or_fail(purge, store, tracker_url(), days, now, apply=args.yes, files=context.files())
    cutoff = retention_cutoff(now, days)
    print(report(outcome, f"older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC)", applied=args.yes))
    return 0


def purge(
    store: str, tracker: str, days: int, now: datetime, *, apply: bool, files: LocalFiles | None = None
) -> Outcome:
    """Retention: leads not updated for `days` days, older conversation events, hand-offs and links.

    Raises TrackerStoreError (nothing deleted) when the tracker store cannot be used.
    """
    cutoff = retention_cutoff(now, days)
    engine, note = _tracker(tracker)
    try:
        with transaction(store) as session:
            selection = select_for(session, expired_leads(session, cutoff), handoffs_before=cutoff)
            selection.events_before = cutoff.timestamp()
            selection.rows_before = cutoff
            outcome = erase(session, engine, selection, apply=apply, tracker_note=note, files=files)
    finally:
        if engine is not None:
            engine.dispose()
    return compact_stores(outcome, [store, tracker]) if apply else outcome


def retention_days() -> int:
    raw = settings.value("RETENTION_DAYS")
    if not raw:
        raise PrivacyCommandError("give --older-than-days N or set RETENTION_DAYS in .env")
    try:
        return positive_int(raw)
    except argparse.ArgumentTypeError as error:
        raise PrivacyCommandError(f"RETENTION_DAYS: {error}") from None


def _or_fail(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except TrackerStoreError as error:
        raise PrivacyCommandError(f"{error}; nothing was deleted") from error


def report(outcome: Outcome, what: str, *, applied: bool) -> str:
    """What was (or would be) deleted, one line per kind of data."""
    selection = outcome.selection
    conversations = ", ".join(clean(conversation_id) for conversation_id in selection.conversation_ids)
    lines = [
        f"{'deleted' if applied else 'would delete'} the data {what}:",
        f"  leads: {len(selection.leads)}{_ids(selection.lead_ids)}",
        f"  notifications: {len(selection.notifications)}{_ids(selection.notification_ids)}",
        f"  conversation events: {outcome.events}" + (f" (conversations {conversations})" if conversations else ""),
    ]
    if selection.people:
        lines.insert(1, f"  people: {len(selection.people)}")
    if selection.redactions:
        others = len({item.sender_id for item in selection.redactions})
        lines.append(f"  mentions in other conversations: {len(selection.redactions)} events of {others} redacted")
    if outcome.files.removed or outcome.files.redacted:
        lines.append(
            f"  outbox log and spool: {outcome.files.removed} lines removed, {outcome.files.redacted} redacted"
        )
    if outcome.compacted:
        lines.append(f"  compacted (checkpoint and VACUUM): {', '.join(outcome.compacted)}")
    if outcome.tracker_note:
        lines.append(f"  note: {outcome.tracker_note}")
    if not applied:
        lines.append("nothing was deleted; run again with --yes to delete")
    return "\n".join(lines)


def _ids(ids: list[int]) -> str:
    return f" (ids {', '.join(str(item) for item in ids)})" if ids else ""
