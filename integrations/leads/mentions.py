"""A person's identifiers in free text: find them anywhere in JSON data and replace them.

Used by erasure for what is not structured: emails and phone numbers typed into other conversations
(the tracker's events), and lines of the local outbox log or the spool that mention the person.
A phone number is found however it was typed ("+1 (415) 555-2671", "415.555.2671"); a name only
where an email or phone number of the person is found too, so a common name is never erased elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

ERASED = "[erased]"
_SEPARATORS = r"[\s().\-/]*"


def _phone_variants(phone: str) -> set[str]:
    """The digits of the number with and without its country code (the national number)."""
    digits = re.sub(r"\D", "", phone)
    variants = {digits} if len(digits) >= 6 else set()
    try:
        number = phonenumbers.parse(phone if phone.startswith("+") else "+" + digits, None)
        national = str(number.national_number)
        if len(national) >= 6:
            variants.add(national)
    except phonenumbers.NumberParseException:
        pass
    return variants


def _phone_pattern(digits: str) -> str:
    return r"(?<!\d)\+?" + _SEPARATORS.join(re.escape(digit) for digit in digits) + r"(?!\d)"


@dataclass
class Identifiers:
    """What identifies one person in free text."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, emails: Iterable[str | None], phones: Iterable[str | None], names: Iterable[str | None]):
        return cls(
            {value.strip() for value in emails if value and value.strip()},
            {value.strip() for value in phones if value and value.strip()},
            {value.strip() for value in names if value and len(value.strip()) >= 2},
        )

    def like_terms(self) -> list[str]:
        """Lower-case substrings, one of which any matching text contains (a cheap SQL pre-filter)."""
        terms = {email.casefold() for email in self.emails}
        terms |= {json.dumps(email.casefold())[1:-1] for email in self.emails}  # as JSON escapes it
        terms |= {digits[-4:] for phone in self.phones for digits in _phone_variants(phone)}
        return sorted(terms)

    def strong_pattern(self) -> re.Pattern[str] | None:
        parts = [re.escape(email) for email in self.emails]
        parts += [_phone_pattern(digits) for phone in self.phones for digits in sorted(_phone_variants(phone))]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def name_pattern(self) -> re.Pattern[str] | None:
        names = sorted(self.names, key=len, reverse=True)
        return re.compile("|".join(re.escape(name) for name in names), re.IGNORECASE) if names else None


def mentions(value: Any, identifiers: Identifiers) -> bool:
    """Whether any string in `value` (JSON data) holds one of the person's emails or phone numbers."""
    pattern = identifiers.strong_pattern()
    return pattern is not None and any(pattern.search(text) for text in _strings(value))


def redact(value: Any, identifiers: Identifiers) -> tuple[Any, int]:
    """`value` with the person's emails, phone numbers and names replaced; and how many were replaced.

    Names are replaced only when an email or a phone number was found in `value`.
    """
    strong = identifiers.strong_pattern()
    if strong is None or not mentions(value, identifiers):
        return value, 0
    patterns = [strong] + [pattern for pattern in [identifiers.name_pattern()] if pattern]
    count = 0

    def replace(text: str) -> str:
        nonlocal count
        for pattern in patterns:
            text, found = pattern.subn(ERASED, text)
            count += found
        return text

    return _map_strings(value, replace), count


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _map_strings(value: Any, function) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {function(str(key)): _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    return value
