from __future__ import annotations

from datetime import date

import pytest

from bot.actions.durations import days_until, timeline_category

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("asap", "immediate"),
        ("within the next two weeks", "immediate"),
        ("in about 20 days", "immediate"),
        ("this week", "immediate"),
        ("in 6 weeks", "quarter"),
        ("6 to 8 weeks", "quarter"),
        ("in a month or two", "quarter"),
        ("one and a half months", "quarter"),
        ("within 90 days", "quarter"),
        ("next quarter", "quarter"),
        ("by march", "quarter"),
        ("in 4-5 months", "later"),
        ("we're thinking 9 months out", "later"),
        ("next year", "later"),
        ("early next year", "quarter"),  # its first quarter, mid-February: 81 days from 25 November
    ],
)
def test_durations_relative_to_today(text: str, category: str) -> None:
    days = days_until(text, TODAY)
    assert days is not None
    assert timeline_category(days) == category


@pytest.mark.parametrize("text", ["no rush", "tbd", "we have 3 reps", ""])
def test_no_duration(text: str) -> None:
    assert days_until(text, TODAY) is None


def test_boundaries() -> None:
    assert timeline_category(35) == "immediate"
    assert timeline_category(36) == "quarter"
    assert timeline_category(100) == "quarter"
    assert timeline_category(101) == "later"


def test_a_half_phrase_the_date_model_cannot_resolve() -> None:
    """recognizers-text returns a result without a resolution for "END OF" (found by tests/unit/test_fuzz.py)."""
    assert days_until("END OF", date(2000, 1, 1)) is None
