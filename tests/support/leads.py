"""Read lead rows straight from a running stack's lead database, for tests."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from integrations.answers import Answer
from integrations.store.leads import LeadRecord
from integrations.store.models import Lead


class _Config(Protocol):
    database_url: str


class RunningStack(Protocol):
    """A Stack or a ProductionStack: anything whose config names the lead database."""

    @property
    def config(self) -> _Config: ...


def lead_rows(stack: RunningStack, **filters: Any) -> list[Lead]:
    """The leads whose columns equal `filters` (e.g. conversation_id=..., email=...)."""
    engine = create_engine(stack.config.database_url)
    try:
        with Session(engine) as session:
            query = select(Lead)
            for key, value in filters.items():
                query = query.where(getattr(Lead, key) == value)
            return list(session.scalars(query))
    finally:
        engine.dispose()


BANT_LABELS = {"need": "Need", "authority": "Authority", "budget": "Budget", "timeline": "Timeline"}
BUDGET_DETAILS = ("amount", "currency", "period")


def lead_record(*args: Any, **values: Any) -> LeadRecord:
    """A LeadRecord from BANT keywords (`need="defined", need_detail="..."`, `budget_amount=...`), as tests write them.

    The answers go in the order and with the labels of the shipped questions.yml, the way the dialogue
    hands them over (bot/actions/questions.py).
    """
    added = list(values.pop("answers", []))  # questions a marketer added, asked after BANT
    answers = []
    for question, label in BANT_LABELS.items():
        category, text = values.pop(question, None), values.pop(f"{question}_detail", None)
        details = {}
        if question == "budget":
            details = {name: values.pop(f"budget_{name}", None) for name in BUDGET_DETAILS}
            details = details if details["amount"] is not None else {}
        answers.append(Answer(question, label, category, text, details))
    return LeadRecord(*args, answers=[*answers, *added], **values)
