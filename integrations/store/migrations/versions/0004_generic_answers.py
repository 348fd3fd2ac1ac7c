"""every question's answer on the lead (leads.answers); notifications in the one summary shape

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:00:00

Leads get an `answers` JSON column holding each qualification question's answer (question id, label,
category, the visitor's words), so a question a marketer adds is stored like the four BANT questions;
the BANT columns stay for queries. Existing leads get their answers from those columns. Notifications
written before this revision are rewritten into the summary shape of integrations/outbox/summary.py, so
pending and dead ones are delivered and retried like new ones. The conversion is written out here (not
imported) so this revision keeps doing what it did when the code moves on.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BANT = (("need", "Need"), ("authority", "Authority"), ("budget", "Budget"), ("timeline", "Timeline"))
CONTACT = ("name", "email", "company", "phone")

_leads = sa.table(
    "leads",
    sa.column("id", sa.Integer),
    sa.column("answers", sa.JSON),
    sa.column("budget_amount", sa.Float),
    sa.column("budget_currency", sa.String),
    sa.column("budget_period", sa.String),
    *(sa.column(key, sa.String) for key, _ in BANT),
    *(sa.column(f"{key}_detail", sa.Text) for key, _ in BANT),
)
_notifications = sa.table(
    "notifications", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("payload", sa.JSON)
)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _answer(key: str, label: str, category: Any, text: Any, details: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = {"question": key, "label": label, "category": category, "text": text}
    if details:
        answer["details"] = details
    return answer


def _budget_details(amount: Any, currency: Any, period: Any) -> dict[str, Any]:
    if amount is None:
        return {}
    return {"amount": amount, "currency": currency, "period": period}


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(_leads)).mappings().all():
        answers = [
            _answer(
                key,
                label,
                row[key],
                row[f"{key}_detail"],
                _budget_details(row["budget_amount"], row["budget_currency"], row["budget_period"])
                if key == "budget"
                else None,
            )
            for key, label in BANT
        ]
        bind.execute(sa.update(_leads).where(_leads.c.id == row["id"]).values(answers=answers))
    for row in bind.execute(sa.select(_notifications)).mappings().all():
        payload = _loaded(row["payload"])
        if isinstance(payload, dict) and ("bant" in payload or "contact" in payload or "answers" not in payload):
            new = _summary_shape(payload)
            bind.execute(sa.update(_notifications).where(_notifications.c.id == row["id"]).values(payload=new))


def _summary_shape(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload of 0001-0003 (`bant` of a lead, or `contact` and `answers` of a hand-off) in the summary shape."""
    new = {key: value for key, value in payload.items() if key not in ("bant", "contact", "answers")}
    bant = payload.get("bant")
    if isinstance(bant, dict):
        answers = []
        for key, label in BANT:
            item = bant.get(key) if isinstance(bant.get(key), dict) else {}
            details = {name: item[name] for name in ("amount", "currency", "period") if name in item}
            answers.append(_answer(key, label, item.get("category"), item.get("answer"), details))
        new["answers"] = answers
    contact = payload.get("contact")
    if isinstance(contact, dict):
        new.setdefault("name", contact.get("person_name"))
        for key in ("email", "company", "phone"):
            new.setdefault(key, contact.get(key))
    answered = payload.get("answers")
    if isinstance(answered, dict):
        new["answers"] = [_answer(key, label, answered.get(key), None) for key, label in BANT]
    if "text" in payload and "request" not in new and payload.get("contact") is not None:
        new["request"] = payload["text"]
    new.setdefault("answers", [])
    return new


def _old_shape(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    answers = {item.get("question"): item for item in payload.get("answers") or [] if isinstance(item, dict)}
    old = {key: value for key, value in payload.items() if key not in ("answers", "request")}
    if kind == "handoff":
        old["contact"] = {"person_name": payload.get("name"), **{key: payload.get(key) for key in CONTACT[1:]}}
        old["answers"] = {key: (answers.get(key) or {}).get("category") for key, _ in BANT}
        return old
    bant = {}
    for key, _ in BANT:
        item = answers.get(key) or {}
        bant[key] = {"category": item.get("category"), "answer": item.get("text"), **(item.get("details") or {})}
    old["bant"] = bant
    return old


def downgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(_notifications)).mappings().all():
        payload = _loaded(row["payload"])
        if isinstance(payload, dict) and isinstance(payload.get("answers"), list):
            old = _old_shape(row["kind"], payload)
            bind.execute(sa.update(_notifications).where(_notifications.c.id == row["id"]).values(payload=old))
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_column("answers")
