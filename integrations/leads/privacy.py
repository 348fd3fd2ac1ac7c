"""The `leads` commands for a person's data: export-person, erase and purge (the argument parsing and reports).

A person is found by email: their person row and lead rows (one per conversation), the notifications
of those leads and of their conversations (hand-offs written before the lead existed), the hand-off
history and transcript links of those conversations, and the events of those conversations in Rasa's
tracker store (Rasa has no API to delete a conversation, so its `events` rows are deleted directly).
Conversations are those of the lead rows, of their notifications, and any conversation whose `email`
slot was set to the address. Erasure also redacts the person's email and phone number where they were
typed into other conversations, removes their lines from the local outbox log and the spool, and
compacts SQLite files so no deleted bytes remain (integrations/leads/erasure.py).

The work itself lives beside it: selection.py finds the rows, tracker_events.py the conversation
events, removal.py erases and purges, person_document.py writes the export.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from integrations import settings
from integrations.leads.arguments import positive_int
from integrations.leads.erasure import (
    foreign_mentions,
    identifiers_of,
)
from integrations.leads.person_document import person_document, write_document
from integrations.leads.removal import compact_stores, erase, purge, retention_cutoff
from integrations.leads.selection import LocalFiles, Outcome, person_leads, person_rows, select_for
from integrations.leads.terminal import clean
from integrations.leads.tracker_events import (
    TrackerStoreError,
    conversations_with_email,
    open_tracker,
    run_tracker,
    tracker_events,
)
from integrations.leads.transcripts import tracker_url
from integrations.store.db import transaction

__all__ = ["LocalFiles", "PrivacyCommandError", "add_commands", "purge", "report", "retention_days"]


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


def cmd_export_person(args: argparse.Namespace, *, context: Context) -> int:
    store = context.store_url()  # first: it also loads .env, which may set TRACKER_DB_URL
    engine, note = open_tracker(tracker_url())
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
    engine, note = open_tracker(tracker)
    try:
        with transaction(store) as session:
            leads = person_leads(session, args.email)
            selection = select_for(session, leads, _or_fail(conversations_with_email, engine, args.email))
            selection.people = person_rows(session, args.email)
            events = _or_fail(tracker_events, engine, selection.conversation_ids)
            selection.identifiers = identifiers_of([args.email], [*leads, *selection.people], events)
            selection.redactions = _or_fail(
                foreign_mentions, run_tracker, engine, selection.identifiers, selection.conversation_ids
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
