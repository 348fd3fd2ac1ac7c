"""Erase a selection everywhere (tracker events, local files, rows), and purge what is past retention."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from integrations.leads.erasure import (
    apply_redactions,
    redact_store_rows,
    scrub_files,
)
from integrations.leads.local_files import Scrubbed
from integrations.leads.selection import LocalFiles, Outcome, Selection, delete_rows, expired_leads, select_for
from integrations.leads.tracker_events import count_events, delete_events, open_tracker, run_tracker
from integrations.leads.transcripts import sqlite_path
from integrations.store.compact import CompactError, compact
from integrations.store.db import transaction


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
    apply_redactions(run_tracker, engine, selection.redactions)
    scrubbed = scrub(True)
    redact_store_rows(session, selection.identifiers, selection.lead_ids, selection.notification_ids)
    delete_rows(session, selection)
    return Outcome(selection, events, tracker_note, scrubbed)


def compact_stores(outcome: Outcome, urls: Iterable[str]) -> Outcome:
    """After the commit: checkpoint and VACUUM the SQLite stores, so no deleted bytes remain in them."""
    names = []
    for url in dict.fromkeys(urls):
        try:
            path = sqlite_path(url)
            if compact(url) and path is not None:
                names.append(path.name)
        except CompactError as error:
            print(f"leads: warning: {error}", file=sys.stderr)
    return Outcome(outcome.selection, outcome.events, outcome.tracker_note, outcome.files, tuple(names))


def purge(
    store: str, tracker: str, days: int, now: datetime, *, apply: bool, files: LocalFiles | None = None
) -> Outcome:
    """Retention: leads not updated for `days` days, older conversation events, hand-offs and links.

    Raises TrackerStoreError (nothing deleted) when the tracker store cannot be used.
    """
    cutoff = retention_cutoff(now, days)
    engine, note = open_tracker(tracker)
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
