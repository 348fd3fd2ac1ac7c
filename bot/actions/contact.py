"""Read and check contact details: names, emails (email-validator), phones (phonenumbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_FIELD_LENGTH = 200
FREEMAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com hotmail.co.uk
    hotmail.fr outlook.com live.com msn.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net
    web.de proton.me protonmail.com pm.me mail.com yandex.com yandex.ru mail.ru zoho.com tutanota.com
    fastmail.com hey.com qq.com 163.com orange.fr free.fr libero.it t-online.de""".split()
)
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"]+@[^\s<>()\[\],;:\"]+")
_NAME_PREFIX = re.compile(
    r"^\s*(?:hi|hello|hey)?[\s,!]*(?:i am|i'm|im|my name is|my name's|name is|name's|it's|it is|this is|call me)\s+",
    re.IGNORECASE,
)
_COMPANY_PREFIX = re.compile(
    r"^\s*(?:i\s+work\s+(?:at|for)|i'm\s+(?:at|with|from)|i\s+am\s+(?:at|with|from)|we\s+are|we're|it's|it\s+is|"
    r"the\s+company\s+is|company\s+is|company:|at|with|from|for)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EmailCheck:
    email: str | None
    problem: str | None = None
    is_freemail: bool = False


def check_email(text: str) -> EmailCheck:
    """Find and validate the email address in `text`; syntax only, no network look-ups."""
    candidate_match = _EMAIL_CANDIDATE.search(text or "")
    if not candidate_match:
        return EmailCheck(None, "there's no @ in it")
    candidate = candidate_match.group(0).strip(".")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        return EmailCheck(None, _plain_email_problem(str(error)))
    domain = result.domain.lower()
    return EmailCheck(f"{result.local_part}@{domain}", None, domain in FREEMAIL_DOMAINS)


def _plain_email_problem(message: str) -> str:
    message = message.rstrip(".")
    return message[0].lower() + message[1:] if message else "it isn't valid"


def check_phone(text: str, default_region: str = "US") -> str | None:
    """The first valid phone number in `text` in E.164 form, or None."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", default_region, leniency=phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(text or "", default_region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def clean_name(text: str) -> str | None:
    """The visitor's name without lead-in words ("I'm", "my name is"); None if it can't be a name."""
    name = _NAME_PREFIX.sub("", (text or "").strip()).strip(" .!,")
    if not name or len(name) > 100 or "@" in name or re.search(r"\d", name):
        return None
    if not re.search(r"[^\W\d_]", name):
        return None
    return name


def clean_company(text: str) -> str | None:
    company = _COMPANY_PREFIX.sub("", (text or "").strip()).strip(" !,")
    if not company or len(company) > MAX_FIELD_LENGTH or not re.search(r"\w", company):
        return None
    return company
