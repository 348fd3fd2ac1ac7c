"""Read a budget amount ("$50k", "€15.000", "3,000 dollars per month", "25-30k") from text.

price-parser reads the number (thousand and decimal separators in any locale); this module
adds what it leaves out: k/m multipliers, currency words, ranges and the billing period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from price_parser import Price

CURRENCY_CODES = {
    "$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "chf": "CHF",
    "francs": "CHF",
    "¥": "JPY",
    "jpy": "JPY",
    "yen": "JPY",
    "cad": "CAD",
    "aud": "AUD",
    "sek": "SEK",
    "nok": "NOK",
    "dkk": "DKK",
    "inr": "INR",
    "₹": "INR",
}
MULTIPLIERS = {
    "k": 1_000,
    "K": 1_000,
    "grand": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "million": 1_000_000,
    "mio": 1_000_000,
}

_CURRENCY = r"(?:\$|€|£|¥|₹|usd|eur|gbp|chf|jpy|cad|aud|sek|nok|dkk|inr|dollars?|euros?|pounds?|bucks|quid|francs|yen)"
_NUMBER = r"\d[\d.,' ]*\d|\d"
_MULT = r"(?:k|mm|m|grand|thousand|million|mio)\b"
AMOUNT_RE = re.compile(
    rf"(?P<cur1>{_CURRENCY})?\s*(?P<low>{_NUMBER})\s*(?P<mult1>{_MULT})?"
    rf"(?:\s*(?:-|–|to)\s*(?P<cur_mid>{_CURRENCY})?\s*(?P<high>{_NUMBER})\s*(?P<mult2>{_MULT})?)?"
    rf"\s*(?P<cur2>{_CURRENCY}\b|€|£|\$)?",
    re.IGNORECASE,
)
NOT_MONEY_AFTER = re.compile(
    r"\s*(?:-\s*\d+\s*)?(?:days?|weeks?|months?|years?|yrs?|quarters?|people|users?|seats?|reps?|employees|leads|%|percent)\b",
    re.IGNORECASE,
)
PERIODS = (
    (re.compile(r"per\s+month|a\s+month|/\s*mo(?:nth)?\b|monthly|\bpm\b|each\s+month", re.I), "month"),
    (re.compile(r"per\s+year|a\s+year|/\s*y(?:ea)?r\b|annual(?:ly)?|yearly|per\s+annum|\bp\.?a\.?\b", re.I), "year"),
    (re.compile(r"per\s+quarter|quarterly", re.I), "quarter"),
)


@dataclass(frozen=True)
class BudgetAmount:
    amount: float
    currency: str | None
    period: str | None
    upper: float | None = None


def _number(text: str, multiplier: str | None) -> float | None:
    value = Price.fromstring(text.replace("'", "").strip()).amount
    if value is None:
        return None
    factor = MULTIPLIERS.get(multiplier or "", MULTIPLIERS.get((multiplier or "").lower(), 1))
    return float(value) * factor


def parse_budget_amount(text: str) -> BudgetAmount | None:
    """The first money amount in `text`, or None when it states none."""
    for match in AMOUNT_RE.finditer(text or ""):
        currency_token = match.group("cur1") or match.group("cur_mid") or match.group("cur2")
        multiplier = match.group("mult1") or match.group("mult2")
        if NOT_MONEY_AFTER.match(text, match.end("high") if match.group("high") else match.end("low")):
            continue
        low = _number(match.group("low"), match.group("mult1") or match.group("mult2"))
        if low is None:
            continue
        if not currency_token and not multiplier and (low < 100 or _looks_like_year(match.group("low"))):
            continue
        high = _number(match.group("high"), match.group("mult2")) if match.group("high") else None
        currency = CURRENCY_CODES.get(currency_token.lower()) if currency_token else None
        return BudgetAmount(amount=low, currency=currency, period=_period(text), upper=high)
    return None


def _looks_like_year(token: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d\d", token.strip()))


def _period(text: str) -> str | None:
    for pattern, period in PERIODS:
        if pattern.search(text):
            return period
    return None
