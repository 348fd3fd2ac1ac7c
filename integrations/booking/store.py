"""Bookings in the lead store: offer a rep's free slots, book one (once), reschedule and cancel.

A booking is a row of `bookings`; the partial unique index on (rep_email, start_at) of booked rows
(migration 0005) lets the database decide between two visitors choosing one slot: the second gets
SlotTakenError with the next free slots to offer instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from integrations.booking.freebusy import FreeBusyFeeds
from integrations.booking.slots import BookingPolicy, free_slots
from integrations.routing import Rep
from integrations.store.db import transaction
from integrations.store.models import Booking

# what else to write in the booking's transaction (the invitations of integrations/booking/invitations.py)
AfterWrite = Callable[[Session, Booking, str], None]


class SlotTakenError(Exception):
    """The slot was booked by someone else (or is not free); `alternatives` are the next free slots."""

    def __init__(self, start: datetime, alternatives: list[datetime]) -> None:
        super().__init__(f"the slot at {start.isoformat()} is not free")
        self.start = start
        self.alternatives = alternatives


class BookingNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Calendar:
    """What booking needs besides the database: the policy of reps.yml and the feed cache."""

    policy: BookingPolicy
    feeds: FreeBusyFeeds | None = None


def utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time (SQLite returns timestamps without their zone) is taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _stored(moment: datetime) -> datetime:
    return utc(moment).replace(microsecond=0)


def booked_starts(
    session: Session, rep: Rep, start: datetime, end: datetime, *, exclude: int | None = None
) -> list[datetime]:
    query = select(Booking.start_at).where(
        Booking.rep_email == rep.email.casefold(),
        Booking.status == "booked",
        Booking.start_at >= _stored(start) - timedelta(days=1),
        Booking.start_at < _stored(end),
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return [utc(moment) for moment in session.scalars(query)]


def offer(
    url: str, rep: Rep, calendar: Calendar, *, now: datetime, after: datetime | None = None, count: int | None = None
) -> list[datetime]:
    """The next `count` (default: the policy's batch) free slots of the rep, from `after`."""
    with transaction(url) as session:
        return _free(session, rep, calendar, now=now, after=after, limit=count or calendar.policy.offer)


def _free(
    session: Session,
    rep: Rep,
    calendar: Calendar,
    *,
    now: datetime,
    after: datetime | None = None,
    limit: int | None = None,
    exclude: int | None = None,
) -> list[datetime]:
    end = now + timedelta(days=calendar.policy.days_ahead)
    booked = booked_starts(session, rep, after or now, end, exclude=exclude)
    return free_slots(
        rep, now=now, booked=booked, policy=calendar.policy, feeds=calendar.feeds, after=after, limit=limit
    )


def _is_free(
    session: Session, rep: Rep, calendar: Calendar, start: datetime, now: datetime, exclude: int | None = None
) -> bool:
    return _free(session, rep, calendar, now=now, after=start, limit=1, exclude=exclude)[:1] == [start]


@dataclass(frozen=True)
class Visitor:
    """Who books: their conversation (and lead), name, email and IANA time zone."""

    conversation_id: str
    lead_id: int | None = None
    name: str | None = None
    email: str | None = None
    timezone: str | None = None


def book(
    url: str,
    rep: Rep,
    start: datetime,
    calendar: Calendar,
    visitor: Visitor,
    *,
    now: datetime,
    after_write: AfterWrite | None = None,
) -> Booking:
    """Book the slot at `start` for the visitor; SlotTakenError (with the next free slots) when it is not free.

    The check against the rep's free slots catches a slot that was never offered or went by; the
    unique index catches the race the check cannot see (another visitor committing between the two).
    """
    start = _stored(start)

    @_retry_locked
    def attempt() -> Booking:
        with transaction(url) as session:
            if not _is_free(session, rep, calendar, start, now):
                raise _RefusedError
            booking = Booking(
                rep_email=rep.email.casefold(),
                rep_name=rep.name,
                start_at=start,
                end_at=start + calendar.policy.slot,
                status="booked",
                lead_id=visitor.lead_id,
                conversation_id=visitor.conversation_id,
                visitor_name=visitor.name,
                visitor_email=visitor.email,
                visitor_timezone=visitor.timezone,
                sequence=0,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
            session.flush()
            if after_write:
                after_write(session, booking, "booked")
            return booking

    try:
        return attempt()
    except (_RefusedError, IntegrityError):
        raise SlotTakenError(start, offer(url, rep, calendar, now=now, after=start)) from None


def reschedule(
    url: str,
    booking_id: int,
    rep: Rep,
    start: datetime,
    calendar: Calendar,
    *,
    now: datetime,
    after_write: AfterWrite | None = None,
) -> Booking:
    """Move a booked meeting to another free slot of the same rep (SlotTakenError when that one is not free)."""
    start = _stored(start)

    @_retry_locked
    def attempt() -> Booking:
        with transaction(url) as session:
            booking = _booked(session, booking_id)
            if not _is_free(session, rep, calendar, start, now, exclude=booking.id):
                raise _RefusedError
            booking.start_at, booking.end_at = start, start + calendar.policy.slot
            booking.sequence += 1
            booking.updated_at = now
            session.flush()
            if after_write:
                after_write(session, booking, "rescheduled")
            return booking

    try:
        return attempt()
    except (_RefusedError, IntegrityError):
        raise SlotTakenError(start, offer(url, rep, calendar, now=now, after=start)) from None


def cancel(url: str, booking_id: int, *, now: datetime, after_write: AfterWrite | None = None) -> Booking:
    with transaction(url) as session:
        booking = _booked(session, booking_id)
        booking.status = "cancelled"
        booking.sequence += 1
        booking.updated_at = now
        session.flush()
        if after_write:
            after_write(session, booking, "cancelled")
        return booking


def get(url: str, booking_id: int) -> Booking | None:
    with transaction(url) as session:
        return session.get(Booking, booking_id)


def _booked(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or booking.status != "booked":
        raise BookingNotFoundError(f"no booked meeting {booking_id}")
    return booking


class _RefusedError(Exception):
    pass


# SQLite lets one writer in at a time: a booking whose read snapshot went stale while another committed
# gets "database is locked" at once (WAL), and is tried again from the start, where it sees that booking.
_retry_locked = retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_attempt(6),
    wait=wait_random_exponential(multiplier=0.02, max=0.5),
    reraise=True,
)
