"""Book, move and cancel a meeting with its messages: the store's transaction plus the invitation and
the rep's notice (integrations/booking/invitations.py), then delivery at once in the background (the
dispatcher retries whatever that misses). Used by the chat (bot/actions/booking.py) and by the
visitor's reschedule/cancel page (integrations/web/meetings.py)."""

from __future__ import annotations

from datetime import datetime

from integrations.booking import store
from integrations.booking.freebusy import feeds
from integrations.booking.invitations import meeting_messages
from integrations.booking.links import manage_url
from integrations.booking.slots import BookingPolicy
from integrations.outbox.background import deliver_soon
from integrations.outbox.registry import configured_channels
from integrations.routing import Rep, RoutingPolicy, load_policy
from integrations.settings import Settings
from integrations.store.models import Booking


def calendar_of(routing: RoutingPolicy) -> store.Calendar:
    policy = BookingPolicy.from_mapping(routing.booking)
    cache = feeds()
    cache.cache_seconds = policy.feed_cache_minutes * 60
    return store.Calendar(policy, cache)


def _writer(settings: Settings, rep: Rep, now: datetime) -> store.AfterWrite:
    return meeting_messages(rep, list(configured_channels(settings.outbox_log)), manage_url, now)


def book(settings: Settings, rep: Rep, start: datetime, visitor: store.Visitor, *, now: datetime) -> Booking:
    calendar = calendar_of(load_policy(settings.reps_file))
    booking = store.book(
        settings.database_url, rep, start, calendar, visitor, now=now, after_write=_writer(settings, rep, now)
    )
    deliver_soon(settings.database_url, settings.outbox_log, conversation_id=booking.conversation_id)
    return booking


def reschedule(settings: Settings, booking_id: int, rep: Rep, start: datetime, *, now: datetime) -> Booking:
    calendar = calendar_of(load_policy(settings.reps_file))
    booking = store.reschedule(
        settings.database_url, booking_id, rep, start, calendar, now=now, after_write=_writer(settings, rep, now)
    )
    deliver_soon(settings.database_url, settings.outbox_log, conversation_id=booking.conversation_id)
    return booking


def cancel(settings: Settings, booking_id: int, rep: Rep, *, now: datetime) -> Booking:
    booking = store.cancel(settings.database_url, booking_id, now=now, after_write=_writer(settings, rep, now))
    deliver_soon(settings.database_url, settings.outbox_log, conversation_id=booking.conversation_id)
    return booking


def rep_of(settings: Settings, booking: Booking) -> Rep:
    """The booking's rep as reps.yml has them now; a rep removed since keeps the name and email booked."""
    return load_policy(settings.reps_file).rep_by_email(booking.rep_email) or Rep(booking.rep_name, booking.rep_email)
