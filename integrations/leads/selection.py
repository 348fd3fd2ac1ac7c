"""What belongs to one person, or to the expired past: the rows of the lead store, found and deleted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from integrations.leads.erasure import (
    Redaction,
)
from integrations.leads.local_files import Scrubbed
from integrations.leads.mentions import Identifiers
from integrations.store.models import HandoffRequest, Lead, Notification, Person, Takeover, TranscriptLink
from integrations.store.people import forget_if_unused, normalise_email


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
    orphan_filters: list[ColumnElement[bool]] = []
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
    takeover_filters: list[
        ColumnElement[bool]
    ] = []  # who took the conversation over in the rep console (its rep messages are tracker events)
    if selection.conversation_ids:
        takeover_filters.append(Takeover.conversation_id.in_(selection.conversation_ids))
    if selection.rows_before is not None:
        takeover_filters.append(Takeover.taken_at < selection.rows_before)
    if takeover_filters:
        session.execute(delete(Takeover).where(or_(*takeover_filters)).execution_options(synchronize_session=False))
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
