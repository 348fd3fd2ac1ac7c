"""Reading and changing leads and notifications: what the CLI's commands do to the lead store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import overload

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from integrations.store.models import Lead, Notification, Person

STAGES = ("SQL", "MQL", "IQL")
STATUSES = ("new", "claimed", "contacted")
NOTIFICATION_STATUSES = ("pending", "dead", "sent")


class NotFoundError(LookupError):
    """No row with that id."""


class RefusedError(Exception):
    """The change would undo someone else's work (another rep's lead, a delivered notification)."""


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes (stored as UTC), PostgreSQL aware ones: make both aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def is_overdue(lead: Lead, now: datetime) -> bool:
    deadline = as_utc(lead.follow_up_by)
    return deadline is not None and deadline < now and lead.status != "contacted"


def same_rep(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


@dataclass(frozen=True)
class LeadFilter:
    stage: str | None = None
    status: str | None = None
    rep: str | None = None
    overdue: bool = False
    limit: int | None = None


def select_leads(filters: LeadFilter, now: datetime) -> Select[tuple[Lead]]:
    """Leads matching `filters`, newest first."""
    query = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc())
    if filters.stage:
        query = query.where(Lead.stage == filters.stage)
    if filters.status:
        query = query.where(Lead.status == filters.status)
    if filters.rep:
        query = query.where(func.lower(Lead.assigned_rep) == filters.rep.strip().lower())
    if filters.overdue:
        query = query.where(Lead.follow_up_by.is_not(None), Lead.follow_up_by < now, Lead.status != "contacted")
    if filters.limit:
        query = query.limit(filters.limit)
    return query


def get_lead(session: Session, lead_id: int, *, for_update: bool = False) -> Lead:
    lead = session.get(Lead, lead_id, with_for_update=for_update)
    if lead is None:
        raise NotFoundError(f"no lead with id {lead_id}")
    return lead


def lead_notifications(session: Session, lead: Lead) -> list[Notification]:
    """The lead's notifications, and the hand-offs of its conversation written before the lead existed."""
    query = (
        select(Notification)
        .where(
            or_(
                Notification.lead_id == lead.id,
                (Notification.lead_id.is_(None)) & (Notification.conversation_id == lead.conversation_id),
            )
        )
        .order_by(Notification.id)
    )
    return list(session.scalars(query))


def earlier_leads(session: Session, leads: Sequence[Lead]) -> dict[int, list[int]]:
    """For each lead, the ids of its person's earlier leads (earlier conversations with the same email)."""
    person_ids = {lead.person_id for lead in leads if lead.person_id is not None}
    if not person_ids:
        return {}
    rows = session.execute(select(Lead.person_id, Lead.id).where(Lead.person_id.in_(person_ids)).order_by(Lead.id))
    by_person: dict[int, list[int]] = {}
    for person_id, lead_id in rows:
        by_person.setdefault(person_id, []).append(lead_id)
    return {
        lead.id: [other for other in by_person.get(lead.person_id, []) if other < lead.id]
        for lead in leads
        if lead.person_id is not None
    }


def person_of(session: Session, lead: Lead) -> Person | None:
    return session.get(Person, lead.person_id) if lead.person_id is not None else None


@dataclass
class Change:
    lead: Lead
    changed: bool
    message: str


def _compare_and_set(session: Session, lead: Lead, values: dict[str, object]) -> None:
    """Write `values` only if nobody changed the rep or status since we read them (atomic on SQLite too)."""
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.assigned_rep.is_not_distinct_from(lead.assigned_rep),
            Lead.status == lead.status,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        raise RefusedError(f"lead {lead.id} was changed by someone else just now; see `leads show {lead.id}`")
    session.refresh(lead)


def claim_lead(session: Session, lead_id: int, rep: str, *, force: bool, now: datetime) -> Change:
    lead = get_lead(session, lead_id, for_update=True)
    rep = rep.strip()
    if lead.assigned_rep and not same_rep(lead.assigned_rep, rep) and not force:
        raise RefusedError(
            f"lead {lead.id} belongs to {lead.assigned_rep} (status {lead.status}); "
            "use --force to take it over after talking to them"
        )
    if same_rep(lead.assigned_rep, rep) and lead.status != "new":
        return Change(lead, False, f"lead {lead.id} is already yours (status {lead.status})")
    previous = lead.assigned_rep
    # a lead already contacted stays contacted: taking it over does not undo the call
    status = "contacted" if lead.status == "contacted" else "claimed"
    values: dict[str, object] = {"assigned_rep": rep, "status": status, "updated_at": now}
    if lead.claimed_at is None:  # time to claim (speed-to-lead): the first claim counts
        values["claimed_at"] = now
    _compare_and_set(session, lead, values)
    taken = f" (taken over from {previous})" if previous and not same_rep(previous, rep) else ""
    return Change(lead, True, f"lead {lead.id} claimed by {rep}{taken}")


def mark_contacted(session: Session, lead_id: int, rep: str | None, *, force: bool, now: datetime) -> Change:
    lead = get_lead(session, lead_id, for_update=True)
    rep = rep.strip() if rep else None
    if rep and lead.assigned_rep and not same_rep(lead.assigned_rep, rep) and not force:
        raise RefusedError(f"lead {lead.id} belongs to {lead.assigned_rep}; use --force to record your contact anyway")
    if lead.status == "contacted" and (rep is None or same_rep(lead.assigned_rep, rep)):
        return Change(lead, False, f"lead {lead.id} was already marked contacted")
    values: dict[str, object] = {"status": "contacted", "updated_at": now}
    if lead.first_contacted_at is None:
        values["first_contacted_at"] = now
    if lead.claimed_at is None:  # contacting a lead claims it
        values["claimed_at"] = now
    if rep:
        values["assigned_rep"] = rep
    _compare_and_set(session, lead, values)
    by = f" by {lead.assigned_rep}" if lead.assigned_rep else ""
    return Change(lead, True, f"lead {lead.id} marked contacted{by}")


def select_notifications(status: str | None, limit: int | None) -> Select[tuple[Notification]]:
    query = select(Notification).order_by(Notification.id.desc())
    if status:
        query = query.where(Notification.status == status)
    if limit:
        query = query.limit(limit)
    return query


@dataclass
class RetryResult:
    retried: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def retry_notifications(
    session: Session, ids: Sequence[int] | None, *, all_dead: bool, force: bool, now: datetime
) -> RetryResult:
    """Put notifications back in the queue: pending, due now, with a fresh budget of attempts.

    A notification already sent is only queued again with `force`: the receiver would get it twice.
    """
    result = RetryResult()
    if all_dead:
        dead = select(Notification).where(Notification.status == "dead").with_for_update()
        notifications = list(session.scalars(dead))
    else:
        notifications = []
        for notification_id in dict.fromkeys(ids or ()):
            notification = session.get(Notification, notification_id, with_for_update=True)
            if notification is None:
                result.missing.append(notification_id)
            elif notification.status == "sent" and not force:
                result.refused.append(notification_id)
            else:
                notifications.append(notification)
    for notification in notifications:
        notification.status = "pending"
        notification.attempts = 0
        notification.next_attempt_at = now
        result.retried.append(notification.id)
    session.flush()
    return result
