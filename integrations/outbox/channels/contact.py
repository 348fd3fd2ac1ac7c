"""Who a notification is about, whatever its kind: the CRM channels need the same few fields from both shapes.

A `sql_lead` payload (integrations/outbox/summary.py) has the contact at the top level and the BANT answers
under `bant`; a `handoff` payload has them under `contact` and `answers` (categories only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.store.models import Notification

BANT_KEYS = ("need", "authority", "budget", "timeline")


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    # BANT key -> "category - "answer"" (or only the category when the visitor's words are unknown)
    bant: dict[str, str] = field(default_factory=dict)

    @property
    def first_name(self) -> str | None:
        return split_name(self.name)[0]

    @property
    def last_name(self) -> str | None:
        return split_name(self.name)[1]


def contact_of(notification: Notification) -> Contact:
    payload = notification.payload or {}
    if notification.kind == "handoff":
        person = payload.get("contact") or {}
        answers = payload.get("answers") or {}
        bant = {key: str(answers[key]) for key in BANT_KEYS if answers.get(key)}
        return Contact(
            name=_text(person.get("person_name")),
            email=_text(person.get("email")),
            company=_text(person.get("company")),
            phone=_text(person.get("phone")),
            bant=bant,
        )
    bant = {}
    for key in BANT_KEYS:
        item = (payload.get("bant") or {}).get(key) or {}
        category, answer = _text(item.get("category")), _text(item.get("answer"))
        if category and answer:
            bant[key] = f'{category} - "{answer}"'
        elif category or answer:
            bant[key] = category or f'"{answer}"'
    return Contact(
        name=_text(payload.get("name")),
        email=_text(payload.get("email")),
        company=_text(payload.get("company")),
        phone=_text(payload.get("phone")),
        bant=bant,
    )


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """("Maria", "López Díaz") from "Maria López Díaz"; a single word is a first name."""
    parts = (name or "").split()
    if not parts:
        return None, None
    return parts[0], " ".join(parts[1:]) or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
