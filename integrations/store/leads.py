"""Write leads: one row per conversation, linked by email to its person (integrations/store/people.py).

A conversation that saves again (a corrected answer, re-scored) updates its own row; another
conversation never changes it, whatever email it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.answers import BUDGET_DETAILS, COLUMN_QUESTIONS, Answer, answers_to_json
from integrations.store.models import Lead
from integrations.store.people import link

CONTACT_FIELDS = ("person_name", "email", "email_is_freemail", "company", "phone", "consent_at", "consent_text")


@dataclass
class LeadRecord:
    """One conversation's lead as the dialogue hands it over: contact, outcome and every answer, in order."""

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
    answers: list[Answer] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    follow_up_by: datetime | None = None
    # question -> variant name of the wording variants this visitor was asked (integrations/variants.py)
    dialogue_variants: dict[str, str] | None = None

    def answer(self, question: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.question == question), None)


def answer_columns(answers: list[Answer]) -> dict[str, Any]:
    """The answers as the lead's columns: `answers` (all of them) and the BANT columns kept for queries."""
    values: dict[str, Any] = {"answers": answers_to_json(answers)}
    by_question = {answer.question: answer for answer in answers}
    for question in COLUMN_QUESTIONS:
        answer = by_question.get(question)
        values[question] = answer.category if answer else None
        values[f"{question}_detail"] = answer.text if answer else None
    budget = by_question.get("budget")
    for name in BUDGET_DETAILS:
        values[f"budget_{name}"] = budget.details.get(name) if budget else None
    return values


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def save_lead(session: Session, record: LeadRecord, now: datetime | None = None) -> Lead:
    """Insert or update the conversation's lead; without consent every contact detail is dropped."""
    values = {item.name: getattr(record, item.name) for item in fields(record) if item.name != "answers"}
    values.update(answer_columns(record.answers))
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
