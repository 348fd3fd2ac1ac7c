"""When a visitor wants to meet, read from what they typed ("Thursday afternoon", "tomorrow at 10").

Microsoft's recognizers-text date-time model (the one bot/actions/periods.py reads timelines with) finds
the dates, times and ranges; each becomes a window of the visitor's local time. Windows that are over
are dropped (the model offers a weekday's last and next occurrence). An exact time ("at 10") is a
window of one slot, so the caller can book it straight away when it is free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo

from bot.actions.periods import _datetime_model

MAX_TEXT = 200  # a choice is short; longer text is read from its start
OTHER_TIMES_RE = re.compile(
    r"\b(?:other|another|different|more|later|next)\s+(?:times?|slots?|options?|ones?|days?)\b"
    r"|\bnone of (?:these|those|them)\b|\b(?:doesn'?t|don'?t|does not|do not|won'?t) work\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Wanted:
    """Windows of time the visitor asked for (aware, UTC), and whether they named an exact time."""

    windows: tuple[tuple[datetime, datetime], ...]
    exact: bool


def asks_for_other_times(text: str) -> bool:
    return bool(OTHER_TIMES_RE.search(text))


def wanted_times(text: str, zone: tzinfo, now: datetime) -> Wanted | None:
    """The windows named in `text`, read in the visitor's zone; None when it names no time."""
    local_now = now.astimezone(zone)
    reference = local_now.replace(tzinfo=None, second=0, microsecond=0)
    windows: list[tuple[datetime, datetime]] = []
    exact = False
    for result in _datetime_model().parse(text[:MAX_TEXT], reference):
        kind = result.type_name.rsplit(".", 1)[-1]
        if kind in ("duration", "set"):
            continue
        for value in (result.resolution or {}).get("values") or []:
            found = _window(kind, value, local_now)
            if found is None:
                continue
            windows += found[0]
            exact = exact or found[1]
    ahead = tuple(sorted((max(start, now), end) for start, end in windows if end > now))
    return Wanted(ahead, exact) if ahead else None


def _window(kind: str, value: dict, local_now: datetime) -> tuple[list[tuple[datetime, datetime]], bool] | None:
    zone = local_now.tzinfo
    assert zone is not None
    if kind == "datetime" and (moment := _parse(value.get("value"))):
        start = moment.replace(tzinfo=zone)
        return [(_utc(start), _utc(start + timedelta(minutes=1)))], True
    if kind in ("datetimerange", "daterange") and (begin := _parse(value.get("start"))):
        finish = _parse(value.get("end")) or begin + timedelta(days=1)
        return [(_utc(begin.replace(tzinfo=zone)), _utc(finish.replace(tzinfo=zone)))], False
    if kind == "date" and (named := _parse(value.get("value"))):
        begin = datetime.combine(named.date(), time(0), zone)
        return [(_utc(begin), _utc(begin + timedelta(days=1)))], False
    if kind in ("time", "timerange"):
        # a time without a day: that time today if it is still ahead, else on the next days
        clock = _clock(value.get("value") or value.get("start"))
        if clock is None:
            return None
        until = _clock(value.get("end")) if kind == "timerange" else None
        spans = []
        for offset in range(0, 7):
            day = local_now.date() + timedelta(days=offset)
            start = datetime.combine(day, clock, zone)
            finish = datetime.combine(day, until, zone) if until else start + timedelta(minutes=1)
            spans.append((_utc(start), _utc(finish)))
        return spans, until is None
    return None


def _parse(raw: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _clock(raw: object) -> time | None:
    try:
        return time.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)
