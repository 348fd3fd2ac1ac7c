"""A rep's weekly working hours in their own time zone, as wall-clock intervals of each local day."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: Mapping[str, list[str]] = {day: ["09:00-17:00"] for day in DAYS[:5]}
_INTERVAL = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class CalendarSettingsError(ValueError):
    """A rep's time zone or working hours in reps.yml cannot be read."""


@dataclass(frozen=True)
class WorkingHours:
    zone: ZoneInfo
    week: Mapping[int, tuple[tuple[time, time], ...]]  # weekday (0 = Monday) -> local intervals

    @classmethod
    def parse(cls, zone_name: str, hours: Mapping[str, list[str] | str] | None) -> WorkingHours:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise CalendarSettingsError(
                f"unknown time zone {zone_name!r} (use an IANA name like Europe/Berlin)"
            ) from error
        week: dict[int, tuple[tuple[time, time], ...]] = {}
        for day, intervals in (DEFAULT_HOURS if hours is None else hours).items():
            key = str(day).strip().lower()[:3]
            if key not in DAYS:
                raise CalendarSettingsError(f"unknown day {day!r} in working_hours (use mon, tue, ... sun)")
            items = [intervals] if isinstance(intervals, str) else list(intervals or [])
            week[DAYS.index(key)] = tuple(_interval(str(item)) for item in items)
        return cls(zone, week)

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals that overlap [start, end), whole, as aware UTC datetimes, in order.

        Local days are walked in the rep's zone, so a daylight-saving change moves the UTC times of the
        days after it and never the local ones.
        """
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.week.get(day.weekday(), ()):
                begin, finish = _instant(day, opens, self.zone), _instant(day, closes, self.zone)
                if begin < end and finish > start:
                    yield begin, finish
            day += timedelta(days=1)


def _interval(text: str) -> tuple[time, time]:
    match = _INTERVAL.fullmatch(text)
    if not match:
        raise CalendarSettingsError(f"working hours {text!r} are not like 09:00-17:00")
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    if hour1 > 23 or minute1 > 59 or minute2 > 59 or hour2 > 24 or (hour2 == 24 and minute2):
        raise CalendarSettingsError(f"working hours {text!r} are not times of day")
    opens = time(hour1, minute1)
    closes = time.max if hour2 == 24 else time(hour2, minute2)
    if closes <= opens:
        raise CalendarSettingsError(f"working hours {text!r} end before they start")
    return opens, closes


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    if clock == time.max:
        return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
    # a wall-clock time skipped in spring reads with the offset before the change (PEP 495, fold=0),
    # which lands after the gap; a repeated one in autumn is its first occurrence
    return datetime.combine(day, clock, zone).astimezone(timezone.utc)
