"""A rep's free meeting slots: working hours in their time zone, minus booked meetings and feed busy times.

Pure computation on an injected clock (`now`): the caller passes the booked starts (integrations/booking/
store.py reads them) and the feed cache (integrations/booking/freebusy.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from integrations.booking.freebusy import FreeBusyFeeds, Interval
from integrations.booking.hours import WorkingHours
from integrations.routing import Rep


@dataclass(frozen=True)
class BookingPolicy:
    """The `booking:` section of reps.yml (docs/booking.md)."""

    slot_minutes: int = 30
    min_notice_minutes: int = 60  # no slot starts sooner than this after the offer
    days_ahead: int = 14  # how far ahead slots are offered
    offer: int = 4  # slots per batch of quick replies (3 to 6)
    feed_cache_minutes: float = 10

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> BookingPolicy:
        data = data or {}
        defaults = cls()
        return cls(
            slot_minutes=max(5, int(data.get("slot_minutes", defaults.slot_minutes))),
            min_notice_minutes=max(0, int(data.get("min_notice_minutes", defaults.min_notice_minutes))),
            days_ahead=max(1, int(data.get("days_ahead", defaults.days_ahead))),
            offer=min(6, max(3, int(data.get("offer", defaults.offer)))),
            feed_cache_minutes=max(0.0, float(data.get("feed_cache_minutes", defaults.feed_cache_minutes))),
        )

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


def free_slots(
    rep: Rep,
    *,
    now: datetime,
    booked: Iterable[datetime] = (),
    policy: BookingPolicy | None = None,
    feeds: FreeBusyFeeds | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[datetime]:
    """Starts (aware, UTC) of the rep's free slots from `after` (default: now plus the notice), in order.

    Slots start on the slot length's boundaries of the rep's local working intervals (09:00, 09:30, ...);
    a slot is free when it lies inside working hours and overlaps neither a booked meeting nor a busy
    time of the rep's feed. `limit` stops after that many.
    """
    policy = policy or BookingPolicy()
    hours = WorkingHours.parse(rep.timezone, rep.working_hours)
    start = max(now + timedelta(minutes=policy.min_notice_minutes), after or now).astimezone(timezone.utc)
    end = (until or now + timedelta(days=policy.days_ahead)).astimezone(timezone.utc)
    if start >= end:
        return []
    busy: list[Interval] = [(moment, moment + policy.slot) for moment in (_utc(b) for b in booked)]
    if rep.freebusy_url and feeds is not None:
        busy += feeds.busy(rep.freebusy_url, start - policy.slot, end, hours.zone, now=now) or []
    busy.sort()
    slots: list[datetime] = []
    for opens, closes in hours.intervals(start, end):
        moment = opens
        while moment + policy.slot <= closes:
            if moment >= start and moment < end and not _overlaps(moment, moment + policy.slot, busy):
                slots.append(moment)
                if limit is not None and len(slots) >= limit:
                    return slots
            moment += policy.slot
    return slots


def _overlaps(begin: datetime, finish: datetime, busy: list[Interval]) -> bool:
    return any(b_start < finish and b_end > begin for b_start, b_end in busy)


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time (SQLite returns timestamps without their zone) is taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
