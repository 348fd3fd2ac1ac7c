"""How far away a named period is, read the way a sales rep reads it (docs/understanding.md, "Timelines").

Three kinds of period, tried in this order:

1. Relative periods ("next month", "this week", "next quarter", "next year") are read by their unit,
   whatever today's date: a visitor who says "next month" wants it soon, on the 1st as on the 31st.
   Each unit has a typical distance in days that lands in its category.
2. Calendar periods whose distance really depends on the date: the end of this year ("by the end of
   the year", "this year"), early/mid/late next year, seasons ("this summer", "next summer"). Read by
   our own calendar, because the date-time model resolves them wrongly ("by the end of the year" ends
   on 1 July) or not at all (seasons).
3. Everything else with a date in it (month names, Q1-Q4, weekdays, "by June 15", "before Christmas")
   by Microsoft's recognizers-text date-time model; a period counts from its middle, or its end once
   the middle has passed, and a period that is over means its next occurrence.

A deferral ("not before next summer", "not until March", "no earlier than Q3") counts from the start
of the period, and deferring a relative period puts it one step further out ("not before next month"
is more than a month away).
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

# Typical distance of each relative unit, chosen inside its category (durations.timeline_category):
# immediate <= 35 days, quarter <= 100, later beyond.
RELATIVE_DAYS = {"day": 1.0, "week": 7.0, "month": 30.0, "quarter": 60.0, "year": 200.0}
# "not before next <unit>": the end of that period, one step further out.
DEFERRED_DAYS = {"day": 2.0, "week": 14.0, "month": 60.0, "quarter": 135.0, "year": 365.0}
# Plurals mean a few of them: "in the coming weeks" is soon, "in the coming months" a quarter away.
PLURAL_UNITS = {"weeks": "week", "months": "quarter", "quarters": "year", "years": "year"}

# "not before X", "no earlier than X": from the start of X. "after X": from its end.
FROM_START_RE = re.compile(
    r"\b(?:not (?:before|until|till|prior to)|no (?:earlier|sooner) than|not any (?:earlier|sooner) than|"
    r"at the earliest|earliest)\b",
    re.IGNORECASE,
)
FROM_END_RE = re.compile(r"\bafter\b", re.IGNORECASE)
_SOON_WORDS = (
    r"(?:this|next|the next|the coming|this coming|coming|the following|following|within the|within a|"
    r"(?:by )?(?:the )?end of (?:the|this|next))"
)
RELATIVE_RE = re.compile(
    rf"\b{_SOON_WORDS}\s+(?P<unit>weeks?|months?|quarters?|fiscal year|financial year|years?)\b"
    r"|\b(?P<eo>eo(?P<eo_unit>[wmqy]))\b"
    r"|\b(?P<day>today|tonight|tomorrow)\b",
    re.IGNORECASE,
)
EO_UNITS = {"w": "week", "m": "month", "q": "quarter", "y": None}
# Phrases naming a part of next year are calendar periods, not "next year" as a whole.
NEXT_YEAR_PART_RE = re.compile(
    r"\b(?P<part>early|beginning of|start of|mid|middle of|late|end of|towards the end of)[\s-]*next year\b",
    re.IGNORECASE,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# "Q1 next year", "march of next year", "H2 next year": the date-time model reads those.
NEXT_YEAR_DATED_RE = re.compile(rf"\b(?:q[1-4]|h[12]|first half|second half|{_MONTHS})\s+(?:of\s+)?next year\b", re.I)
YEAR_END_RE = re.compile(
    r"\b(?:(?:the )?end of (?:the |this )?year|year[- ]end|this year|before the year is out|eoy)\b",
    re.IGNORECASE,
)
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # meteorological start months
SEASON_RE = re.compile(r"\b(?:(?P<next>next|the following)\s+)?(?P<season>spring|summer|autumn|fall|winter)\b", re.I)


def relative_unit(text: str) -> str | None:
    """The unit of the first relative period ("next month" -> month, "the coming months" -> quarter)."""
    match = RELATIVE_RE.search(text)
    if not match:
        return None
    if match.group("day"):
        return "day"
    if match.group("eo"):
        return EO_UNITS[match.group("eo_unit").lower()]
    unit = match.group("unit").lower()
    if unit.endswith("year") and not re.search(r"\b(?:next|following)\b", match.group(0), re.IGNORECASE):
        return None  # "this year", "the end of the year" depend on the date: the calendar reads them
    return PLURAL_UNITS.get(unit, "year" if unit.endswith("year") else unit)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _span_days(start: date, end: date, today: date, counted_from: str | None) -> float:
    """Distance to a period [start, end): from its start or end when deferred, else its middle (its end once past)."""
    if counted_from == "start":
        return float(max((start - today).days, 0))
    if counted_from == "end":
        return float(max((end - today).days, 0))
    middle = start + (end - start) / 2
    return float(((middle if middle >= today else end) - today).days)


def season_span(season: str, following: bool, today: date) -> tuple[date, date]:
    """The season meant: the coming (or current) one; "next summer" is the coming one only if it falls
    in a later calendar year than today, else the one after (as the date-time model reads "next")."""
    start_month = SEASONS[season]
    start = date(today.year - 1, start_month, 1)
    while _add_months(start, 3) <= today:
        start = date(start.year + 1, start_month, 1)
    if following and start.year <= today.year:
        start = date(start.year + 1, start_month, 1)
    return start, _add_months(start, 3)


def next_year_part_span(part: str, today: date) -> tuple[date, date]:
    """Early next year is its first quarter, late next year its last, mid next year the two between."""
    year = today.year + 1
    part = part.lower()
    if part in {"early", "beginning of", "start of"}:
        return date(year, 1, 1), date(year, 4, 1)
    if part in {"late", "end of", "towards the end of"}:
        return date(year, 10, 1), date(year + 1, 1, 1)
    return date(year, 4, 1), date(year, 10, 1)


def calendar_days(text: str, today: date, counted_from: str | None) -> float | None:
    """Distance to a season or the end of this year (kind 2 of the module docstring), or None."""
    if match := SEASON_RE.search(text):
        span = season_span(match.group("season").lower(), bool(match.group("next")), today)
        return _span_days(*span, today, counted_from)
    if YEAR_END_RE.search(text):
        return float((date(today.year, 12, 31) - today).days)
    return None


@functools.lru_cache(maxsize=1)
def _datetime_model():
    from recognizers_date_time import DateTimeRecognizer
    from recognizers_text import Culture

    return DateTimeRecognizer(Culture.English).get_datetime_model()


def recognized_days(text: str, today: date, counted_from: str | None) -> float | None:
    """Distance to the first date or period the date-time model finds ahead of today (kind 3).

    The model offers a named period's last and next occurrence; when both are over (Q2 asked about
    on 1 July), the next one is a year after the last.
    """
    reference = datetime(today.year, today.month, today.day)
    for result in _datetime_model().parse(text, reference):
        if result.type_name.endswith("duration"):
            continue  # durations are durations.py's job
        spans, moments = [], []
        for value in (result.resolution or {}).get("values") or []:
            start, end = _as_date(value.get("start")), _as_date(value.get("end"))
            if start and end:
                spans.append((start, end))
            elif moment := _as_date(value.get("value")) or end or start:
                moments.append(moment)
        if spans:
            start, end = next(((s, e) for s, e in spans if e > today), _a_year_later(*max(spans, key=lambda s: s[1])))
            return _span_days(start, end, today, counted_from)
        ahead = [moment for moment in moments if moment >= today]
        if ahead:
            return float((min(ahead) - today).days)
    return None


def _a_year_later(start: date, end: date) -> tuple[date, date]:
    def shift(day: date) -> date:
        return day.replace(year=day.year + 1) if (day.month, day.day) != (2, 29) else date(day.year + 1, 3, 1)

    return shift(start), shift(end)


def _as_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def named_period_days(text: str, today: date) -> float | None:
    """Days until a named period or date in `text`, read as a rep reads it, or None if there is none."""
    counted_from = "start" if FROM_START_RE.search(text) else "end" if FROM_END_RE.search(text) else None
    if match := NEXT_YEAR_PART_RE.search(text):
        return _span_days(*next_year_part_span(match.group("part"), today), today, counted_from)
    if not NEXT_YEAR_DATED_RE.search(text) and (unit := relative_unit(text)):
        return (DEFERRED_DAYS if counted_from else RELATIVE_DAYS)[unit]
    days = calendar_days(text, today, counted_from)
    return days if days is not None else recognized_days(text, today, counted_from)
