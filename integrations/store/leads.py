"""Write leads: one row per conversation, linked by email to its person (integrations/store/people.py).

A conversation that saves again (a corrected answer, re-scored) updates its own row; another
conversation never changes it, whatever email it gives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.store.models import Lead
from integrations.store.people import link

CONTACT_FIELDS = ("person_name", "email", "email_is_freemail", "company", "phone", "consent_at", "consent_text")


@dataclass
class LeadRecord:
    conversation_id: str
    score: int
    stage: str
    temperature: str
    reasons: list[str]
    consent: bool = False
    consent_text: str | None = None
    person_name: str | None = None
    email: str | None = None
    email_is_freemail: bool | None = None
    company: str | None = None
    phone: str | None = None
    need: str | None = None
    need_detail: str | None = None
    authority: str | None = None
    authority_detail: str | None = None
    budget: str | None = None
    budget_detail: str | None = None
    budget_amount: float | None = None
    budget_currency: str | None = None
    budget_period: str | None = None
    timeline: str | None = None
    timeline_detail: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    follow_up_by: datetime | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def save_lead(session: Session, record: LeadRecord, now: datetime | None = None) -> Lead:
    """Insert or update the conversation's lead; without consent every contact detail is dropped."""
    values = asdict(record)
    now = now or utcnow()
    if record.consent:
        values["consent_at"] = now
    else:
        for name in CONTACT_FIELDS:
            values[name] = None
    existing = session.scalars(
        select(Lead).where(Lead.conversation_id == record.conversation_id).order_by(Lead.id).with_for_update()
    ).first()
    if existing is None:
        lead = Lead(created_at=now, updated_at=now, status="new", **values)
        session.add(lead)
    else:
        lead = existing
        for name, value in values.items():
            if name == "source" and not value:
                continue  # keep where they first came from when this visit brought nothing new
            if name == "consent_at" and existing.consent_at is not None and value is not None:
                continue  # consent was given at the first save
            setattr(lead, name, value)
        lead.updated_at = now
    session.flush()
    link(session, lead, now)
    return lead
