"""A count stated in an answer ("about 40 people", "5k employees", "over 200"), for questions whose
answers are number ranges (`number_ranges` in bot/qualification/questions.yml, e.g. company size).

A language model cannot tell 40 from 400; reading the number can.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from number_parser import parse as words_to_numbers

NUMBER_RE = re.compile(
    r"(?P<more>\b(?:over|more than|above|at least|upwards of)\s+)?"
    r"(?P<value>\d{1,3}(?:[,.' ]\d{3})+(?!\d)|\d+(?:\.\d+)?)"
    r"\s*(?P<unit>k|thousand|m|million)?\b(?P<plus>\s*\+)?",
    re.IGNORECASE,
)
MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}


def stated_count(text: str) -> float | None:
    """The largest count in `text` ("between 51 and 200" -> 200, "over 200" -> 201), or None."""
    counts = []
    for match in NUMBER_RE.finditer(words_to_numbers(text or "")):
        raw = match.group("value")
        value = float(re.sub(r"\D", "", raw)) if re.search(r"\d[,.' ]\d{3}$", raw) else float(raw)
        value *= MULTIPLIERS.get((match.group("unit") or "").lower(), 1)
        if match.group("more") or match.group("plus"):
            value += 1
        counts.append(value)
    return max(counts) if counts else None


def category_by_count(text: str, ranges: Mapping[str, Any] | None) -> str | None:
    """The category whose [low, high] range holds the stated count (high may be empty: no upper limit)."""
    count = stated_count(text) if ranges else None
    if count is None or not ranges:
        return None
    for category, (low, high) in ranges.items():
        if (low is None or count >= low) and (high is None or count <= high):
            return category
    return None
