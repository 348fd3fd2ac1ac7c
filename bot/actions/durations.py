"""How far away a visitor's timeline is, in days: "in 6 weeks", "next quarter", "not before next summer".

Explicit durations (including word numbers via number-parser, and ranges like "6 to 8 weeks")
are read here; named periods and dates ("next month", "by March", "early next year") by periods.py,
the way a sales rep reads them.
"""

from __future__ import annotations

import re
from datetime import date

from number_parser import parse as words_to_numbers

from bot.actions.periods import named_period_days

UNIT_DAYS = {"day": 1, "week": 7, "month": 30.4, "mo": 30.4, "quarter": 91, "year": 365, "yr": 365}
_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mos?|quarters?|years?|yrs?)\b"
DURATION_RE = re.compile(
    rf"(?P<low>\d+(?:\.\d+)?)(?:\s*(?:-|–|to|or)\s*(?P<high>\d+(?:\.\d+)?))?\s*{_UNIT}"
    rf"(?:\s*(?:or|to|-)\s*(?P<high_after>\d+(?:\.\d+)?)\b)?",
    re.IGNORECASE,
)
SINGLE_UNIT = re.compile(r"\b(?:a|one|an)\s+(day|week|month|quarter|year)\b", re.IGNORECASE)
FRACTIONS = ((re.compile(r"\b(\d+) and a half\b", re.I), r"\1.5"), (re.compile(r"\bhalf a year\b", re.I), "6 months"))
COUPLE = re.compile(r"\b(?:a )?couple (?:of )?", re.I)
FEW = re.compile(r"\b(?:a )?few ", re.I)

# "15k a year", "500 leads/mo", "€80 per seat per month": how often money is paid or things happen,
# not when the visitor wants a solution.
BILLING_PERIOD_RE = re.compile(
    r"(\d(?:[\d.,']*\d)?\s*(?:k|m|mm|grand|thousand|million)?\s*(?:[a-z€$£]{1,8}\s*)?)"
    r"(?:a|an|per|each|every|/|for the|for this|for next)\s*(?:(?:seat|user|head|licen[cs]e)\s*(?:a|an|per|/)\s*)?"
    r"(?:years?|yrs?|months?|mos?|weeks?|wks?|quarters?)\b"
    r"|\b(?:monthly|annually|yearly|weekly|quarterly|per annum)\b",
    re.IGNORECASE,
)
# "it takes us 2 days", "they wait a week for a reply": a duration of something happening now.
PRESENT_DURATION_RE = re.compile(
    r"\b(?:takes?|took|taking|wait(?:s|ing)?|waited|sits?|sitting|lasts?|spends?|spending|after|ago"
    r"|for the (?:last|past))"
    r"\s+(?:\w+\s+){0,2}?(?:\d+|an?|one|two|three|four|five|six|several|few|couple)\s+(?:\w+\s+)?"
    r"(?:days?|weeks?|months?|hours?|years?)\b",
    re.IGNORECASE,
)


def without_billing_periods(text: str) -> str:
    return BILLING_PERIOD_RE.sub(lambda match: match.group(1) or "", text or "")


# Category boundaries of docs/design.md section 4: immediate within about a month, quarter one to three months.
IMMEDIATE_MAX_DAYS = 35
QUARTER_MAX_DAYS = 100


def timeline_category(days: float) -> str:
    if days <= IMMEDIATE_MAX_DAYS:
        return "immediate"
    if days <= QUARTER_MAX_DAYS:
        return "quarter"
    return "later"


def _normalise(text: str) -> str:
    text = SINGLE_UNIT.sub(r"1 \1", COUPLE.sub("2 ", FEW.sub("3 ", text)))
    text = words_to_numbers(text)
    for pattern, replacement in FRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def explicit_duration_days(text: str) -> float | None:
    """Days of the first explicit duration ("in 6 weeks", "3-4 months", "two weeks"); ranges give their middle."""
    match = DURATION_RE.search(_normalise(text))
    if not match:
        return None
    unit = match.group("unit").lower().rstrip("s")
    unit = {"wk": "week"}.get(unit, unit)
    low = float(match.group("low"))
    high_text = match.group("high") or match.group("high_after")
    high = float(high_text) if high_text else low
    return (low + high) / 2 * UNIT_DAYS[unit]


# A timeline answer is short; reading only its start keeps the date-time model fast (a 2000-character
# message of digits took ~10 s and blocked the action server).
MAX_TIMELINE_CHARS = 200


def days_until(text: str, today: date | None = None) -> float | None:
    today = today or date.today()
    text = without_billing_periods((text or "")[:MAX_TIMELINE_CHARS])
    days = explicit_duration_days(text)
    return days if days is not None else named_period_days(text, today)


# "in 6 weeks", "within 2 months", "by March", "next quarter": a date or duration said as when.
FUTURE_MARKER_RE = re.compile(
    r"\b(?:in|within|by|before|until|till|next|starting|from now|this|end of|live|launch|ready|in place|asap)\b",
    re.IGNORECASE,
)


def future_timeline(text: str, today: date | None = None) -> str | None:
    """The timeline category of a date or duration said as when the visitor wants a solution ("we need
    it within 2 months"), or None: billing periods ("15k a year") and how long something takes now
    ("it takes us 2 days") are no timeline."""
    text = without_billing_periods((text or "")[:MAX_TIMELINE_CHARS])
    if PRESENT_DURATION_RE.search(text) or not FUTURE_MARKER_RE.search(text):
        return None
    days = explicit_duration_days(text)
    return timeline_category(days) if days is not None else None
