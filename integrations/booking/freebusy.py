"""Busy times from a rep's free/busy calendar feed (an ICS address), with recurring and all-day events.

The feed is fetched with a short timeout and kept for `cache_seconds`; recurring events are expanded
by recurring-ical-events for the window asked. A feed that is down or is not iCalendar leaves the
rep's working hours alone (no busy times from it) and is logged, so a booking offer never waits on
or fails because of a calendar server. The clock is the caller's (`now`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
import requests

log = logging.getLogger(__name__)

Interval = tuple[datetime, datetime]
FETCH_TIMEOUT_SECONDS = 3.0
MAX_FEED_BYTES = 5_000_000


@dataclass
class FreeBusyFeeds:
    """Fetched feeds by address; one instance per process (feeds()) or per test."""

    cache_seconds: float = 600.0
    fetch: Callable[[str], bytes] | None = None
    _cache: dict[str, tuple[datetime, icalendar.Calendar]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def busy(self, url: str, start: datetime, end: datetime, zone: tzinfo, *, now: datetime) -> list[Interval] | None:
        """Busy intervals (aware, UTC) of the feed overlapping [start, end); None when the feed is unusable."""
        calendar = self._calendar(url, now)
        if calendar is None:
            return None
        try:
            return busy_intervals(calendar, start, end, zone)
        except Exception as error:  # a feed whose recurrence rules cannot be expanded: as if it were down
            log.warning("free/busy feed %s could not be read (%s); offering working hours", url, error)
            return None

    def _calendar(self, url: str, now: datetime) -> icalendar.Calendar | None:
        with self._lock:
            cached = self._cache.get(url)
        if cached and now - cached[0] < timedelta(seconds=self.cache_seconds):
            return cached[1]
        try:
            calendar = icalendar.Calendar.from_ical((self.fetch or _download)(url))
        except Exception as error:
            log.warning("free/busy feed %s is unavailable (%s); offering working hours", url, error)
            return None
        with self._lock:
            self._cache[url] = (now, calendar)
        return calendar


def _download(url: str) -> bytes:
    with requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, stream=True) as response:
        response.raise_for_status()
        body = response.raw.read(MAX_FEED_BYTES + 1, decode_content=True)
    if len(body) > MAX_FEED_BYTES:
        raise ValueError(f"feed larger than {MAX_FEED_BYTES} bytes")
    return body


def busy_intervals(calendar: icalendar.Calendar, start: datetime, end: datetime, zone: tzinfo) -> list[Interval]:
    """Opaque, not cancelled events (recurrences expanded) and VFREEBUSY busy periods overlapping the window."""
    busy: list[Interval] = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        begin = _instant(event.decoded("DTSTART"), zone)
        if "DTEND" in event:
            finish = _instant(event.decoded("DTEND"), zone)
        elif "DURATION" in event:
            finish = begin + event.decoded("DURATION")
        else:  # RFC 5545: a date lasts one day, a date-time is an instant
            finish = _instant(event.decoded("DTSTART") + timedelta(days=1), zone) if _is_date(event) else begin
        busy.append((begin, finish))
    for component in calendar.walk("VFREEBUSY"):
        for prop in _as_list(component.get("FREEBUSY")):
            if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            begin_value, finish_value = prop.dt  # one vPeriod per period, also of a comma-separated line
            begin = _instant(begin_value, zone)
            finish = begin + finish_value if isinstance(finish_value, timedelta) else _instant(finish_value, zone)
            busy.append((begin, finish))
    return sorted((begin, finish) for begin, finish in busy if begin < end and finish > start)


def _is_date(event: Any) -> bool:
    value = event.decoded("DTSTART")
    return isinstance(value, date) and not isinstance(value, datetime)


def _instant(value: date | datetime, zone: tzinfo) -> datetime:
    """A date is midnight of that day in the rep's zone; a floating time is read in the rep's zone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), zone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_feeds: FreeBusyFeeds | None = None


def feeds() -> FreeBusyFeeds:
    """The process's feed cache."""
    global _feeds
    if _feeds is None:
        _feeds = FreeBusyFeeds()
    return _feeds
