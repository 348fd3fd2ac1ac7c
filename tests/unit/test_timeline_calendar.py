"""The timeline rule on every day of a year: each phrase lands where a sales rep would put it that day.

The year runs from 1 June 2027 to 31 May 2028, so it holds month ends, quarter ends, 31 December and
the leap day 29 February 2028. The rule is written down in docs/understanding.md ("Timelines"); the
expectations here are computed from that rule by hand, not by the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import time_machine

from bot.actions.durations import days_until, timeline_category
from bot.actions.understanding import timeline_answer
from tests.unit.trackers import parse

FIRST_DAY = date(2027, 6, 1)
YEAR = [FIRST_DAY + timedelta(days=offset) for offset in range(366)]


def category_in(days: int) -> str:
    return "immediate" if days <= 35 else "quarter" if days <= 100 else "later"


def month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def middle_or_end(start: date, end: date, today: date) -> str:
    """A named period counts from its middle, or from its end once the middle has passed."""
    middle = start + (end - start) / 2
    return category_in(((middle if middle >= today else end) - today).days)


def coming_span(today: date, months: tuple[int, ...]) -> tuple[date, date]:
    """The first period made of `months` (e.g. Q2 = April to June) that has not ended yet."""
    for year in (today.year - 1, today.year, today.year + 1):
        start, end = date(year, months[0], 1), month_start(year, months[-1] + 1)
        if end > today:
            return start, end
    raise AssertionError("unreachable")


def in_q2(today: date) -> str:
    return middle_or_end(*coming_span(today, (4, 5, 6)), today)


def in_march(today: date) -> str:
    return middle_or_end(*coming_span(today, (3,)), today)


def this_summer(today: date) -> str:
    return middle_or_end(*coming_span(today, (6, 7, 8)), today)


def not_before_next_summer(today: date) -> str:
    start, _ = coming_span(today, (6, 7, 8))
    if start.year <= today.year:  # "next summer" is the summer of a later calendar year
        start = date(start.year + 1, 6, 1)
    return category_in((start - today).days)


def by_the_end_of_the_year(today: date) -> str:
    return category_in((date(today.year, 12, 31) - today).days)


def early_next_year(today: date) -> str:
    return middle_or_end(date(today.year + 1, 1, 1), date(today.year + 1, 4, 1), today)


def by_june_15(today: date) -> str:
    deadline = date(today.year, 6, 15)
    return category_in(((deadline if deadline >= today else date(today.year + 1, 6, 15)) - today).days)


def always(category: str) -> Callable[[date], str]:
    return lambda _today: category


# What a rep writes down for each phrase, on a given day.
PHRASES: dict[str, Callable[[date], str]] = {
    # relative periods: read by their unit, whatever the date
    "today": always("immediate"),
    "tomorrow": always("immediate"),
    "this week": always("immediate"),
    "next week": always("immediate"),
    "by the end of the week": always("immediate"),
    "this month": always("immediate"),
    "next month": always("immediate"),
    "sometime in the coming month": always("immediate"),
    "by the end of the month": always("immediate"),
    "end of next month": always("immediate"),
    "this quarter": always("quarter"),
    "next quarter": always("quarter"),
    "by the end of the quarter": always("quarter"),
    "in the coming months": always("quarter"),
    "next year": always("later"),
    "sometime next year, no rush": always("later"),
    "next fiscal year": always("later"),
    # deferrals: from the start of the period, one step further out for a relative one
    "not until next week": always("immediate"),
    "not before next month": always("quarter"),
    "not before next quarter": always("later"),
    "not before next summer": not_before_next_summer,
    # explicit durations
    "in 6 weeks": always("quarter"),
    "within 2 months": always("quarter"),
    "in two weeks": always("immediate"),
    "within a month": always("immediate"),
    "in 6 months": always("later"),
    # weekdays: the coming one
    "on monday": always("immediate"),
    "next friday": always("immediate"),
    # calendar periods: by the calendar
    "in Q2": in_q2,
    "in march": in_march,
    "this summer": this_summer,
    "by the end of the year": by_the_end_of_the_year,
    "early next year": early_next_year,
    "by june 15": by_june_15,
}


@pytest.mark.parametrize("phrase", list(PHRASES))
def test_every_day_of_a_year(phrase: str) -> None:
    expected = PHRASES[phrase]
    wrong = []
    for today in YEAR:
        days = days_until(phrase, today)
        got = timeline_category(days) if days is not None else None
        if got != expected(today):
            wrong.append(f"{today}: {got} (expected {expected(today)})")
    assert not wrong, f"{phrase!r} on {len(wrong)} days: " + "; ".join(wrong[:5])


@pytest.mark.parametrize(
    "today", [date(2027, 1, 31), date(2028, 2, 29), date(2027, 12, 31), date(2027, 3, 31), date(2027, 9, 30)]
)
def test_the_answer_reads_the_frozen_clock(today: date) -> None:
    """The form's timeline answer takes today from the clock, so a frozen clock decides it."""
    message = parse("by the end of the year", "timeline_quarter", 0.9)
    with time_machine.travel(today, tick=False):
        assert timeline_answer(message, asked=True) == by_the_end_of_the_year(today)
