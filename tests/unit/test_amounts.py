from __future__ import annotations

import pytest

from bot.actions.amounts import parse_budget_amount


@pytest.mark.parametrize(
    ("text", "amount", "currency", "period"),
    [
        ("$50k", 50_000, "USD", None),
        ("50,000 dollars", 50_000, "USD", None),
        ("we've got about €15.000 set aside", 15_000, "EUR", None),
        ("£8k", 8_000, "GBP", None),
        ("3,000 dollars per month", 3_000, "USD", "month"),
        ("EUR 12,500 a year", 12_500, "EUR", "year"),
        ("budget of 1.5 million", 1_500_000, None, None),
        ("5k/month", 5_000, None, "month"),
    ],
)
def test_amounts_and_currencies(text, amount, currency, period) -> None:
    parsed = parse_budget_amount(text)
    assert parsed is not None
    assert (parsed.amount, parsed.currency, parsed.period) == (amount, currency, period)


def test_ranges_keep_both_ends() -> None:
    parsed = parse_budget_amount("25-30k")
    assert (parsed.amount, parsed.upper) == (25_000, 30_000)


@pytest.mark.parametrize("text", ["in 6 months", "no budget", "around 2026", "we have 3 reps", "100 users", ""])
def test_no_amount(text) -> None:
    assert parse_budget_amount(text) is None
